// The daemon's webhooks through its admin API: events of real admin actions, a restart with
// deliveries queued on the Mongo store (FerretDB) that go out after it, and the status routes,
// each visible only to whom it concerns.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.ts';
import { startMongo } from '../helpers/mongo-server.ts';
import { certsOnce } from '../daemon/helpers.ts';
import { FAST_DELIVERY, SECRETS, startReceiver, until, webhook } from './helpers.ts';

const mongo = await startMongo();
test.after.always(() => mongo.stop());
const certs = certsOnce();

const TOKENS = {
  ops: 'integrations-ops-token-0123456789',
  acme: 'integrations-acme-token-012345678',
  helpdesk: 'integrations-helpdesk-token-01234',
};

/** A config directory: two tenants, admins of three roles, acme's webhook to `url`. */
async function configDir(t: ExecutionContext, o: { url: string; storeUri?: string }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-integrations-daemon-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(await certs(), join(dir, 'certs'), { recursive: true });
  await mkdir(join(dir, 'tenants'));
  await writeFile(join(dir, 'tenantdir.yaml'), [
    'listen: { ldap: { port: 0, host: 127.0.0.1 }, radius: { auth: 0, acct: 0, host: 127.0.0.1 }, http: { port: 0, host: 127.0.0.1 } }',
    'passwords: { bcryptCost: 4 }',
    ...(o.storeUri ? [`storage: { uri: "${o.storeUri}" }`] : []),
    'admins:',
    `  - { name: ops, token: ${TOKENS.ops}, role: msp-admin }`,
    `  - { name: acme-it, token: ${TOKENS.acme}, role: tenant-admin, tenants: [acme] }`,
    `  - { name: acme-desk, token: ${TOKENS.helpdesk}, role: helpdesk, tenants: [acme] }`,
    'integrations:', `  ${FAST_DELIVERY}`,
    '  webhooks:', webhook(`${o.url}/msp`, SECRETS.msp, 'events: ["user.*"], name: siem'),
  ].join('\n'));
  await writeFile(join(dir, 'tenants/acme.yaml'), [
    'id: acme', 'name: Acme', 'baseDN: dc=acme,dc=example',
    'integrations:', '  webhooks:', webhook(`${o.url}/psa?key=kept-secret`, SECRETS.acme, 'events: ["user.*"], name: psa'),
  ].join('\n'));
  await writeFile(join(dir, 'tenants/globex.yaml'), ['id: globex', 'name: Globex', 'baseDN: dc=globex,dc=example'].join('\n'));
  return dir;
}

async function call(d: RunningDaemon, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${d.ports.http}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const addUser = (d: RunningDaemon, tenant: string, uid: string) =>
  call(d, TOKENS.ops, 'POST', `/api/v1/tenants/${tenant}/users`, { uid, cn: uid, sn: uid });

test('deliveries queued on the Mongo store while the receiver is down go out after a daemon restart', async (t) => {
  const r = await startReceiver(t, { secrets: [SECRETS.acme, SECRETS.msp] });
  await r.stop();
  const dir = await configDir(t, { url: r.url, storeUri: mongo.dbUri('webhook-restart') });

  const first = await startDaemon({ configDir: dir, logger: silentLogger() });
  let closed = false;
  t.teardown(() => (closed ? undefined : first.close()));
  for (const uid of ['ann', 'ben', 'cat']) t.is((await addUser(first, 'acme', uid)).status, 201);
  t.is((await addUser(first, 'globex', 'dan')).status, 201);
  await until('failed attempts', async () => (await call(first, TOKENS.acme, 'GET', '/api/v1/tenants/acme/integrations')).body.webhooks[0].failedAttempts >= 1);
  t.like((await call(first, TOKENS.acme, 'GET', '/api/v1/tenants/acme/integrations')).body.webhooks[0], { name: 'psa', pending: 3 });
  await first.close();
  closed = true;

  await r.restart();
  const second = await startDaemon({ configDir: dir, logger: silentLogger() });
  t.teardown(() => second.close());
  await until('7 deliveries (3 to psa, 4 to the MSP)', async () => (await r.deliveries()).filter((d) => d.status === 204).length >= 7, 8_000);
  const got = (await r.deliveries()).filter((d) => d.status === 204);
  t.deepEqual(got.filter((d) => d.path.startsWith('/hooks/tenantdir/psa')).map((d) => `${d.body.type}:${d.body.event.target}:${d.secret}`).sort(),
    ['user.create:ann:0', 'user.create:ben:0', 'user.create:cat:0']);
  t.deepEqual(got.filter((d) => d.path === '/hooks/tenantdir/msp').map((d) => `${d.body.tenant}:${d.body.event.target}:${d.secret}`).sort(),
    ['acme:ann:1', 'acme:ben:1', 'acme:cat:1', 'globex:dan:1']);
  // The actor and its address come from the admin connection.
  t.like(got[0]?.body.event, { actor: 'ops', protocol: 'admin', outcome: 'ok' });
  await until('nothing pending', async () => (await call(second, TOKENS.ops, 'GET', '/api/v1/integrations')).body.webhooks[0].pending === 0);
});

test('status routes: a tenant sees its own webhooks (origin only); the MSP-wide view is for msp-admin', async (t) => {
  const r = await startReceiver(t, { secrets: [SECRETS.acme, SECRETS.msp] });
  const d = await startDaemon({ configDir: await configDir(t, { url: r.url }), logger: silentLogger() });
  t.teardown(() => d.close());
  t.is((await addUser(d, 'acme', 'ann')).status, 201);
  await until('2 deliveries', async () => (await r.deliveries()).length >= 2);

  const own = await call(d, TOKENS.helpdesk, 'GET', '/api/v1/tenants/acme/integrations');
  t.is(own.status, 200);
  t.is(own.body.webhooks.length, 1, 'not the MSP-wide webhook');
  await until('the success is recorded', async () => (await call(d, TOKENS.acme, 'GET', '/api/v1/tenants/acme/integrations')).body.webhooks[0].delivered === 1);
  const s = (await call(d, TOKENS.acme, 'GET', '/api/v1/tenants/acme/integrations')).body.webhooks[0];
  t.like(s, { name: 'psa', scope: 'tenant', origin: `http://127.0.0.1:${r.port}`, events: ['user.*'], pending: 0, dead: 0, delivered: 1 });
  t.truthy(s.lastSuccessAt);
  t.false(JSON.stringify(own.body).includes('kept-secret'));
  t.false(JSON.stringify(own.body).includes(SECRETS.acme));

  t.is((await call(d, TOKENS.acme, 'GET', '/api/v1/tenants/globex/integrations')).status, 404);
  const denied = await call(d, TOKENS.acme, 'GET', '/api/v1/integrations');
  t.is(denied.status, 403);
  t.is(denied.body.error.code, 'TD_FORBIDDEN');
  const msp = await call(d, TOKENS.ops, 'GET', '/api/v1/integrations');
  t.is(msp.status, 200);
  t.like(msp.body.webhooks[0], { name: 'siem', scope: 'msp', pending: 0 });
  const openapi = await (await fetch(`http://127.0.0.1:${d.ports.http}/api/v1/openapi.json`)).json() as { paths: Record<string, any> };
  t.is(openapi.paths['/api/v1/integrations']?.get['x-roles'], 'msp-admin');
});
