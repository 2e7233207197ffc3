import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { encrypt as sha512Crypt } from 'unixcrypt';
import { Auditor } from '../../src/audit/index.ts';
import { loadConfig, type Registry, type TenantConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { Directory, ntHash, type Actor, type TenantDirectory } from '../../src/directory/index.ts';
import { MemoryStore, type Store } from '../../src/store/index.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const admin: Actor = { name: 'ops', protocol: 'admin' };
const ldap: Actor = { name: 'ldap:test', protocol: 'ldap', source: '127.0.0.1' };
const GOOD = 'Correct-Horse-9';

async function setup(now?: () => Date): Promise<{ registry: Registry; store: Store; directory: Directory; acme: TenantConfig; globex: TenantConfig }> {
  const loaded = await loadConfig(FIXTURES);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const store = new MemoryStore();
  const logger = silentLogger();
  const directory = new Directory({ store, auditor: new Auditor(store, logger), logger, bcryptCost: 4, ...(now ? { now } : {}) });
  return { registry: loaded.registry, store, directory, acme: loaded.registry.byId('acme')!, globex: loaded.registry.byId('globex')! };
}

test('new users get POSIX defaults from the tenant and numbers that are never reused', async (t) => {
  const { directory, acme } = await setup();
  const d = directory.tenant(acme);
  const a = await d.createUser({ uid: 'alice', cn: 'Alice Smith', password: GOOD }, admin);
  const b = await d.createUser({ uid: 'bob' }, admin);
  // One counter for users and groups, from max(uidNumberStart 20000, gidNumberStart 30000).
  t.is(a.uidNumber, 30000);
  t.is(b.uidNumber, 30001);
  t.is(a.gidNumber, 30000);
  t.is(a.sn, 'Smith');
  t.is(a.homeDirectory, '/home/alice');
  t.is(a.loginShell, '/bin/bash');
  t.true(a.hasPassword);
  t.false(b.hasPassword);
  t.false('credentials' in a);
  await d.deleteUser('bob', admin);
  const c = await d.createUser({ uid: 'carol' }, admin);
  t.is(c.uidNumber, 30002);
});

test('a refused user consumes no number: policy, a missing group, a taken uid, a bad import row', async (t) => {
  const { directory, acme } = await setup();
  const d = directory.tenant(acme);
  await d.createUser({ uid: 'alice' }, admin);
  await t.throwsAsync(d.createUser({ uid: 'weak', password: 'short' }, admin), { code: 'TD_PASSWORD_POLICY' } as never);
  await t.throwsAsync(d.createUser({ uid: 'lost', groups: ['nosuchgroup'] }, admin), { code: 'TD_NOT_FOUND' } as never);
  await t.throwsAsync(d.createUser({ uid: 'ALICE' }, admin), { code: 'TD_CONFLICT' } as never);
  await t.throwsAsync(d.createUser({ uid: 'bad mail', mail: 'x' }, admin), { code: 'TD_INVALID_INPUT' } as never);
  t.like(await d.importBatch({ users: [{ uid: 'weak2', password: 'short' }, { uid: 'ok' }, { uid: 'bad!' }] }, admin), { created: 1, failed: 2 });
  t.is((await d.getUser('ok'))?.uidNumber, 30001);
  t.is((await d.createUser({ uid: 'bob' }, admin)).uidNumber, 30002);
});

test('numbers brought in by a migration are never handed out again', async (t) => {
  const { directory, acme } = await setup();
  const d = directory.tenant(acme);
  const summary = await d.importBatch({ users: [{ uid: 'old1', uidNumber: 30500 }, { uid: 'old2', uidNumber: 30100 }] }, admin);
  t.is(summary.created, 2);
  t.is((await d.createUser({ uid: 'fresh' }, admin)).uidNumber, 30501);
  await d.createUser({ uid: 'manual', uidNumber: 30900 }, admin);
  t.is((await d.createUser({ uid: 'after' }, admin)).uidNumber, 30901);
  await d.createGroup({ name: 'legacy', gidNumber: 31050 }, admin);
  t.is((await d.createGroup({ name: 'next' }, admin)).gidNumber, 31051);
  // A primary gidNumber given explicitly is reserved too: no later user's private group takes it.
  await d.createUser({ uid: 'shared', gidNumber: 31100 }, admin);
  t.is((await d.createUser({ uid: 'later' }, admin)).uidNumber, 31101);
  // A number below the counter's start is never allocated, so it is not reserved.
  t.is((await d.createUser({ uid: 'low', uidNumber: 500 }, admin)).uidNumber, 500);
  t.is((await d.createUser({ uid: 'last' }, admin)).uidNumber, 31102);
});

test('the password policy says which rule failed', async (t) => {
  const { directory, acme } = await setup();
  const d = directory.tenant(acme);
  const cases: [string, RegExp][] = [
    ['Short-1', /at least 12 characters/],
    ['alllowercaseletters', /at least 3 of/],
    ['Xalice-Passw0rd', /must not contain the user name/],
  ];
  for (const [password, why] of cases) {
    const err = await t.throwsAsync(d.createUser({ uid: 'alice', password }, admin));
    t.is((err as { code?: string }).code, 'TD_PASSWORD_POLICY');
    t.regex(err!.message, why);
  }
  t.is(await d.countUsers(), 0);
});

test('authenticate: right password, wrong password, unknown user', async (t) => {
  const { directory, acme } = await setup();
  const d = directory.tenant(acme);
  await d.createUser({ uid: 'alice', password: GOOD }, admin);
  const ok = await d.authenticate('ALICE', { password: GOOD }, ldap);
  t.true(ok.ok);
  t.deepEqual(await d.authenticate('alice', { password: 'wrong' }, ldap), { ok: false, reason: 'bad-password' });
  t.deepEqual(await d.authenticate('nobody', { password: GOOD }, ldap), { ok: false, reason: 'no-such-user' });
});

test('lockout after the threshold holds even against the right password; unlock and a reset clear it', async (t) => {
  const { directory, acme } = await setup();
  const d = directory.tenant(acme);
  await d.createUser({ uid: 'alice', password: GOOD }, admin);
  // From three addresses, so that no one source is slowed first (credentials.test.ts covers that).
  const from = (i: number): Actor => ({ ...ldap, source: `10.0.0.${i}` });
  for (let i = 0; i < 3; i++) await d.authenticate('alice', { password: `wrong-${i}` }, from(i));
  t.deepEqual(await d.authenticate('alice', { password: GOOD }, from(10)), { ok: false, reason: 'locked', proven: true });
  t.deepEqual(await d.authenticate('alice', { password: 'wrong-again' }, from(11)), { ok: false, reason: 'locked', proven: false });
  t.truthy(await d.lockedUntil('alice'));
  t.true(await d.unlock('alice', admin));
  t.true((await d.authenticate('alice', { password: GOOD }, from(10))).ok);
  for (let i = 0; i < 3; i++) await d.authenticate('alice', { password: `wrong-${i}` }, from(20 + i));
  t.deepEqual(await d.authenticate('alice', { password: GOOD }, from(30)), { ok: false, reason: 'locked', proven: true });
  await d.setPassword('alice', 'Another-Horse-10', admin);
  t.true((await d.authenticate('alice', { password: 'Another-Horse-10' }, from(30))).ok);
});

test('disabled and expired users are refused after a correct password', async (t) => {
  const { directory, acme } = await setup();
  const d = directory.tenant(acme);
  await d.createUser({ uid: 'alice', password: GOOD, enabled: false }, admin);
  await d.createUser({ uid: 'bob', password: GOOD, expiresAt: new Date(Date.now() - 1000) }, admin);
  t.deepEqual(await d.authenticate('alice', { password: GOOD }, ldap), { ok: false, reason: 'disabled', proven: true });
  t.deepEqual(await d.authenticate('bob', { password: GOOD }, ldap), { ok: false, reason: 'expired', proven: true });
  await d.setEnabled('alice', true, admin);
  t.true((await d.authenticate('alice', { password: GOOD }, ldap)).ok);
});

test('a password older than maxAgeDays no longer authenticates', async (t) => {
  let now = new Date('2026-01-01T00:00:00Z');
  const { directory, globex } = await setup(() => now);
  const d = directory.tenant(globex);
  await d.createUser({ uid: 'gina', password: GOOD }, admin);
  t.true((await d.authenticate('gina', { password: GOOD }, ldap)).ok);
  now = new Date('2026-02-15T00:00:00Z');
  t.deepEqual(await d.authenticate('gina', { password: GOOD }, ldap), { ok: false, reason: 'password-expired', proven: true });
});

test('history refuses a recent password', async (t) => {
  const { directory, acme } = await setup();
  const d = directory.tenant(acme);
  await d.createUser({ uid: 'alice', password: GOOD }, admin);
  await d.setPassword('alice', 'Second-Horse-10', admin);
  const err = await t.throwsAsync(d.setPassword('alice', GOOD, admin));
  t.regex(err!.message, /last 2 passwords/);
  await d.setPassword('alice', 'Third-Horse-11', admin);
  // history 2 keeps the current and one before it: the first password is usable again.
  await t.notThrowsAsync(d.setPassword('alice', GOOD, admin));
});

test('migrated {SSHA}, {SSHA512}, {CRYPT} hashes verify and are re-hashed to bcrypt on login', async (t) => {
  const { directory, acme, store } = await setup();
  const d = directory.tenant(acme);
  const salt = Buffer.from('saltsalt');
  const ssha = `{SSHA}${Buffer.concat([createHash('sha1').update(GOOD).update(salt).digest(), salt]).toString('base64')}`;
  const ssha512 = `{SSHA512}${Buffer.concat([createHash('sha512').update(GOOD).update(salt).digest(), salt]).toString('base64')}`;
  const crypt6 = `{CRYPT}${sha512Crypt(GOOD, '$6$rounds=5000$abcdefgh')}`;
  const hashes = { u1: ssha, u2: ssha512, u3: crypt6 };
  for (const [uid, passwordHash] of Object.entries(hashes)) await d.createUser({ uid, passwordHash }, admin);
  for (const uid of Object.keys(hashes)) {
    t.false((await d.authenticate(uid, { password: 'Wrong-Horse-9' }, ldap)).ok, uid);
    await d.unlock(uid, admin);
    t.true((await d.authenticate(uid, { password: GOOD }, ldap)).ok, uid);
    const stored = await store.tenant('acme').users.get(uid);
    t.regex(stored!.credentials!.passwordHash, /^\$2b\$04\$/, `${uid} re-hashed`);
    t.is(stored!.credentials!.ntHash, ntHash(GOOD), `${uid} got an NT hash`);
    t.true((await d.authenticate(uid, { password: GOOD }, ldap)).ok, `${uid} after re-hash`);
  }
  await t.throwsAsync(d.createUser({ uid: 'u4', passwordHash: '{MD5}abc' }, admin), { message: /passwordHash must be/ });
});

test('an NT hash is kept only where the tenant allows MS-CHAPv2', async (t) => {
  const { directory, acme, globex, store } = await setup();
  await directory.tenant(acme).createUser({ uid: 'alice', password: GOOD }, admin);
  await directory.tenant(globex).createUser({ uid: 'alice', password: GOOD }, admin);
  t.is((await store.tenant('acme').users.get('alice'))!.credentials!.ntHash, ntHash(GOOD));
  t.is((await store.tenant('globex').users.get('alice'))!.credentials!.ntHash, undefined);
  const expected = Buffer.from(ntHash(GOOD), 'hex');
  const viaNt = await directory.tenant(acme).authenticate('alice', { verifyNtHash: (h) => h.equals(expected) }, ldap);
  t.true(viaNt.ok);
  t.deepEqual(await directory.tenant(globex).authenticate('alice', { verifyNtHash: () => true }, ldap), { ok: false, reason: 'no-nt-hash' });
});

test('RFC 2759 test vector: the NT hash of "clientPass"', (t) => {
  t.is(ntHash('clientPass').toUpperCase(), '44EBBA8D5312B8D611474411F56989AE');
});

/** staff ⊃ engineering ⊃ backend; alice is in backend, bob directly in `bobIn`. */
async function nestedGroups(d: TenantDirectory, bobIn: string): Promise<void> {
  for (const name of ['staff', 'engineering', 'backend']) await d.createGroup({ name }, admin);
  await d.createUser({ uid: 'alice' }, admin);
  await d.createUser({ uid: 'bob' }, admin);
  await d.addMember('staff', { group: 'engineering' }, admin);
  await d.addMember('engineering', { group: 'backend' }, admin);
  await d.addMember('backend', { user: 'alice' }, admin);
  await d.addMember(bobIn, { user: 'bob' }, admin);
}

test('nested groups resolve both ways and cycles are refused', async (t) => {
  const { directory, acme } = await setup();
  const d = directory.tenant(acme);
  await nestedGroups(d, 'staff');
  const alice = (await d.getUser('alice'))!;
  t.deepEqual((await d.groupsOf(alice)).sort(), ['backend', 'engineering', 'staff']);
  t.deepEqual((await d.membersOf('staff', { limit: 10 })).items.map((u) => u.uid).sort(), ['alice', 'bob']);
  t.deepEqual((await d.membersOf('backend', { limit: 10 })).items.map((u) => u.uid), ['alice']);
  await t.throwsAsync(d.addMember('backend', { group: 'staff' }, admin), { code: 'TD_CONFLICT' } as never);
  await t.throwsAsync(d.addMember('staff', { group: 'staff' }, admin), { message: /cycle/ });
  t.is((await d.getGroup('staff'))!.gidNumber, 30000);
  await d.deleteGroup('engineering', admin);
  t.deepEqual(await d.groupsOf((await d.getUser('alice'))!), ['backend']);
});

test('import is idempotent, creates named groups and reports bad rows by line', async (t) => {
  const { directory, acme } = await setup();
  const rows = [
    { line: 2, uid: 'alice', cn: 'Alice Smith', mail: 'alice@acme.example', passwordHash: '{SSHA}' + Buffer.alloc(24, 1).toString('base64'), groups: ['staff'] },
    { line: 3, uid: 'bob', cn: 'Bob Jones', uidNumber: 5000, groups: ['staff', 'ops'] },
    { line: 4, uid: 'bad uid!', cn: 'Broken' },
    { line: 5, uid: 'carol', mail: 'not-an-address' },
  ];
  const first = await directory.tenant(acme).importBatch({ users: rows }, admin);
  t.like(first, { created: 2, updated: 0, unchanged: 0, failed: 2 });
  t.deepEqual(first.errors.map((e) => e.line), [4, 5]);
  t.regex(first.errors[1]!.message, /not an e-mail address/);
  const again = await directory.tenant(acme).importBatch({ users: rows }, admin);
  t.like(again, { created: 0, updated: 0, unchanged: 2, failed: 2 });
  const d = directory.tenant(acme);
  t.is((await d.getUser('bob'))!.uidNumber, 5000);
  t.deepEqual((await d.membersOf('ops', { limit: 10 })).items.map((u) => u.uid), ['bob']);
  const changed = await directory.tenant(acme).importBatch({ users: [{ uid: 'alice', cn: 'Alice Jones', groups: ['staff'] }] }, admin);
  t.like(changed, { updated: 1, unchanged: 0 });
  t.is((await d.getUser('alice'))!.cn, 'Alice Jones');
  t.true((await d.getUser('alice'))!.hasPassword, 'a re-import without a password keeps the stored one');
});

test('re-importing users and groups with members changes nothing, not even modifiedAt', async (t) => {
  const { directory, acme } = await setup();
  const batch = {
    users: [{ uid: 'alice', cn: 'Alice' }, { uid: 'bob', cn: 'Bob' }],
    groups: [{ name: 'staff', gidNumber: 31000, members: ['alice', 'bob'] }, { name: 'all', memberGroups: ['staff'] }],
  };
  await directory.tenant(acme).importBatch(batch, admin);
  const d = directory.tenant(acme);
  const before = [await d.getUser('alice'), await d.getGroup('all')];
  const again = await directory.tenant(acme).importBatch(batch, admin);
  t.like(again, { created: 0, updated: 0, unchanged: 4, failed: 0 });
  t.deepEqual([await d.getUser('alice'), await d.getGroup('all')], before);
});

test('re-importing an old dump does not downgrade a password re-hashed at login', async (t) => {
  const { directory, acme, store } = await setup();
  const salt = Buffer.from('saltsalt');
  const ssha = `{SSHA}${Buffer.concat([createHash('sha1').update(GOOD).update(salt).digest(), salt]).toString('base64')}`;
  const rows = [{ uid: 'alice', cn: 'Alice', passwordHash: ssha }];
  await directory.tenant(acme).importBatch({ users: rows }, admin);
  t.true((await directory.tenant(acme).authenticate('alice', { password: GOOD }, ldap)).ok);
  const rehashed = (await store.tenant('acme').users.get('alice'))!.credentials!.passwordHash;
  t.regex(rehashed, /^\$2b\$/);
  t.like(await directory.tenant(acme).importBatch({ users: rows }, admin), { unchanged: 1, updated: 0 });
  t.is((await store.tenant('acme').users.get('alice'))!.credentials!.passwordHash, rehashed);
});

test('isolation: the same uid in two tenants is two users, and neither authenticates in the other', async (t) => {
  const { directory, acme, globex } = await setup();
  await directory.tenant(acme).createUser({ uid: 'alice', password: GOOD }, admin);
  await directory.tenant(globex).createUser({ uid: 'alice', password: 'Globex-Horse-42' }, admin);
  t.false((await directory.tenant(globex).authenticate('alice', { password: GOOD }, ldap)).ok);
  t.false((await directory.tenant(acme).authenticate('alice', { password: 'Globex-Horse-42' }, ldap)).ok);
  await directory.tenant(acme).createUser({ uid: 'only-acme' }, admin);
  t.is(await directory.tenant(globex).getUser('only-acme'), undefined);
  await t.throwsAsync(directory.tenant(globex).deleteUser('only-acme', admin), { code: 'TD_NOT_FOUND' } as never);
  t.truthy(await directory.tenant(acme).getUser('only-acme'));
});

test('unlock of a user who is not locked changes and audits nothing', async (t) => {
  const { directory, acme, store } = await setup();
  const d = directory.tenant(acme);
  await d.createUser({ uid: 'alice', password: GOOD }, admin);
  await d.authenticate('alice', { password: 'wrong' }, ldap);
  t.false(await d.unlock('alice', admin));
  t.is((await store.tenant('acme').lockouts.get('alice'))?.failures, 1, 'failures below the threshold keep counting');
  t.deepEqual(await store.tenant('acme').audit.list({ action: 'user.unlock', limit: 5 }), []);
  await t.throwsAsync(d.unlock('nobody', admin), { code: 'TD_NOT_FOUND' } as never);
});

test('an import audits one event per user created or changed, naming it, in its own tenant', async (t) => {
  const { directory, acme, store } = await setup();
  const d = directory.tenant(acme);
  const rows = [{ uid: 'alice', cn: 'Alice' }, { uid: 'bob', cn: 'Bob' }, { uid: 'bad!' }];
  await d.importBatch({ users: rows }, admin);
  await d.importBatch({ users: rows }, admin);
  await d.importBatch({ users: [{ uid: 'bob', cn: 'Bob Jones' }] }, admin);
  const events = await store.tenant('acme').audit.list({ limit: 20 });
  t.deepEqual(events.map((e) => `${e.action} ${e.target} ${e.outcome}`).reverse(), ['user.create alice ok', 'user.create bob ok', 'user.update bob ok']);
  t.true(events.every((e) => e.actor === 'ops' && e.detail?.via === 'import'));
  t.deepEqual(await store.tenant('globex').audit.list({ limit: 20 }), []);
});

test('every change and every authentication is audited per tenant', async (t) => {
  const { directory, acme, store } = await setup();
  const d = directory.tenant(acme);
  await d.createUser({ uid: 'alice', password: GOOD }, admin);
  await d.authenticate('alice', { password: 'nope' }, ldap);
  const events = await store.tenant('acme').audit.list({ limit: 10 });
  t.deepEqual(events.map((e) => [e.action, e.outcome]), [['ldap.auth', 'failed'], ['user.create', 'ok']]);
  t.is(events[0]!.reason, 'bad-password');
  t.is(events[0]!.detail?.source, '127.0.0.1');
  t.is((await store.tenant('globex').audit.list({ limit: 10 })).length, 0);
});

test('renaming a group moves its memberships, nested ones too, and is audited', async (t) => {
  const { directory, acme, store } = await setup();
  const d = directory.tenant(acme);
  await nestedGroups(d, 'engineering');
  const renamed = await d.renameGroup('Engineering', 'Eng', ldap);
  t.is(renamed.name, 'Eng');
  t.is(await d.getGroup('engineering'), undefined);
  t.deepEqual((await d.getUser('bob'))!.memberOf, ['eng']);
  t.deepEqual((await d.getGroup('staff'))!.memberGroups, ['eng']);
  t.deepEqual((await d.getGroup('eng'))!.memberGroups, ['backend']);
  t.deepEqual((await d.groupsOf((await d.getUser('alice'))!)).sort(), ['backend', 'eng', 'staff']);
  t.deepEqual((await d.membersOf('staff', { limit: 10 })).items.map((u) => u.uid).sort(), ['alice', 'bob']);
  await t.throwsAsync(d.renameGroup('eng', 'STAFF', admin), { code: 'TD_CONFLICT' } as never);
  await t.throwsAsync(d.renameGroup('eng', 'bad name!', admin), { code: 'TD_INVALID_INPUT' } as never);
  await t.throwsAsync(d.renameGroup('ghost', 'spirit', admin), { code: 'TD_NOT_FOUND' } as never);
  const [event] = await store.tenant('acme').audit.list({ action: 'group.rename', limit: 5 });
  t.like(event, { target: 'Eng', outcome: 'ok', actor: 'ldap:test', detail: { from: 'Engineering', to: 'Eng', source: '127.0.0.1' } });
});

test('renaming a user keeps the account and its groups; the old name is free again', async (t) => {
  const { directory, acme, globex } = await setup();
  const d = directory.tenant(acme);
  await d.createGroup({ name: 'staff' }, admin);
  const before = await d.createUser({ uid: 'alice', password: GOOD, groups: ['staff'] }, admin);
  const after = await d.renameUser('ALICE', 'alice.smith', admin);
  t.like(after, { uid: 'alice.smith', entryUUID: before.entryUUID, uidNumber: before.uidNumber, memberOf: ['staff'] });
  t.true((await d.authenticate('alice.smith', { password: GOOD }, ldap)).ok);
  t.deepEqual(await d.authenticate('alice', { password: GOOD }, ldap), { ok: false, reason: 'no-such-user' });
  await d.createUser({ uid: 'alice' }, admin);
  await t.throwsAsync(d.renameUser('alice', 'Alice.Smith', admin), { code: 'TD_CONFLICT' } as never);
  await t.throwsAsync(directory.tenant(globex).renameUser('alice.smith', 'stolen', admin), { code: 'TD_NOT_FOUND' } as never);
  t.truthy(await d.getUser('alice.smith'));
});
