// The conformance suite on SecantusDB, a MongoDB-wire engine on WiredTiger with a query planner:
// what FerretDB (which scans every collection and serialises updates) cannot show — two stores
// on one database losing nothing, and every hot query of the store answered from an index led by
// tenantId (explain(): IXSCAN, never COLLSCAN). The queries explained are the ones the store
// really sends: the driver's Collection methods are watched while the store is driven.
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { MongoClient } from 'mongodb';
import { silentLogger } from '../../src/core/log.ts';
import { openStore, type NewUser } from '../../src/store/index.ts';
import { explainSent, hotQueries } from '../helpers/explain.ts';
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

  const sent = await hotQueries(acme);
  t.true(sent.length >= 11, `${sent.length} queries seen`);

  const client = await new MongoClient(uri).connect();
  t.teardown(() => client.close());
  const db = client.db();
  for (const q of sent) {
    const e = await explainSent(db, q);
    t.false(e.collscan, `a scan: ${e.query}`);
    t.true(e.keyPatterns.length > 0, `no index: ${e.query}`);
    for (const k of e.keyPatterns) t.is(Object.keys(k)[0], 'tenantId', `${e.query} uses ${JSON.stringify(k)}`);
  }
});
