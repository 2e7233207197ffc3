// tenantdir user app-password (issue 10) through a real AdminServer: add prints the secret once,
// list and the API never show it again (nor the audit trail); roles: tenant-admin adds, helpdesk
// lists and revokes but may not add, another tenant's admin sees nothing; the OpenAPI document
// names the routes and their roles.
import anyTest, { type TestFn } from 'ava';
import { startAdmin, TOKENS, type Api } from '../admin/helpers.ts';
import { cli } from './run.ts';

const test = anyTest as TestFn<{ api: Api; env: Record<string, string> }>;
test.before(async (t) => {
  t.context.api = await startAdmin();
  t.context.env = { TENANTDIR_URL: t.context.api.url, TENANTDIR_TOKEN: TOKENS.acmeAdmin };
});
test.after.always(async (t) => { await t.context.api?.close(); });

const acme = (...args: string[]) => ['user', 'app-password', ...args, '--tenant', 'acme'];
const PATH = '/api/v1/tenants/acme/users/alice/app-passwords';

test.serial('add prints the secret once, list shows when it was made and last used, revoke removes it', async (t) => {
  const { env, api } = t.context;
  const add = await cli(acme('add', '--uid', 'alice', '--name', 'iphone', '--scope', 'radius'), { env });
  t.is(add.code, 0, add.stderr);
  const secret = /^secret:\s+(\S+)$/m.exec(add.stdout)?.[1];
  t.regex(secret ?? '', /^[a-z2-9]{4}(-[a-z2-9]{4}){7}$/);
  t.regex(add.stdout, /^scopes:\s+radius$/m);
  t.regex(add.stdout, /shown this once/);

  const dir = api.world.directory.tenant(api.world.registry.byId('acme')!);
  t.like(await dir.authenticate('alice', { password: secret! }, { name: 'radius:ap', protocol: 'radius', source: '10.0.0.1' }),
    { ok: true, factor: 'app-password', appPassword: 'iphone' });

  const list = await cli(acme('list', '--uid', 'alice'), { env });
  t.is(list.code, 0, list.stderr);
  t.regex(list.stdout, /^NAME\s+SCOPES\s+CREATED\s+LAST USED/m);
  t.regex(list.stdout, /^iphone\s+radius\s+\S+\s+20\d\d-/m, 'last used after the login');
  const json = await cli(acme('list', '--uid', 'alice', '--json'), { env });
  const listed = JSON.parse(json.stdout) as { items: Record<string, unknown>[] };
  t.deepEqual(Object.keys(listed.items[0]!).sort(), ['createdAt', 'keyId', 'lastUsedAt', 'mschapv2', 'name', 'scopes']);
  for (const text of [list.stdout, json.stdout, JSON.stringify((await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/audit?limit=100')).body)]) {
    t.false(text.includes(secret!), 'never shown again, never audited');
  }

  const badScope = await cli(acme('add', '--uid', 'alice', '--name', 'x', '--scope', 'ssh'), { env });
  t.is(badScope.code, 2, 'a usage error');

  const revoke = await cli(acme('revoke', '--uid', 'alice', '--name', 'iphone'), { env });
  t.is(revoke.code, 0, revoke.stderr);
  t.regex(revoke.stdout, /alice: app password iphone revoked/);
  t.like(await dir.authenticate('alice', { password: secret! }, { name: 'radius:ap', protocol: 'radius', source: '10.0.0.1' }), { ok: false });
});

test.serial('roles: helpdesk lists and revokes but may not add; another tenant\'s admin sees nothing; the answer is not cached', async (t) => {
  const { api } = t.context;
  const added = await api.call(TOKENS.acmeAdmin, 'POST', PATH, { name: 'laptop' });
  t.is(added.status, 201);
  t.is(added.headers.get('cache-control'), 'no-store');
  t.like(added.body, { uid: 'alice', name: 'laptop', scopes: ['radius', 'ldap'] });
  t.is(typeof added.body.secret, 'string');
  t.is((await api.call(TOKENS.acmeHelpdesk, 'POST', PATH, { name: 'sneaky' })).status, 403);
  const dup = await api.call(TOKENS.acmeAdmin, 'POST', PATH, { name: 'LAPTOP' });
  t.is(dup.status, 409);
  t.regex(dup.body.error.message, /already/);
  t.is((await api.call(TOKENS.globexAdmin, 'GET', PATH)).status, 404);
  t.is((await api.call(TOKENS.globexAdmin, 'DELETE', `${PATH}/laptop`)).status, 404);
  const listed = await api.call(TOKENS.acmeHelpdesk, 'GET', PATH);
  t.is(listed.status, 200);
  t.deepEqual(listed.body.items.map((a: { name: string }) => a.name), ['laptop']);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'DELETE', `${PATH}/laptop`)).status, 204);
  t.is((await api.call(TOKENS.acmeAdmin, 'DELETE', `${PATH}/laptop`)).status, 404);
  t.is((await api.call(TOKENS.acmeAdmin, 'POST', PATH, { name: 'x', secret: 'chosen' })).status, 400, 'a secret cannot be chosen');
  t.is((await api.call(TOKENS.acmeAdmin, 'POST', '/api/v1/tenants/acme/users/nobody/app-passwords', { name: 'x' })).status, 404);
});

test('the OpenAPI document lists the routes with their roles', async (t) => {
  const doc = (await t.context.api.call(undefined, 'GET', '/api/v1/openapi.json')).body;
  const base = doc.paths['/api/v1/tenants/{tenant}/users/{uid}/app-passwords'];
  t.is(base.post['x-roles'], 'msp-admin, tenant-admin');
  t.is(base.get['x-roles'], 'msp-admin, tenant-admin, helpdesk');
  t.is(doc.paths['/api/v1/tenants/{tenant}/users/{uid}/app-passwords/{name}'].delete['x-roles'], 'msp-admin, tenant-admin, helpdesk');
  t.truthy(base.post.responses['201'].content['application/json'].schema.properties.secret);
});
