// audit tail (with and without --follow) and sessions, through the real CLI against an admin API.
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import anyTest, { type TestFn } from 'ava';
import { AdminServer } from '../../src/admin/index.ts';
import { LiveRegistry } from '../../src/config/index.ts';
import type { Actor, TenantDirectory } from '../../src/directory/index.ts';
import { registryRotating, startAdmin, TOKENS, type Api } from '../admin/helpers.ts';
import { cli } from './run.ts';

const test = anyTest as TestFn<{ api: Api; env: Record<string, string> }>;
const BIN = fileURLToPath(new URL('../../bin/tenantdir.js', import.meta.url));
const ldap: Actor = { name: 'ldap:uid=x', protocol: 'ldap', source: '192.0.2.9' };

test.before(async (t) => {
  t.context.api = await startAdmin();
  t.context.env = { TENANTDIR_URL: t.context.api.url, TENANTDIR_TOKEN: TOKENS.acmeAdmin };
});
test.after.always(async (t) => {
  await t.context.api?.close();
});

function acme(api: Api): TenantDirectory {
  return api.world.directory.tenant(api.world.live.current().byId('acme')!);
}

test.serial('audit tail prints the newest events oldest first, filtered; --json as JSON lines', async (t) => {
  const { api, env } = t.context;
  await acme(api).audit(ldap, 'ldap.auth', 'alice', 'failed', { reason: 'bad-password', method: 'password' });
  await acme(api).audit(ldap, 'ldap.auth', 'bob', 'failed', { reason: 'bad-password' });
  await acme(api).audit(ldap, 'ldap.auth', 'alice', 'ok', { method: 'password' });
  await acme(api).audit(ldap, 'ldap.auth', 'alice', 'failed', { reason: 'locked' });
  const json = await cli(['audit', 'tail', '--tenant', 'acme', '--user', 'alice', '--outcome', 'failed', '--json'], { env });
  t.is(json.code, 0, json.stderr);
  const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { target: string; reason: string; outcome: string });
  t.deepEqual(events.map((e) => e.reason), ['bad-password', 'locked']);
  t.true(events.every((e) => e.target === 'alice' && e.outcome === 'failed'));
  const human = await cli(['audit', 'tail', '--tenant', 'acme', '-n', '1'], { env });
  t.is(human.code, 0, human.stderr);
  t.regex(human.stdout, /^\S+Z {2}failed {3}ldap\.auth {2}alice {2}by ldap:uid=x {2}\(locked\) {2}source=192\.0\.2\.9\n$/);
  const bad = await cli(['audit', 'tail', '--tenant', 'acme', '--outcome', 'maybe'], { env });
  t.is(bad.code, 2);
  t.regex(bad.stderr, /expected one of ok, failed, refused/);
});

/** `tenantdir audit tail --follow ...` running, its output as it comes, waits bounded. */
function follow(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'audit', 'tail', '--tenant', 'acme', '--follow', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = { out: '', err: '', exited: new Promise<number | null>((resolve) => child.on('close', resolve)), kill: () => child.kill('SIGKILL') };
  child.stdout.on('data', (d) => (p.out += String(d)));
  child.stderr.on('data', (d) => (p.err += String(d)));
  const until = async (what: string, check: () => boolean) => {
    for (const deadline = Date.now() + 20_000; !check();) {
      if (Date.now() > deadline) throw new Error(`no ${what}; stdout: ${p.out}; stderr: ${p.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const targets = () => p.out.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { target: string }).target);
  return { ...p, get out() { return p.out; }, get err() { return p.err; }, until, targets };
}

test.serial('audit tail --follow prints the backlog, then live events; a reload that revokes the token ends it with exit 1', async (t) => {
  const { api, env } = t.context;
  await acme(api).audit(ldap, 'ldap.auth', 'before', 'failed');
  const tail = follow(['--json', '--lines', '1', '--outcome', 'failed'], env);
  t.teardown(tail.kill);
  await tail.until('backlog', () => tail.out.includes('"before"'));
  await acme(api).audit(ldap, 'ldap.auth', 'ignored', 'ok');
  await acme(api).audit(ldap, 'ldap.auth', 'live', 'failed');
  await tail.until('live event', () => tail.out.includes('"live"'));
  t.deepEqual(tail.targets(), ['before', 'live']);

  const before = api.world.live.current();
  api.world.live.replace(await registryRotating(TOKENS.acmeAdmin));
  t.teardown(() => api.world.live.replace(before));
  t.is(await Promise.race([tail.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]), 1);
  t.regex(tail.err, /no longer gives access to acme/);
});

test.serial('audit tail --follow survives a daemon restart: it resumes after the last event it printed', async (t) => {
  const { api } = t.context;
  // The same world behind a second admin server on a fixed port, stopped and started again.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const registry = api.world.live.current();
  const live = new LiveRegistry({ ...registry, server: { ...registry.server, listen: { ...registry.server.listen, http: { ...registry.server.listen.http, port } } } });
  const serve = async () => {
    const s = new AdminServer({ live, directory: api.world.directory, logger: api.world.logger, readiness: async () => ({ ready: true, checks: {} }) });
    await s.listen();
    return s;
  };
  let server = await serve();
  t.teardown(() => server.close());
  const tail = follow(['--json', '--lines', '0', '--action', 'user.restart'], { TENANTDIR_URL: `http://127.0.0.1:${port}`, TENANTDIR_TOKEN: TOKENS.ops });
  t.teardown(tail.kill);
  const dir = acme(api);
  // Until the stream is up, events are missed: record one until it shows.
  for (let i = 0; !tail.out.includes('"first"') && i < 200; i++) {
    await dir.audit(ldap, 'user.restart', 'first', 'ok');
    await new Promise((r) => setTimeout(r, 100));
  }
  await tail.until('the first event', () => tail.out.includes('"first"'));
  await server.close();
  await dir.audit(ldap, 'user.restart', 'while-down', 'ok');
  server = await serve();
  await tail.until('the event missed while down', () => tail.out.includes('"while-down"'));
  await dir.audit(ldap, 'user.restart', 'after', 'ok');
  await tail.until('a live event after the restart', () => tail.out.includes('"after"'));
  // (A late copy of `first` may still come: it was recorded while the stream was opening.)
  t.deepEqual(tail.targets().filter((x) => x !== 'first'), ['while-down', 'after'], 'nothing twice, nothing lost');
  t.regex(tail.err, /ended \(shutdown\); reconnecting/);
});

test.serial('sessions lists accounting as sessions; --active leaves out the stopped; --json for scripts', async (t) => {
  const { api, env } = t.context;
  const dir = acme(api);
  const now = Date.now();
  const base = { nas: 'office-ap', nasAddress: '192.0.2.1', callingStationId: '02-00-00-00-00-01' };
  await dir.recordAccounting({ ...base, at: new Date(now - 3_725_000), sessionId: 'cli-1', statusType: 'start', user: 'alice', framedAddress: '10.0.0.5' });
  await dir.recordAccounting({ ...base, at: new Date(now - 60_000), sessionId: 'cli-1', statusType: 'interim', user: 'alice', inputOctets: 1536, outputOctets: 3 * 1024 * 1024, sessionTime: 3665 });
  await dir.recordAccounting({ ...base, at: new Date(now - 7200_000), sessionId: 'cli-2', statusType: 'start', user: 'bob' });
  await dir.recordAccounting({ ...base, at: new Date(now - 7000_000), sessionId: 'cli-2', statusType: 'stop', user: 'bob', sessionTime: 200, terminateCause: 'User-Request' });
  const json = await cli(['sessions', '--tenant', 'acme', '--json'], { env });
  t.is(json.code, 0, json.stderr);
  const sessions = JSON.parse(json.stdout) as { user: string; active: boolean; duration: number; stopCause?: string }[];
  t.like(sessions, [{ user: 'alice', active: true }, { user: 'bob', active: false, duration: 200, stopCause: 'User-Request' }]);
  t.true(sessions[0]!.duration >= 3725 && sessions[0]!.duration < 3725 + 60);
  const table = await cli(['sessions', '--tenant', 'acme', '--active'], { env });
  t.is(table.code, 0, table.stderr);
  const lines = table.stdout.trim().split('\n');
  t.regex(lines[0] ?? '', /^USER\s+NAS\s+STATION\s+FRAMED IP\s+STARTED\s+DURATION\s+IN\s+OUT\s+STATE$/);
  t.is(lines.length, 2);
  t.regex(lines[1] ?? '', /^alice\s+office-ap\s+02-00-00-00-00-01\s+10\.0\.0\.5\s+\S+\s+1h02m\d\ds\s+1\.5 KiB\s+3\.0 MiB\s+active$/);
  const bob = await cli(['sessions', '--tenant', 'acme', '--user', 'bob', '--json'], { env });
  t.deepEqual((JSON.parse(bob.stdout) as { sessionId: string }[]).map((s) => s.sessionId), ['cli-2']);
});
