// Tokens, roles and tenant isolation, tried the way an attacker would.
import anyTest, { type TestFn } from 'ava';
import { TOKENS, withAdmin, type Api } from './helpers.ts';

const test = anyTest as TestFn<{ api: Api }>;

withAdmin(test);

test('no token, a malformed header or a wrong token is 401 with the error shape', async (t) => {
  const { api } = t.context;
  const attempts: [string | undefined, Record<string, string>][] = [
    [undefined, {}],
    [undefined, { authorization: 'Basic b3BzOnBhc3M=' }],
    ['test-ops-token-000000000000000002', {}],
    [`${TOKENS.ops}x`, {}],
    [TOKENS.ops.slice(0, -1), {}],
  ];
  for (const [token, headers] of attempts) {
    const r = await api.call(token, 'GET', '/api/v1/tenants/acme/users', undefined, headers);
    t.is(r.status, 401);
    t.is(r.body.error.code, 'TD_UNAUTHENTICATED');
    t.is(typeof r.body.error.message, 'string');
    t.regex(r.headers.get('www-authenticate') ?? '', /^Bearer/);
  }
});

test('a write without a token is 401 before its body is looked at', async (t) => {
  const r = await t.context.api.call(undefined, 'POST', '/api/v1/tenants/acme/users', { bogus: true });
  t.is(r.status, 401);
});

test('tenant listing shows only the tenants a token may see', async (t) => {
  const { api } = t.context;
  const ids = async (token: string) => (await api.call(token, 'GET', '/api/v1/tenants')).body.items.map((x: { id: string }) => x.id).sort();
  t.deepEqual(await ids(TOKENS.ops), ['acme', 'globex']);
  t.deepEqual(await ids(TOKENS.acmeAdmin), ['acme']);
  t.deepEqual(await ids(TOKENS.acmeHelpdesk), ['acme']);
  t.deepEqual(await ids(TOKENS.globexAdmin), ['globex']);
});

test('a tenant-admin of acme gets 404 for globex exactly as for a tenant that does not exist', async (t) => {
  const { api } = t.context;
  const probes: [string, string, unknown?][] = [
    ['GET', ''],
    ['GET', '/users'],
    ['GET', '/users/hank'],
    ['GET', '/groups'],
    ['GET', '/groups/engineering/members'],
    ['GET', '/audit'],
    ['POST', '/users', { uid: 'mallory', password: 'Mallory-Was-Here-1' }],
    ['PATCH', '/users/hank', { cn: 'pwned' }],
    ['PUT', '/users/hank/password', { password: 'Mallory-Was-Here-1' }],
    ['POST', '/users/hank/disable'],
    ['POST', '/users/hank/unlock'],
    ['POST', '/users/hank/renumber', {}],
    ['POST', '/groups/engineering/renumber', {}],
    ['GET', '/doctor'],
    ['DELETE', '/users/hank'],
    ['PUT', '/groups/engineering/members/users/hank'],
    ['POST', '/import', { users: [{ uid: 'mallory' }] }],
  ];
  for (const [method, suffix, body] of probes) {
    const real = await api.call(TOKENS.acmeAdmin, method, `/api/v1/tenants/globex${suffix}`, body);
    const none = await api.call(TOKENS.acmeAdmin, method, `/api/v1/tenants/nosuchtenant${suffix}`, body);
    t.is(real.status, 404, `${method} ${suffix}`);
    t.is(real.body.error.code, 'TD_NOT_FOUND');
    t.is(real.body.error.message.replace('globex', 'X'), none.body.error.message.replace('nosuchtenant', 'X'), `${method} ${suffix}`);
  }
  // Nothing happened to globex.
  const hank = await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/globex/users/hank');
  t.is(hank.body.cn, 'Hank Scorpio');
  t.true(hank.body.enabled);
  t.is((await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/globex/users/mallory')).status, 404);
});

test('case variants, encoded path tricks and traversal do not reach another tenant', async (t) => {
  const { api } = t.context;
  const paths = [
    '/api/v1/tenants/GLOBEX/users',
    '/api/v1/tenants/Globex/users',
    '/api/v1/tenants/globex%20/users',
    '/api/v1/tenants/%67lobex/users',
    '/api/v1/tenants/acme%2F..%2Fglobex/users',
    '/api/v1/tenants/..%2Fglobex/users',
    '/api/v1/tenants/acme/..%2F..%2Ftenants%2Fglobex/users',
    '/api/v1/tenants/acme/../globex/users',
    '/api/v1/tenants/acme%00/../globex/users',
    '/api/v1/tenants/globex,acme/users',
  ];
  for (const path of paths) {
    const r = await api.call(TOKENS.acmeAdmin, 'GET', path);
    t.is(r.status, 404, path);
    t.is(r.body.error.code, 'TD_NOT_FOUND', path);
    t.false(JSON.stringify(r.body).includes('hank'), path);
  }
  // The percent-encoded own tenant id still works: decoding is not a bypass, just a spelling.
  t.is((await api.call(TOKENS.acmeAdmin, 'GET', '/api/v1/tenants/%61cme/users')).status, 200);
});

test('helpdesk reads, sets passwords and unlocks; every other write is 403', async (t) => {
  const { api } = t.context;
  const base = '/api/v1/tenants/acme';
  t.is((await api.call(TOKENS.acmeHelpdesk, 'GET', `${base}/users`)).status, 200);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'GET', `${base}/groups/staff`)).status, 200);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'GET', `${base}/audit`)).status, 200);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'PUT', `${base}/users/bob/password`, { password: 'Helpdesk-Reset-42' })).status, 204);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'POST', `${base}/users/bob/unlock`)).status, 200);
  const refused: [string, string, unknown?][] = [
    ['POST', '/users', { uid: 'eve', password: 'Helpdesk-Made-Me-1' }],
    ['PATCH', '/users/bob', { cn: 'Robert' }],
    ['DELETE', '/users/bob'],
    ['POST', '/users/bob/disable'],
    ['POST', '/users/bob/enable'],
    ['POST', '/groups', { name: 'helpers' }],
    ['DELETE', '/groups/staff'],
    ['PUT', '/groups/admins/members/users/bob'],
    ['DELETE', '/groups/staff/members/users/bob'],
    ['POST', '/import', { users: [{ uid: 'eve' }] }],
    ['POST', '/users/bob/renumber', {}],
    ['POST', '/groups/staff/renumber', {}],
    ['GET', '/doctor'],
  ];
  for (const [method, suffix, body] of refused) {
    const r = await api.call(TOKENS.acmeHelpdesk, method, `${base}${suffix}`, body);
    t.is(r.status, 403, `${method} ${suffix}`);
    t.is(r.body.error.code, 'TD_FORBIDDEN');
  }
  t.is((await api.call(TOKENS.ops, 'GET', `${base}/users/eve`)).status, 404);
  t.is((await api.call(TOKENS.ops, 'GET', `${base}/users/bob`)).body.cn, 'Bob Jones');
  // Out of its tenants, a helpdesk token gets 404 even for what it could do at home.
  t.is((await api.call(TOKENS.acmeHelpdesk, 'PUT', '/api/v1/tenants/globex/users/hank/password', { password: 'Helpdesk-Reset-42' })).status, 404);
});

test('msp-admin may act on every tenant', async (t) => {
  const { api } = t.context;
  for (const tenant of ['acme', 'globex']) {
    const r = await api.call(TOKENS.ops, 'POST', `/api/v1/tenants/${tenant}/groups`, { name: 'msp-made' });
    t.is(r.status, 201, tenant);
    t.is((await api.call(TOKENS.ops, 'DELETE', `/api/v1/tenants/${tenant}/groups/msp-made`)).status, 204);
  }
});

test.serial('a config reload rotates tokens at once', async (t) => {
  const { api } = t.context;
  const registry = api.world.live.current();
  const rotated = {
    ...registry,
    server: { ...registry.server, admins: registry.server.admins.filter((a) => a.name !== 'globex-it') },
  };
  t.is((await api.call(TOKENS.globexAdmin, 'GET', '/api/v1/tenants/globex')).status, 200);
  api.world.live.replace(rotated as typeof registry);
  try {
    t.is((await api.call(TOKENS.globexAdmin, 'GET', '/api/v1/tenants/globex')).status, 401);
  } finally {
    api.world.live.replace(registry);
  }
});
