import test from 'ava';
import { Attribute, Change, type Client } from 'ldapts';
import { ACME, GLOBEX, PASSWORDS, codeOf, group, messageOf, people, service, startLdap, type Harness } from './helpers.ts';

let h: Harness;
let w: Client;
let r: Client;
test.before(async () => {
  h = await startLdap();
  w = h.client();
  await w.bind(service(ACME, 'writer'), PASSWORDS.writer);
  r = h.client();
  await r.bind(service(ACME, 'reader'), PASSWORDS.reader);
});
test.after.always(async () => { await h?.close(); });

const attrs = async (dn: string, ...names: string[]): Promise<Record<string, unknown>> =>
  (await r.search(dn, { scope: 'base', attributes: names })).searchEntries[0] ?? {};

test('read-only service accounts and users get 50 for every write', async (t) => {
  const alice = h.client();
  await alice.bind(people(ACME, 'alice'), PASSWORDS.alice);
  for (const c of [r, alice]) {
    t.is(await codeOf(c.add(people(ACME, 'x1'), { objectClass: ['inetOrgPerson'], cn: 'X', sn: 'X' })), 50);
    t.is(await codeOf(c.modify(people(ACME, 'bob'), [new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Boss'] }) })])), 50);
    t.is(await codeOf(c.del(people(ACME, 'bob'))), 50);
  }
  const events = await h.world.store.tenant('acme').audit.list({ action: 'ldap.delete', limit: 5 });
  t.true(events.some((e) => e.outcome === 'refused'));
});

test('groups: add with members, replace members, memberUid, delete', async (t) => {
  await w.add(group(ACME, 'ops'), {
    objectClass: ['groupOfNames', 'posixGroup'], cn: 'ops', description: 'Operations',
    member: [people(ACME, 'alice'), group(ACME, 'devs')],
  });
  let ops = await attrs(group(ACME, 'ops'), 'member', 'memberUid', 'description');
  t.deepEqual([ops.member].flat().sort(), [group(ACME, 'devs'), people(ACME, 'alice')]);
  t.deepEqual([ops.memberUid].flat().sort(), ['alice', 'dave']);
  await w.modify(group(ACME, 'ops'), [new Change({ operation: 'replace', modification: new Attribute({ type: 'member', values: [people(ACME, 'bob')] }) })]);
  ops = await attrs(group(ACME, 'ops'), 'member');
  t.deepEqual([ops.member].flat(), [people(ACME, 'bob')]);
  await w.modify(group(ACME, 'ops'), [new Change({ operation: 'add', modification: new Attribute({ type: 'memberUid', values: ['carol'] }) })]);
  ops = await attrs(group(ACME, 'ops'), 'memberUid');
  t.deepEqual([ops.memberUid].flat().sort(), ['bob', 'carol']);
  t.is(await codeOf(w.modify(group(ACME, 'ops'), [new Change({ operation: 'add', modification: new Attribute({ type: 'memberUid', values: ['carol'] }) })])), 20);
  t.is(await codeOf(w.modify(group(ACME, 'ops'), [new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [people(ACME, 'dave')] }) })])), 16);
  t.is(await codeOf(w.modify(group(ACME, 'ops'), [new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: ['uid=alice,ou=people,dc=globex,dc=example'] }) })])), 19);
  await w.del(group(ACME, 'ops'));
  t.is(await codeOf(r.search(group(ACME, 'ops'), { scope: 'base' })), 32);
  const bob = await attrs(people(ACME, 'bob'), 'memberOf');
  t.false([bob.memberOf].flat().includes(group(ACME, 'ops')));
});

test('users: refusals name the rule; computed and naming attributes cannot be written', async (t) => {
  t.regex(await messageOf(w.add(people(ACME, 'weak'), { objectClass: ['inetOrgPerson'], cn: 'W', sn: 'W', userPassword: 'short' })), /at least 12/);
  t.is(await codeOf(w.add(people(ACME, 'bob'), { objectClass: ['inetOrgPerson'], cn: 'B', sn: 'B' })), 68);
  t.is(await codeOf(w.add(people(ACME, 'nosn'), { objectClass: ['inetOrgPerson'], cn: 'N' })), 65);
  const mod = (type: string, values: string[], operation: 'add' | 'replace' | 'delete' = 'replace'): Promise<void> =>
    w.modify(people(ACME, 'bob'), [new Change({ operation, modification: new Attribute({ type, values }) })]);
  t.is(await codeOf(mod('memberOf', [group(ACME, 'admins')])), 53);
  t.is(await codeOf(mod('uid', ['robert'])), 67);
  t.is(await codeOf(mod('entryUUID', ['x'])), 19);
  t.is(await codeOf(mod('uidNumber', ['5'])), 53);
  t.is(await codeOf(mod('objectClass', ['account'], 'add')), 65);
  t.is(await codeOf(mod('sn', [], 'delete')), 65);
  await mod('telephoneNumber', ['+1 555 0100']);
  t.is((await attrs(people(ACME, 'bob'), 'telephoneNumber')).telephoneNumber, '+1 555 0100');
  await mod('telephoneNumber', [], 'delete');
  t.deepEqual([(await attrs(people(ACME, 'bob'), 'telephoneNumber')).telephoneNumber ?? []].flat(), []);
});

test('users: a migrated hash can be given as userPassword; sshPublicKey is multi-valued', async (t) => {
  // {SSHA} of "reader-secret-1", as a directory migration would carry it.
  await w.add(people(ACME, 'migrated'), {
    objectClass: ['inetOrgPerson', 'posixAccount', 'ldapPublicKey'], cn: 'Mig Rated', sn: 'Rated',
    userPassword: '{SSHA}10DQAou3SU1x6wOh/GVDkNVd1QxzYWx0c2FsdA==',
    sshPublicKey: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA one', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBBB two'],
  });
  const c = h.client();
  await c.bind(people(ACME, 'migrated'), 'reader-secret-1');
  const keys = await attrs(people(ACME, 'migrated'), 'sshPublicKey', 'objectClass');
  t.is([keys.sshPublicKey].flat().length, 2);
  t.true([keys.objectClass].flat().includes('ldapPublicKey'));
  await w.modify(people(ACME, 'migrated'), [new Change({ operation: 'delete', modification: new Attribute({ type: 'sshPublicKey', values: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA one'] }) })]);
  t.is([(await attrs(people(ACME, 'migrated'), 'sshPublicKey')).sshPublicKey].flat().length, 1);
});

test('the base and ous cannot be written', async (t) => {
  t.is(await codeOf(w.del(`ou=people,${ACME}`)), 53);
  t.is(await codeOf(w.del(ACME)), 53);
  t.is(await codeOf(w.modifyDN(`ou=people,${ACME}`, 'ou=staff')), 53);
});

test('modrdn renames a user and a group; members follow the group; the old DNs are gone', async (t) => {
  await w.add(people(ACME, 'ren1'), { objectClass: ['inetOrgPerson'], cn: 'Ren One', sn: 'One' });
  await w.add(group(ACME, 'ren-inner'), { objectClass: ['groupOfNames'], cn: 'ren-inner', member: [people(ACME, 'ren1')] });
  await w.add(group(ACME, 'ren-outer'), { objectClass: ['groupOfNames'], cn: 'ren-outer', member: [group(ACME, 'ren-inner')] });
  await w.modifyDN(people(ACME, 'ren1'), 'uid=ren2');
  t.is(await codeOf(r.search(people(ACME, 'ren1'), { scope: 'base' })), 32);
  t.is((await attrs(people(ACME, 'ren2'), 'uid')).uid, 'ren2');
  // newSuperior naming the same parent is accepted (ldapts sends it when given a full DN).
  await w.modifyDN(group(ACME, 'ren-inner'), group(ACME, 'ren-core'));
  t.is(await codeOf(r.search(group(ACME, 'ren-inner'), { scope: 'base' })), 32);
  const user = await attrs(people(ACME, 'ren2'), 'memberOf');
  t.deepEqual([user.memberOf].flat().sort(), [group(ACME, 'ren-core'), group(ACME, 'ren-outer')]);
  t.deepEqual([(await attrs(group(ACME, 'ren-outer'), 'member')).member].flat(), [group(ACME, 'ren-core')]);
  t.deepEqual([(await attrs(group(ACME, 'ren-core'), 'member')).member].flat(), [people(ACME, 'ren2')]);
  const { searchEntries } = await r.search(ACME, { filter: '(uid=ren2)', attributes: ['uid'] });
  t.deepEqual(searchEntries.map((e) => e.dn), [people(ACME, 'ren2')]);
  const events = await h.world.store.tenant('acme').audit.list({ action: 'group.rename', limit: 5 });
  t.like(events[0], { target: 'ren-core', outcome: 'ok', actor: `ldap:${service(ACME, 'writer')}`, detail: { from: 'ren-inner' } });
});

test('modrdn refusals: a taken name 68, a read account 50, another tenant 32, another parent 53, a wrong RDN 64', async (t) => {
  await w.add(people(ACME, 'ren3'), { objectClass: ['inetOrgPerson'], cn: 'Ren Three', sn: 'Three' });
  t.is(await codeOf(w.modifyDN(people(ACME, 'ren3'), 'uid=bob')), 68);
  t.is(await codeOf(w.modifyDN(group(ACME, 'devs'), 'cn=ADMINS')), 68);
  t.is(await codeOf(r.modifyDN(people(ACME, 'ren3'), 'uid=ren4')), 50);
  const none = await codeOf(w.modifyDN(people(ACME, 'nobody'), 'uid=somebody'));
  t.is(none, 32);
  t.is(await codeOf(w.modifyDN(people(GLOBEX, 'gina'), 'uid=stolen')), none);
  t.is(await messageOf(w.modifyDN(people(GLOBEX, 'gina'), 'uid=stolen')), await messageOf(w.modifyDN(people(ACME, 'nobody'), 'uid=somebody')));
  t.regex(await messageOf(w.modifyDN(people(ACME, 'ren3'), `uid=ren4,ou=groups,${ACME}`)), /cannot move to another parent/);
  t.is(await codeOf(w.modifyDN(people(ACME, 'ren3'), `uid=ren4,ou=people,${GLOBEX}`)), 53);
  t.is(await codeOf(w.modifyDN(people(ACME, 'ren3'), 'cn=ren4')), 64);
  t.is(await codeOf(w.modifyDN(people(ACME, 'ren3'), 'uid=bad name!')), 19);
  // Nothing moved: acme's ren3 and globex's gina are where they were.
  t.is((await attrs(people(ACME, 'ren3'), 'uid')).uid, 'ren3');
  t.truthy(await h.world.store.tenant('globex').users.get('gina'));
  t.is(await h.world.store.tenant('globex').users.get('stolen'), undefined);
});
