// Reload: a broken edit keeps the last good registry and logs every problem; a good one swaps
// it in and logs what changed; the watcher picks up edits, rename-on-save and a tenants/ dir
// made later. Every wait is bounded.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ConfigReloader, LiveRegistry, loadConfig, type Registry } from '../../src/config/index.ts';
import { createLogger } from '../../src/core/log.ts';
import { configDir, yaml } from './helpers.ts';

interface Harness {
  dir: string;
  live: LiveRegistry;
  first: Registry;
  reloader: ConfigReloader;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  /** The raw log text, to check that no secret appears in it. */
  text(): string;
}

async function harness(t: ExecutionContext, files: Record<string, string | null> = {}): Promise<Harness> {
  const dir = await configDir(t, files);
  const r = await loadConfig(dir);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => { raw.push(s); } } });
  const live = new LiveRegistry(r.registry);
  const reloader = new ConfigReloader({ dir, live, logger, debounceMs: 50 });
  t.teardown(() => reloader.close());
  return {
    dir, live, first: r.registry, reloader,
    get logs() { return raw.map((l) => JSON.parse(l) as Record<string, unknown>); },
    text: () => raw.join(''),
  };
}

/** Polls until `ok()` holds, for at most `ms`. */
async function until(ok: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

const GLOBEX_RENAMED = yaml(
  'id: globex',
  'name: Globex Corporation',
  'baseDN: dc=globex,dc=example',
  'radius:',
  '  clients:',
  '    - { name: hq, address: 192.168.1.0/24, secret: globex-hq-secret-0123456 }',
);

test('a broken edit keeps the last good registry and logs every problem', async (t) => {
  const h = await harness(t);
  await writeFile(join(h.dir, 'tenants/globex.yaml'), yaml('id: globex', 'name: Globex', 'baseDN: dc=globex,dc=example', 'colour: red', 'mfa: { totp: always }'));
  const r = await h.reloader.reload('test');
  t.false(r.ok);
  t.is(h.live.current(), h.first);
  const problems = h.logs.filter((l) => l.event === 'config.problem').map((l) => String(l.msg).replaceAll(`${h.dir}/`, ''));
  t.deepEqual(problems, [
    'tenants/globex.yaml:4:1: unknown key `colour`: remove it (allowed here: id, name, baseDN, ldap, radius, eap, passwordPolicy, mfa, security, posix, integrations)',
    'tenants/globex.yaml:5:14: "always" is not allowed here: use one of off, optional, required',
  ]);
  const summary = h.logs.find((l) => l.event === 'config.reload');
  t.like(summary, { outcome: 'invalid', reason: 'test', problems: 2, level: 50 });
});

test('a good edit swaps the registry in and logs added, removed and changed tenants', async (t) => {
  const h = await harness(t);
  await writeFile(join(h.dir, 'tenants/globex.yaml'), GLOBEX_RENAMED);
  await writeFile(join(h.dir, 'tenants/initech.yaml'), yaml('id: initech', 'name: Initech', 'baseDN: dc=initech,dc=example'));
  const r = await h.reloader.reload('SIGHUP');
  t.true(r.ok);
  const next = h.live.current();
  t.not(next, h.first);
  t.is(next.byId('globex')?.name, 'Globex Corporation');
  t.is(h.first.byId('globex')?.name, 'Globex'); // the old registry is untouched
  const summary = h.logs.find((l) => l.event === 'config.reload');
  t.like(summary, { outcome: 'ok', reason: 'SIGHUP', tenants: 3, added: ['initech'], removed: [], changed: ['globex'] });
  t.false(h.logs.some((l) => l.event === 'config.restart_required'));
});

test('no secret reaches the log, whether the reload fails or succeeds', async (t) => {
  const h = await harness(t);
  await writeFile(join(h.dir, 'tenants/globex.yaml'), GLOBEX_RENAMED.replace('globex-hq-secret-0123456', 'short-secret'));
  t.false((await h.reloader.reload('test')).ok);
  await writeFile(join(h.dir, 'tenants/globex.yaml'), GLOBEX_RENAMED);
  t.true((await h.reloader.reload('test')).ok);
  const text = h.text();
  t.true(text.includes('config.reload'));
  for (const secret of ['short-secret', 'globex-hq-secret-0123456', 'acme-campus-secret-0123', 'test-ops-token-0123456789abcdef']) {
    t.false(text.includes(secret), secret);
  }
});

test('a change to listen or storage is applied only after a restart, and says so', async (t) => {
  const h = await harness(t);
  const server = yaml(
    'listen:',
    '  ldap: { port: 1389 }',
    'admins:',
    '  - { name: ops, token: test-ops-token-0123456789abcdef, role: msp-admin }',
  );
  await writeFile(join(h.dir, 'tenantdir.yaml'), server);
  t.true((await h.reloader.reload('test')).ok);
  const warning = h.logs.find((l) => l.event === 'config.restart_required');
  t.like(warning, { sections: ['listen', 'storage'], level: 40 });
});

test('the watcher reloads after an edit, and after a rename-on-save', async (t) => {
  const h = await harness(t);
  h.reloader.start();
  await writeFile(join(h.dir, 'tenants/globex.yaml'), GLOBEX_RENAMED);
  t.true(await until(() => h.live.current().byId('globex')?.name === 'Globex Corporation'), 'edit not picked up');
  // Editors write a temp file and rename it over the original.
  await writeFile(join(h.dir, 'tenants/.globex.yaml.swp'), GLOBEX_RENAMED.replace('Globex Corporation', 'Globex Saved'));
  await rename(join(h.dir, 'tenants/.globex.yaml.swp'), join(h.dir, 'tenants/globex.yaml'));
  t.true(await until(() => h.live.current().byId('globex')?.name === 'Globex Saved'), 'rename not picked up');
});

test('the watcher finds a tenants/ directory created after start', async (t) => {
  const h = await harness(t, { 'tenantdir.yaml': yaml('listen:', '  ldap: { port: 0 }'), tenants: null, 'seed.yaml': null });
  h.reloader.start();
  await mkdir(join(h.dir, 'tenants'));
  await writeFile(join(h.dir, 'tenants/initech.yaml'), yaml('id: initech', 'name: Initech', 'baseDN: dc=initech,dc=example'));
  t.true(await until(() => h.live.current().byId('initech') !== undefined), 'new tenant not picked up');
  // And a later edit inside the new directory.
  await writeFile(join(h.dir, 'tenants/initech.yaml'), yaml('id: initech', 'name: Initrode', 'baseDN: dc=initech,dc=example'));
  t.true(await until(() => h.live.current().byId('initech')?.name === 'Initrode'), 'edit in new tenants/ not picked up');
});

test('after close() the watcher reloads nothing', async (t) => {
  const h = await harness(t);
  h.reloader.start();
  h.reloader.close();
  await writeFile(join(h.dir, 'tenants/globex.yaml'), GLOBEX_RENAMED);
  t.false(await until(() => h.live.current() !== h.first, 400));
});
