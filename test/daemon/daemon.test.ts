// The daemon as operators run it: start on a config directory, reload on change, keep the last
// good config on a broken edit, answer requests through reloads, report the store on /readyz.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { silentLogger } from '../../src/core/log.ts';
import { devTls } from '../../src/core/tls.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.ts';
import { startFerretDb } from '../helpers/mongo-server.ts';
import { until } from './helpers.ts';

const FIXTURES = fileURLToPath(new URL('../directory/fixtures', import.meta.url));
const TOKEN = 'test-ops-token-0123456789abcdef';

// One development certificate for every daemon of this file: making an RSA key per test is slow.
const sharedCerts = mkdtemp(join(tmpdir(), 'tenantdir-daemon-certs-')).then(async (d) => (await devTls(d), d));

async function configCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-daemon-'));
  await cp(FIXTURES, dir, { recursive: true });
  await cp(await sharedCerts, join(dir, 'certs'), { recursive: true });
  return dir;
}

function api(d: RunningDaemon, path: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${d.ports.http}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
}

async function tenantIds(d: RunningDaemon): Promise<string[]> {
  const body = (await (await api(d, '/api/v1/tenants')).json()) as { items: { id: string }[] };
  return body.items.map((t) => t.id).sort();
}

const INITECH = 'id: initech\nname: Initech\nbaseDN: dc=initech,dc=example\n';

/** Runs `body` against a daemon on a fresh copy of the fixture config, then cleans up. */
async function withDaemon(body: (d: RunningDaemon, dir: string) => Promise<void>): Promise<void> {
  const dir = await configCopy();
  try {
    const d = await startDaemon({ configDir: dir, logger: silentLogger() });
    try {
      await body(d, dir);
    } finally {
      await d.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('starts on a config directory, binds every listener and reports ready', async (t) => {
  await withDaemon(async (d) => {
    for (const port of [d.ports.ldap, d.ports.radiusAuth, d.ports.radiusAcct, d.ports.http]) t.true(port > 0);
    t.is((await fetch(`http://127.0.0.1:${d.ports.http}/healthz`)).status, 200);
    const ready = await fetch(`http://127.0.0.1:${d.ports.http}/readyz`);
    t.is(ready.status, 200);
    t.is(d.store.kind, 'memory');
    t.deepEqual(await tenantIds(d), ['acme', 'globex']);
  });
});

test('a bad config refuses to start with every problem as file:line:col', async (t) => {
  const dir = await configCopy();
  await writeFile(join(dir, 'tenants', 'broken.yaml'), 'id: acme\nname: Dup\nbaseDN: dc=acme,dc=example\nbogus: 1\n');
  try {
    const err = await t.throwsAsync(startDaemon({ configDir: dir, logger: silentLogger() }));
    t.is((err as { code?: string }).code, 'TD_CONFIG_INVALID');
    t.regex(err!.message, /broken\.yaml:1:\d+: .*acme/);
    t.regex(err!.message, /broken\.yaml:4:1: .*bogus/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('reload adds, keeps on a broken edit, and removes a tenant without a restart', async (t) => {
  await withDaemon(async (d, dir) => {
    await writeFile(join(dir, 'tenants', 'initech.yaml'), INITECH);
    t.true(await d.reload('test'));
    t.deepEqual(await tenantIds(d), ['acme', 'globex', 'initech']);

    await writeFile(join(dir, 'tenants', 'initech.yaml'), 'id: initech\nname: [unclosed\n');
    t.false(await d.reload('test'), 'a broken edit is refused');
    t.deepEqual(await tenantIds(d), ['acme', 'globex', 'initech'], 'the last good config keeps serving');

    await rm(join(dir, 'tenants', 'initech.yaml'));
    t.true(await d.reload('test'));
    t.deepEqual(await tenantIds(d), ['acme', 'globex']);
    t.is((await api(d, '/api/v1/tenants/initech/users')).status, 404);
  });
});

test('a file change is picked up by the watcher', async (t) => {
  await withDaemon(async (d, dir) => {
    await writeFile(join(dir, 'tenants', 'initech.yaml'), INITECH);
    await until('the watcher to load initech', () => d.live.current().byId('initech') !== undefined);
    t.truthy(d.live.current().byId('initech'));
  });
});

test('requests in flight during reloads are all answered', async (t) => {
  await withDaemon(async (d, dir) => {
    const requests = Array.from({ length: 60 }, () => api(d, '/api/v1/tenants/acme/users').then((r) => r.status));
    for (let i = 0; i < 5; i++) {
      await writeFile(join(dir, 'tenants', 'initech.yaml'), INITECH.replace('Initech', `Initech ${i}`));
      t.true(await d.reload('test'));
    }
    const statuses = await Promise.all(requests);
    t.deepEqual(new Set(statuses), new Set([200]));
  });
});

// Serial: alone in this file, so that a loaded machine does not starve the FerretDB it starts.
test.serial('/readyz follows the MongoDB store through an outage', async (t) => {
  const mongo = await startFerretDb();
  const dir = await configCopy();
  await writeFile(join(dir, 'tenantdir.yaml'), [
    'listen:',
    '  ldap: { port: 0, host: 127.0.0.1 }',
    '  radius: { auth: 0, acct: 0, host: 127.0.0.1 }',
    '  http: { port: 0, host: 127.0.0.1 }',
    `storage: { uri: "${mongo.dbUri('daemon')}", serverSelectionTimeoutMS: 3000 }`,
    'passwords: { bcryptCost: 4 }',
    `admins: [ { name: ops, token: ${TOKEN}, role: msp-admin } ]`,
    '',
  ].join('\n'));
  let d: RunningDaemon | undefined;
  try {
    d = await startDaemon({ configDir: dir, logger: silentLogger() });
    const port = d.ports.http;
    const readyz = () => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status);
    t.is(d.store.kind, 'mongo');
    t.is(await readyz(), 200);
    await mongo.kill();
    t.is(await readyz(), 503);
    t.is((await api(d, '/api/v1/tenants/acme/users')).status, 503, 'a store call fails fast as unavailable');
    await mongo.restart();
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = await readyz();
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    t.is(status, 200, 'ready again after the store came back, without a restart');
  } finally {
    await d?.close();
    await mongo.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
