// Shared by test/store/secantusdb.test.ts and bench/store/explain-100k.ts: the hot queries the
// store sends (watched on the driver's Collection methods while the store is driven) and their
// explain() plans, so the test and the benchmark check exactly the same queries.
import { Collection, type Db, type Document } from 'mongodb';
import type { TenantStore } from '../../src/store/index.ts';

export interface Sent { collection: string; filter: Document; sort?: Document }

/** The filters (and sorts) the store sends through the driver while `f` runs. */
export async function watchQueries(f: () => Promise<unknown>): Promise<Sent[]> {
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

/**
 * Drives every hot query of the store on `tenant` (data expected: users u0…, group `staff` with
 * member group `admins`, gidNumber 5000, an audit event in the last hour) and returns what it sent.
 */
export function hotQueries(tenant: TenantStore): Promise<Sent[]> {
  const policy = { now: new Date(), windowMs: 60_000, threshold: 5, lockMs: 60_000 };
  return watchQueries(async () => {
    await tenant.users.get('u4242');
    await tenant.users.find({ eq: 'mail', value: 'u77@example.org' }, { limit: 1 });
    await tenant.users.find({ eq: 'uidNumber', value: 100_077 }, { limit: 1 });
    await tenant.users.find({ memberOf: ['staff'] }, { limit: 50 });
    await tenant.users.find({ prefix: 'uid', value: 'u42' }, { limit: 10 });
    await tenant.groups.get('staff');
    await tenant.groups.find({ hasMemberGroup: ['admins'] }, { limit: 10 });
    await tenant.groups.find({ eq: 'gidNumber', value: 5000 }, { limit: 1 });
    await tenant.lockouts.registerFailure('u1', policy);
    await tenant.lockouts.get('u1');
    await tenant.audit.list({ since: new Date(Date.now() - 3_600_000), limit: 20 });
  });
}

/** Every stage of a winning plan, depth first. */
export function stages(plan: Document | undefined): Document[] {
  if (!plan) return [];
  return [plan, ...stages(plan['inputStage'] as Document | undefined), ...((plan['inputStages'] as Document[] | undefined) ?? []).flatMap(stages)];
}

export interface Explained {
  query: string;
  /** Winning plan stages, depth first (e.g. LIMIT < FETCH < IXSCAN). */
  stages: string[];
  /** The key patterns of the plan's IXSCANs. */
  keyPatterns: Document[];
  indexNames: string[];
  collscan: boolean;
  /** An IXSCAN present and every IXSCAN led by tenantId. */
  tenantLed: boolean;
  keysExamined?: number;
  docsExamined?: number;
  ms?: number;
}

/** explain() of one sent query, as the store sent it (filter and sort). */
export async function explainSent(db: Db, q: Sent, verbosity: 'queryPlanner' | 'executionStats' = 'queryPlanner'): Promise<Explained> {
  const cursor = db.collection(q.collection).find(q.filter);
  if (q.sort) cursor.sort(q.sort);
  const plan = (await cursor.explain(verbosity)) as Document;
  const all = stages(plan['queryPlanner']?.winningPlan as Document | undefined);
  const scans = all.filter((s) => s['stage'] === 'IXSCAN');
  const keyPatterns = scans.map((s) => s['keyPattern'] as Document);
  const stats = plan['executionStats'] as Document | undefined;
  return {
    query: `${q.collection} ${JSON.stringify(q.filter)}${q.sort ? ` sort ${JSON.stringify(q.sort)}` : ''}`,
    stages: all.map((s) => String(s['stage'])),
    keyPatterns,
    indexNames: scans.map((s) => String(s['indexName'] ?? '?')),
    collscan: all.some((s) => s['stage'] === 'COLLSCAN'),
    tenantLed: scans.length > 0 && keyPatterns.every((k) => Object.keys(k)[0] === 'tenantId'),
    ...(stats ? { keysExamined: Number(stats['totalKeysExamined']), docsExamined: Number(stats['totalDocsExamined']), ms: Number(stats['executionTimeMillis']) } : {}),
  };
}
