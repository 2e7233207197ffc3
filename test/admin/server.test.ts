// Health, readiness, the error shape for unknown routes and bad input, and the OpenAPI document.
import anyTest, { type TestFn } from 'ava';
import { TOKENS, withAdmin, type Api } from './helpers.ts';

const test = anyTest as TestFn<{ api: Api }>;

withAdmin(test);

test('/healthz answers without a token', async (t) => {
  const r = await t.context.api.call(undefined, 'GET', '/healthz');
  t.is(r.status, 200);
  t.true(r.body.ok);
});

test.serial('/readyz is 200 when ready and 503 when not; only an msp-admin token sees what failed', async (t) => {
  const { api } = t.context;
  const ok = await api.call(undefined, 'GET', '/readyz');
  t.is(ok.status, 200);
  t.deepEqual(ok.body, { ready: true, checks: { config: true, store: true, listeners: true } });
  api.ready.value = false;
  try {
    const booleans = { ready: false, checks: { config: true, store: false, listeners: true } };
    for (const token of [undefined, TOKENS.acmeAdmin, TOKENS.acmeHelpdesk, 'not-a-token']) {
      const down = await api.call(token, 'GET', '/readyz');
      t.is(down.status, 503, `token ${token}`);
      t.deepEqual(down.body, booleans, `no detail for token ${token}`);
    }
    const detailed = await api.call(TOKENS.ops, 'GET', '/readyz');
    t.is(detailed.status, 503);
    t.is(detailed.body.checks.store, 'unreachable');
  } finally {
    api.ready.value = true;
  }
});

test('errors have one shape: unknown route, bad JSON, bad query, oversized body', async (t) => {
  const { api } = t.context;
  const cases = [
    await api.call(TOKENS.ops, 'GET', '/api/v1/nothing-here'),
    await api.call(TOKENS.ops, 'POST', '/api/v1/tenants/acme/users', '{"uid": '),
    await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/users?limit=abc'),
    await api.call(TOKENS.ops, 'POST', '/api/v1/tenants/acme/users', { uid: 'x', cn: 'y'.repeat(70_000) }),
    await api.call(TOKENS.ops, 'POST', '/api/v1/tenants/acme/users', { uid: 'x', cn: 'y'.repeat(300) }),
  ];
  t.deepEqual(cases.map((r) => r.status), [404, 400, 400, 413, 400]);
  for (const r of cases) {
    t.deepEqual(Object.keys(r.body), ['error']);
    t.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message']);
    t.regex(r.body.error.code, /^TD_/);
  }
});

test('an internal failure is a 500 TD_INTERNAL without internals', async (t) => {
  const { api } = t.context;
  const dir = api.world.directory.tenant(api.world.live.current().byId('acme')!);
  const original = dir.getUser;
  dir.getUser = async () => {
    throw new Error('secret internal detail at /srv/db');
  };
  try {
    const r = await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/users/alice');
    t.is(r.status, 500);
    t.deepEqual(r.body, { error: { code: 'TD_INTERNAL', message: 'internal error' } });
  } finally {
    dir.getUser = original;
  }
});

test('the OpenAPI document lists the routes with their roles', async (t) => {
  const r = await t.context.api.call(undefined, 'GET', '/api/v1/openapi.json');
  t.is(r.status, 200);
  t.is(r.body.openapi, '3.1.0');
  const users = r.body.paths['/api/v1/tenants/{tenant}/users'];
  t.truthy(users.get);
  t.truthy(users.post.requestBody);
  t.is(users.post['x-roles'], 'msp-admin, tenant-admin');
  t.is(r.body.paths['/api/v1/tenants/{tenant}/users/{uid}/password'].put['x-roles'], 'msp-admin, tenant-admin, helpdesk');
});
