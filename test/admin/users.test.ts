// User, group and membership flows through the API; every change leaves an audit event.
import anyTest, { type TestFn } from 'ava';
import { auditOf, TOKENS, withAdmin, type Api } from './helpers.ts';

const test = anyTest as TestFn<{ api: Api }>;
const A = '/api/v1/tenants/acme';

withAdmin(test);

function lastEvent(events: any[], action: string, target: string) {
  return events.find((e) => e.action === action && e.target === target);
}

test('user lifecycle: create, read, patch, disable, enable, password, delete, each audited', async (t) => {
  const { api } = t.context;
  const tok = TOKENS.acmeAdmin;
  const created = await api.call(tok, 'POST', `${A}/users`, {
    uid: 'carol', cn: 'Carol Danvers', mail: 'carol@acme.example', password: 'Higher-Further-1', groups: ['staff'],
  });
  t.is(created.status, 201);
  t.is(created.headers.get('location'), `${A}/users/carol`);
  t.is(created.body.sn, 'Danvers');
  t.true(created.body.hasPassword);
  t.deepEqual(created.body.memberOf, ['staff']);
  t.false('credentials' in created.body);
  t.false(JSON.stringify(created.body).includes('$2'));

  const dup = await api.call(tok, 'POST', `${A}/users`, { uid: 'CAROL' });
  t.is(dup.status, 409);
  t.is(dup.body.error.code, 'TD_CONFLICT');

  const patched = await api.call(tok, 'PATCH', `${A}/users/carol`, { title: 'Captain', mail: null });
  t.is(patched.status, 200);
  t.is(patched.body.title, 'Captain');
  t.false('mail' in patched.body);

  t.false((await api.call(tok, 'POST', `${A}/users/carol/disable`)).body.enabled);
  t.true((await api.call(tok, 'POST', `${A}/users/carol/enable`)).body.enabled);
  // Admin changes carry who (and in which role) and what changed, before and after; never a secret.
  const [update] = await auditOf(api, 'acme', '&action=user.update&target=carol');
  t.like(update, { protocol: 'admin', detail: { role: 'tenant-admin' } });
  t.deepEqual(JSON.parse(update.detail.before), { title: null, mail: 'carol@acme.example' });
  t.deepEqual(JSON.parse(update.detail.after), { title: 'Captain', mail: null });
  const [disabled] = await auditOf(api, 'acme', '&action=user.disable&target=carol');
  t.deepEqual([JSON.parse(disabled.detail.before), JSON.parse(disabled.detail.after)], [{ enabled: true }, { enabled: false }]);

  const weak = await api.call(tok, 'PUT', `${A}/users/carol/password`, { password: 'short' });
  t.is(weak.status, 422);
  t.is(weak.body.error.code, 'TD_PASSWORD_POLICY');
  t.regex(weak.body.error.message, /12 characters/);
  t.is((await api.call(tok, 'PUT', `${A}/users/carol/password`, { password: 'Higher-Further-2' })).status, 204);
  const reused = await api.call(tok, 'PUT', `${A}/users/carol/password`, { password: 'Higher-Further-1' });
  t.is(reused.status, 422);

  t.is((await api.call(tok, 'DELETE', `${A}/users/carol`)).status, 204);
  t.is((await api.call(tok, 'GET', `${A}/users/carol`)).status, 404);
  t.is((await api.call(tok, 'DELETE', `${A}/users/carol`)).status, 404);

  const events = await auditOf(api, 'acme', '&target=carol');
  for (const action of ['user.create', 'user.update', 'user.disable', 'user.enable', 'user.passwd', 'user.delete']) {
    const e = lastEvent(events, action, 'carol');
    t.truthy(e, action);
    t.is(e.actor, 'acme-it', action);
    t.is(e.protocol, 'admin');
    t.truthy(Date.parse(e.at));
  }
  t.truthy(events.find((e) => e.action === 'user.passwd' && e.target === 'carol' && e.outcome === 'refused'));
});

test.serial('unlock clears a lockout and is audited; the user list shows who is locked', async (t) => {
  const { api } = t.context;
  const dir = api.world.directory.tenant(api.world.live.current().byId('acme')!);
  for (let i = 0; i < 3; i++) await dir.authenticate('bob', { password: 'wrong' }, { name: 'test', protocol: 'ldap' });
  const locked = await api.call(TOKENS.acmeHelpdesk, 'GET', `${A}/users/bob`);
  t.truthy(locked.body.lockedUntil);
  const listed = (await api.call(TOKENS.acmeHelpdesk, 'GET', `${A}/users?limit=1000`)).body.items;
  t.is(listed.find((u: { uid: string }) => u.uid === 'bob')?.lockedUntil, locked.body.lockedUntil);
  t.true(listed.filter((u: { uid: string }) => u.uid !== 'bob').every((u: object) => !('lockedUntil' in u)));
  const unlock = await api.call(TOKENS.acmeHelpdesk, 'POST', `${A}/users/bob/unlock`);
  t.is(unlock.status, 200);
  t.deepEqual(unlock.body, { uid: 'bob', unlocked: true });
  t.false('lockedUntil' in (await api.call(TOKENS.acmeHelpdesk, 'GET', `${A}/users/bob`)).body);
  const e = lastEvent(await auditOf(api, 'acme', '&target=bob'), 'user.unlock', 'bob');
  t.is(e?.actor, 'acme-helpdesk');
});

test.serial('unlocking a user who is not locked says so and audits nothing', async (t) => {
  const { api } = t.context;
  const before = (await auditOf(api, 'acme', '&action=user.unlock')).length;
  const r = await api.call(TOKENS.acmeHelpdesk, 'POST', `${A}/users/bob/unlock`);
  t.is(r.status, 200);
  t.deepEqual(r.body, { uid: 'bob', unlocked: false });
  t.is((await auditOf(api, 'acme', '&action=user.unlock')).length, before);
  t.is((await api.call(TOKENS.acmeHelpdesk, 'POST', `${A}/users/nobody/unlock`)).status, 404);
});

test('cursor pagination walks every user once, with prefix search', async (t) => {
  const { api } = t.context;
  for (let i = 0; i < 7; i++) {
    t.is((await api.call(TOKENS.ops, 'POST', `${A}/users`, { uid: `page${i}` })).status, 201);
  }
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 10; guard++) {
    const r = await api.call(TOKENS.ops, 'GET', `${A}/users?limit=3&q=page${cursor ? `&cursor=${cursor}` : ''}`);
    t.is(r.status, 200);
    t.true(r.body.items.length <= 3);
    seen.push(...r.body.items.map((u: { uid: string }) => u.uid));
    cursor = r.body.next;
    if (!cursor) break;
  }
  t.deepEqual(seen, ['page0', 'page1', 'page2', 'page3', 'page4', 'page5', 'page6']);
  const bad = await api.call(TOKENS.ops, 'GET', `${A}/users?cursor=%%%`);
  t.is(bad.status, 400);
  t.is(bad.body.error.code, 'TD_INVALID_INPUT');
  t.is((await api.call(TOKENS.ops, 'GET', `${A}/users?limit=100000`)).status, 400);
});

test('groups: create, patch, members direct and nested, remove, delete, each audited', async (t) => {
  const { api } = t.context;
  const tok = TOKENS.acmeAdmin;
  const g = await api.call(tok, 'POST', `${A}/groups`, { name: 'ops', description: 'Operations' });
  t.is(g.status, 201);
  t.is(g.body.description, 'Operations');
  t.is((await api.call(tok, 'PATCH', `${A}/groups/ops`, { description: 'Ops team' })).body.description, 'Ops team');
  t.is((await api.call(tok, 'POST', `${A}/users`, { uid: 'dana' })).status, 201);
  t.is((await api.call(tok, 'PUT', `${A}/groups/ops/members/users/dana`)).status, 204);
  t.is((await api.call(tok, 'PUT', `${A}/groups/ops/members/users/dana`)).status, 204, 'idempotent');
  // admins (alice) nested in ops: ops's members include alice, through the nesting.
  t.is((await api.call(tok, 'PUT', `${A}/groups/ops/members/groups/admins`)).status, 204);
  const all = await api.call(tok, 'GET', `${A}/groups/ops/members`);
  t.deepEqual(all.body.items.map((u: { uid: string }) => u.uid).sort(), ['alice', 'dana']);
  const direct = await api.call(tok, 'GET', `${A}/groups/ops/members?direct=true`);
  t.deepEqual(direct.body.items.map((u: { uid: string }) => u.uid), ['dana']);
  const cycle = await api.call(tok, 'PUT', `${A}/groups/admins/members/groups/ops`);
  t.is(cycle.status, 409);
  t.is((await api.call(tok, 'PUT', `${A}/groups/ops/members/users/nobody`)).status, 404);
  t.is((await api.call(tok, 'GET', `${A}/groups/nogroup/members`)).status, 404);

  t.is((await api.call(tok, 'DELETE', `${A}/groups/ops/members/users/dana`)).status, 204);
  t.deepEqual((await api.call(tok, 'GET', `${A}/users/dana`)).body.memberOf, []);
  t.is((await api.call(tok, 'DELETE', `${A}/groups/ops`)).status, 204);
  t.is((await api.call(tok, 'GET', `${A}/groups/ops`)).status, 404);

  const events = await auditOf(api, 'acme', '&target=ops');
  for (const action of ['group.create', 'group.update', 'group.add-member', 'group.remove-member', 'group.delete']) {
    t.is(lastEvent(events, action, 'ops')?.actor, 'acme-it', action);
  }
});

test('the actor protocol is admin whatever the User-Agent, which is kept as detail.agent only; audit paging with until', async (t) => {
  const { api } = t.context;
  const r = await api.call(TOKENS.ops, 'POST', `${A}/groups`, { name: 'from-cli' }, { 'user-agent': 'tenantdir-cli/0.1' });
  t.is(r.status, 201);
  const spoof = await api.call(TOKENS.ops, 'POST', `${A}/groups`, { name: 'from-radius' }, { 'user-agent': 'radius', 'x-forwarded-for': '203.0.113.9' });
  t.is(spoof.status, 201);
  const spoofed = await auditOf(api, 'acme', '&action=group.create&target=from-radius');
  t.like(spoofed[0], { actor: 'ops', protocol: 'admin', detail: { agent: 'radius', role: 'msp-admin' } });
  t.not(spoofed[0].detail.source, '203.0.113.9', 'the address is the socket\'s, not a header');
  t.is(typeof spoofed[0].detail.source, 'string');
  const events = await auditOf(api, 'acme', '&action=group.create&target=from-cli');
  t.is(events.length, 1);
  t.like(events[0], { protocol: 'admin', detail: { agent: 'tenantdir-cli/0.1' } });
  const older = await auditOf(api, 'acme', `&until=${encodeURIComponent(events[0].at)}&action=group.create&target=from-cli`);
  t.is(older.length, 0);
});
