// Devices through the API: any MAC spelling in body and path, paging, roles (helpdesk reads),
// tenant scope, audit, and the OpenAPI description.
import anyTest, { type TestFn } from 'ava';
import { auditOf, TOKENS, withAdmin, type Api } from './helpers.ts';

const test = anyTest as TestFn<{ api: Api }>;
const A = '/api/v1/tenants/acme';

withAdmin(test);

test.serial('device lifecycle: register, read in any spelling, patch, delete, each audited', async (t) => {
  const { api } = t.context;
  const tok = TOKENS.acmeAdmin;
  const created = await api.call(tok, 'POST', `${A}/devices`, { mac: 'AA-BB-CC-00-11-22', name: 'Printer 2nd floor', groups: ['staff'] });
  t.is(created.status, 201, JSON.stringify(created.body));
  t.is(created.headers.get('location'), `${A}/devices/aabbcc001122`);
  t.like(created.body, { mac: 'aabbcc001122', name: 'Printer 2nd floor', groups: ['staff'] });
  t.false('tenantId' in created.body);
  for (const spelling of ['aa:bb:cc:00:11:22', 'aabb.cc00.1122', 'AABBCC001122', encodeURIComponent('aa:bb:cc:00:11:22')]) {
    const got = await api.call(TOKENS.acmeHelpdesk, 'GET', `${A}/devices/${spelling}`);
    t.is(got.status, 200, spelling);
    t.is(got.body.mac, 'aabbcc001122');
  }
  const dup = await api.call(tok, 'POST', `${A}/devices`, { mac: 'aabb.cc00.1122' });
  t.is(dup.status, 409);
  const patched = await api.call(tok, 'PATCH', `${A}/devices/aa:bb:cc:00:11:22`, { name: null, groups: ['admins'] });
  t.is(patched.status, 200);
  t.false('name' in patched.body);
  t.deepEqual(patched.body.groups, ['admins']);
  t.is((await api.call(tok, 'DELETE', `${A}/devices/AA-BB-CC-00-11-22`)).status, 204);
  t.is((await api.call(tok, 'GET', `${A}/devices/aabbcc001122`)).status, 404);
  t.is((await api.call(tok, 'DELETE', `${A}/devices/aabbcc001122`)).status, 404);
  const events = await auditOf(api, 'acme', '&target=aabbcc001122');
  for (const action of ['device.add', 'device.update', 'device.delete']) {
    t.like(events.find((e) => e.action === action), { actor: 'acme-it', outcome: 'ok', protocol: 'admin' }, action);
  }
});

test.serial('refusals say what is wrong: not a MAC (400 naming the field), a missing group (404), unknown fields (400)', async (t) => {
  const { api } = t.context;
  const tok = TOKENS.acmeAdmin;
  const bad = await api.call(tok, 'POST', `${A}/devices`, { mac: 'printer-1' });
  t.is(bad.status, 400);
  t.is(bad.body.error.code, 'TD_INVALID_INPUT');
  t.regex(bad.body.error.message, /^mac "printer-1" is not a MAC address/);
  t.is((await api.call(tok, 'GET', `${A}/devices/not-a-mac`)).status, 400);
  const group = await api.call(tok, 'POST', `${A}/devices`, { mac: 'aabbcc001199', groups: ['nosuch'] });
  t.is(group.status, 404);
  t.regex(group.body.error.message, /group "nosuch"/);
  const extra = await api.call(tok, 'POST', `${A}/devices`, { mac: 'aabbcc001199', vlan: 20 });
  t.is(extra.status, 400);
  t.regex(extra.body.error.message, /"vlan"/);
  t.is((await api.call(tok, 'PATCH', `${A}/devices/aabbcc001199`, {})).status, 400);
});

test.serial('roles: helpdesk reads but cannot register or delete; another tenant\'s admin sees no acme device', async (t) => {
  const { api } = t.context;
  t.is((await api.call(TOKENS.acmeAdmin, 'POST', `${A}/devices`, { mac: '02:00:00:00:00:01' })).status, 201);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'GET', `${A}/devices`)).status, 200);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'POST', `${A}/devices`, { mac: '02:00:00:00:00:02' })).status, 403);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'DELETE', `${A}/devices/020000000001`)).status, 403);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'PATCH', `${A}/devices/020000000001`, { name: 'x' })).status, 403);
  t.is((await api.call(TOKENS.globexAdmin, 'GET', `${A}/devices/020000000001`)).status, 404);
  t.is((await api.call(TOKENS.globexAdmin, 'DELETE', `${A}/devices/020000000001`)).status, 404);
  const globex = await api.call(TOKENS.globexAdmin, 'GET', '/api/v1/tenants/globex/devices');
  t.deepEqual(globex.body.items, []);
  t.is((await api.call(TOKENS.ops, 'POST', '/api/v1/tenants/globex/devices', { mac: '02:00:00:00:00:01' })).status, 201, 'the same MAC in another tenant is its own');
  t.is((await api.call(undefined, 'GET', `${A}/devices`)).status, 401);
  t.is((await api.call(TOKENS.acmeAdmin, 'DELETE', `${A}/devices/020000000001`)).status, 204);
});

test.serial('listing pages in MAC order with a cursor', async (t) => {
  const { api } = t.context;
  const macs = Array.from({ length: 5 }, (_, i) => `02:00:00:00:10:0${i}`);
  for (const mac of [...macs].reverse()) t.is((await api.call(TOKENS.acmeAdmin, 'POST', `${A}/devices`, { mac })).status, 201);
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 5; i++) {
    const page = await api.call(TOKENS.acmeHelpdesk, 'GET', `${A}/devices?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    t.is(page.status, 200);
    seen.push(...page.body.items.map((d: { mac: string }) => d.mac));
    cursor = page.body.next;
    if (!cursor) break;
  }
  t.deepEqual(seen, macs.map((m) => m.replaceAll(':', '')));
  t.is((await api.call(TOKENS.acmeHelpdesk, 'GET', `${A}/devices?q=02`)).status, 400, 'no prefix search on MACs');
});

test('the OpenAPI description lists the device routes with their roles', async (t) => {
  const doc = (await t.context.api.call(undefined, 'GET', '/api/v1/openapi.json')).body;
  const list = doc.paths['/api/v1/tenants/{tenant}/devices'];
  const one = doc.paths['/api/v1/tenants/{tenant}/devices/{mac}'];
  t.is(list.get['x-roles'], 'msp-admin, tenant-admin, helpdesk');
  t.is(list.post['x-roles'], 'msp-admin, tenant-admin');
  t.truthy(list.post.requestBody);
  t.is(one.delete['x-roles'], 'msp-admin, tenant-admin');
  t.is(one.patch['x-roles'], 'msp-admin, tenant-admin');
  t.is(one.get['x-roles'], 'msp-admin, tenant-admin, helpdesk');
});
