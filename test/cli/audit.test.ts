// audit tail (with and without --follow) and sessions, through the real CLI against an admin API.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import anyTest, { type TestFn } from 'ava';
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

test.serial('audit tail --follow prints the backlog, then live events; a reload that revokes the token ends it with exit 1', async (t) => {
  const { api, env } = t.context;
  await acme(api).audit(ldap, 'ldap.auth', 'before', 'failed');
  const child = spawn(process.execPath, [BIN, 'audit', 'tail', '--tenant', 'acme', '--follow', '--json', '--lines', '1', '--outcome', 'failed'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const until = async (what: string, check: () => boolean) => {
    for (const deadline = Date.now() + 20_000; !check();) {
      if (Date.now() > deadline) throw new Error(`no ${what}; stdout: ${out}; stderr: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until('backlog', () => out.includes('"before"'));
  await acme(api).audit(ldap, 'ldap.auth', 'ignored', 'ok');
  await acme(api).audit(ldap, 'ldap.auth', 'live', 'failed');
  await until('live event', () => out.includes('"live"'));
  t.deepEqual(out.trim().split('\n').map((l) => (JSON.parse(l) as { target: string }).target), ['before', 'live']);

  const before = api.world.live.current();
  api.world.live.replace(await registryRotating(TOKENS.acmeAdmin));
  t.teardown(() => api.world.live.replace(before));
  t.is(await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]), 1);
  t.regex(err, /no longer gives access to acme/);
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
