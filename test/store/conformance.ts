// One behaviour for every store adapter (Dex's storage/conformance, Hono's common.case.test):
// memory.test.ts and mongo.test.ts call runStoreConformance, and both adapters pass all of it:
// none may skip a test. Each test opens its own store and uses fresh random tenant ids, so
// tests are independent and run concurrently.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import type {
  AccountingRecord, AuditEvent, AuditQuery, GroupQuery, GroupRepo, NewDevice, NewGroup, NewUser, SessionQuery, Store,
  TenantStore, UserQuery, UserRecord, UserRepo,
} from '../../src/store/index.ts';

export interface ConformanceOptions {
  name: string;
  /** A fresh store; each test closes the one it opened. */
  open(): Promise<Store>;
  /** One test at a time, for a server that only gets slower under concurrent clients. */
  serial?: boolean;
}

type Body = (t: ExecutionContext, s: { store: Store; a: TenantStore; b: TenantStore }) => Promise<void>;

const CONFLICT = { code: 'TD_CONFLICT' };
const NOT_FOUND = { code: 'TD_NOT_FOUND' };
const INVALID = { code: 'TD_INVALID_INPUT' };
const T0 = new Date('2024-01-01T00:00:00.000Z');
const SEC = 1000;
/** T0 plus some seconds: explicit instants for the time-dependent tests. */
const at = (s: number): Date => new Date(T0.getTime() + s * SEC);
const policy = { windowMs: 60 * SEC, threshold: 3, lockMs: 300 * SEC };

let serial = 0;

function tenantId(): string {
  return `t-${randomUUID().slice(0, 8)}`;
}

function newUser(uid: string, over: Partial<NewUser> = {}): NewUser {
  const n = ++serial;
  return {
    uid,
    entryUUID: randomUUID(),
    cn: `${uid} Example`,
    sn: 'Example',
    mail: `${uid}@example.org`,
    uidNumber: 10_000 + n,
    gidNumber: 100,
    homeDirectory: `/home/${uid}`,
    loginShell: '/bin/bash',
    sshPublicKeys: [],
    enabled: true,
    createdAt: T0,
    modifiedAt: T0,
    memberOf: [],
    ...over,
  };
}

function newGroup(name: string, over: Partial<NewGroup> = {}): NewGroup {
  return {
    name,
    entryUUID: randomUUID(),
    gidNumber: 20_000 + ++serial,
    memberGroups: [],
    createdAt: T0,
    modifiedAt: T0,
    ...over,
  };
}

function newDevice(mac: string, over: Partial<NewDevice> = {}): NewDevice {
  return { mac, groups: [], createdAt: T0, modifiedAt: T0, ...over };
}

function event(when: Date, over: Partial<AuditEvent> = {}): AuditEvent {
  return { at: when, actor: 'ops', action: 'user.create', target: 'alice', outcome: 'ok', ...over };
}

function acct(when: Date, over: Partial<AccountingRecord> = {}): AccountingRecord {
  return { at: when, sessionId: 's1', statusType: 'start', user: 'alice', nas: 'ap-1', nasAddress: '192.0.2.1', ...over };
}

/** Every match of a user query, uids sorted. */
async function uids(repo: UserRepo, q: UserQuery): Promise<string[]> {
  return (await repo.find(q, { limit: 1000 })).items.map((u) => u.uid).sort();
}

async function names(repo: GroupRepo, q: GroupQuery): Promise<string[]> {
  return (await repo.find(q, { limit: 1000 })).items.map((g) => g.name).sort();
}

/** Walks every page; fails the test rather than loop forever. */
async function allPages<T>(
  find: (after: string | undefined) => Promise<{ items: T[]; next?: string }>,
  maxPages: number,
): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await find(after);
    pages.push(page.items);
    if (page.next === undefined) return pages;
    after = page.next;
  }
  throw new Error(`more than ${maxPages} pages`);
}

function shuffled<T>(xs: T[]): T[] {
  return xs.map((x) => ({ x, r: Math.random() })).sort((p, q) => p.r - q.r).map(({ x }) => x);
}

export function runStoreConformance(o: ConformanceOptions): void {
  const def = (title: string, body: Body): void => {
    (o.serial ? test.serial : test)(`${o.name}: ${title}`, async (t) => {
      const store = await o.open();
      t.teardown(() => store.close());
      await body(t, { store, a: store.tenant(tenantId()), b: store.tenant(tenantId()) });
    });
  };

  // ---------------------------------------------------------------- users

  def('users: create then get returns the record as written', async (t, { a }) => {
    const u = newUser('alice', {
      givenName: 'Alice', displayName: 'Alice A.', telephoneNumber: '+1 555 0100', title: 'Ops',
      expiresAt: new Date('2031-02-03T04:05:06.789Z'), sshPublicKeys: ['ssh-ed25519 AAAA alice'],
      credentials: { passwordHash: '$2b$04$abc', passwordChangedAt: T0, history: ['$2b$04$old'] },
      memberOf: ['staff'],
    });
    const created = await a.users.create(u);
    t.deepEqual(created, { ...u, tenantId: a.tenantId });
    t.deepEqual(await a.users.get('alice'), { ...u, tenantId: a.tenantId });
    t.true((await a.users.get('alice'))?.createdAt instanceof Date);
    t.is(await a.users.get('nobody'), undefined);
  });

  def('users: optional fields left out stay absent', async (t, { a }) => {
    const { mail: _, ...u } = newUser('nomail');
    await a.users.create(u);
    const got = await a.users.get('nomail');
    t.false(got !== undefined && 'mail' in got);
    t.false(got !== undefined && 'credentials' in got);
  });

  def('users: get is case-insensitive and returns the uid as written', async (t, { a }) => {
    await a.users.create(newUser('Alice.Smith'));
    t.is((await a.users.get('alice.smith'))?.uid, 'Alice.Smith');
    t.is((await a.users.get('ALICE.SMITH'))?.uid, 'Alice.Smith');
  });

  def('users: uid is unique case-insensitively', async (t, { a }) => {
    await a.users.create(newUser('bob'));
    await t.throwsAsync(a.users.create(newUser('BOB')), CONFLICT);
    t.is(await a.users.count(), 1);
    t.is((await a.users.get('bob'))?.uid, 'bob');
  });

  def('users: records handed out are copies', async (t, { a }) => {
    const u = newUser('carol', { sshPublicKeys: ['k1'] });
    const created = await a.users.create(u);
    u.sshPublicKeys.push('from-input');
    created.sshPublicKeys.push('from-result');
    const got = await a.users.get('carol');
    got?.sshPublicKeys.push('from-get');
    t.deepEqual((await a.users.get('carol'))?.sshPublicKeys, ['k1']);
  });

  def('users: delete', async (t, { a }) => {
    await a.users.create(newUser('dave'));
    t.true(await a.users.delete('DAVE'));
    t.false(await a.users.delete('dave'));
    t.is(await a.users.get('dave'), undefined);
  });

  def('users: eq on every field, case-insensitively', async (t, { a }) => {
    const alice = newUser('alice', { cn: 'Alice Liddell', mail: 'Alice@Example.org', uidNumber: 5001, gidNumber: 500 });
    await a.users.create(alice);
    await a.users.create(newUser('bob', { cn: 'Bob Builder', uidNumber: 5002, gidNumber: 500 }));
    await a.users.create(newUser('carol', { cn: 'Carol', uidNumber: 5003, gidNumber: 600 }));
    t.deepEqual(await uids(a.users, { eq: 'uid', value: 'ALICE' }), ['alice']);
    t.deepEqual(await uids(a.users, { eq: 'mail', value: 'alice@EXAMPLE.ORG' }), ['alice']);
    t.deepEqual(await uids(a.users, { eq: 'cn', value: 'bob builder' }), ['bob']);
    t.deepEqual(await uids(a.users, { eq: 'entryUUID', value: alice.entryUUID.toUpperCase() }), ['alice']);
    t.deepEqual(await uids(a.users, { eq: 'uidNumber', value: 5003 }), ['carol']);
    t.deepEqual(await uids(a.users, { eq: 'gidNumber', value: 500 }), ['alice', 'bob']);
    t.deepEqual(await uids(a.users, { eq: 'uid', value: 'alic' }), []);
    t.deepEqual(await uids(a.users, { eq: 'uidNumber', value: 9999 }), []);
  });

  def('users: prefix on uid, mail and cn, case-insensitively', async (t, { a }) => {
    await a.users.create(newUser('alice', { cn: 'Alice Liddell', mail: 'alice@wonder.land' }));
    await a.users.create(newUser('Alan', { cn: 'Alan Turing', mail: 'alan@bletchley.uk' }));
    await a.users.create(newUser('bal', { cn: 'Bal Al', mail: 'bal@wonder.land' }));
    t.deepEqual(await uids(a.users, { prefix: 'uid', value: 'al' }), ['Alan', 'alice']);
    t.deepEqual(await uids(a.users, { prefix: 'uid', value: 'AL' }), ['Alan', 'alice']);
    t.deepEqual(await uids(a.users, { prefix: 'mail', value: 'BAL@' }), ['bal']);
    t.deepEqual(await uids(a.users, { prefix: 'cn', value: 'alan t' }), ['Alan']);
    t.deepEqual(await uids(a.users, { prefix: 'uid', value: '' }), ['Alan', 'alice', 'bal']);
    t.deepEqual(await uids(a.users, { prefix: 'uid', value: 'alx' }), []);
  });

  def('users: prefix treats regex metacharacters literally', async (t, { a }) => {
    await a.users.create(newUser('a.b1', { cn: 'a.b* star' }));
    await a.users.create(newUser('axb2', { cn: 'a.bbb' }));
    await a.users.create(newUser('ab3', { cn: '[x(y' }));
    await a.users.create(newUser('ab4', { cn: 'a+b|c', mail: 'a+tag@example.org' }));
    t.deepEqual(await uids(a.users, { prefix: 'uid', value: 'a.b' }), ['a.b1']);
    t.deepEqual(await uids(a.users, { prefix: 'cn', value: 'a.b*' }), ['a.b1']);
    t.deepEqual(await uids(a.users, { prefix: 'cn', value: '[x(' }), ['ab3']);
    t.deepEqual(await uids(a.users, { prefix: 'cn', value: 'a+b|' }), ['ab4']);
    t.deepEqual(await uids(a.users, { prefix: 'mail', value: 'a+' }), ['ab4']);
    t.deepEqual(await uids(a.users, { prefix: 'cn', value: '.*' }), []);
    t.deepEqual(await uids(a.users, { prefix: 'cn', value: '\\' }), []);
  });

  def('users: memberOf matches direct members of any listed group', async (t, { a }) => {
    await a.users.create(newUser('u1', { memberOf: ['staff'] }));
    await a.users.create(newUser('u2', { memberOf: ['admins', 'staff'] }));
    await a.users.create(newUser('u3'));
    t.deepEqual(await uids(a.users, { memberOf: ['admins'] }), ['u2']);
    t.deepEqual(await uids(a.users, { memberOf: ['ADMINS', 'nobody'] }), ['u2']);
    t.deepEqual(await uids(a.users, { memberOf: ['staff'] }), ['u1', 'u2']);
    t.deepEqual(await uids(a.users, { memberOf: ['staff', 'admins'] }), ['u1', 'u2']);
    t.deepEqual(await uids(a.users, { memberOf: [] }), []);
  });

  def('users: in uid', async (t, { a }) => {
    for (const uid of ['alice', 'bob', 'carol']) await a.users.create(newUser(uid));
    t.deepEqual(await uids(a.users, { in: 'uid', values: ['Alice', 'carol', 'nobody'] }), ['alice', 'carol']);
    t.deepEqual(await uids(a.users, { in: 'uid', values: [] }), []);
  });

  def('users: and, or, all', async (t, { a }) => {
    await a.users.create(newUser('alice', { gidNumber: 100, memberOf: ['staff'] }));
    await a.users.create(newUser('alan', { gidNumber: 200 }));
    await a.users.create(newUser('bob', { gidNumber: 100 }));
    t.deepEqual(await uids(a.users, { all: true }), ['alan', 'alice', 'bob']);
    t.deepEqual(await uids(a.users, { and: [{ prefix: 'uid', value: 'al' }, { eq: 'gidNumber', value: 100 }] }), ['alice']);
    t.deepEqual(await uids(a.users, { or: [{ eq: 'uid', value: 'bob' }, { eq: 'gidNumber', value: 200 }] }), ['alan', 'bob']);
    t.deepEqual(await uids(a.users, {
      or: [{ and: [{ memberOf: ['staff'] }, { prefix: 'cn', value: 'alice' }] }, { eq: 'uid', value: 'bob' }],
    }), ['alice', 'bob']);
    // An empty conjunction is true, an empty disjunction false.
    t.deepEqual(await uids(a.users, { and: [] }), ['alan', 'alice', 'bob']);
    t.deepEqual(await uids(a.users, { or: [] }), []);
  });

  def('users and groups: in on uidNumber and gidNumber compares numbers', async (t, { a }) => {
    await a.users.create(newUser('n1', { uidNumber: 7001, gidNumber: 7001 }));
    await a.users.create(newUser('n2', { uidNumber: 7002, gidNumber: 100 }));
    await a.users.create(newUser('n3', { uidNumber: 7003, gidNumber: 100 }));
    await a.groups.create(newGroup('g1', { gidNumber: 7001 }));
    await a.groups.create(newGroup('g2', { gidNumber: 7005 }));
    t.deepEqual(await uids(a.users, { in: 'uidNumber', values: [7001, 7003, 9999] }), ['n1', 'n3']);
    t.deepEqual(await uids(a.users, { in: 'gidNumber', values: [100] }), ['n2', 'n3']);
    t.deepEqual(await uids(a.users, { in: 'uidNumber', values: [] }), []);
    t.deepEqual(await names(a.groups, { in: 'gidNumber', values: [7001, 7005, 7002] }), ['g1', 'g2']);
    t.deepEqual(await names(a.groups, { in: 'gidNumber', values: [7003] }), []);
    t.deepEqual(await uids(a.users, { and: [{ eq: 'uidNumber', value: 7001 }, { eq: 'gidNumber', value: 7001 }] }), ['n1']);
  });

  def('users: a query on an unknown field is InvalidInput', async (t, { a }) => {
    const bad = { eq: 'credentials', value: 'x' } as unknown as UserQuery;
    await t.throwsAsync(a.users.find(bad, { limit: 10 }), INVALID);
    await t.throwsAsync(a.users.find({ all: true }, { limit: 0 }), INVALID);
  });

  def('users: count', async (t, { a }) => {
    t.is(await a.users.count(), 0);
    for (const uid of ['alice', 'alan', 'bob']) await a.users.create(newUser(uid));
    t.is(await a.users.count(), 3);
    t.is(await a.users.count({ all: true }), 3);
    t.is(await a.users.count({ prefix: 'uid', value: 'AL' }), 2);
    t.is(await a.users.count({ or: [] }), 0);
  });

  def('users: pagination in key order', async (t, { a }) => {
    const all = Array.from({ length: 25 }, (_, i) => `${i % 2 ? 'User' : 'user'}${String(i).padStart(2, '0')}`);
    for (const uid of shuffled(all)) await a.users.create(newUser(uid));
    const pages = await allPages((after) => a.users.find({ all: true }, { limit: 10, ...(after && { after }) }), 10);
    t.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
    const seen = pages.flat().map((u) => u.uid);
    t.deepEqual(seen, [...all].sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase())));
    t.is(new Set(seen).size, 25);
    const first = await a.users.find({ all: true }, { limit: 10 });
    t.is(first.next, 'user09');
  });

  def('users: a page ending at the last match has no next', async (t, { a }) => {
    for (let i = 0; i < 10; i++) await a.users.create(newUser(`p${i}`, { gidNumber: i < 6 ? 1 : 2 }));
    t.is((await a.users.find({ all: true }, { limit: 10 })).next, undefined);
    const q: UserQuery = { eq: 'gidNumber', value: 1 };
    const first = await a.users.find(q, { limit: 3 });
    t.deepEqual(first.items.map((u) => u.uid), ['p0', 'p1', 'p2']);
    t.is(first.next, 'p2');
    const second = await a.users.find(q, { limit: 3, after: 'P2' });
    t.deepEqual(second.items.map((u) => u.uid), ['p3', 'p4', 'p5']);
    t.is(second.next, undefined);
  });

  def('users: update applies fn and keeps what cannot change', async (t, { a, b }) => {
    const before = await a.users.create(newUser('erin', { cn: 'Erin Old' }));
    const after = await a.users.update('ERIN', (u) => ({
      ...u, cn: 'Erin New', uid: 'mallory', entryUUID: randomUUID(), createdAt: new Date(0), tenantId: b.tenantId,
    }));
    t.is(after.cn, 'Erin New');
    t.is(after.uid, 'erin');
    t.is(after.entryUUID, before.entryUUID);
    t.deepEqual(after.createdAt, before.createdAt);
    t.is(after.tenantId, a.tenantId);
    t.true(after.modifiedAt > before.modifiedAt);
    t.deepEqual(await a.users.get('erin'), after);
    t.is(await a.users.get('mallory'), undefined);
    // The lookup keys follow the change.
    t.deepEqual(await uids(a.users, { eq: 'cn', value: 'erin new' }), ['erin']);
    t.deepEqual(await uids(a.users, { eq: 'cn', value: 'erin old' }), []);
    t.is(await b.users.count(), 0);
  });

  def('users: update can remove optional fields', async (t, { a }) => {
    await a.users.create(newUser('fay', { title: 'Boss' }));
    await a.users.update('fay', ({ title: _, mail: __, ...u }) => u);
    const got = await a.users.get('fay');
    t.false(got !== undefined && ('title' in got || 'mail' in got));
    t.deepEqual(await uids(a.users, { prefix: 'mail', value: 'fay' }), []);
  });

  def('users: app passwords (records with arrays and dates, in an array) round-trip, change one by one, and go', async (t, { a }) => {
    const app = (name: string, lastUsedAt?: Date) => ({
      name, lookupId: name.slice(0, 4), digest: 'ZGlnZXN0', keyId: 'k1', ntHash: '00'.repeat(16),
      scopes: ['radius', 'ldap'] as ('radius' | 'ldap')[], createdAt: T0, ...(lastUsedAt ? { lastUsedAt } : {}),
    });
    await a.users.create(newUser('gail', { appPasswords: [app('phone'), app('laptop')] }));
    const touched = await a.users.update('gail', (u) => ({ ...u, appPasswords: u.appPasswords!.map((x) => (x.name === 'phone' ? { ...x, lastUsedAt: at(60) } : x)) }));
    t.deepEqual(touched.appPasswords, [app('phone', at(60)), app('laptop')]);
    t.deepEqual((await a.users.get('gail'))?.appPasswords, [app('phone', at(60)), app('laptop')]);
    await a.users.update('gail', ({ appPasswords: _, ...u }) => u);
    const got = await a.users.get('gail');
    t.false(got !== undefined && 'appPasswords' in got);
  });

  def('users: update of a missing user is NotFound', async (t, { a }) => {
    await t.throwsAsync(a.users.update('ghost', (u) => u), NOT_FOUND);
  });

  def('users: concurrent updates lose nothing', async (t, { a }) => {
    await a.users.create(newUser('busy'));
    const keys = Array.from({ length: 20 }, (_, i) => `ssh-ed25519 AAAA${i}`);
    await Promise.all(keys.map((k) => a.users.update('busy', (u) => ({ ...u, sshPublicKeys: [...u.sshPublicKeys, k] }))));
    t.deepEqual((await a.users.get('busy'))?.sshPublicKeys.sort(), [...keys].sort());
  });

  def('users: concurrent updates and membership edits lose nothing', async (t, { a }) => {
    await a.users.create(newUser('busy'));
    const n = 10;
    await Promise.all([
      ...Array.from({ length: n }, (_, i) => a.users.update('busy', (u) => ({ ...u, sshPublicKeys: [...u.sshPublicKeys, `k${i}`] }))),
      ...Array.from({ length: n }, (_, i) => a.users.addMemberOf('busy', `g${i}`)),
    ]);
    const got = await a.users.get('busy');
    t.is(got?.sshPublicKeys.length, n);
    t.is(got?.memberOf.length, n);
  });

  def('users: addMemberOf and removeMemberOf', async (t, { a }) => {
    const before = await a.users.create(newUser('gus', { memberOf: ['staff'] }));
    await a.users.addMemberOf('GUS', 'Admins');
    await a.users.addMemberOf('gus', 'admins');
    const added = await a.users.get('gus');
    t.deepEqual(added?.memberOf, ['staff', 'admins']);
    t.true(added !== undefined && added.modifiedAt > before.modifiedAt);
    const again = await a.users.get('gus');
    await a.users.addMemberOf('gus', 'ADMINS');
    t.deepEqual((await a.users.get('gus'))?.modifiedAt, again?.modifiedAt, 'an edit that changes nothing is no modification');
    await a.users.removeMemberOf('gus', 'STAFF');
    await a.users.removeMemberOf('gus', 'never-a-member');
    t.deepEqual((await a.users.get('gus'))?.memberOf, ['admins']);
    await t.throwsAsync(a.users.addMemberOf('ghost', 'admins'), NOT_FOUND);
    await t.throwsAsync(a.users.removeMemberOf('ghost', 'admins'), NOT_FOUND);
  });

  def('users: addMemberOfMany adds to the existing users and counts them', async (t, { a }) => {
    await a.users.create(newUser('u1', { memberOf: ['staff'] }));
    await a.users.create(newUser('u2', { memberOf: ['vpn'] }));
    const u2 = await a.users.get('u2');
    t.is(await a.users.addMemberOfMany(['U1', 'u2', 'ghost', 'u1'], 'VPN'), 2);
    t.deepEqual((await a.users.get('u2'))?.modifiedAt, u2?.modifiedAt, 'u2 already was a member: untouched');
    t.deepEqual((await a.users.get('u1'))?.memberOf, ['staff', 'vpn']);
    t.deepEqual((await a.users.get('u2'))?.memberOf, ['vpn']);
    t.is(await a.users.get('ghost'), undefined);
    t.is(await a.users.addMemberOfMany([], 'vpn'), 0);
  });

  def('users: removeGroupEverywhere', async (t, { a }) => {
    await a.users.create(newUser('u1', { memberOf: ['staff', 'vpn'] }));
    await a.users.create(newUser('u2', { memberOf: ['vpn'] }));
    await a.users.create(newUser('u3', { memberOf: ['staff'] }));
    t.is(await a.users.removeGroupEverywhere('VPN'), 2);
    t.deepEqual((await a.users.get('u1'))?.memberOf, ['staff']);
    t.deepEqual((await a.users.get('u2'))?.memberOf, []);
    t.deepEqual((await a.users.get('u3'))?.memberOf, ['staff']);
    t.is(await a.users.removeGroupEverywhere('vpn'), 0);
  });

  def('users: rename keeps identity and creation, moves the keys; Conflict and NotFound', async (t, { a }) => {
    const before = await a.users.create(newUser('erin', { cn: 'Erin', memberOf: ['staff'] }));
    await a.users.create(newUser('frank'));
    const after = await a.users.rename('ERIN', 'Erin.New');
    t.is(after.uid, 'Erin.New');
    t.is(after.entryUUID, before.entryUUID);
    t.deepEqual(after.createdAt, before.createdAt);
    t.deepEqual(after.memberOf, ['staff']);
    t.true(after.modifiedAt > before.modifiedAt);
    t.deepEqual(await a.users.get('erin.new'), after);
    t.is(await a.users.get('erin'), undefined);
    t.deepEqual(await uids(a.users, { prefix: 'uid', value: 'erin' }), ['Erin.New']);
    t.deepEqual(await uids(a.users, { eq: 'cn', value: 'erin' }), ['Erin.New']);
    t.is(await a.users.count(), 2);
    await t.throwsAsync(a.users.rename('erin.new', 'FRANK'), CONFLICT);
    await t.throwsAsync(a.users.rename('ghost', 'casper'), NOT_FOUND);
    await t.throwsAsync(a.users.rename('ghost', 'frank'), NOT_FOUND);
    t.deepEqual(await a.users.get('erin.new'), after);
    t.is((await a.users.get('frank'))?.uid, 'frank');
    // The freed name can be taken again.
    await a.users.create(newUser('erin'));
    t.is(await a.users.count(), 3);
  });

  def('users: rename to a case variant of the same uid', async (t, { a }) => {
    const before = await a.users.create(newUser('gina'));
    const after = await a.users.rename('gina', 'Gina');
    t.is(after.uid, 'Gina');
    t.is(after.entryUUID, before.entryUUID);
    t.is((await a.users.get('GINA'))?.uid, 'Gina');
    t.is(await a.users.count(), 1);
  });

  def('users: replaceGroupEverywhere moves a group key, once', async (t, { a }) => {
    await a.users.create(newUser('u1', { memberOf: ['staff', 'vpn'] }));
    await a.users.create(newUser('u2', { memberOf: ['vpn', 'wifi'] }));
    await a.users.create(newUser('u3', { memberOf: ['staff'] }));
    t.is(await a.users.replaceGroupEverywhere('VPN', 'Wifi'), 2);
    t.deepEqual((await a.users.get('u1'))?.memberOf, ['staff', 'wifi']);
    t.deepEqual((await a.users.get('u2'))?.memberOf, ['wifi']);
    t.deepEqual((await a.users.get('u3'))?.memberOf, ['staff']);
    t.deepEqual(await uids(a.users, { memberOf: ['vpn'] }), []);
    t.is(await a.users.replaceGroupEverywhere('vpn', 'wifi'), 0);
  });

  def('users: upsertMany inserts new and replaces existing records wholesale', async (t, { a }) => {
    const old = await a.users.create(newUser('Ann', { title: 'Old title', createdAt: new Date('2020-01-01T00:00:00Z') }));
    const batch = [
      newUser('ann', { cn: 'Ann Replaced', createdAt: new Date('2025-01-01T00:00:00Z') }),
      newUser('ben'),
      newUser('cat'),
    ];
    t.deepEqual(await a.users.upsertMany(batch), { inserted: 2, replaced: 1 });
    const ann = await a.users.get('ann');
    t.is(ann?.cn, 'Ann Replaced');
    t.is(ann?.uid, 'ann');
    t.is(ann?.entryUUID, old.entryUUID);
    t.deepEqual(ann?.createdAt, old.createdAt);
    t.false(ann !== undefined && 'title' in ann);
    t.deepEqual(await a.users.get('ben'), { ...batch[1], tenantId: a.tenantId } as UserRecord);
    t.is(await a.users.count(), 3);
    t.deepEqual(await a.users.upsertMany([]), { inserted: 0, replaced: 0 });
  });

  def('users: upsertMany is idempotent', async (t, { a }) => {
    const batch = Array.from({ length: 8 }, (_, i) => newUser(`imp${i}`, { memberOf: ['imported'] }));
    t.deepEqual(await a.users.upsertMany(batch), { inserted: 8, replaced: 0 });
    const first = (await a.users.find({ all: true }, { limit: 100 })).items;
    const again = batch.map((u) => ({ ...u, entryUUID: randomUUID(), createdAt: new Date() }));
    t.deepEqual(await a.users.upsertMany(again), { inserted: 0, replaced: 8 });
    t.deepEqual((await a.users.find({ all: true }, { limit: 100 })).items, first);
  });

  // ---------------------------------------------------------------- groups

  def('groups: create, get case-insensitively, Conflict, delete', async (t, { a }) => {
    const g = newGroup('Staff', { description: 'Everyone' });
    t.deepEqual(await a.groups.create(g), { ...g, tenantId: a.tenantId });
    t.deepEqual(await a.groups.get('STAFF'), { ...g, tenantId: a.tenantId });
    await t.throwsAsync(a.groups.create(newGroup('staff')), CONFLICT);
    t.is(await a.groups.count(), 1);
    t.true(await a.groups.delete('staff'));
    t.false(await a.groups.delete('staff'));
    t.is(await a.groups.get('Staff'), undefined);
  });

  def('groups: every query kind', async (t, { a }) => {
    const admins = newGroup('Admins', { gidNumber: 700, memberGroups: ['ops'] });
    await a.groups.create(admins);
    await a.groups.create(newGroup('a.b-team', { gidNumber: 701 }));
    await a.groups.create(newGroup('axb', { gidNumber: 702, memberGroups: ['ops', 'dev'] }));
    await a.groups.create(newGroup('ops', { gidNumber: 703 }));
    t.deepEqual(await names(a.groups, { all: true }), ['Admins', 'a.b-team', 'axb', 'ops']);
    t.deepEqual(await names(a.groups, { eq: 'name', value: 'admins' }), ['Admins']);
    t.deepEqual(await names(a.groups, { eq: 'entryUUID', value: admins.entryUUID.toUpperCase() }), ['Admins']);
    t.deepEqual(await names(a.groups, { eq: 'gidNumber', value: 703 }), ['ops']);
    t.deepEqual(await names(a.groups, { prefix: 'name', value: 'A.B' }), ['a.b-team']);
    t.deepEqual(await names(a.groups, { prefix: 'name', value: 'a' }), ['Admins', 'a.b-team', 'axb']);
    t.deepEqual(await names(a.groups, { in: 'name', values: ['OPS', 'axb', 'none'] }), ['axb', 'ops']);
    t.deepEqual(await names(a.groups, { hasMemberGroup: ['OPS'] }), ['Admins', 'axb']);
    t.deepEqual(await names(a.groups, { hasMemberGroup: ['dev', 'qa'] }), ['axb']);
    t.deepEqual(await names(a.groups, { and: [{ hasMemberGroup: ['ops'] }, { eq: 'gidNumber', value: 702 }] }), ['axb']);
    t.deepEqual(await names(a.groups, { or: [{ eq: 'name', value: 'ops' }, { prefix: 'name', value: 'adm' }] }), ['Admins', 'ops']);
    t.deepEqual(await names(a.groups, { or: [] }), []);
    t.is(await a.groups.count({ prefix: 'name', value: 'a' }), 3);
    t.is(await a.groups.count(), 4);
  });

  def('groups: pagination in key order', async (t, { a }) => {
    const all = Array.from({ length: 25 }, (_, i) => `Group-${String(i).padStart(2, '0')}`);
    for (const name of shuffled(all)) await a.groups.create(newGroup(name));
    const pages = await allPages((after) => a.groups.find({ prefix: 'name', value: 'group-' }, { limit: 10, ...(after && { after }) }), 10);
    t.deepEqual(pages.map((p) => p.length), [10, 10, 5]);
    t.deepEqual(pages.flat().map((g) => g.name), all);
  });

  def('groups: update keeps what cannot change; NotFound', async (t, { a }) => {
    const before = await a.groups.create(newGroup('vpn'));
    const after = await a.groups.update('VPN', (g) => ({ ...g, name: 'other', description: 'VPN users', entryUUID: randomUUID() }));
    t.is(after.name, 'vpn');
    t.is(after.description, 'VPN users');
    t.is(after.entryUUID, before.entryUUID);
    t.true(after.modifiedAt > before.modifiedAt);
    t.deepEqual(await a.groups.get('vpn'), after);
    await t.throwsAsync(a.groups.update('ghost', (g) => g), NOT_FOUND);
  });

  def('groups: nested memberGroups edits', async (t, { a }) => {
    await a.groups.create(newGroup('all-staff'));
    await a.groups.create(newGroup('eng', { memberGroups: ['backend'] }));
    await a.groups.addMemberGroup('ALL-STAFF', 'Eng');
    await a.groups.addMemberGroup('all-staff', 'eng');
    await a.groups.addMemberGroup('all-staff', 'sales');
    t.deepEqual((await a.groups.get('all-staff'))?.memberGroups, ['eng', 'sales']);
    await a.groups.removeMemberGroup('all-staff', 'SALES');
    t.deepEqual((await a.groups.get('all-staff'))?.memberGroups, ['eng']);
    await a.groups.addMemberGroup('eng', 'sales');
    t.is(await a.groups.removeMemberGroupEverywhere('eng'), 1);
    t.deepEqual((await a.groups.get('all-staff'))?.memberGroups, []);
    t.deepEqual((await a.groups.get('eng'))?.memberGroups, ['backend', 'sales']);
    await t.throwsAsync(a.groups.addMemberGroup('ghost', 'eng'), NOT_FOUND);
    await t.throwsAsync(a.groups.removeMemberGroup('ghost', 'eng'), NOT_FOUND);
  });

  def('groups: rename keeps identity and children; Conflict, NotFound, case variant', async (t, { a }) => {
    const before = await a.groups.create(newGroup('vpn', { memberGroups: ['eng'], description: 'VPN' }));
    await a.groups.create(newGroup('wifi'));
    const after = await a.groups.rename('VPN', 'remote-access');
    t.is(after.name, 'remote-access');
    t.is(after.entryUUID, before.entryUUID);
    t.deepEqual(after.createdAt, before.createdAt);
    t.deepEqual(after.memberGroups, ['eng']);
    t.is(after.description, 'VPN');
    t.true(after.modifiedAt > before.modifiedAt);
    t.deepEqual(await a.groups.get('Remote-Access'), after);
    t.is(await a.groups.get('vpn'), undefined);
    t.deepEqual(await names(a.groups, { hasMemberGroup: ['eng'] }), ['remote-access']);
    await t.throwsAsync(a.groups.rename('remote-access', 'WIFI'), CONFLICT);
    await t.throwsAsync(a.groups.rename('ghost', 'spirits'), NOT_FOUND);
    t.is((await a.groups.rename('wifi', 'WiFi')).name, 'WiFi');
    t.deepEqual(await names(a.groups, { all: true }), ['WiFi', 'remote-access']);
  });

  def('groups: replaceMemberGroupEverywhere moves a child key', async (t, { a }) => {
    await a.groups.create(newGroup('all', { memberGroups: ['eng', 'sales'] }));
    await a.groups.create(newGroup('tech', { memberGroups: ['eng', 'engineering'] }));
    await a.groups.create(newGroup('other', { memberGroups: ['sales'] }));
    t.is(await a.groups.replaceMemberGroupEverywhere('ENG', 'Engineering'), 2);
    t.deepEqual((await a.groups.get('all'))?.memberGroups, ['sales', 'engineering']);
    t.deepEqual((await a.groups.get('tech'))?.memberGroups, ['engineering']);
    t.deepEqual((await a.groups.get('other'))?.memberGroups, ['sales']);
  });

  // ---------------------------------------------------------------- audit and accounting

  def('audit: list is newest first, limited, and round-trips every field', async (t, { a }) => {
    const full = event(at(5), {
      protocol: 'radius', reason: 'bad_password', detail: { nas: 'ap-1', port: 3, eap: false },
    });
    for (let i = 0; i < 5; i++) await a.audit.append(event(at(i), { target: `u${i}` }));
    await a.audit.append(full);
    const listed = await a.audit.list({ limit: 3 });
    t.deepEqual(listed, [full, event(at(4), { target: 'u4' }), event(at(3), { target: 'u3' })]);
    t.is((await a.audit.list({ limit: 100 })).length, 6);
  });

  def('audit: appendMany stores each event, as if appended one by one', async (t, { a }) => {
    await a.audit.append(event(T0, { target: 'before' }));
    await a.audit.appendMany([event(T0, { target: 'm0' }), event(T0, { target: 'm1' }), event(at(1), { target: 'later' })]);
    await a.audit.appendMany([]);
    t.deepEqual((await a.audit.list({ limit: 10 })).map((e) => e.target), ['later', 'm1', 'm0', 'before']);
    t.deepEqual((await a.audit.list({ target: 'm1', limit: 10 })).map((e) => e.target), ['m1']);
  });

  def('audit: events of the same instant list newest appended first', async (t, { a }) => {
    for (let i = 0; i < 5; i++) await a.audit.append(event(T0, { target: `u${i}` }));
    t.deepEqual((await a.audit.list({ limit: 10 })).map((e) => e.target), ['u4', 'u3', 'u2', 'u1', 'u0']);
  });

  def('audit: filters by since, until, action, target and outcome', async (t, { a }) => {
    await a.audit.append(event(at(1), { action: 'ldap.bind', target: 'alice', outcome: 'failed' }));
    await a.audit.append(event(at(2), { action: 'ldap.bind', target: 'bob', outcome: 'ok' }));
    await a.audit.append(event(at(3), { action: 'radius.auth', target: 'alice', outcome: 'refused' }));
    await a.audit.append(event(at(4), { action: 'ldap.bind', target: 'alice', outcome: 'ok' }));
    const targets = async (q: Omit<AuditQuery, 'limit'>) =>
      (await a.audit.list({ ...q, limit: 100 })).map((e) => `${e.action}:${e.target}:${e.outcome}`);
    t.deepEqual(await targets({ since: at(3) }), ['ldap.bind:alice:ok', 'radius.auth:alice:refused']);
    t.deepEqual(await targets({ until: at(2) }), ['ldap.bind:alice:failed']);
    t.deepEqual(await targets({ since: at(2), until: at(4) }), ['radius.auth:alice:refused', 'ldap.bind:bob:ok']);
    t.deepEqual(await targets({ action: 'ldap.bind', target: 'alice' }), ['ldap.bind:alice:ok', 'ldap.bind:alice:failed']);
    t.deepEqual(await targets({ outcome: 'refused' }), ['radius.auth:alice:refused']);
    t.deepEqual(await targets({ action: 'user.delete' }), []);
  });

  def('audit: purge(before) removes older events only (retention)', async (t, { a }) => {
    const now = Date.now();
    const days = (d: number) => new Date(now - d * 86_400_000);
    for (const d of [100, 91, 90.5, 89, 1, 0]) await a.audit.append(event(days(d), { target: `d${d}` }));
    t.is(await a.audit.purge(days(90)), 3);
    t.deepEqual((await a.audit.list({ limit: 100 })).map((e) => e.target), ['d0', 'd1', 'd89']);
    t.is(await a.audit.purge(days(90)), 0);
  });

  def('accounting: append, list by session, user and since, newest first', async (t, { a }) => {
    const stop = acct(at(3), { statusType: 'stop', inputOctets: 1234, outputOctets: 5678, sessionTime: 3, terminateCause: 'User-Request' });
    await a.accounting.append(acct(at(1)));
    await a.accounting.append(acct(at(2), { sessionId: 's2', user: 'bob' }));
    await a.accounting.append(stop);
    t.deepEqual(await a.accounting.list({ sessionId: 's1', limit: 10 }), [stop, acct(at(1))]);
    t.deepEqual((await a.accounting.list({ user: 'bob', limit: 10 })).map((r) => r.sessionId), ['s2']);
    t.deepEqual((await a.accounting.list({ since: at(2), limit: 10 })).map((r) => r.statusType), ['stop', 'start']);
    t.is((await a.accounting.list({ limit: 1 })).length, 1);
  });

  def('accounting: purge(before) removes older records only', async (t, { a }) => {
    for (let i = 0; i < 6; i++) await a.accounting.append(acct(at(i), { sessionId: `s${i}` }));
    t.is(await a.accounting.purge(at(4)), 4);
    t.deepEqual((await a.accounting.list({ limit: 10 })).map((r) => r.sessionId), ['s5', 's4']);
  });

  // ---------------------------------------------------------------- sessions

  def('sessions: Start, Interim and Stop fold into one session with the latest counters and the stop cause', async (t, { a }) => {
    await a.accounting.append(acct(at(0), { callingStationId: '02-00-00-00-00-01' }));
    await a.accounting.append(acct(at(60), { statusType: 'interim', framedAddress: '10.0.0.7', inputOctets: 100, outputOctets: 200, sessionTime: 60 }));
    const open = await a.accounting.sessions({ limit: 10 });
    t.deepEqual(open, [{
      nas: 'ap-1', sessionId: 's1', user: 'alice', nasAddress: '192.0.2.1', callingStationId: '02-00-00-00-00-01',
      framedAddress: '10.0.0.7', startedAt: at(0), lastAt: at(60), sessionTime: 60, inputOctets: 100, outputOctets: 200,
    }]);
    await a.accounting.append(acct(at(90), {
      statusType: 'stop', inputOctets: 150, outputOctets: 900, sessionTime: 90, terminateCause: 'User-Request',
    }));
    const [stopped] = await a.accounting.sessions({ limit: 10 });
    t.deepEqual(stopped, {
      nas: 'ap-1', sessionId: 's1', user: 'alice', nasAddress: '192.0.2.1', callingStationId: '02-00-00-00-00-01',
      framedAddress: '10.0.0.7', startedAt: at(0), lastAt: at(90), stoppedAt: at(90), stopCause: 'User-Request',
      sessionTime: 90, inputOctets: 150, outputOctets: 900,
    });
    // A retransmitted interim (older, smaller counters) changes nothing; the same Stop again neither.
    await a.accounting.append(acct(at(60), { statusType: 'interim', inputOctets: 100, outputOctets: 200, sessionTime: 60 }));
    await a.accounting.append(acct(at(90), { statusType: 'stop', inputOctets: 150, outputOctets: 900, sessionTime: 90, terminateCause: 'User-Request' }));
    t.deepEqual(await a.accounting.sessions({ limit: 10 }), [stopped]);
  });

  def('sessions: without its Start, a session starts at the first record less its session time', async (t, { a }) => {
    await a.accounting.append(acct(at(600), { statusType: 'interim', sessionTime: 300 }));
    await a.accounting.append(acct(at(900), { statusType: 'interim', sessionTime: 600 }));
    const [s] = await a.accounting.sessions({ limit: 10 });
    t.deepEqual(s?.startedAt, at(300));
    t.deepEqual(s?.lastAt, at(900));
    t.is(s?.stoppedAt, undefined);
  });

  def('sessions: a session is its NAS and session id; the most recently active first', async (t, { a }) => {
    await a.accounting.append(acct(at(0), { sessionId: 'x', nas: 'ap-2', user: 'bob' }));
    await a.accounting.append(acct(at(5), { sessionId: 'x', nas: 'ap-1' }));
    await a.accounting.append(acct(at(1), { sessionId: 'y', nas: 'ap-1' }));
    await a.accounting.append(acct(at(5), { sessionId: 'w', nas: 'ap-2' }));
    const keys = async (q: Partial<SessionQuery> = {}) =>
      (await a.accounting.sessions({ limit: 10, ...q })).map((s) => `${s.nas}/${s.sessionId}`);
    t.deepEqual(await keys(), ['ap-1/x', 'ap-2/w', 'ap-1/y', 'ap-2/x']);
    t.deepEqual(await keys({ limit: 2 }), ['ap-1/x', 'ap-2/w']);
    t.deepEqual(await keys({ user: 'bob' }), ['ap-2/x']);
    t.deepEqual(await keys({ since: at(1) }), ['ap-1/x', 'ap-2/w', 'ap-1/y']);
    await t.throwsAsync(a.accounting.sessions({ limit: 0 }), INVALID);
  });

  def('sessions: active means no stop and a record at or after activeSince', async (t, { a }) => {
    await a.accounting.append(acct(at(0), { sessionId: 'old' }));
    await a.accounting.append(acct(at(0), { sessionId: 'stopped' }));
    await a.accounting.append(acct(at(100), { sessionId: 'stopped', statusType: 'stop' }));
    await a.accounting.append(acct(at(0), { sessionId: 'fresh' }));
    await a.accounting.append(acct(at(100), { sessionId: 'fresh', statusType: 'interim' }));
    const active = async (q: Omit<SessionQuery, 'limit'>) => (await a.accounting.sessions({ limit: 10, ...q })).map((s) => s.sessionId);
    t.deepEqual(await active({ activeSince: at(50) }), ['fresh']);
    t.deepEqual(await active({ activeSince: at(0) }), ['fresh', 'old']);
    t.deepEqual(await active({ activeSince: at(0), since: at(50) }), ['fresh']);
    t.deepEqual(await active({ activeSince: at(0), user: 'bob' }), []);
  });

  def("sessions: an Accounting-On ends the open sessions of its NAS heard of before it, and no other's", async (t, { a }) => {
    await a.accounting.append(acct(at(0), { sessionId: 'a1' }));
    await a.accounting.append(acct(at(0), { sessionId: 'a2' }));
    await a.accounting.append(acct(at(10), { sessionId: 'a2', statusType: 'stop', terminateCause: 'Idle-Timeout' }));
    await a.accounting.append(acct(at(0), { sessionId: 'b1', nas: 'ap-2' }));
    await a.accounting.append(acct(at(30), { sessionId: 'later' }));
    await a.accounting.append(acct(at(20), { sessionId: '', statusType: 'on', user: undefined }));
    const byId = new Map((await a.accounting.sessions({ limit: 10 })).map((s) => [s.sessionId, s]));
    t.is(byId.size, 4, 'an Accounting-On is no session');
    t.deepEqual([byId.get('a1')?.stoppedAt, byId.get('a1')?.stopCause], [at(20), 'Accounting-On']);
    t.deepEqual([byId.get('a2')?.stoppedAt, byId.get('a2')?.stopCause], [at(10), 'Idle-Timeout']);
    t.is(byId.get('b1')?.stoppedAt, undefined);
    t.is(byId.get('later')?.stoppedAt, undefined);
    await a.accounting.append(acct(at(40), { sessionId: '', statusType: 'off', user: undefined, nas: 'ap-2' }));
    t.is((await a.accounting.sessions({ limit: 10 })).find((s) => s.sessionId === 'b1')?.stopCause, 'Accounting-Off');
    t.deepEqual((await a.accounting.sessions({ activeSince: at(0), limit: 10 })).map((s) => s.sessionId), ['later']);
  });

  def('sessions: purge(before) drops the sessions last heard of before it', async (t, { a }) => {
    await a.accounting.append(acct(at(0), { sessionId: 'gone' }));
    await a.accounting.append(acct(at(0), { sessionId: 'kept' }));
    await a.accounting.append(acct(at(20), { sessionId: 'kept', statusType: 'interim' }));
    t.is(await a.accounting.purge(at(10)), 2);
    const [kept, ...rest] = await a.accounting.sessions({ limit: 10 });
    t.deepEqual(rest, []);
    t.is(kept?.sessionId, 'kept');
    t.deepEqual(kept?.startedAt, at(0), 'the fold keeps what the purged Start said');
  });

  // ---------------------------------------------------------------- NAS history

  def('nasHistory: note says first per account and NAS, and whether another NAS came before', async (t, { a }) => {
    t.deepEqual(await a.nasHistory.note('alice', 'ap-1', at(0)), { first: true, others: false });
    t.deepEqual(await a.nasHistory.note('ALICE', 'ap-1', at(1)), { first: false, others: false });
    t.deepEqual(await a.nasHistory.note('alice', 'vpn', at(2)), { first: true, others: true });
    t.deepEqual(await a.nasHistory.note('alice', 'ap-1', at(3)), { first: false, others: true });
    t.deepEqual(await a.nasHistory.note('bob', 'vpn', at(4)), { first: true, others: false });
    await a.nasHistory.forget('Alice');
    t.deepEqual(await a.nasHistory.note('alice', 'vpn', at(5)), { first: true, others: false });
    t.deepEqual(await a.nasHistory.note('bob', 'ap-1', at(6)), { first: true, others: true });
  });

  // ---------------------------------------------------------------- lockouts

  def('lockouts: failures within the window are counted', async (t, { a }) => {
    t.is(await a.lockouts.get('alice'), undefined);
    t.deepEqual(await a.lockouts.registerFailure('alice', { ...policy, now: at(0) }), { failures: 1, windowStart: at(0) });
    t.deepEqual(await a.lockouts.registerFailure('ALICE', { ...policy, now: at(30) }), { failures: 2, windowStart: at(0) });
    t.deepEqual(await a.lockouts.get('Alice'), { failures: 2, windowStart: at(0) });
  });

  def('lockouts: a window older than windowMs restarts', async (t, { a }) => {
    await a.lockouts.registerFailure('bob', { ...policy, now: at(0) });
    // Exactly windowMs later the window still holds; one ms more and it restarts.
    t.deepEqual(await a.lockouts.registerFailure('bob', { ...policy, now: at(60) }), { failures: 2, windowStart: at(0) });
    const late = new Date(at(60).getTime() + 1);
    t.deepEqual(await a.lockouts.registerFailure('bob', { ...policy, now: late }), { failures: 1, windowStart: late });
  });

  def('lockouts: reaching the threshold locks for lockMs', async (t, { a }) => {
    await a.lockouts.registerFailure('carol', { ...policy, now: at(0) });
    t.is((await a.lockouts.registerFailure('carol', { ...policy, now: at(1) })).lockedUntil, undefined);
    t.deepEqual(await a.lockouts.registerFailure('carol', { ...policy, now: at(2) }), { failures: 3, windowStart: at(0), lockedUntil: at(302) });
    t.deepEqual((await a.lockouts.registerFailure('carol', { ...policy, now: at(3) })).lockedUntil, at(303));
    t.deepEqual((await a.lockouts.get('carol'))?.lockedUntil, at(303));
  });

  def('lockouts: a new window does not lift a lock', async (t, { a }) => {
    const once = { ...policy, threshold: 1 };
    t.deepEqual(await a.lockouts.registerFailure('dan', { ...once, now: at(0) }), { failures: 1, windowStart: at(0), lockedUntil: at(300) });
    t.deepEqual(await a.lockouts.registerFailure('dan', { ...policy, now: at(100) }), { failures: 1, windowStart: at(100), lockedUntil: at(300) });
  });

  def('lockouts: getMany returns the states that exist, by uid key', async (t, { a }) => {
    await a.lockouts.registerFailure('Alice', { ...policy, now: at(0) });
    for (let i = 0; i < 3; i++) await a.lockouts.registerFailure('bob', { ...policy, now: at(i) });
    const got = await a.lockouts.getMany(['ALICE', 'bob', 'nobody', 'bob']);
    t.deepEqual([...got.keys()].sort(), ['alice', 'bob']);
    t.deepEqual(got.get('alice'), { failures: 1, windowStart: at(0) });
    t.deepEqual(got.get('bob'), { failures: 3, windowStart: at(0), lockedUntil: at(302) });
    t.is((await a.lockouts.getMany([])).size, 0);
  });

  def('lockouts: clear forgets failures and lock', async (t, { a }) => {
    for (let i = 0; i < 3; i++) await a.lockouts.registerFailure('erin', { ...policy, now: at(i) });
    await a.lockouts.clear('ERIN');
    t.is(await a.lockouts.get('erin'), undefined);
    t.deepEqual(await a.lockouts.registerFailure('erin', { ...policy, now: at(4) }), { failures: 1, windowStart: at(4) });
  });

  def('lockouts: concurrent failures are all counted', async (t, { a }) => {
    const wide = { windowMs: 3600 * SEC, threshold: 15, lockMs: 60 * SEC };
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.lockouts.registerFailure('fay', { ...wide, now: at(i) })));
    const s = await a.lockouts.get('fay');
    t.is(s?.failures, 20);
    // Failures 15 to 20 each lock for lockMs from their own `now`, the latest of which is at(5) or later.
    t.true(s?.lockedUntil !== undefined && s.lockedUntil >= at(60 + 5));
  });

  // ---------------------------------------------------------------- familiar sources

  def('sources: remember, list newest first since an instant, by uid key, at most limit', async (t, { a }) => {
    t.deepEqual(await a.sources.list('alice', { since: at(0), limit: 8 }), []);
    await a.sources.remember('alice', '10.0.0.1', { at: at(10), forgetBefore: at(0) });
    await a.sources.remember('ALICE', '10.0.0.2', { at: at(20), forgetBefore: at(0) });
    await a.sources.remember('alice', '10.0.0.1', { at: at(30), forgetBefore: at(0) });
    t.deepEqual(await a.sources.list('Alice', { since: at(0), limit: 8 }), [{ source: '10.0.0.1', at: at(30) }, { source: '10.0.0.2', at: at(20) }]);
    t.deepEqual(await a.sources.list('alice', { since: at(25), limit: 8 }), [{ source: '10.0.0.1', at: at(30) }]);
    t.deepEqual((await a.sources.list('alice', { since: at(0), limit: 1 })).map((s) => s.source), ['10.0.0.1']);
  });

  def('sources: remember drops entries older than forgetBefore; forget drops them all', async (t, { a, b }) => {
    await a.sources.remember('bob', '10.0.0.1', { at: at(10), forgetBefore: at(0) });
    await a.sources.remember('bob', '10.0.0.2', { at: at(50), forgetBefore: at(20) });
    t.deepEqual(await a.sources.list('bob', { since: at(0), limit: 8 }), [{ source: '10.0.0.2', at: at(50) }]);
    await b.sources.remember('bob', '10.0.0.3', { at: at(50), forgetBefore: at(0) });
    await a.sources.forget('BOB');
    t.deepEqual(await a.sources.list('bob', { since: at(0), limit: 8 }), []);
    t.deepEqual((await b.sources.list('bob', { since: at(0), limit: 8 })).map((s) => s.source), ['10.0.0.3'], "another tenant's are its own");
  });

  // ---------------------------------------------------------------- sequences

  def('sequences: the first number is start, then consecutive', async (t, { a }) => {
    t.is(await a.sequences.next('uidNumber', 10_000), 10_000);
    t.is(await a.sequences.next('uidNumber', 10_000), 10_001);
    // start only matters the first time: numbers are never handed out twice.
    t.is(await a.sequences.next('uidNumber', 500), 10_002);
    t.is(await a.sequences.next('fresh', 0), 0);
  });

  def('sequences: count reserves a block', async (t, { a }) => {
    t.is(await a.sequences.next('gidNumber', 5000, 10), 5000);
    t.is(await a.sequences.next('gidNumber', 5000), 5010);
    t.is(await a.sequences.next('gidNumber', 5000, 3), 5011);
    t.is(await a.sequences.next('gidNumber', 5000), 5014);
    await t.throwsAsync(a.sequences.next('gidNumber', 5000, 0), INVALID);
  });

  def('sequences: peek tells the next number without reserving it', async (t, { a }) => {
    t.is(await a.sequences.peek('posixId'), undefined);
    t.is(await a.sequences.next('posixId', 3000, 4), 3000);
    t.is(await a.sequences.peek('posixId'), 3004);
    t.is(await a.sequences.peek('posixId'), 3004);
    t.is(await a.sequences.next('posixId', 3000), 3004);
    t.is(await a.sequences.peek('other'), undefined);
  });

  def('sequences: concurrent callers never share a number', async (t, { a }) => {
    const got = await Promise.all(Array.from({ length: 20 }, () => a.sequences.next('uidNumber', 1000)));
    t.deepEqual(got.sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => 1000 + i));
  });

  // ---------------------------------------------------------------- devices

  def('devices: create then get in any spelling returns the normalised record', async (t, { a }) => {
    const d = newDevice('AA:BB:CC:00:11:22', { name: 'Printer 2nd floor', groups: ['Printers', 'printers', 'staff'] });
    const created = await a.devices.create(d);
    const expected = { ...d, mac: 'aabbcc001122', groups: ['printers', 'staff'], tenantId: a.tenantId };
    t.deepEqual(created, expected);
    for (const spelling of ['aabbcc001122', 'aa-bb-cc-00-11-22', 'AABB.CC00.1122', ' aabbcc-001122 ']) {
      t.deepEqual(await a.devices.get(spelling), expected, spelling);
    }
    t.true((await a.devices.get('aabbcc001122'))?.createdAt instanceof Date);
    t.is(await a.devices.get('aabbcc001123'), undefined);
    const { name: _, ...unnamed } = newDevice('aabbcc001124');
    await a.devices.create(unnamed);
    const got = await a.devices.get('aabbcc001124');
    t.false(got !== undefined && ('name' in got || 'lastSeenAt' in got || 'entryUUID' in got));
  });

  def('devices: a MAC is unique in every spelling; anything not a MAC is invalid', async (t, { a }) => {
    await a.devices.create(newDevice('aabbcc001122'));
    await t.throwsAsync(a.devices.create(newDevice('AA-BB-CC-00-11-22')), CONFLICT);
    for (const bad of ['', 'aabbcc00112', 'aabbcc0011223', 'gg:bb:cc:00:11:22', 'aa:bb-cc:00:11:22', 'aabbcc001122x', '$where']) {
      await t.throwsAsync(a.devices.create(newDevice(bad)), INVALID, bad);
      await t.throwsAsync(a.devices.get(bad), INVALID, bad);
    }
    t.is((await a.devices.list({ limit: 10 })).items.length, 1);
  });

  def('devices: update keeps mac and createdAt, moves modifiedAt; NotFound if absent', async (t, { a }) => {
    await a.devices.create(newDevice('aabbcc001122', { name: 'old' }));
    const u = await a.devices.update('AA:BB:CC:00:11:22', (d) => ({
      ...d, mac: 'ffffffffffff', createdAt: new Date(0), name: 'new', groups: ['Cameras'],
    }));
    t.is(u.mac, 'aabbcc001122');
    t.deepEqual(u.createdAt, T0);
    t.is(u.name, 'new');
    t.deepEqual(u.groups, ['cameras']);
    t.true(u.modifiedAt > T0);
    t.deepEqual(await a.devices.get('aabbcc001122'), u);
    t.is(await a.devices.get('ffffffffffff'), undefined);
    await t.throwsAsync(a.devices.update('aabbcc009999', (d) => d), NOT_FOUND);
    const { name: _, ...cleared } = u;
    t.false('name' in (await a.devices.update('aabbcc001122', () => cleared)));
  });

  def('devices: touch sets lastSeenAt only; an unknown MAC is left alone', async (t, { a }) => {
    const before = await a.devices.create(newDevice('aabbcc001122', { name: 'cam' }));
    await a.devices.touch('aa:bb:cc:00:11:22', at(60));
    t.deepEqual(await a.devices.get('aabbcc001122'), { ...before, lastSeenAt: at(60) });
    await a.devices.touch('aabbcc001122', at(7200));
    t.deepEqual((await a.devices.get('aabbcc001122'))?.lastSeenAt, at(7200));
    await a.devices.touch('aabbcc009999', at(60));
    t.is(await a.devices.get('aabbcc009999'), undefined);
    // An update after a touch keeps the stamp.
    const u = await a.devices.update('aabbcc001122', (d) => ({ ...d, name: 'camera' }));
    t.deepEqual(u.lastSeenAt, at(7200));
  });

  def('devices: list pages in MAC order, each device once', async (t, { a }) => {
    const macs = Array.from({ length: 23 }, (_, i) => `0200000000${i.toString(16).padStart(2, '0')}`);
    for (const mac of shuffled(macs)) await a.devices.create(newDevice(mac));
    const pages = await allPages((after) => a.devices.list({ limit: 5, ...(after === undefined ? {} : { after }) }), 10);
    t.is(pages.length, 5);
    t.deepEqual(pages.flat().map((d) => d.mac), macs);
    t.deepEqual((await a.devices.list({ limit: 3, after: '02:00:00:00:00:14' })).items.map((d) => d.mac), macs.slice(21));
    await t.throwsAsync(a.devices.list({ limit: 0 }), INVALID);
  });

  def('devices: delete; group removal and rename reach every device', async (t, { a }) => {
    await a.devices.create(newDevice('aabbcc000001', { groups: ['printers', 'staff'] }));
    await a.devices.create(newDevice('aabbcc000002', { groups: ['printers'] }));
    await a.devices.create(newDevice('aabbcc000003', { groups: ['cameras'] }));
    t.is(await a.devices.replaceGroupEverywhere('Printers', 'print'), 2);
    t.deepEqual((await a.devices.get('aabbcc000001'))?.groups, ['staff', 'print']);
    t.is(await a.devices.removeGroupEverywhere('print'), 2);
    t.deepEqual((await a.devices.get('aabbcc000002'))?.groups, []);
    t.deepEqual((await a.devices.get('aabbcc000003'))?.groups, ['cameras']);
    t.true(await a.devices.delete('AA-BB-CC-00-00-03'));
    t.false(await a.devices.delete('aabbcc000003'));
    t.is(await a.devices.get('aabbcc000003'), undefined);
  });

  def("tenants: B cannot read, list, change or delete A's devices", async (t, { a, b }) => {
    const cam = await a.devices.create(newDevice('aabbcc001122', { groups: ['cameras'] }));
    t.is(await b.devices.get('aabbcc001122'), undefined);
    t.deepEqual((await b.devices.list({ limit: 100 })).items, []);
    await t.throwsAsync(b.devices.update('aabbcc001122', (d) => ({ ...d, name: 'pwned' })), NOT_FOUND);
    t.false(await b.devices.delete('aabbcc001122'));
    await b.devices.touch('aabbcc001122', at(1));
    t.is(await b.devices.removeGroupEverywhere('cameras'), 0);
    t.is(await b.devices.replaceGroupEverywhere('cameras', 'pwned'), 0);
    // The same MAC in B is B's own record.
    const smuggled = { ...newDevice('aabbcc001122', { name: 'B cam' }), tenantId: a.tenantId } as NewDevice;
    t.is((await b.devices.create(smuggled)).tenantId, b.tenantId);
    t.deepEqual(await a.devices.get('aabbcc001122'), cam);
  });

  // ---------------------------------------------------------------- tenants, as an attacker

  def('tenants: an invalid tenant id is refused', async (t, { store }) => {
    for (const id of ['', 'Acme', 'a b', 'a/b', '../x', 'x'.repeat(64), '$where']) {
      t.throws(() => store.tenant(id), INVALID, id);
    }
  });

  def('tenants: the same uid in two tenants is two records', async (t, { a, b }) => {
    const ua = await a.users.create(newUser('alice', { cn: 'Alice of A' }));
    const ub = await b.users.create(newUser('alice', { cn: 'Alice of B' }));
    t.not(ua.entryUUID, ub.entryUUID);
    t.is((await a.users.get('alice'))?.cn, 'Alice of A');
    t.is((await b.users.get('alice'))?.cn, 'Alice of B');
    await b.users.update('alice', (u) => ({ ...u, cn: 'changed by B' }));
    t.true(await b.users.delete('alice'));
    t.deepEqual(await a.users.get('alice'), ua);
  });

  def("tenants: B cannot read A's users with any query", async (t, { a, b }) => {
    const alice = await a.users.create(newUser('alice', { memberOf: ['staff'], uidNumber: 4242, gidNumber: 4242 }));
    await a.users.create(newUser('bob', { memberOf: ['staff'] }));
    const queries: UserQuery[] = [
      { all: true },
      { prefix: 'uid', value: '' }, { prefix: 'mail', value: '' }, { prefix: 'cn', value: '' },
      { eq: 'uid', value: 'alice' }, { eq: 'mail', value: alice.mail ?? '' },
      { eq: 'entryUUID', value: alice.entryUUID }, { eq: 'uidNumber', value: 4242 },
      { eq: 'gidNumber', value: 4242 }, { memberOf: ['staff'] }, { in: 'uid', values: ['alice', 'bob'] },
      { and: [] }, { or: [{ all: true }, { eq: 'uid', value: 'alice' }] },
      { and: [{ all: true }, { or: [{ memberOf: ['staff'] }] }] },
    ];
    for (const q of queries) {
      const label = JSON.stringify(q);
      t.deepEqual((await b.users.find(q, { limit: 100 })).items, [], label);
      t.is(await b.users.count(q), 0, label);
      t.true((await a.users.find(q, { limit: 100 })).items.length > 0, `finds A's users in A: ${label}`);
    }
    t.deepEqual((await b.users.find({ all: true }, { limit: 100, after: '' })).items, []);
    t.is(await b.users.count(), 0);
    t.is(await b.users.get('alice'), undefined);
    t.is(await b.users.get('ALICE'), undefined);
  });

  def("tenants: B cannot change or delete A's users", async (t, { a, b }) => {
    await a.users.create(newUser('alice', { memberOf: ['staff'] }));
    const before = await a.users.get('alice');
    await t.throwsAsync(b.users.update('alice', (u) => ({ ...u, enabled: false })), NOT_FOUND);
    t.false(await b.users.delete('alice'));
    await t.throwsAsync(b.users.addMemberOf('alice', 'admins'), NOT_FOUND);
    t.is(await b.users.addMemberOfMany(['alice', 'ALICE'], 'admins'), 0);
    await t.throwsAsync(b.users.removeMemberOf('alice', 'staff'), NOT_FOUND);
    t.is(await b.users.removeGroupEverywhere('staff'), 0);
    // A record smuggling A's tenant id lands in B.
    const smuggled = { ...newUser('alice', { cn: 'Mallory' }), tenantId: a.tenantId } as NewUser;
    t.is((await b.users.create(smuggled)).tenantId, b.tenantId);
    t.deepEqual(await b.users.upsertMany([{ ...smuggled, uid: 'ALICE' }]), { inserted: 0, replaced: 1 });
    t.deepEqual(await b.users.upsertMany([{ ...newUser('bob'), tenantId: a.tenantId } as NewUser]), { inserted: 1, replaced: 0 });
    t.deepEqual(await a.users.get('alice'), before);
    t.is(await a.users.count(), 1);
    t.is(await a.users.get('bob'), undefined);
  });

  def("tenants: B cannot rename A's users or groups, nor move A's references", async (t, { a, b }) => {
    const alice = await a.users.create(newUser('alice', { memberOf: ['staff'] }));
    const staff = await a.groups.create(newGroup('staff', { memberGroups: ['eng'] }));
    const all = await a.groups.create(newGroup('all', { memberGroups: ['staff'] }));
    await t.throwsAsync(b.users.rename('alice', 'mallory'), NOT_FOUND);
    await t.throwsAsync(b.groups.rename('staff', 'pwned'), NOT_FOUND);
    t.is(await b.users.replaceGroupEverywhere('staff', 'pwned'), 0);
    t.is(await b.groups.replaceMemberGroupEverywhere('staff', 'pwned'), 0);
    // A name that B holds does not reach A's records either.
    await b.users.create(newUser('bob'));
    t.is((await b.users.rename('bob', 'alice')).tenantId, b.tenantId);
    t.deepEqual(await a.users.get('alice'), alice);
    t.deepEqual(await a.groups.get('staff'), staff);
    t.deepEqual(await a.groups.get('all'), all);
    t.is(await a.users.get('mallory'), undefined);
    t.is(await a.users.count(), 1);
  });

  def("tenants: B cannot read or change A's groups", async (t, { a, b }) => {
    const staff = await a.groups.create(newGroup('staff', { memberGroups: ['eng'], gidNumber: 4343 }));
    for (const q of [
      { all: true }, { prefix: 'name', value: '' }, { eq: 'entryUUID', value: staff.entryUUID },
      { eq: 'gidNumber', value: 4343 }, { in: 'name', values: ['staff'] }, { hasMemberGroup: ['eng'] },
      { or: [{ all: true }] },
    ] satisfies GroupQuery[]) {
      t.deepEqual((await b.groups.find(q, { limit: 100 })).items, [], JSON.stringify(q));
      t.is(await b.groups.count(q), 0, JSON.stringify(q));
    }
    t.is(await b.groups.get('staff'), undefined);
    await t.throwsAsync(b.groups.update('staff', (g) => ({ ...g, description: 'pwned' })), NOT_FOUND);
    await t.throwsAsync(b.groups.addMemberGroup('staff', 'attackers'), NOT_FOUND);
    await t.throwsAsync(b.groups.removeMemberGroup('staff', 'eng'), NOT_FOUND);
    t.is(await b.groups.removeMemberGroupEverywhere('eng'), 0);
    t.false(await b.groups.delete('staff'));
    t.deepEqual(await a.groups.get('staff'), staff);
  });

  def("tenants: B's audit and accounting neither see nor purge A's", async (t, { a, b }) => {
    await a.audit.append(event(T0));
    await a.accounting.append(acct(T0));
    t.deepEqual(await b.audit.list({ limit: 100 }), []);
    t.deepEqual(await b.audit.list({ action: 'user.create', target: 'alice', since: new Date(0), limit: 100 }), []);
    t.deepEqual(await b.accounting.list({ sessionId: 's1', limit: 100 }), []);
    t.deepEqual(await b.accounting.list({ user: 'alice', limit: 100 }), []);
    t.deepEqual(await b.accounting.sessions({ limit: 100 }), []);
    t.deepEqual(await b.accounting.sessions({ user: 'alice', activeSince: new Date(0), limit: 100 }), []);
    const future = new Date(Date.now() + 86_400_000);
    t.is(await b.audit.purge(future), 0);
    t.is(await b.accounting.purge(future), 0);
    t.is((await a.audit.list({ limit: 100 })).length, 1);
    t.is((await a.accounting.list({ limit: 100 })).length, 1);
    t.is((await a.accounting.sessions({ limit: 100 })).length, 1);
    await b.accounting.append(acct(at(1), { sessionId: '', statusType: 'on', user: undefined }));
    t.is((await a.accounting.sessions({ limit: 100 }))[0]?.stoppedAt, undefined, "B's NAS restart ends none of A's sessions");
    await a.nasHistory.note('alice', 'ap-1', T0);
    t.deepEqual(await b.nasHistory.note('alice', 'ap-2', T0), { first: true, others: false });
  });

  def("tenants: B's lockouts and sequences are B's own", async (t, { a, b }) => {
    for (let i = 0; i < 3; i++) await a.lockouts.registerFailure('alice', { ...policy, now: at(i) });
    t.is(await b.lockouts.get('alice'), undefined);
    t.deepEqual(await b.lockouts.registerFailure('alice', { ...policy, now: at(3) }), { failures: 1, windowStart: at(3) });
    await b.lockouts.clear('alice');
    t.is((await a.lockouts.get('alice'))?.failures, 3);
    t.is(await a.sequences.next('uidNumber', 1000, 5), 1000);
    t.is(await b.sequences.next('uidNumber', 1000), 1000);
    t.is(await a.sequences.next('uidNumber', 1000), 1005);
    t.is(await a.sequences.next('gidNumber', 1000), 1000);
    t.is(await b.sequences.peek('gidNumber'), undefined);
    t.deepEqual(await b.lockouts.getMany(['alice']), new Map());
  });
}
