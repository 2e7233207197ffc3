// POSIX numbers over every store adapter: the directory's one counter, its collision checks
// and `doctor` lean on store queries (numeric `in`, sequences.peek) that each adapter must
// run alike. memory.test.ts and mongo.test.ts call runPosixConformance next to the store suite.
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { Auditor } from '../../src/audit/index.ts';
import { loadConfig, type TenantConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { Directory, type Actor, type TenantDirectory } from '../../src/directory/index.ts';
import type { NewGroup, NewUser, Store, TenantStore } from '../../src/store/index.ts';
import type { ConformanceOptions } from './conformance.ts';

const FIXTURES = fileURLToPath(new URL('../directory/fixtures', import.meta.url));
const admin: Actor = { name: 'ops', protocol: 'admin' };
const CONFLICT = { code: 'TD_CONFLICT' };
const T0 = new Date('2024-01-01T00:00:00.000Z');

interface World {
  store: Store;
  /** globex: posix defaults (uidNumberStart = gidNumberStart = 10000), the ranges that collided. */
  dir: TenantDirectory;
  raw: TenantStore;
}

type Body = (t: ExecutionContext, w: World) => Promise<void>;

const loaded = await loadConfig(FIXTURES);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
const globex: TenantConfig = loaded.registry.byId('globex')!;

/** A stored user or group as earlier versions could leave them: numbers written directly. */
function rawUser(uid: string, uidNumber: number, gidNumber = uidNumber): NewUser {
  return {
    uid, entryUUID: crypto.randomUUID(), cn: uid, sn: uid, uidNumber, gidNumber, homeDirectory: `/home/${uid}`,
    loginShell: '/bin/sh', sshPublicKeys: [], enabled: true, createdAt: T0, modifiedAt: T0, memberOf: [],
  };
}

function rawGroup(name: string, gidNumber: number): NewGroup {
  return { name, entryUUID: crypto.randomUUID(), gidNumber, memberGroups: [], createdAt: T0, modifiedAt: T0 };
}

export function runPosixConformance(o: ConformanceOptions): void {
  const def = (title: string, body: Body): void => {
    (o.serial ? test.serial : test)(`${o.name}: posix: ${title}`, async (t) => {
      const store = await o.open();
      t.teardown(() => store.close());
      const directory = new Directory({ store, auditor: new Auditor(store, silentLogger()), logger: silentLogger(), bcryptCost: 4 });
      await body(t, { store, dir: directory.tenant(globex), raw: store.tenant(globex.id) });
    });
  };

  def('users and groups share one counter: no private group is ever a group', async (t, { dir }) => {
    const numbers: number[] = [];
    for (let i = 0; i < 3; i++) {
      numbers.push((await dir.createGroup({ name: `g${i}` }, admin)).gidNumber);
      const u = await dir.createUser({ uid: `u${i}` }, admin);
      t.is(u.gidNumber, u.uidNumber, 'the default primary group is the private group');
      numbers.push(u.uidNumber);
    }
    t.deepEqual(numbers, [10000, 10001, 10002, 10003, 10004, 10005]);
    t.deepEqual((await dir.doctor()).problems, []);
  });

  def('an explicit number that would collide is refused, naming the other user or group', async (t, { dir }) => {
    const admins = await dir.createGroup({ name: 'admins' }, admin);
    const bob = await dir.createUser({ uid: 'bob' }, admin);
    const asGroup = await t.throwsAsync(dir.createUser({ uid: 'eve', uidNumber: admins.gidNumber }, admin), CONFLICT);
    t.regex(asGroup?.message ?? '', /group "admins"/);
    const taken = await t.throwsAsync(dir.createUser({ uid: 'eve', uidNumber: bob.uidNumber, gidNumber: 100 }, admin), CONFLICT);
    t.regex(taken?.message ?? '', /taken by user "bob"/);
    const privateGroup = await t.throwsAsync(dir.createGroup({ name: 'wheel', gidNumber: bob.uidNumber }, admin), CONFLICT);
    t.regex(privateGroup?.message ?? '', /private group of user "bob"/);
    const twice = await t.throwsAsync(dir.createGroup({ name: 'wheel', gidNumber: admins.gidNumber }, admin), CONFLICT);
    t.regex(twice?.message ?? '', /taken by group "admins"/);
    // A primary group given explicitly is a reference, not a private group: admins as bob2's primary group is fine.
    t.like(await dir.createUser({ uid: 'bob2', uidNumber: 20000, gidNumber: admins.gidNumber }, admin), { uidNumber: 20000, gidNumber: admins.gidNumber });
    t.is(await dir.getUser('eve'), undefined);
    t.is(await dir.getGroup('wheel'), undefined);
    t.deepEqual((await dir.doctor()).problems, []);
  });

  def('an import reports each colliding row by line and imports the rest', async (t, { dir }) => {
    await dir.createGroup({ name: 'admins', gidNumber: 15000 }, admin);
    await dir.createUser({ uid: 'bob', uidNumber: 15001 }, admin);
    const summary = await dir.importBatch({
      users: [
        { line: 2, uid: 'u-group', uidNumber: 15000 },
        { line: 3, uid: 'u-bob', uidNumber: 15001, gidNumber: 100 },
        { line: 4, uid: 'u-ok', uidNumber: 15002 },
        { line: 5, uid: 'u-twice', uidNumber: 15002 },
        { line: 6, uid: 'u-fresh' },
      ],
      groups: [{ line: 8, name: 'g-bob', gidNumber: 15001 }, { line: 9, name: 'g-ok', gidNumber: 15100 }],
    }, admin);
    t.like(summary, { created: 3, failed: 4 });
    t.deepEqual(summary.errors.map((e) => [e.line, e.name]), [[8, 'g-bob'], [2, 'u-group'], [3, 'u-bob'], [5, 'u-twice']]);
    t.regex(summary.errors[0]?.message ?? '', /private group of user "bob"/);
    t.regex(summary.errors[1]?.message ?? '', /group "admins"/);
    t.regex(summary.errors[2]?.message ?? '', /taken by user "bob"/);
    t.regex(summary.errors[3]?.message ?? '', /taken by user "u-ok"/);
    // The fresh user's number comes after every explicit one.
    t.is((await dir.getUser('u-fresh'))?.uidNumber, 15101);
    t.deepEqual((await dir.doctor()).problems, []);
  });

  def('a tenant with the two counters of earlier versions continues past both', async (t, { dir, raw }) => {
    await raw.sequences.next('uidNumber', 10000, 5);
    await raw.sequences.next('gidNumber', 10000, 8);
    t.is(await raw.sequences.peek('uidNumber'), 10005);
    t.is((await dir.createUser({ uid: 'new' }, admin)).uidNumber, 10008);
    t.is((await dir.createGroup({ name: 'newgroup' }, admin)).gidNumber, 10009);
  });

  def('doctor lists each collision and how to fix it; renumbering fixes them', async (t, { dir, raw }) => {
    // What earlier versions made: bob's private group is admins' number, and two shared numbers.
    await raw.groups.create(rawGroup('admins', 10001));
    await raw.groups.create(rawGroup('ops', 10002));
    await raw.groups.create(rawGroup('ops2', 10002));
    await raw.users.create(rawUser('alice', 10000));
    await raw.users.create(rawUser('bob', 10001));
    await raw.users.create(rawUser('carol', 10003, 100));
    await raw.users.create(rawUser('carl', 10003, 100));
    await raw.sequences.next('uidNumber', 10000, 4);
    await raw.sequences.next('gidNumber', 10000, 3);
    const report = await dir.doctor();
    t.like(report, { tenant: 'globex', users: 4, groups: 3 });
    const byKind = Object.fromEntries(report.problems.map((p) => [p.kind, p]));
    t.is(report.problems.length, 3);
    t.like(byKind['private-group-is-a-group'], { number: 10001, users: ['bob'], groups: ['admins'] });
    t.regex(byKind['private-group-is-a-group']?.message ?? '', /gid=10001\(admins\), although not a member/);
    t.regex(byKind['private-group-is-a-group']?.fix ?? '', /tenantdir user renumber --tenant globex --uid bob/);
    t.like(byKind['uidNumber-shared'], { number: 10003, users: ['carl', 'carol'] });
    t.regex(byKind['uidNumber-shared']?.fix ?? '', /user renumber --tenant globex --uid carol/);
    t.like(byKind['gidNumber-shared'], { number: 10002, groups: ['ops', 'ops2'] });
    t.regex(byKind['gidNumber-shared']?.fix ?? '', /group renumber --tenant globex --group ops2/);

    const bob = await dir.renumberUser('bob', admin);
    t.is(bob.uidNumber, 10004, 'past both old counters');
    t.is(bob.gidNumber, 10004, 'the private group moves with the user');
    await dir.renumberUser('carol', admin);
    t.is((await dir.getUser('carol'))?.gidNumber, 100, 'a primary group that is not private stays');
    await t.throwsAsync(dir.renumberGroup('ops2', admin, 10000), { message: /private group of user "alice"/ });
    t.is((await dir.renumberGroup('ops2', admin, 12000)).gidNumber, 12000);
    t.deepEqual((await dir.doctor()).problems, []);
    t.is((await dir.createUser({ uid: 'next' }, admin)).uidNumber, 12001);
    const events = await raw.audit.list({ action: 'user.renumber', limit: 10 });
    t.deepEqual(events.map((e) => [e.target, e.detail?.from, e.detail?.to]), [['carol', '10003', '10005'], ['bob', '10001', '10004']]);
  });
}
