// The MongoDB store: the system of record. Every document carries tenantId and every filter
// starts with it. Case-insensitive lookups use stored lowercased keys (collations are not
// portable), and the code keeps to what FerretDB, DocumentDB and Cosmos DB also run: no
// transactions, no pipeline updates, no nested arrays, single-document atomic updates only.
import { randomUUID } from 'node:crypto';
import {
  MongoBulkWriteError, MongoClient, MongoClientClosedError, MongoNetworkError, MongoNotConnectedError,
  MongoOperationTimeoutError, MongoServerClosedError, MongoServerError, MongoServerSelectionError,
  MongoTopologyClosedError, type Collection, type Db, type Document,
  type Filter, type IndexDescription, type MongoClientOptions,
} from 'mongodb';
import { Conflict, NotFound, StoreUnavailable } from '../core/errors.ts';
import { nameKey } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import type {
  AccountingRecord, AccountingRepo, AuditDayCount, AuditEvent, AuditQuery, AuditRangeQuery, AuditRepo, AuditTop,
  CrossTenantReports, FamiliarSource, LockoutRepo, LockoutState, NasHistoryRepo, NewUser, OutboxItem, OutboxRepo,
  OutboxStatus, Page, PageResult, SequenceRepo, SessionRecord, SourceRepo, Store, StoreHealth, TenantStore, UserSummary,
  UserSummaryQuery,
} from './port.ts';
import {
  ACCOUNTING_FILTERS, AUDIT_FILTERS, DEVICES, FAILED_OUTCOMES, GROUPS, MAX_REPORT_DAYS, USERS, absentUserFields,
  byDayOrder, checkClaim, checkCount, checkPage, checkRange, checkTenantId, countRollup, deviceRepo, groupRepo, keepImmutables,
  lastOfRollup, rolledUp, rollupDays, rollupOf, wholeDays, type RollupDay, nextLockout, renamed, restartCause, sessionChange, summaryCutoffs, toPage, topOrder, userRepo, utcDay, windowCutoff,
  without, type AccountingQuery, type Cond, type Doc, type Kind, type RecordOps, type Timeline,
  type TimelineQuery,
} from './records.ts';

export interface MongoStoreOptions {
  uri: string;
  dbName: string;
  logger: Logger;
  /** How long a call waits for a reachable server before StoreUnavailable (ms). */
  serverSelectionTimeoutMS?: number;
  /** Where the server supports TTL indexes, it also expires old entries itself. */
  retentionDays?: { audit: number; accounting: number };
}

type CollectionName =
  | 'users' | 'groups' | 'devices' | 'audit' | 'accounting' | 'sessions' | 'lockouts' | 'sources' | 'sequences' | 'outbox'
  | 'deliveries' | 'nasHistory' | 'auditDaily';

/** Every index leads with tenantId: no query can use one across tenants. */
const INDEXES: Record<CollectionName, IndexDescription[]> = {
  users: [
    { key: { tenantId: 1, uidKey: 1 }, unique: true },
    { key: { tenantId: 1, mailKey: 1 } },
    { key: { tenantId: 1, cnKey: 1 } },
    { key: { tenantId: 1, uidNumber: 1 } },
    { key: { tenantId: 1, gidNumber: 1 } },
    { key: { tenantId: 1, memberOf: 1 } },
    { key: { tenantId: 1, entryUUID: 1 } },
    { key: { tenantId: 1, lastLoginAt: 1 } },
  ],
  groups: [
    { key: { tenantId: 1, nameKey: 1 }, unique: true },
    { key: { tenantId: 1, gidNumber: 1 } },
    { key: { tenantId: 1, memberGroups: 1 } },
    { key: { tenantId: 1, entryUUID: 1 } },
  ],
  devices: [
    { key: { tenantId: 1, mac: 1 }, unique: true },
    { key: { tenantId: 1, groups: 1 } },
  ],
  audit: [{ key: { tenantId: 1, at: -1 } }],
  // The audit log's daily rollup: one document per tenant and UTC day (records.ts RollupDay).
  auditDaily: [{ key: { tenantId: 1, day: 1 }, unique: true }],
  accounting: [{ key: { tenantId: 1, sessionId: 1 } }, { key: { tenantId: 1, at: 1 } }],
  sessions: [
    { key: { tenantId: 1, nas: 1, sessionId: 1 }, unique: true },
    { key: { tenantId: 1, lastAt: -1 } },
    { key: { tenantId: 1, user: 1, lastAt: -1 } },
  ],
  lockouts: [{ key: { tenantId: 1, uidKey: 1 }, unique: true }],
  sources: [{ key: { tenantId: 1, uidKey: 1, source: 1 }, unique: true }, { key: { tenantId: 1, uidKey: 1, at: -1 } }],
  sequences: [{ key: { tenantId: 1, name: 1 }, unique: true }],
  outbox: [
    { key: { tenantId: 1, id: 1 }, unique: true },
    { key: { tenantId: 1, destination: 1, state: 1, availableAt: 1 } },
    { key: { tenantId: 1, createdAt: 1 } },
  ],
  deliveries: [{ key: { tenantId: 1, destination: 1 }, unique: true }],
  nasHistory: [{ key: { tenantId: 1, uidKey: 1, nas: 1 }, unique: true }],
};

const DEFAULT_SELECTION_TIMEOUT_MS = 2000;
/** Cross-tenant reports name up to this many tenants with $in, more by one range of ids. */
const MAX_IN_TENANTS = 50;
const HEALTH_TIMEOUT_MS = 1000;
/** Optimistic-concurrency and insert-race retries before giving up with Conflict. */
const MAX_ATTEMPTS = 10;
const DUPLICATE_KEY = 11000;
const NAMESPACE_NOT_FOUND = 26;
const AFTER = { returnDocument: 'after' } as const;

/**
 * What the server's aggregation can do. FerretDB 1.24's $group has $count and $sum only: where
 * $max is refused, the newest instant of each group is read by one indexed find per group
 * instead (top lists: at most their limit; the MSP view: per tenant active in the range).
 */
interface Capabilities {
  max: boolean;
  /** $cond inside $group's $sum (the MSP-wide user totals in one pass). */
  cond: boolean;
}

/** Runs a pipeline with $max; undefined (and `caps.max` off from then on) where the server refuses it. */
async function withMax(caps: Capabilities, run: () => Promise<Document[]>): Promise<Document[] | undefined> {
  if (!caps.max) return undefined;
  try {
    return await run();
  } catch (e) {
    if (!(e instanceof MongoServerError) || !/\$max/.test(e.message)) throw e;
    caps.max = false;
    return undefined;
  }
}

export class MongoStore implements Store {
  readonly kind = 'mongo' as const;
  private readonly updates = new KeyedQueue();
  private readonly caps: Capabilities = { max: true, cond: true };

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {}

  /** Connects and creates the indexes (idempotent) before resolving. */
  static async open(o: MongoStoreOptions): Promise<MongoStore> {
    const timeout = o.serverSelectionTimeoutMS ?? DEFAULT_SELECTION_TIMEOUT_MS;
    const connect = (extra: MongoClientOptions = {}): Promise<MongoClient> => guard(() => new MongoClient(o.uri, {
      appName: 'tenantdir',
      serverSelectionTimeoutMS: timeout,
      connectTimeoutMS: timeout,
      // Optional fields are absent, never null: the same shapes as the memory store.
      ignoreUndefined: true,
      ...extra,
    }).connect());
    let client = await connect();
    try {
      // FerretDB 1.x applies update operators as a read and a later write, so they are atomic
      // only among the commands of one connection: with a single connection, every update
      // and counter of this process is atomic (other processes on the same database are not).
      if (await isFerretDb(client)) {
        await client.close();
        client = await connect({ maxPoolSize: 1 });
        o.logger.info({ event: 'store.ferretdb' },
          'store: FerretDB detected; using one connection so that updates stay atomic (run one tenantdir per database)');
      }
      const store = new MongoStore(client, client.db(o.dbName));
      await guard(async () => {
        await store.ensureIndexes();
        await store.ensureTtlIndexes(o.logger, o.retentionDays);
      });
      return store;
    } catch (e) {
      await client.close().catch(() => undefined);
      throw e;
    }
  }

  tenant(id: string): TenantStore {
    checkTenantId(id);
    const col = (name: CollectionName): Collection<Document> => this.db.collection(name);
    const users = new MongoRecords(col('users'), id, USERS, this.updates);
    return {
      tenantId: id,
      users: userRepo(users, (list) => guard(() => upsertUsers(col('users'), id, list)), (q) => guard(() => summarizeUsers(col('users'), id, q))),
      groups: groupRepo(new MongoRecords(col('groups'), id, GROUPS, this.updates)),
      audit: auditRepo(col('audit'), col('auditDaily'), id, this.caps),
      accounting: accountingRepo(timeline<AccountingRecord, AccountingQuery>(col('accounting'), id, ACCOUNTING_FILTERS), col('sessions'), id),
      lockouts: lockoutRepo(col('lockouts'), id),
      sources: sourceRepo(col('sources'), id),
      sequences: sequenceRepo(col('sequences'), id),
      devices: deviceRepo(new MongoRecords(col('devices'), id, DEVICES, this.updates)),
      outbox: outboxRepo(col('outbox'), col('deliveries'), id),
      nasHistory: nasHistoryRepo(col('nasHistory'), id),
    };
  }

  tenants(ids: readonly string[]): CrossTenantReports {
    for (const id of ids) checkTenantId(id);
    const wanted = new Set(ids);
    const sorted = [...wanted].sort();
    // Many tenants: one range of the index from the first id to the last (servers scan an $in
    // of 1,000 values as 1,000 ranges, or worse), and rows of tenants not asked for are dropped
    // here; a few tenants: $in.
    const tenantId = sorted.length > MAX_IN_TENANTS
      ? { $gte: sorted[0]!, $lte: sorted[sorted.length - 1]! }
      : { $in: sorted };
    const audit = this.db.collection('audit');
    const daily = this.db.collection('auditDaily');
    const users = this.db.collection('users');
    // The rollup days of the range, per tenant asked for: one find on { tenantId, day }, shared
    // by the report's calls over the same days (counts, lockouts, newest instants).
    const read = new Map<string, Promise<Map<string, RollupDay[]>>>();
    const rollup = (q: AuditRangeQuery): Promise<Map<string, RollupDay[]>> => {
      const { first, last } = rollupDays(q);
      const key = `${first}|${last}`;
      const found = read.get(key);
      if (found) return found;
      const p = readRollup(first, last);
      p.catch(() => read.delete(key));
      read.set(key, p);
      return p;
    };
    const readRollup = async (first: string, last: string): Promise<Map<string, RollupDay[]>> => {
      const docs = await daily.find({ tenantId, day: { $gte: first, $lte: last } }, { projection: { _id: 0 } }).toArray();
      const out = new Map<string, RollupDay[]>();
      for (const d of docs) {
        const id = String(d.tenantId);
        if (wanted.has(id)) out.set(id, [...(out.get(id) ?? []), d as unknown as RollupDay]);
      }
      return out;
    };
    const perTenant = async (match: Filter<Document>): Promise<Map<string, number>> => {
      const rows = await users.aggregate([{ $match: { tenantId, ...match } }, { $group: { _id: '$tenantId', n: { $sum: 1 } } }]).toArray();
      return new Map(rows.filter((r) => wanted.has(String(r._id))).map((r) => [String(r._id), Number(r.n)]));
    };
    return {
      countByDay: (q) => guard(async () => {
        checkRange(q);
        if (rolledUp(q)) {
          const out: { tenantId: string; day: string; outcome: AuditEvent['outcome']; count: number }[] = [];
          for (const [id, days] of await rollup(q)) {
            const sums = new Map<string, number>();
            for (const r of countRollup(days, q)) sums.set(JSON.stringify([r.day, r.outcome]), (sums.get(JSON.stringify([r.day, r.outcome])) ?? 0) + r.count);
            for (const [k, count] of sums) {
              const [day, outcome] = JSON.parse(k) as [string, AuditEvent['outcome']];
              out.push({ tenantId: id, day, outcome, count });
            }
          }
          return out.sort((a, b) => cmp(a.tenantId, b.tenantId) || cmp(a.day, b.day) || cmp(a.outcome, b.outcome));
        }
        q = wholeDays(q);
        const run = () => audit.aggregate([
          { $match: auditRangeFilter(tenantId, q) },
          { $group: { _id: { tenantId: '$tenantId', day: '$day', outcome: '$outcome' }, count: { $sum: 1 } } },
        ]).toArray();
        let rows = await run();
        if (rows.some((r) => typeof r._id.day !== 'string')) {
          await backfillDays(audit, { $in: sorted }, q);
          rows = await run();
        }
        return rows.filter((r) => wanted.has(String(r._id.tenantId))).map((r) => ({ tenantId: String(r._id.tenantId), day: String(r._id.day ?? ''), outcome: r._id.outcome as AuditEvent['outcome'], count: Number(r.count) }))
          .sort((a, b) => cmp(a.tenantId, b.tenantId) || cmp(a.day, b.day) || cmp(a.outcome, b.outcome));
      }),
      lastAt: (q) => guard(async () => {
        checkRange(q);
        if (rolledUp(q)) {
          // The rollup's newest instant per tenant; on the edge days it may lie outside the
          // range, and then one indexed find for that tenant says which event is the newest in it.
          const out = new Map<string, Date>();
          for (const [id, days] of await rollup(q)) {
            const last = lastOfRollup(days, q);
            if (!last) continue;
            if (last >= q.since && last < q.until) {
              out.set(id, last);
              continue;
            }
            const [d] = await audit.find(auditRangeFilter(id, q), { projection: { at: 1 } }).sort({ at: -1 }).limit(1).toArray();
            if (d) out.set(id, d.at as Date);
          }
          return out;
        }
        const rows = await withMax(this.caps, () => audit.aggregate([
          { $match: auditRangeFilter(tenantId, q) }, { $group: { _id: '$tenantId', last: { $max: '$at' } } },
        ]).toArray());
        if (rows) return new Map(rows.filter((r) => wanted.has(String(r._id))).map((r) => [String(r._id), r.last as Date]));
        const active = await audit.aggregate([{ $match: auditRangeFilter(tenantId, q) }, { $group: { _id: '$tenantId', n: { $sum: 1 } } }]).toArray();
        const out = new Map<string, Date>();
        for (const r of active.filter((x) => wanted.has(String(x._id)))) {
          const [d] = await audit.find(auditRangeFilter(String(r._id), q), { projection: { at: 1 } }).sort({ at: -1 }).limit(1).toArray();
          if (d) out.set(String(r._id), d.at as Date);
        }
        return out;
      }),
      users: (q) => guard(async () => {
        // One pass over the users, counting with $cond; where the server's $group refuses
        // expressions (FerretDB 1.24), one $group per number.
        if (this.caps.cond) {
          try {
            const rows = await users.aggregate([{ $match: { tenantId } }, {
              $group: {
                _id: '$tenantId',
                total: { $sum: 1 },
                enabled: { $sum: { $cond: [{ $eq: ['$enabled', true] }, 1, 0] } },
                active: { $sum: { $cond: [{ $gte: ['$lastLoginAt', q.activeSince] }, 1, 0] } },
                mfaEnrolled: { $sum: { $cond: [{ $and: [{ $eq: ['$enabled', true] }, { $ifNull: ['$totp.confirmedAt', false] }] }, 1, 0] } },
              },
            }]).toArray();
            return new Map(rows.filter((r) => wanted.has(String(r._id))).map((r) => [String(r._id), {
              total: Number(r.total), enabled: Number(r.enabled), active: Number(r.active), mfaEnrolled: Number(r.mfaEnrolled),
            }]));
          } catch (e) {
            if (!(e instanceof MongoServerError)) throw e;
            this.caps.cond = false;
          }
        }
        const [total, enabled, active, mfa] = await Promise.all([
          perTenant({}),
          perTenant({ enabled: true }),
          perTenant({ lastLoginAt: { $gte: q.activeSince } }),
          perTenant({ enabled: true, 'totp.confirmedAt': { $exists: true } }),
        ]);
        return new Map([...total].map(([id, n]) => [id, { total: n, enabled: enabled.get(id) ?? 0, active: active.get(id) ?? 0, mfaEnrolled: mfa.get(id) ?? 0 }]));
      }),
    };
  }

  async health(): Promise<StoreHealth> {
    let timer: NodeJS.Timeout | undefined;
    const ping = this.db.command({ ping: 1 });
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to ping within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
    });
    try {
      await Promise.race([ping, late]);
      return { ok: true };
    } catch (e) {
      ping.catch(() => undefined);
      return { ok: false, detail: e instanceof Error ? e.message : String(e) };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async existingIndexes(collection: string): Promise<Document[]> {
    try {
      return await this.db.collection(collection).listIndexes().toArray();
    } catch (e) {
      if (e instanceof MongoServerError && e.code === NAMESPACE_NOT_FOUND) return [];
      throw e;
    }
  }

  /**
   * Creates the indexes that are missing. FerretDB 1.24 drops the connection when clients run
   * createIndexes on one collection at the same time, even for indexes that exist: so only
   * missing ones are requested, and a dropped connection is retried (the next round finds
   * what the other client made).
   */
  private async ensureIndexes(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        for (const [name, specs] of Object.entries(INDEXES)) {
          const have = new Set((await this.existingIndexes(name)).map((i) => JSON.stringify(i.key)));
          const missing = specs.filter((spec) => !have.has(JSON.stringify(spec.key)));
          if (missing.length > 0) await this.db.collection(name).createIndexes(missing);
        }
        return;
      } catch (e) {
        if (!(e instanceof MongoNetworkError) || attempt + 1 >= MAX_ATTEMPTS) throw e;
        await backoff(attempt + 3);
      }
    }
  }

  private async ensureTtlIndexes(logger: Logger, retention?: MongoStoreOptions['retentionDays']): Promise<void> {
    if (!retention) return;
    // TTL indexes are a bonus where the server has them (FerretDB 1.24 does not);
    // the periodic purge(before) is what retention relies on everywhere.
    const refused: string[] = [];
    for (const [name, days] of Object.entries(retention)) {
      try {
        await this.db.collection(name).createIndex({ at: 1 }, { expireAfterSeconds: Math.round(days * 86_400) });
      } catch (e) {
        if (!(e instanceof MongoServerError)) throw e;
        refused.push(`${name}: ${e.message}`);
      }
    }
    if (refused.length > 0) {
      logger.info({ event: 'store.ttl', outcome: 'refused', refused },
        'the server refused TTL indexes; retention relies on the periodic purge');
    }
  }
}

// ---------------------------------------------------------------- errors

async function isFerretDb(client: MongoClient): Promise<boolean> {
  const info = await guard(() => client.db('admin').command({ buildInfo: 1 }));
  return typeof info.ferretdbVersion === 'string';
}

/** What the driver throws when no server can be reached or the client is gone. */
const OUTAGES = [
  MongoServerSelectionError, MongoNetworkError, MongoNotConnectedError, MongoTopologyClosedError,
  MongoClientClosedError, MongoServerClosedError, MongoOperationTimeoutError,
];

/** Socket errors the driver (7.x) sometimes lets through unwrapped, e.g. EPIPE after a server died. */
const SOCKET_ERRORS = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

function isOutage(e: unknown): boolean {
  if (OUTAGES.some((c) => e instanceof c)) return true;
  if (!(e instanceof Error)) return false;
  // The pool's "closed" error class is not exported; its name is stable.
  return e.name === 'MongoPoolClosedError' || SOCKET_ERRORS.has(String((e as { code?: unknown }).code));
}

function isDuplicateKey(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === DUPLICATE_KEY;
}

/** Runs a driver call, turning outages into StoreUnavailable and duplicate keys into Conflict. */
async function guard<T>(op: () => Promise<T>, conflict = 'a record with this key already exists'): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (isOutage(e)) throw new StoreUnavailable('the store (MongoDB) cannot be reached', { cause: e });
    if (isDuplicateKey(e)) throw new Conflict(conflict, { cause: e });
    throw e;
  }
}

/** Inserts, or reports false when another writer inserted the same key first. */
async function insertIfAbsent(col: Collection<Document>, d: Doc): Promise<boolean> {
  try {
    await col.insertOne(d);
    return true;
  } catch (e) {
    if (isDuplicateKey(e)) return false;
    throw e;
  }
}

/** Runs tasks of one key one after another; tasks of other keys run freely. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(task);
    const tail = result.then(() => undefined, () => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/** Jittered, growing pause between optimistic retries, so that writers spread out. */
function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** Math.min(attempt + 1, 6)));
}

// ---------------------------------------------------------------- users and groups

const NOTHING: Filter<Document> = { _id: { $in: [] } };

function toFilter(c: Cond): Filter<Document> {
  if ('all' in c) return {};
  if ('and' in c) return c.and.length === 0 ? {} : { $and: c.and.map(toFilter) };
  if ('or' in c) return c.or.length === 0 ? NOTHING : { $or: c.or.map(toFilter) };
  if ('eq' in c) return { [c.field]: c.eq };
  // A key range, which every planner turns into index bounds (an anchored $regex only some do).
  // Exact but for keys that hold U+10FFFF (a noncharacter) right after the prefix.
  if ('prefix' in c) return { [c.field]: { $gte: c.prefix, $lt: `${c.prefix}\u{10FFFF}` } };
  return { [c.field]: { $in: c.in } };
}

class MongoRecords<R, N, Q> implements RecordOps<R, N, Q> {
  constructor(
    private readonly col: Collection<Document>,
    private readonly tenantId: string,
    private readonly kind: Kind<R, N, Q>,
    private readonly queue: KeyedQueue,
  ) {}

  async get(id: string): Promise<R | undefined> {
    return guard(async () => {
      const d = await this.col.findOne(this.byId(id));
      return d ? this.kind.fromStored(d) : undefined;
    });
  }

  async find(q: Q, page: Page): Promise<PageResult<R>> {
    checkPage(page);
    const after = page.after === undefined ? {} : { [this.kind.keyField]: { $gt: nameKey(page.after) } };
    return guard(async () => {
      const docs = await this.col.find(this.where(q, after))
        .sort({ [this.kind.keyField]: 1 })
        .limit(page.limit + 1)
        .toArray();
      return toPage(docs, page, this.kind);
    });
  }

  async count(q?: Q): Promise<number> {
    return guard(() => this.col.countDocuments(q === undefined ? { tenantId: this.tenantId } : this.where(q)));
  }

  async create(r: N): Promise<R> {
    const d = this.kind.toStored(this.tenantId, r);
    return guard(async () => {
      await this.col.insertOne({ ...d, rev: 0 });
      return this.kind.fromStored(d);
    }, `${this.kind.label} "${String(d[this.kind.idField])}" already exists`);
  }

  async update(id: string, fn: (old: R) => R): Promise<R> {
    return this.replace(id, (before) => keepImmutables(before, fn(structuredClone(before)), this.kind.idField));
  }

  /**
   * An update of the name and its key, with the old key and rev in the filter. A taken name is
   * looked for first: FerretDB (SQLite) reports an update that breaks a unique index as an
   * internal error, not as a duplicate key. Where a create races the rename, MongoDB's
   * duplicate key still becomes Conflict through guard.
   */
  async rename(id: string, newId: string): Promise<R> {
    const conflict = `${this.kind.label} "${newId}" already exists`;
    if (nameKey(newId) !== nameKey(id) && (await this.get(newId)) !== undefined) {
      throw (await this.get(id)) === undefined ? this.notFound(id) : new Conflict(conflict);
    }
    return this.replace(id, (before) => renamed(before, newId, this.kind.idField), conflict);
  }

  async addTo(id: string, key: string): Promise<void> {
    return this.editList(id, { [this.kind.listField]: { $ne: nameKey(key) } }, this.listEdit('$addToSet', key));
  }

  async addToMany(ids: string[], key: string): Promise<number> {
    const keys = [...new Set(ids.map(nameKey))];
    if (keys.length === 0) return 0;
    return guard(async () => {
      const named = { tenantId: this.tenantId, [this.kind.keyField]: { $in: keys } };
      const r = await this.col.updateMany({ ...named, [this.kind.listField]: { $ne: nameKey(key) } }, this.listEdit('$addToSet', key));
      // Records that already held the key were not touched; count them only when there are any.
      return r.modifiedCount === keys.length ? keys.length : this.col.countDocuments(named);
    });
  }

  async removeFrom(id: string, key: string): Promise<void> {
    return this.editList(id, { [this.kind.listField]: nameKey(key) }, this.listEdit('$pull', key));
  }

  async removeEverywhere(key: string): Promise<number> {
    return guard(async () => {
      const r = await this.col.updateMany(
        { tenantId: this.tenantId, [this.kind.listField]: nameKey(key) },
        this.listEdit('$pull', key),
      );
      return r.modifiedCount;
    });
  }

  /**
   * Two updates, as one cannot $addToSet and $pull the same array (and FerretDB lacks the
   * positional `$`): a record in between holds both keys, never neither.
   */
  async replaceEverywhere(oldKey: string, newKey: string): Promise<number> {
    if (nameKey(oldKey) === nameKey(newKey)) return 0;
    return guard(async () => {
      const holders = { tenantId: this.tenantId, [this.kind.listField]: nameKey(oldKey) };
      await this.col.updateMany(holders, this.listEdit('$addToSet', newKey));
      return (await this.col.updateMany(holders, this.listEdit('$pull', oldKey))).modifiedCount;
    });
  }

  async delete(id: string): Promise<boolean> {
    return guard(async () => (await this.col.deleteOne(this.byId(id))).deletedCount === 1);
  }

  /** Bumps rev like any write, so that a concurrent update() reads again and keeps the stamp. */
  async stamp(id: string, field: string, at: Date, olderThan?: Date): Promise<void> {
    const older = olderThan ? { $or: [{ [field]: { $exists: false } }, { [field]: { $lt: olderThan } }] } : {};
    return guard(async () => {
      await this.col.updateOne({ ...this.byId(id), ...older }, { $set: { [field]: at }, $inc: { rev: 1 } });
    });
  }

  /**
   * Read, apply `next`, and replace only if `rev` is unchanged, else read again. Changes of one
   * record from this process wait their turn, so the retries are for other processes.
   */
  private replace(id: string, next: (before: R) => R, conflict?: string): Promise<R> {
    const key = `${this.kind.label}\0${this.tenantId}\0${nameKey(id)}`;
    return this.queue.run(key, () => guard(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const old = await this.col.findOne(this.byId(id));
        if (!old) throw this.notFound(id);
        const d = this.kind.toStored(this.tenantId, next(this.kind.fromStored(old)) as unknown as N);
        const r = await this.col.replaceOne({ ...this.byId(id), rev: old.rev }, { ...d, rev: Number(old.rev) + 1 });
        if (r.matchedCount === 1) return this.kind.fromStored(d);
        await backoff(attempt);
      }
      throw new Conflict(`${this.kind.label} "${id}" kept changing; try again`);
    }, conflict));
  }

  private byId(id: string): Filter<Document> {
    return { tenantId: this.tenantId, [this.kind.keyField]: nameKey(id) };
  }

  /**
   * The tenant's filter with the query's conditions beside tenantId where their fields do not
   * clash, rather than under an $and: a planner that does not flatten $and (SecantusDB's) then
   * still sees both fields of an index such as {tenantId, mailKey}. Clashing ones stay in $and.
   */
  private where(q: Q, ...more: Filter<Document>[]): Filter<Document> {
    const filter: Filter<Document> = { tenantId: this.tenantId };
    const clashing: Filter<Document>[] = [];
    const add = (f: Filter<Document>): void => {
      const keys = Object.keys(f);
      if (keys.length === 1 && keys[0] === '$and') (f.$and as Filter<Document>[]).forEach(add);
      else if (keys.some((k) => k in filter)) clashing.push(f);
      else Object.assign(filter, f);
    };
    [toFilter(this.kind.cond(q)), ...more].forEach(add);
    return clashing.length === 0 ? filter : { ...filter, $and: clashing };
  }

  /**
   * An atomic membership edit. It is a modification like any other, and bumping rev makes a
   * concurrent update() read again instead of writing back the old list.
   */
  private listEdit(op: '$addToSet' | '$pull', key: string): Document {
    return { [op]: { [this.kind.listField]: nameKey(key) }, $set: { modifiedAt: new Date() }, $inc: { rev: 1 } };
  }

  /**
   * A membership edit only where it changes something (`when`), so that an edit that changes
   * nothing — a re-import — leaves modifiedAt and rev alone. NotFound if the record is absent.
   */
  private editList(id: string, when: Filter<Document>, edit: Document): Promise<void> {
    return guard(async () => {
      const r = await this.col.updateOne({ ...this.byId(id), ...when }, edit);
      if (r.matchedCount === 0 && (await this.col.countDocuments(this.byId(id), { limit: 1 })) === 0) throw this.notFound(id);
    });
  }

  private notFound(id: string): NotFound {
    return new NotFound(`${this.kind.label} "${id}" not found`);
  }
}

/**
 * Inserts the uids that do not exist yet with one insertMany, and updates the others with one
 * bulkWrite: field by field ($set, and $unset for the optional fields the import leaves out),
 * keeping entryUUID and createdAt. Upserting everything would be simpler, but servers without
 * index use for updates (FerretDB) make each upsert a collection scan: a migration of 100,000
 * new users would take hours instead of minutes.
 */
async function upsertUsers(col: Collection<Document>, tenantId: string, users: NewUser[]) {
  if (users.length === 0) return { inserted: 0, replaced: 0 };
  const stored = users.map((u) => USERS.toStored(tenantId, u));
  const present = new Set(
    (await col.find({ tenantId, uidKey: { $in: stored.map((d) => d.uidKey) } }, { projection: { _id: 0, uidKey: 1 } }).toArray())
      .map((d) => d.uidKey as string),
  );
  const fresh = stored.filter((d) => !present.has(d.uidKey as string));
  let raced: Doc[] = [];
  if (fresh.length > 0) {
    try {
      await col.insertMany(fresh.map((d) => ({ ...d, rev: 0 })), { ordered: false });
    } catch (e) {
      // Another writer created some of these uids in between: update those instead.
      if (!(e instanceof MongoBulkWriteError) || !isDuplicateKey(e)) throw e;
      const failed = new Set(e.writeErrors instanceof Array ? e.writeErrors.map((w) => w.index) : [e.writeErrors.index]);
      raced = fresh.filter((_, i) => failed.has(i));
    }
  }
  const updates = [...stored.filter((d) => present.has(d.uidKey as string)), ...raced];
  if (updates.length > 0) {
    await col.bulkWrite(updates.map((d) => {
      const { entryUUID: _uuid, createdAt: _created, ...rest } = d;
      const absent = absentUserFields(rest);
      return {
        updateOne: {
          filter: { tenantId, uidKey: rest.uidKey },
          update: {
            $set: rest,
            $inc: { rev: 1 },
            ...(absent.length > 0 && { $unset: Object.fromEntries(absent.map((k) => [k, ''])) }),
          },
        },
      };
    }), { ordered: false });
  }
  return { inserted: fresh.length - raced.length, replaced: updates.length };
}

// ---------------------------------------------------------------- logs, lockouts, sequences

/**
 * An append-only log, newest first on listing, purged by date. `extra` adds stored fields
 * (the audit log's `day`) that listings leave out.
 */
function timeline<T extends { at: Date }, Q extends TimelineQuery>(
  col: Collection<Document>,
  tenantId: string,
  fields: readonly (keyof Q & keyof T & string)[],
  extra: (x: T) => Doc = () => ({}),
): Timeline<T, Q> {
  const hidden = ['_id', 'tenantId', 'day'];
  return {
    append: (x) => guard(async () => {
      await col.insertOne({ ...x, ...extra(x), tenantId });
    }),
    appendMany: (xs) => guard(async () => {
      // Ordered: _ids ascend in the order given, which breaks ties of the same instant.
      if (xs.length > 0) await col.insertMany(xs.map((x) => ({ ...x, ...extra(x), tenantId })), { ordered: true });
    }),
    async list(q) {
      checkPage(q);
      const at = {
        ...(q.since !== undefined && { $gte: q.since }),
        ...(q.until !== undefined && { $lt: q.until }),
      };
      const filter: Filter<Document> = {
        ...Object.fromEntries(fields.filter((f) => q[f] !== undefined).map((f) => [f, q[f]])),
        ...(Object.keys(at).length > 0 && { at }),
        tenantId,
      };
      return guard(async () => {
        const docs = await col.find(filter).sort({ at: -1, _id: -1 }).limit(q.limit).toArray();
        return docs.map((d) => without(d, hidden) as unknown as T);
      });
    },
    purge: (before) => guard(async () => (await col.deleteMany({ tenantId, at: { $lt: before } })).deletedCount),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A report range as a filter: tenantId first, then the range of `at`, on the index { tenantId, at }. */
function auditRangeFilter(tenantId: string | Document, q: AuditRangeQuery): Filter<Document> {
  const f: Filter<Document> = { tenantId, at: { $gte: q.since, $lt: q.until } };
  const any: Filter<Document>[] = [];
  if (q.actions) any.push({ action: { $in: [...q.actions] } });
  if (q.actionPrefix !== undefined) any.push({ action: { $regex: `^${q.actionPrefix.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}` } });
  if (any.length === 1) Object.assign(f, any[0]);
  else if (any.length > 1) f.$or = any;
  if (q.exceptReasons && q.exceptReasons.length > 0) f.reason = { $nin: [...q.exceptReasons] };
  return f;
}

const DAY_MS = 86_400_000;

/**
 * Events stored before `day` was kept (earlier versions) get it: one updateMany per UTC day of
 * the range (at most MAX_REPORT_DAYS), each on the { tenantId, at } index. Runs once: afterwards
 * no event of the range lacks it.
 */
async function backfillDays(col: Collection<Document>, tenantId: string | { $in: string[] }, q: { since: Date; until: Date }): Promise<void> {
  const first = Date.UTC(q.since.getUTCFullYear(), q.since.getUTCMonth(), q.since.getUTCDate());
  for (let t = first, n = 0; t < q.until.getTime() && n <= MAX_REPORT_DAYS; t += DAY_MS, n++) {
    const from = new Date(Math.max(t, q.since.getTime()));
    const to = new Date(Math.min(t + DAY_MS, q.until.getTime()));
    await col.updateMany({ tenantId, at: { $gte: from, $lt: to }, day: { $exists: false } }, { $set: { day: utcDay(new Date(t)) } });
  }
}

/** The audit log and the report's aggregations, each a pipeline that starts with $match on { tenantId, at }. */
function auditRepo(col: Collection<Document>, daily: Collection<Document>, tenantId: string, caps: Capabilities): AuditRepo {
  const log = timeline<AuditEvent, AuditQuery>(col, tenantId, AUDIT_FILTERS, (e) => ({ day: utcDay(e.at) }));
  const failed = { outcome: { $in: [...FAILED_OUTCOMES] } };
  // After the events are written, one upsert per UTC day of them: $inc of the counts, $max of the
  // newest instants. Two first writers of a day race on the unique index: the loser retries once
  // (then the document exists and the update matches it).
  const rollUp = async (events: readonly AuditEvent[]): Promise<void> => {
    for (const [day, { inc, max }] of rollupOf(events)) {
      const update = {
        $inc: Object.fromEntries(Object.entries(inc).map(([k, n]) => [`c.${k}`, n])),
        $max: Object.fromEntries(Object.entries(max).map(([k, at]) => [`l.${k}`, at])),
      };
      const write = () => daily.updateOne({ tenantId, day }, update, { upsert: true });
      try {
        await write();
      } catch (e) {
        if (!(e instanceof MongoServerError) || e.code !== DUPLICATE_KEY) throw e;
        await write();
      }
    }
  };
  return {
    ...log,
    append: (e) => guard(async () => {
      await log.append(e);
      await rollUp([e]);
    }),
    appendMany: (es) => guard(async () => {
      await log.appendMany(es);
      await rollUp(es);
    }),
    purge: (before) => guard(async () => {
      const purged = await log.purge(before);
      await daily.deleteMany({ tenantId, day: { $lt: utcDay(before) } });
      return purged;
    }),
    countByDay: (q) => guard(async () => {
      checkRange(q);
      if (rolledUp(q)) {
        const { first, last } = rollupDays(q);
        const days = await daily.find({ tenantId, day: { $gte: first, $lte: last } }, { projection: { _id: 0 } }).toArray();
        return countRollup(days as unknown as RollupDay[], q);
      }
      q = wholeDays(q);
      const run = () => col.aggregate([
        { $match: auditRangeFilter(tenantId, q) },
        { $group: { _id: { day: '$day', protocol: '$protocol', method: '$detail.method', outcome: '$outcome' }, count: { $sum: 1 } } },
      ]).toArray();
      let rows = await run();
      if (rows.some((r) => typeof r._id.day !== 'string')) {
        await backfillDays(col, tenantId, q);
        rows = await run();
      }
      return rows.map((r): AuditDayCount => ({
        day: String(r._id.day ?? ''), protocol: String(r._id.protocol ?? ''), method: r._id.method == null ? '' : String(r._id.method),
        outcome: r._id.outcome as AuditEvent['outcome'], count: Number(r.count),
      })).sort(byDayOrder);
    }),
    topFailing: (q) => guard(async () => {
      checkRange(q);
      checkPage(q);
      const key = q.by === 'user' ? { key: '$target' } : { key: '$detail.source', nas: '$detail.nas' };
      const present = q.by === 'user' ? { target: { $exists: true } } : { 'detail.source': { $exists: true } };
      const match = { ...auditRangeFilter(tenantId, q), ...failed, ...present };
      const top = (last: Document) => col.aggregate([
        { $match: match },
        { $group: { _id: key, failures: { $sum: 1 }, ...last } },
        { $sort: { failures: -1, '_id.key': 1, '_id.nas': 1 } },
        { $limit: q.limit },
      ]).toArray();
      let rows = await withMax(caps, () => top({ lastAt: { $max: '$at' } }));
      if (!rows) {
        rows = await top({});
        for (const r of rows) {
          const which = q.by === 'user' ? { target: r._id.key } : { 'detail.source': r._id.key, ...(r._id.nas == null ? {} : { 'detail.nas': r._id.nas }) };
          const [d] = await col.find({ ...match, ...which }, { projection: { at: 1 } }).sort({ at: -1 }).limit(1).toArray();
          r.lastAt = d?.at;
        }
      }
      return rows.map((r): AuditTop => ({
        key: String(r._id.key), ...(r._id.nas == null ? {} : { nas: String(r._id.nas) }), failures: Number(r.failures), lastAt: r.lastAt as Date,
      })).sort(topOrder);
    }),
    recent: (q) => guard(async () => {
      checkRange(q);
      checkPage(q);
      const filter = auditRangeFilter(tenantId, q);
      const [count, docs] = await Promise.all([
        col.countDocuments(filter),
        col.find(filter).sort({ at: -1, _id: -1 }).limit(q.limit).toArray(),
      ]);
      return { count, items: docs.map((d) => without(d, ['_id', 'tenantId', 'day']) as unknown as AuditEvent) };
    }),
    lastAt: (q) => guard(async () => {
      const d = await col.find({ tenantId, ...(q?.actions ? { action: { $in: [...q.actions] } } : {}) }, { projection: { at: 1 } })
        .sort({ at: -1 }).limit(1).toArray();
      return d[0]?.at as Date | undefined;
    }),
  };
}

/** users.summarize as counts and capped finds, each filter led by tenantId. */
async function summarizeUsers(col: Collection<Document>, tenantId: string, q: UserSummaryQuery): Promise<UserSummary> {
  const c = summaryCutoffs(q);
  const count = (f: Filter<Document>) => col.countDocuments({ tenantId, ...f });
  const list = (f: Filter<Document>, sort: Document, projection: Document) =>
    col.find({ tenantId, ...f }, { projection: { _id: 0, ...projection } }).sort(sort).limit(q.limit).toArray();
  const never = { lastLoginAt: { $exists: false } };
  const inactive = { lastLoginAt: { $lt: c.activeSince } };
  const expiring = c.expiring && { enabled: true, 'credentials.passwordChangedAt': { $gte: c.expiring.from, $lt: c.expiring.to } };
  // Users with app passwords, streamed in uid order, keeping the first `limit` unused ones: FerretDB
  // 1.24 has neither $elemMatch with $or nor an $unwind that keeps the other fields.
  const apps = async (): Promise<UserSummary['appPasswordsUnused']> => {
    const out: UserSummary['appPasswordsUnused'] = { count: 0, items: [] };
    const cursor = col.find({ tenantId, 'appPasswords.0': { $exists: true } }, { projection: { _id: 0, uid: 1, uidKey: 1, appPasswords: 1 } }).sort({ uidKey: 1 });
    for await (const d of cursor) {
      const list = (d.appPasswords as { name: string; createdAt: Date; lastUsedAt?: Date }[])
        .filter((a) => (a.lastUsedAt ?? a.createdAt) < c.unusedSince)
        .sort((a, b) => cmp(a.name, b.name));
      out.count += list.length;
      for (const a of list) {
        if (out.items.length < q.limit) out.items.push({ uid: String(d.uid), name: a.name, ...(a.lastUsedAt ? { lastUsedAt: a.lastUsedAt } : {}) });
      }
    }
    return out;
  };
  const exempt = c.exempt.length > 0 ? { memberOf: { $in: c.exempt } } : undefined;
  const enrolled = { enabled: true, 'totp.confirmedAt': { $exists: true } };
  const [
    total, enabled, expired, active, neverCount, neverList, inactiveCount, inactiveList, expiringCount, expiringList,
    appPasswordsUnused, mfaEnrolled, mfaExempt, enrolledNotExempt,
  ] = await Promise.all([
    count({}),
    count({ enabled: true }),
    count({ expiresAt: { $lte: c.now } }),
    count({ lastLoginAt: { $gte: c.activeSince } }),
    count(never),
    list(never, { uidKey: 1 }, { uid: 1 }),
    count(inactive),
    list(inactive, { lastLoginAt: 1, uidKey: 1 }, { uid: 1, lastLoginAt: 1 }),
    expiring ? count(expiring) : 0,
    expiring ? list(expiring, { 'credentials.passwordChangedAt': 1, uidKey: 1 }, { uid: 1, 'credentials.passwordChangedAt': 1 }) : [],
    apps(),
    count(enrolled),
    exempt ? count({ enabled: true, ...exempt }) : 0,
    count(exempt ? { ...enrolled, memberOf: { $nin: c.exempt } } : enrolled),
  ]);
  return {
    total,
    enabled,
    disabled: total - enabled,
    expired,
    active,
    neverLoggedIn: { count: neverCount, users: neverList.map((d) => String(d.uid)) },
    inactive: { count: inactiveCount, users: inactiveList.map((d) => ({ uid: String(d.uid), lastLoginAt: d.lastLoginAt as Date })) },
    passwordsExpiring: {
      count: expiringCount,
      users: expiringList.map((d) => ({ uid: String(d.uid), expiresAt: new Date((d.credentials.passwordChangedAt as Date).getTime() + c.expiring!.maxAgeMs) })),
    },
    appPasswordsUnused,
    mfa: { enrolled: mfaEnrolled, exempt: mfaExempt, notExempt: enabled - mfaExempt, enrolledNotExempt },
  };
}

/**
 * The accounting log, with each record folded into its session document by one upsert of
 * update operators (records.ts sessionChange), which every MongoDB-wire server runs.
 */
function accountingRepo(log: Timeline<AccountingRecord, AccountingQuery>, sessions: Collection<Document>, tenantId: string): AccountingRepo {
  const fold = async (r: AccountingRecord): Promise<void> => {
    const change = sessionChange(r);
    if (change) {
      const update = { $min: change.min, $max: change.max, ...(Object.keys(change.set).length > 0 && { $set: change.set }) };
      // Two upserts of a new session at once: one inserts, the other's duplicate key means it
      // now exists, and the update applies on a second try.
      for (let attempt = 0; ; attempt++) {
        try {
          await sessions.updateOne({ tenantId, ...change.key }, update, { upsert: true });
          break;
        } catch (e) {
          if (!isDuplicateKey(e) || attempt > 0) throw e;
        }
      }
    }
    const cause = restartCause(r);
    if (cause !== undefined) {
      await sessions.updateMany(
        { tenantId, nas: r.nas, stoppedAt: { $exists: false }, lastAt: { $lte: r.at } },
        { $set: { stoppedAt: r.at, stopCause: cause } },
      );
    }
  };
  return {
    async append(r) {
      await log.append(r);
      await guard(() => fold(r));
    },
    list: (q) => log.list(q),
    async sessions(q) {
      checkPage(q);
      const since = [q.since, q.activeSince].filter((d) => d !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
      const filter: Filter<Document> = {
        tenantId,
        ...(q.user !== undefined && { user: q.user }),
        ...(since !== undefined && { lastAt: { $gte: since } }),
        ...(q.activeSince !== undefined && { stoppedAt: { $exists: false } }),
      };
      return guard(async () => {
        const docs = await sessions.find(filter).sort({ lastAt: -1, nas: 1, sessionId: 1 }).limit(q.limit).toArray();
        return docs.map((d) => without(d, ['_id', 'tenantId']) as unknown as SessionRecord);
      });
    },
    async purge(before) {
      const purged = await log.purge(before);
      await guard(() => sessions.deleteMany({ tenantId, lastAt: { $lt: before } }));
      return purged;
    },
  };
}

/** One document per account and NAS; the unique index makes `first` true for one caller only. */
function nasHistoryRepo(col: Collection<Document>, tenantId: string): NasHistoryRepo {
  const byUid = (uid: string) => ({ tenantId, uidKey: nameKey(uid) });
  return {
    note: (uid, nas, at) => guard(async () => {
      let first: boolean;
      try {
        first = (await col.updateOne({ ...byUid(uid), nas }, { $setOnInsert: { at } }, { upsert: true })).upsertedCount === 1;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        first = false; // another login through this NAS inserted it in between
      }
      const others = (await col.countDocuments({ ...byUid(uid), nas: { $ne: nas } }, { limit: 1 })) > 0;
      return { first, others };
    }),
    forget: (uid) => guard(async () => {
      await col.deleteMany(byUid(uid));
    }),
  };
}

function lockoutRepo(col: Collection<Document>, tenantId: string): LockoutRepo {
  const byUid = (uid: string) => ({ tenantId, uidKey: nameKey(uid) });
  const state = (d: Doc) => without(d, ['_id', 'tenantId', 'uidKey']) as unknown as LockoutState;
  return {
    get: (uid) => guard(async () => {
      const d = await col.findOne(byUid(uid));
      return d ? state(d) : undefined;
    }),
    getMany: (uids) => guard(async () => {
      const docs = await col.find({ tenantId, uidKey: { $in: [...new Set(uids.map(nameKey))] } }).toArray();
      return new Map(docs.map((d) => [String(d.uidKey), state(d)]));
    }),
    async registerFailure(uid, o) {
      checkCount('threshold', o.threshold, 1);
      const id = byUid(uid);
      const cutoff = windowCutoff(o);
      const first = nextLockout(undefined, o);
      const lock = { $max: { lockedUntil: new Date(o.now.getTime() + o.lockMs) } };
      // Read to pick the case, then apply it with its precondition in the filter: if another
      // failure got in between, the update misses and the loop reads again.
      return guard(async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const old = await col.findOne(id);
          if (!old) {
            if (await insertIfAbsent(col, { ...id, ...first })) return first;
            continue;
          }
          const inWindow = old.windowStart >= cutoff;
          const locks = inWindow ? Number(old.failures) + 1 >= o.threshold : first.lockedUntil !== undefined;
          const d = await col.findOneAndUpdate(
            inWindow
              ? { ...id, windowStart: { $gte: cutoff }, failures: { [locks ? '$gte' : '$lt']: o.threshold - 1 } }
              : { ...id, windowStart: { $lt: cutoff } },
            {
              ...(inWindow ? { $inc: { failures: 1 } } : { $set: { failures: 1, windowStart: o.now } }),
              ...(locks && lock),
            },
            AFTER,
          );
          if (d) return state(d);
        }
        throw new Conflict(`lockout state of "${uid}" kept changing; try again`);
      });
    },
    clear: (uid) => guard(async () => {
      await col.deleteOne(byUid(uid));
    }),
  };
}

/** One document per account and source; upserts race harmlessly (the later instant wins or ties). */
function sourceRepo(col: Collection<Document>, tenantId: string): SourceRepo {
  const byUid = (uid: string) => ({ tenantId, uidKey: nameKey(uid) });
  return {
    list: (uid, o) => guard(async () => {
      const docs = await col.find({ ...byUid(uid), at: { $gte: o.since } }).sort({ at: -1 }).limit(o.limit).toArray();
      return docs.map((d): FamiliarSource => ({ source: String(d.source), at: d.at as Date }));
    }),
    remember: (uid, source, o) => guard(async () => {
      await col.updateOne({ ...byUid(uid), source }, { $set: { at: o.at } }, { upsert: true });
      await col.deleteMany({ ...byUid(uid), at: { $lt: o.forgetBefore } });
    }),
    forget: (uid) => guard(async () => {
      await col.deleteMany(byUid(uid));
    }),
  };
}

/** Stores the next free number; the first caller inserts it, racing callers retry the $inc. */
function sequenceRepo(col: Collection<Document>, tenantId: string): SequenceRepo {
  return {
    async next(name, start, count = 1) {
      checkCount('count', count, 1);
      checkCount('start', start, 0);
      return guard(async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const d = await col.findOneAndUpdate({ tenantId, name }, { $inc: { next: count } }, AFTER);
          if (d) return Number(d.next) - count;
          if (await insertIfAbsent(col, { tenantId, name, next: start + count })) return start;
        }
        throw new Conflict(`sequence "${name}" kept changing; try again`);
      });
    },
    peek: (name) => guard(async () => {
      const d = await col.findOne({ tenantId, name });
      return d ? Number(d.next) : undefined;
    }),
  };
}

/**
 * One document per item; `availableAt` is both when it is due and, while claimed, when the lease
 * runs out, so one indexed range finds what may be claimed. A claim is one findOneAndUpdate per
 * item: atomic on MongoDB, so two processes never hold one item.
 */
function outboxRepo(col: Collection<Document>, deliveries: Collection<Document>, tenantId: string): OutboxRepo {
  const held = (item: OutboxItem) => ({ tenantId, id: item.id, state: 'pending', lease: item.lease });
  const note = (destination: string, set: Document) =>
    deliveries.updateOne({ tenantId, destination }, { $set: set }, { upsert: true });
  return {
    enqueue: (items, now) => guard(async () => {
      if (items.length === 0) return;
      await col.insertMany(items.map((x) => ({
        tenantId, id: randomUUID(), destination: x.destination, event: x.event,
        createdAt: now, attempts: 0, state: 'pending', availableAt: now,
      })), { ordered: true });
    }),
    async claim(destination, o) {
      checkClaim(o);
      return guard(async () => {
        const claimed: OutboxItem[] = [];
        while (claimed.length < o.limit) {
          const lease = randomUUID();
          const d = await col.findOneAndUpdate(
            { tenantId, destination, state: 'pending', availableAt: { $lte: o.now } },
            { $set: { lease, availableAt: new Date(o.now.getTime() + o.leaseMs) } },
            { sort: { availableAt: 1 }, ...AFTER },
          );
          if (!d) break;
          claimed.push({
            id: String(d.id), destination, event: d.event as AuditEvent,
            createdAt: d.createdAt as Date, attempts: Number(d.attempts), lease,
          });
        }
        return claimed;
      });
    },
    delivered: (item, at) => guard(async () => {
      await col.deleteOne({ tenantId, id: item.id });
      await note(item.destination, { lastSuccessAt: at });
    }),
    failed: (item, o) => guard(async () => {
      const r = await col.updateOne(held(item), {
        $inc: { attempts: 1 },
        $unset: { lease: '' },
        $set: o.retryAt ? { availableAt: o.retryAt } : { state: 'dead' },
      });
      if (r.matchedCount === 0) return false;
      await note(item.destination, { lastFailure: { at: o.at, error: o.error, ...(o.status === undefined ? {} : { status: o.status }) } });
      return true;
    }),
    release: (item, at) => guard(async () => {
      await col.updateOne(held(item), { $unset: { lease: '' }, $set: { availableAt: at } });
    }),
    status: (destination) => guard(async () => {
      const mine = { tenantId, destination };
      const [pending, dead, oldest, last] = await Promise.all([
        col.countDocuments({ ...mine, state: 'pending' }),
        col.countDocuments({ ...mine, state: 'dead' }),
        col.find({ ...mine, state: 'pending' }).sort({ createdAt: 1 }).limit(1).toArray(),
        deliveries.findOne(mine),
      ]);
      const s: OutboxStatus = { pending, dead };
      if (oldest[0]) s.oldestPendingAt = oldest[0].createdAt as Date;
      if (last?.lastSuccessAt) s.lastSuccessAt = last.lastSuccessAt as Date;
      if (last?.lastFailure) s.lastFailure = last.lastFailure as NonNullable<OutboxStatus['lastFailure']>;
      return s;
    }),
    purge: (before) => guard(async () => (await col.deleteMany({ tenantId, createdAt: { $lt: before } })).deletedCount),
  };
}
