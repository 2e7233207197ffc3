// The conformance suite against MongoDB (MONGODB_URI, else FerretDB), plus what only a real
// server shows: outages, reconnection, index creation on open.
import test from 'ava';
import { MongoClient } from 'mongodb';
import type { DestinationStream } from 'pino';
import { createLogger, silentLogger, type Logger } from '../../src/core/log.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { startFerretDb, startMongo } from '../helpers/mongo-server.ts';
import { runStoreConformance } from './conformance.ts';
import { runOutboxConformance } from './outbox-conformance.ts';
import { runPosixConformance } from './posix-conformance.ts';
import { runReportConformance } from './report-conformance.ts';
import { ALICE, twoStoresLoseNothing } from './two-stores.ts';

// No server is a failure of this file, never a skip: startMongo throws and says what to do.
const mongo = await startMongo();
test.after.always(() => mongo.stop());

const logger = silentLogger();
const UNAVAILABLE = { code: 'TD_STORE_UNAVAILABLE' };

// A database per test, like a fresh store per test: small collections keep FerretDB quick.
// Serial: FerretDB on SQLite (and two CPUs) only gets slower with more clients at once.
let databases = 0;
const conformance = {
  name: 'mongo',
  open: () => openStore({ uri: mongo.dbUri(`conformance${++databases}`), logger }),
  serial: true,
};
runStoreConformance(conformance);
runPosixConformance(conformance);
runOutboxConformance(conformance);
runReportConformance(conformance);

const alice = ALICE;

/** A logger whose lines land in `lines`, as objects. */
function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination: DestinationStream = { write: (s) => void lines.push(JSON.parse(s) as Record<string, unknown>) };
  return { logger: createLogger({ destination }), lines };
}

/** Retries `op` until it resolves, for at most `ms`. */
async function eventually<T>(op: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await op();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test('mongo: an outage is StoreUnavailable, fast, and the store reconnects by itself', async (t) => {
  const server = await startFerretDb();
  t.teardown(() => server.stop());
  const store: Store = await openStore({ uri: server.dbUri('outage'), logger, serverSelectionTimeoutMS: 1000 });
  t.teardown(() => store.close());
  const acme = store.tenant('acme');
  await acme.users.create(alice);
  t.deepEqual(await store.health(), { ok: true });

  await server.kill();
  const started = Date.now();
  const err = await t.throwsAsync(acme.users.get('alice'), UNAVAILABLE);
  t.true(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  t.truthy(err?.cause);
  await t.throwsAsync(acme.audit.append({ at: new Date(), actor: 'system', action: 'x', outcome: 'ok' }), UNAVAILABLE);
  const health = await store.health();
  t.false(health.ok);
  t.is(typeof health.detail, 'string');

  await server.restart();
  const back = await eventually(() => acme.users.get('alice'), 5000);
  t.is(back?.uid, 'alice');
  t.true((await store.health()).ok);
  await acme.users.update('alice', (u) => ({ ...u, cn: 'Alice Again' }));
  t.is((await acme.users.get('alice'))?.cn, 'Alice Again');
});

test('mongo: opening on an unreachable server rejects with StoreUnavailable', async (t) => {
  const server = await startFerretDb();
  const uri = server.dbUri('gone').replace('mongodb://', 'mongodb://user:s3cret@');
  await server.stop();
  const started = Date.now();
  const err = await t.throwsAsync(openStore({ uri, logger, serverSelectionTimeoutMS: 500 }), UNAVAILABLE);
  t.true(Date.now() - started < 5000);
  t.false(`${err?.message} ${String(err?.cause)}`.includes('s3cret'));
});

test('mongo: opening twice on one database keeps the indexes (idempotent)', async (t) => {
  const uri = mongo.dbUri('twice');
  const first = await openStore({ uri, logger });
  t.teardown(() => first.close());
  await first.tenant('acme').users.create(alice);
  const second = await openStore({ uri, logger });
  t.teardown(() => second.close());
  t.is((await second.tenant('acme').users.get('ALICE'))?.uid, 'alice');
  // Uniqueness is the index's job in Mongo: it must still be there.
  await t.throwsAsync(second.tenant('acme').users.create({ ...alice, uid: 'Alice' }), { code: 'TD_CONFLICT' });
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 });
  t.teardown(() => client.close());
  const indexes = await client.db().collection('users').indexes();
  t.true(indexes.some((i) => i.unique === true && JSON.stringify(i.key) === '{"tenantId":1,"uidKey":1}'));
  t.true(indexes.filter((i) => i.name !== '_id_').every((i) => Object.keys(i.key)[0] === 'tenantId'));
  const devices = await client.db().collection('devices').indexes();
  t.true(devices.some((i) => i.unique === true && JSON.stringify(i.key) === '{"tenantId":1,"mac":1}'));
  t.true(devices.filter((i) => i.name !== '_id_').every((i) => Object.keys(i.key)[0] === 'tenantId'));
});

test('mongo: TTL indexes where the server has them, one info line where it refuses', async (t) => {
  const { logger: log, lines } = capture();
  const uri = mongo.dbUri('ttl');
  const store = await openStore({ uri, logger: log, retentionDays: { audit: 90, accounting: 30 } });
  t.teardown(() => store.close());
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 });
  t.teardown(() => client.close());
  const ttl = (await client.db().collection('audit').indexes()).some((i) => i.expireAfterSeconds === 90 * 86_400);
  const refused = lines.filter((l) => l.event === 'store.ttl');
  t.true(ttl ? refused.length === 0 : refused.length === 1 && refused[0]?.level === 30);
  t.is(lines.filter((l) => l.event === 'store.open').length, 1);
});

test('mongo: the log names the server and database, never the credentials', async (t) => {
  // FerretDB on SQLite takes any user and password with PLAIN: a URI with credentials that works.
  const server = await startFerretDb();
  t.teardown(() => server.stop());
  const { logger: log, lines } = capture();
  const uri = `${server.dbUri('creds').replace('mongodb://', 'mongodb://tenantdir:s3cret@')}?authMechanism=PLAIN`;
  const store = await openStore({ uri, logger: log });
  t.teardown(() => store.close());
  const opened = lines.find((l) => l.event === 'store.open');
  t.regex(String(opened?.store), /^mongodb:\/\/127\.0\.0\.1:\d+\/creds_/);
  const text = JSON.stringify(lines);
  t.false(text.includes('s3cret'));
  t.false(text.includes('tenantdir:'));
});

// FerretDB 1.x applies update operators as a read and a later write, atomic only within one
// connection, which is why a store uses one connection there: two processes are not safe, and
// the store says so at open. On MongoDB two stores on one database must lose nothing.
test('mongo: two stores on one database lose no concurrent update (on FerretDB: the limit is announced)', async (t) => {
  const uri = mongo.dbUri('two-processes');
  const { logger: log, lines } = capture();
  const probe = await openStore({ uri, logger: log });
  await probe.close();
  const ferret = lines.find((l) => l.event === 'store.ferretdb');
  if (ferret) {
    t.regex(String(ferret.msg), /one tenantdir per database/);
    return;
  }
  await twoStoresLoseNothing(t, uri);
});

test('mongo: audit events stored before `day` was kept are counted by day (backfilled once, per day of the range); the rollup starts with this version', async (t) => {
  const uri = mongo.dbUri(`legacy${++databases}`);
  const store = await openStore({ uri, logger });
  t.teardown(() => store.close());
  const client = await new MongoClient(uri).connect();
  t.teardown(() => client.close());
  const at = (d: number) => new Date(Date.UTC(2024, 2, 1 + d, 12));
  // As an earlier version wrote them: no `day`.
  await client.db().collection('audit').insertMany([0, 0, 1].map((d) => ({ tenantId: 'acme', at: at(d), actor: 'x', action: 'ldap.auth', outcome: 'ok', protocol: 'ldap', detail: { method: 'simple' } })));
  await store.tenant('acme').audit.append({ at: at(1), actor: 'x', action: 'ldap.auth', outcome: 'failed', protocol: 'ldap', detail: { method: 'simple' } });
  // Counts of actions the rollup does not keep come from the raw events, which get their day.
  const range = { since: at(-1), until: at(5) };
  const rows = await store.tenant('acme').audit.countByDay(range);
  t.deepEqual(rows.map((r) => `${r.day} ${r.outcome} ${r.count}`), ['2024-03-01 ok 2', '2024-03-02 failed 1', '2024-03-02 ok 1']);
  t.is(await client.db().collection('audit').countDocuments({ day: { $exists: false } }), 0);
  const msp = await store.tenants(['acme']).countByDay(range);
  t.is(msp.reduce((n, r) => n + r.count, 0), 4);
  // The daily rollup starts with the version that keeps it: events written before are not in it.
  const rolled = await store.tenant('acme').audit.countByDay({ ...range, actions: ['ldap.auth'] });
  t.deepEqual(rolled.map((r) => `${r.day} ${r.outcome} ${r.count}`), ['2024-03-02 failed 1']);
});
