// The conformance suite on SecantusDB, a MongoDB-wire engine on WiredTiger with a query planner:
// what FerretDB (which scans every collection and serialises updates) cannot show — two stores
// on one database losing nothing, and every hot query of the store answered from an index led by
// tenantId (explain(): IXSCAN, never COLLSCAN). The queries explained are the ones the store
// really sends: the driver's Collection methods are watched while the store is driven.
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { Collection, MongoClient, type Document } from 'mongodb';
import { silentLogger } from '../../src/core/log.ts';
import { openStore, type NewUser } from '../../src/store/index.ts';
import { startSecantusDb } from '../helpers/mongo-server.ts';
import { runStoreConformance } from './conformance.ts';
import { runOutboxConformance } from './outbox-conformance.ts';
import { runPosixConformance } from './posix-conformance.ts';
import { runReportConformance } from './report-conformance.ts';
import { twoStoresLoseNothing } from './two-stores.ts';

const server = await startSecantusDb();
test.after.always(() => server.stop());
const logger = silentLogger();

let databases = 0;
const conformance = { name: 'secantusdb', open: () => openStore({ uri: server.dbUri(`c${++databases}`), logger }) };
runStoreConformance(conformance);
runPosixConformance(conformance);
runOutboxConformance(conformance);
runReportConformance(conformance);

test('secantusdb: two stores on one database lose no concurrent update', async (t) => {
  await twoStoresLoseNothing(t, server.dbUri('two-processes'));
});

/** Users per tenant in the explain test: enough that a scan would be visibly wrong to a planner. */
const USERS = 3_000;

const user = (i: number, groups: string[]): NewUser => ({
  uid: `u${i}`, entryUUID: randomUUID(), cn: `User ${i}`, sn: 'User', mail: `u${i}@example.org`,
  uidNumber: 100_000 + i, gidNumber: 100, homeDirectory: `/home/u${i}`, loginShell: '/bin/sh',
  sshPublicKeys: [], enabled: true, createdAt: new Date(0), modifiedAt: new Date(0), memberOf: groups,
});

interface Sent { collection: string; filter: Document; sort?: Document }

/** The filters (and sorts) the store sends through the driver while `f` runs. */
async function watchQueries(f: () => Promise<unknown>): Promise<Sent[]> {
  const sent: Sent[] = [];
  const proto = Collection.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const methods = ['find', 'findOne', 'countDocuments', 'findOneAndUpdate', 'updateOne', 'updateMany'] as const;
  const originals = methods.map((m) => proto[m]!);
  methods.forEach((m, i) => {
    proto[m] = function (this: Collection, ...args: unknown[]) {
      const result = originals[i]!.apply(this, args);
      const filter = (args[0] ?? {}) as Document;
      if (m === 'find' && result && typeof (result as { sort?: unknown }).sort === 'function') {
        // The sort is set on the cursor after find(): keep the cursor's, once chained.
        const cursor = result as { sort: (s: Document) => unknown };
        const sort = cursor.sort.bind(cursor);
        const entry: Sent = { collection: this.collectionName, filter };
        sent.push(entry);
        cursor.sort = (s: Document) => { entry.sort = s; return sort(s); };
        return result;
      }
      sent.push({ collection: this.collectionName, filter });
      return result;
    };
  });
  try {
    await f();
  } finally {
    methods.forEach((m, i) => { proto[m] = originals[i]!; });
  }
  return sent;
}

/** Every stage of a winning plan, depth first. */
function stages(plan: Document | undefined): Document[] {
  if (!plan) return [];
  return [plan, ...stages(plan['inputStage'] as Document | undefined), ...((plan['inputStages'] as Document[] | undefined) ?? []).flatMap(stages)];
}

test('secantusdb: every hot query the store sends uses an index led by tenantId (IXSCAN, never COLLSCAN)', async (t) => {
  const uri = server.dbUri('explain');
  const store = await openStore({ uri, logger });
  t.teardown(() => store.close());
  const acme = store.tenant('acme');
  const globex = store.tenant('globex');
  for (const t0 of [acme, globex]) {
    await t0.groups.create({ name: 'staff', entryUUID: randomUUID(), gidNumber: 5000, memberGroups: ['admins'], createdAt: new Date(0), modifiedAt: new Date(0) });
    await t0.groups.create({ name: 'admins', entryUUID: randomUUID(), gidNumber: 5001, memberGroups: [], createdAt: new Date(0), modifiedAt: new Date(0) });
    for (let from = 0; from < USERS; from += 1_000) {
      await t0.users.upsertMany(Array.from({ length: 1_000 }, (_, k) => user(from + k, (from + k) % 10 === 0 ? ['staff'] : [])));
    }
  }
  await acme.audit.append({ at: new Date(), actor: 'ops', action: 'user.create', target: 'u1', outcome: 'ok' });
  const policy = { now: new Date(), windowMs: 60_000, threshold: 5, lockMs: 60_000 };

  const sent = await watchQueries(async () => {
    await acme.users.get('u4242');
    await acme.users.find({ eq: 'mail', value: 'u77@example.org' }, { limit: 1 });
    await acme.users.find({ eq: 'uidNumber', value: 100_077 }, { limit: 1 });
    await acme.users.find({ memberOf: ['staff'] }, { limit: 50 });
    await acme.users.find({ prefix: 'uid', value: 'u42' }, { limit: 10 });
    await acme.groups.get('staff');
    await acme.groups.find({ hasMemberGroup: ['admins'] }, { limit: 10 });
    await acme.groups.find({ eq: 'gidNumber', value: 5000 }, { limit: 1 });
    await acme.lockouts.registerFailure('u1', policy);
    await acme.lockouts.get('u1');
    await acme.audit.list({ since: new Date(Date.now() - 3_600_000), limit: 20 });
  });
  t.true(sent.length >= 11, `${sent.length} queries seen`);

  const client = await new MongoClient(uri).connect();
  t.teardown(() => client.close());
  const db = client.db();
  for (const q of sent) {
    const cursor = db.collection(q.collection).find(q.filter);
    if (q.sort) cursor.sort(q.sort);
    const plan = (await cursor.explain('queryPlanner')) as Document;
    const all = stages(plan['queryPlanner']?.winningPlan as Document | undefined);
    const what = `${q.collection} ${JSON.stringify(q.filter)}`;
    t.false(all.some((s) => s['stage'] === 'COLLSCAN'), `a scan: ${what}`);
    const scans = all.filter((s) => s['stage'] === 'IXSCAN');
    t.true(scans.length > 0, `no index: ${what}`);
    for (const s of scans) t.is(Object.keys(s['keyPattern'] as Document)[0], 'tenantId', `${what} uses ${JSON.stringify(s['keyPattern'])}`);
  }
});
