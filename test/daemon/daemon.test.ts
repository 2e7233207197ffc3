// The daemon as operators run it: start on a config directory, reload on change, keep the last
// good config on a broken edit, answer requests through reloads, report the store on /readyz,
// listen before the seed loads.
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon, type Ports, type RunningDaemon } from '../../src/daemon/index.ts';
import { startFerretDb } from '../helpers/mongo-server.ts';
import { captureLogger, certsOnce, configCopy as freshConfig, daemonYaml, TOKEN, until } from './helpers.ts';

// One development certificate for every daemon of this file: making an RSA key per test is slow.
const sharedCerts = certsOnce();
const configCopy = async () => freshConfig(await sharedCerts());
const run = promisify(execFile);

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
  await writeFile(join(dir, 'tenantdir.yaml'), daemonYaml(`{ uri: "${mongo.dbUri('daemon')}", serverSelectionTimeoutMS: 3000 }`));
  let d: RunningDaemon | undefined;
  try {
    d = await startDaemon({ configDir: dir, logger: silentLogger() });
    const port = d.ports.http;
    const readyz = () => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status);
    t.is(d.store.kind, 'mongo');
    t.is(await readyz(), 200);
    await mongo.kill();
    t.is(await readyz(), 503);
    // The driver's error names the store's host: only an msp-admin token sees it.
    const anonymous = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { checks: Record<string, unknown> };
    t.is(anonymous.checks.store, false);
    const detailed = (await (await api(d, '/readyz')).json()) as { checks: Record<string, unknown> };
    t.is(typeof detailed.checks.store, 'string');
    t.not(detailed.checks.store, '');
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

/** What a client gets: exit code and output, whether it succeeded or not. */
async function client(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  const p = run(cmd, args, { timeout: 5_000 });
  if (input !== undefined) p.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await p;
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const SEEDED = 40;

test('listens before the seed loads: LDAP answers unavailable, RADIUS is silent, /readyz waits, progress is logged', async (t) => {
  const dir = await configCopy();
  // bcrypt cost 8: the seed takes about a second, as a real one (cost 12, hundreds of users) takes a minute.
  await writeFile(join(dir, 'tenantdir.yaml'), (await readFile(join(dir, 'tenantdir.yaml'), 'utf8'))
    .replace('passwords: { bcryptCost: 4 }', 'passwords: { bcryptCost: 8 }\nstorage: { seed: seed.yaml }'));
  const users = Array.from({ length: SEEDED }, (_, i) => `      - { uid: u${i}, password: Correct-Horse-9, cn: User ${i}, sn: User, groups: [staff] }`);
  await writeFile(join(dir, 'seed.yaml'), ['tenants:', '  acme:', '    groups: [{ name: staff }]', '    users:', ...users, ''].join('\n'));
  const { logger, lines } = captureLogger();
  const bindAs = (port: number) => client('ldapwhoami', ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', 'uid=u1,ou=people,dc=acme,dc=example', '-w', 'Correct-Horse-9']);
  let during: Promise<[{ code: number; out: string }, { code: number; out: string }, { status: number; body: { checks: Record<string, unknown> } }]> | undefined;
  const onListening = (p: Ports) => {
    during = Promise.all([
      bindAs(p.ldap),
      client('radclient', ['-r', '1', '-t', '1', `127.0.0.1:${p.radiusAuth}`, 'auth', 'acme-secret-0123456789'],
        'User-Name = u1, User-Password = Correct-Horse-9, Message-Authenticator = 0x00\n'),
      fetch(`http://127.0.0.1:${p.http}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } })
        .then(async (r) => ({ status: r.status, body: (await r.json()) as { checks: Record<string, unknown> } })),
    ]);
  };
  const d = await startDaemon({ configDir: dir, logger, onListening });
  try {
    t.truthy(during, 'onListening ran before startDaemon resolved');
    const [ldap, radius, readyz] = await during!;
    t.regex(ldap.out, /unavailable \(52\)/, 'LDAP answers unavailable while the tenant is seeded');
    t.regex(radius.out, /Sent Access-Request/);
    t.notRegex(radius.out, /Received/, 'RADIUS stays silent while the tenant is seeded');
    t.is(radius.code, 1);
    t.is(readyz.status, 503);
    t.regex(String(readyz.body.checks.seed), /loading the seed of acme \(\d+ of 40 users\)/);

    const seedLines = lines.filter((l) => String(l.event).startsWith('seed.'));
    t.like(seedLines[0], { event: 'seed.start', tenant: 'acme', users: SEEDED });
    const progress = seedLines.filter((l) => l.event === 'seed.progress');
    t.true(progress.length >= 1, 'progress is logged while hashing');
    t.true(progress.every((l) => l.tenant === 'acme' && Number(l.done) > 0 && Number(l.done) < SEEDED));
    t.like(seedLines.at(-1), { event: 'seed.load', tenant: 'acme', outcome: 'ok', failed: 0 });
    t.true(Number(seedLines.at(-1)?.created) >= SEEDED);

    const after = await bindAs(d.ports.ldap);
    t.is(after.code, 0, after.out);
    t.regex(after.out, /uid=u1,ou=people,dc=acme,dc=example/);
    t.is((await fetch(`http://127.0.0.1:${d.ports.http}/readyz`)).status, 200);
  } finally {
    await d.close();
    await rm(dir, { recursive: true, force: true });
  }
});
