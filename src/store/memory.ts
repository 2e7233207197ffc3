// The in-memory store: development and tests. Nothing persists. It passes the same conformance
// suite as mongo.ts, so code tested against it behaves the same in production. Every value
// that goes in or comes out is a copy: callers cannot reach stored state.
import { randomUUID } from 'node:crypto';
import { Conflict, NotFound } from '../core/errors.ts';
import { nameKey } from '../core/ids.ts';
import type {
  AccountingRecord, AccountingRepo, AuditDayCount, AuditEvent, AuditQuery, AuditRepo, AuditTop, CrossTenantReports,
  FamiliarSource, LockoutRepo, LockoutState, NasHistoryRepo, OutboxRepo, OutboxStatus, Page, PageResult, SequenceRepo,
  SessionQuery, SessionRecord, SourceRepo, Store, StoreHealth, TenantStore, UserRecord, UserSummary, UserSummaryQuery,
} from './port.ts';
import {
  ACCOUNTING_FILTERS, AUDIT_FILTERS, DEVICES, FAILED_OUTCOMES, GROUPS, KEPT_ON_REPLACE, USERS, byDayOrder, checkClaim,
  checkCount, checkPage, checkRange, checkTenantId, countRollup, detailKey, deviceRepo, groupRepo, inAuditRange, keepImmutables,
  lastOfRollup, nextLockout, renamed, restartCause, rolledUp, rollupOf, sessionChange, summaryCutoffs, toPage, topOrder, userRepo, utcDay,
  wholeDays, type AccountingQuery, type RollupDay, type Cond, type Doc, type Kind, type OutboxDoc, type RecordOps, type SessionChange, type Timeline,
  type TimelineQuery,
} from './records.ts';

/** `seq` is append order: it breaks ties between entries of the same instant (newest first). */
interface Entry<T> {
  seq: number;
  item: T;
}

interface TenantData {
  users: Map<string, Doc>;
  groups: Map<string, Doc>;
  devices: Map<string, Doc>;
  audit: Entry<AuditEvent>[];
  /** The audit log's daily rollup (records.ts RollupDay) by UTC day. */
  daily: Map<string, RollupDay>;
  accounting: Entry<AccountingRecord>[];
  /** JSON [nas, sessionId] → the session. */
  sessions: Map<string, SessionRecord>;
  lockouts: Map<string, LockoutState>;
  /** uid name key → source → last success. */
  sources: Map<string, Map<string, Date>>;
  /** name → the next number to hand out. */
  sequences: Map<string, number>;
  /** Outbox items by id, in enqueue order. */
  outbox: Map<string, OutboxDoc>;
  /** Destination → its last success and failure. */
  deliveries: Map<string, Pick<OutboxStatus, 'lastSuccessAt' | 'lastFailure'>>;
  /** uid name key → the NAS it logged in through. */
  nasHistory: Map<string, Set<string>>;
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly byTenant = new Map<string, TenantData>();
  private seq = 0;

  tenant(id: string): TenantStore {
    checkTenantId(id);
    const d = this.data(id);
    const nextSeq = (): number => ++this.seq;
    const users = new MemoryRecords(id, d.users, USERS);
    return {
      tenantId: id,
      users: userRepo(users, async (list) => users.upsertMany(list), async (q) => summarize(d.users, q)),
      groups: groupRepo(new MemoryRecords(id, d.groups, GROUPS)),
      audit: auditRepo(d.audit, d.daily, nextSeq),
      accounting: accountingRepo(timeline<AccountingRecord, AccountingQuery>(d.accounting, nextSeq, ACCOUNTING_FILTERS), d.sessions),
      lockouts: lockoutRepo(d.lockouts),
      sources: sourceRepo(d.sources),
      sequences: sequenceRepo(d.sequences),
      devices: deviceRepo(new MemoryRecords(id, d.devices, DEVICES)),
      outbox: outboxRepo(d.outbox, d.deliveries),
      nasHistory: nasHistoryRepo(d.nasHistory),
    };
  }

  tenants(ids: readonly string[]): CrossTenantReports {
    for (const id of ids) checkTenantId(id);
    const each = (): [string, TenantData][] => [...new Set(ids)].map((id) => [id, this.data(id)]);
    return {
      async countByDay(q) {
        checkRange(q);
        const rows = new Map<string, { tenantId: string; day: string; outcome: AuditEvent['outcome']; count: number }>();
        const add = (tenantId: string, day: string, outcome: AuditEvent['outcome'], n: number): void => {
          const key = JSON.stringify([tenantId, day, outcome]);
          const row = rows.get(key) ?? { tenantId, day, outcome, count: 0 };
          row.count += n;
          rows.set(key, row);
        };
        const whole = wholeDays(q);
        for (const [tenantId, d] of each()) {
          if (rolledUp(q)) {
            for (const r of countRollup([...d.daily.values()], q)) add(tenantId, r.day, r.outcome, r.count);
            continue;
          }
          for (const { item } of d.audit) if (inAuditRange(item, whole)) add(tenantId, utcDay(item.at), item.outcome, 1);
        }
        return [...rows.values()].sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : a.day < b.day ? -1 : a.day > b.day ? 1 : a.outcome < b.outcome ? -1 : 1));
      },
      async lastAt(q) {
        checkRange(q);
        const out = new Map<string, Date>();
        for (const [tenantId, d] of each()) {
          // As mongo.ts: the rollup's newest instant, unless it lies outside the range (the edge days).
          const rolled = rolledUp(q) ? lastOfRollup([...d.daily.values()], q) : undefined;
          if (rolled && rolled >= q.since && rolled < q.until) {
            out.set(tenantId, new Date(rolled));
            continue;
          }
          if (rolledUp(q) && !rolled) continue;
          for (const { item } of d.audit) {
            if (!inAuditRange(item, q)) continue;
            const was = out.get(tenantId);
            if (!was || item.at > was) out.set(tenantId, new Date(item.at));
          }
        }
        return out;
      },
      async users(q) {
        const out = new Map<string, { total: number; enabled: number; active: number; mfaEnrolled: number }>();
        for (const [tenantId, d] of each()) {
          const row = { total: 0, enabled: 0, active: 0, mfaEnrolled: 0 };
          for (const u of d.users.values()) {
            row.total++;
            if (u.enabled) row.enabled++;
            if (u.lastLoginAt instanceof Date && u.lastLoginAt >= q.activeSince) row.active++;
            if (u.enabled && (u.totp as UserRecord['totp'])?.confirmedAt) row.mfaEnrolled++;
          }
          if (row.total > 0) out.set(tenantId, row);
        }
        return out;
      },
    };
  }

  async health(): Promise<StoreHealth> {
    return { ok: true, detail: 'in-memory store: nothing persists' };
  }

  async close(): Promise<void> {
    this.byTenant.clear();
  }

  private data(id: string): TenantData {
    let data = this.byTenant.get(id);
    if (!data) {
      data = {
        users: new Map(), groups: new Map(), devices: new Map(), audit: [], daily: new Map(), accounting: [], sessions: new Map(),
        lockouts: new Map(), sources: new Map(), sequences: new Map(), outbox: new Map(), deliveries: new Map(),
        nasHistory: new Map(),
      };
      this.byTenant.set(id, data);
    }
    return data;
  }
}

function matches(d: Doc, c: Cond): boolean {
  if ('all' in c) return true;
  if ('and' in c) return c.and.every((x) => matches(d, x));
  if ('or' in c) return c.or.some((x) => matches(d, x));
  const v = d[c.field];
  if ('eq' in c) return v === c.eq;
  if ('prefix' in c) return typeof v === 'string' && v.startsWith(c.prefix);
  return Array.isArray(v) ? v.some((x) => c.in.includes(x)) : c.in.includes(v as string | number);
}

class MemoryRecords<R, N, Q> implements RecordOps<R, N, Q> {
  constructor(
    private readonly tenantId: string,
    private readonly docs: Map<string, Doc>,
    private readonly kind: Kind<R, N, Q>,
  ) {}

  async get(id: string): Promise<R | undefined> {
    const d = this.docs.get(nameKey(id));
    return d && this.out(d);
  }

  async find(q: Q, page: Page): Promise<PageResult<R>> {
    checkPage(page);
    const after = page.after === undefined ? undefined : nameKey(page.after);
    const hits = this.matching(q)
      .filter(([key]) => after === undefined || key > after)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, page.limit + 1)
      .map(([, d]) => structuredClone(d));
    return toPage(hits, page, this.kind);
  }

  async count(q?: Q): Promise<number> {
    return q === undefined ? this.docs.size : this.matching(q).length;
  }

  async create(r: N): Promise<R> {
    const d = this.kind.toStored(this.tenantId, structuredClone(r));
    const key = d[this.kind.keyField] as string;
    if (this.docs.has(key)) throw this.exists(String(d[this.kind.idField]));
    this.docs.set(key, d);
    return this.out(d);
  }

  async update(id: string, fn: (old: R) => R): Promise<R> {
    return this.replace(id, (old) => keepImmutables(old, fn(structuredClone(old)), this.kind.idField));
  }

  async rename(id: string, newId: string): Promise<R> {
    this.stored(id);
    if (nameKey(newId) !== nameKey(id) && this.docs.has(nameKey(newId))) throw this.exists(newId);
    return this.replace(id, (old) => renamed(old, newId, this.kind.idField));
  }

  async addTo(id: string, key: string): Promise<void> {
    this.editList(id, (list) => (list.includes(nameKey(key)) ? list : [...list, nameKey(key)]));
  }

  async addToMany(ids: string[], key: string): Promise<number> {
    let found = 0;
    for (const id of new Set(ids.map(nameKey))) {
      if (!this.docs.has(id)) continue;
      await this.addTo(id, key);
      found++;
    }
    return found;
  }

  async removeFrom(id: string, key: string): Promise<void> {
    this.editList(id, (list) => list.filter((k) => k !== nameKey(key)));
  }

  async removeEverywhere(key: string): Promise<number> {
    const k = nameKey(key);
    return this.editEverywhere(k, (list) => list.filter((x) => x !== k));
  }

  async replaceEverywhere(oldKey: string, newKey: string): Promise<number> {
    const [from, to] = [nameKey(oldKey), nameKey(newKey)];
    if (from === to) return 0;
    // As Mongo's $addToSet then $pull: the new key goes last.
    return this.editEverywhere(from, (list) => [...new Set([...list, to])].filter((x) => x !== from));
  }

  async delete(id: string): Promise<boolean> {
    return this.docs.delete(nameKey(id));
  }

  async stamp(id: string, field: string, at: Date, olderThan?: Date): Promise<void> {
    const d = this.docs.get(nameKey(id));
    if (!d) return;
    const was = d[field];
    if (olderThan && was instanceof Date && was >= olderThan) return;
    d[field] = new Date(at);
  }

  /** Users only: insert or replace each, keeping entryUUID and createdAt of a replaced one. */
  upsertMany(list: readonly N[]): { inserted: number; replaced: number } {
    const docs = list.map((r) => this.kind.toStored(this.tenantId, structuredClone(r)));
    let inserted = 0;
    for (const d of docs) {
      const key = d[this.kind.keyField] as string;
      const old = this.docs.get(key);
      if (old) {
        Object.assign(d, { entryUUID: old.entryUUID, createdAt: old.createdAt });
        for (const k of KEPT_ON_REPLACE) if (old[k] !== undefined) d[k] = old[k];
      }
      else inserted++;
      this.docs.set(key, d);
    }
    return { inserted, replaced: docs.length - inserted };
  }

  private matching(q: Q): [string, Doc][] {
    const c = this.kind.cond(q);
    return [...this.docs.entries()].filter(([, d]) => matches(d, c));
  }

  /**
   * Replaces a record by `next` of it, under the key of its (possibly new) id. No await between
   * read and write: nothing can get in between, so `next` runs once.
   */
  private replace(id: string, next: (old: R) => R): R {
    const old = this.stored(id);
    const d = this.kind.toStored(this.tenantId, structuredClone(next(this.out(old))) as unknown as N);
    this.docs.delete(nameKey(id));
    this.docs.set(d[this.kind.keyField] as string, d);
    return this.out(d);
  }

  private stored(id: string): Doc {
    const d = this.docs.get(nameKey(id));
    if (!d) throw this.notFound(id);
    return d;
  }

  /** Edits the list of every record whose list holds `key`; returns how many. */
  private editEverywhere(key: string, edit: (list: string[]) => string[]): number {
    let changed = 0;
    for (const d of this.docs.values()) {
      const list = d[this.kind.listField] as string[];
      if (list.includes(key)) {
        this.touch(d, edit(list));
        changed++;
      }
    }
    return changed;
  }

  /** An edit that changes nothing (a re-import) is no modification: modifiedAt stays. */
  private editList(id: string, edit: (list: string[]) => string[]): void {
    const d = this.stored(id);
    const before = d[this.kind.listField] as string[];
    const after = edit(before);
    if (after.length !== before.length || after.some((k, i) => k !== before[i])) this.touch(d, after);
  }

  /** A membership edit is a modification like any other. */
  private touch(d: Doc, list: string[]): void {
    d[this.kind.listField] = list;
    d.modifiedAt = new Date();
  }

  private exists(id: string): Conflict {
    return new Conflict(`${this.kind.label} "${id}" already exists`);
  }

  private notFound(id: string): NotFound {
    return new NotFound(`${this.kind.label} "${id}" not found`);
  }

  private out(d: Doc): R {
    return this.kind.fromStored(structuredClone(d));
  }
}

/** An append-only log, newest first on listing, purged by date. */
function timeline<T extends { at: Date }, Q extends TimelineQuery>(
  entries: Entry<T>[],
  nextSeq: () => number,
  fields: readonly (keyof Q & keyof T & string)[],
): Timeline<T, Q> {
  const keep = (x: T, q: Q): boolean =>
    (q.since === undefined || x.at >= q.since)
    && (q.until === undefined || x.at < q.until)
    && fields.every((f) => q[f] === undefined || (x[f] as unknown) === q[f]);
  return {
    async append(x) {
      entries.push({ seq: nextSeq(), item: structuredClone(x) });
    },
    async appendMany(xs) {
      for (const x of xs) entries.push({ seq: nextSeq(), item: structuredClone(x) });
    },
    async list(q) {
      checkPage(q);
      return entries
        .filter(({ item }) => keep(item, q))
        .sort((a, b) => b.item.at.getTime() - a.item.at.getTime() || b.seq - a.seq)
        .slice(0, q.limit)
        .map(({ item }) => structuredClone(item));
    },
    async purge(before) {
      // Compacted in place: splice(0, n, ...kept) passes every kept entry as an argument,
      // which throws RangeError past the engine's argument limit (~150k).
      let kept = 0;
      for (const e of entries) if (e.item.at >= before) entries[kept++] = e;
      const purged = entries.length - kept;
      entries.length = kept;
      return purged;
    },
  };
}

/** The audit log: the timeline, and the report's aggregations over it (every event of the tenant is looked at once). */
function auditRepo(entries: Entry<AuditEvent>[], daily: Map<string, RollupDay>, nextSeq: () => number): AuditRepo {
  const log = timeline<AuditEvent, AuditQuery>(entries, nextSeq, AUDIT_FILTERS);
  const failed = (e: AuditEvent): boolean => (FAILED_OUTCOMES as readonly string[]).includes(e.outcome);
  const rollUp = (events: readonly AuditEvent[]): void => {
    for (const [day, { inc, max }] of rollupOf(events)) {
      const d = daily.get(day) ?? { day, c: {}, l: {} };
      for (const [k, n] of Object.entries(inc)) d.c[k] = (d.c[k] ?? 0) + n;
      for (const [k, at] of Object.entries(max)) if (!d.l[k] || at > d.l[k]!) d.l[k] = new Date(at);
      daily.set(day, d);
    }
  };
  return {
    ...log,
    async append(e) {
      await log.append(e);
      rollUp([e]);
    },
    async appendMany(es) {
      await log.appendMany(es);
      rollUp(es);
    },
    async purge(before) {
      const cut = utcDay(before);
      for (const day of [...daily.keys()]) if (day < cut) daily.delete(day);
      return log.purge(before);
    },
    async countByDay(q) {
      checkRange(q);
      if (rolledUp(q)) return countRollup([...daily.values()], q);
      const whole = wholeDays(q);
      const rows = new Map<string, AuditDayCount>();
      for (const { item } of entries) {
        if (!inAuditRange(item, whole)) continue;
        const row = { day: utcDay(item.at), protocol: item.protocol ?? '', method: detailKey(item, 'method'), outcome: item.outcome };
        const key = JSON.stringify(row);
        const found = rows.get(key) ?? { ...row, count: 0 };
        found.count++;
        rows.set(key, found);
      }
      return [...rows.values()].sort(byDayOrder);
    },
    async topFailing(q) {
      checkRange(q);
      checkPage(q);
      const rows = new Map<string, AuditTop>();
      for (const { item } of entries) {
        if (!inAuditRange(item, q) || !failed(item)) continue;
        const key = q.by === 'user' ? item.target ?? '' : detailKey(item, 'source');
        const nas = q.by === 'source' ? detailKey(item, 'nas') : '';
        if (key === '') continue;
        const id = JSON.stringify([key, nas]);
        const row = rows.get(id) ?? { key, ...(nas === '' ? {} : { nas }), failures: 0, lastAt: item.at };
        row.failures++;
        if (item.at > row.lastAt) row.lastAt = item.at;
        rows.set(id, row);
      }
      return [...rows.values()].sort(topOrder).slice(0, q.limit).map((r) => structuredClone(r));
    },
    async recent(q) {
      checkRange(q);
      checkPage(q);
      const hits = entries.filter(({ item }) => inAuditRange(item, q))
        .sort((a, b) => b.item.at.getTime() - a.item.at.getTime() || b.seq - a.seq);
      return { count: hits.length, items: hits.slice(0, q.limit).map(({ item }) => structuredClone(item)) };
    },
    async lastAt(q) {
      let last: Date | undefined;
      for (const { item } of entries) {
        if (q?.actions && !q.actions.includes(item.action)) continue;
        if (!last || item.at > last) last = item.at;
      }
      return last && new Date(last);
    },
  };
}

/** users.summarize over a tenant's users, as mongo.ts's queries count them. */
function summarize(docs: Map<string, Doc>, q: UserSummaryQuery): UserSummary {
  const c = summaryCutoffs(q);
  const users = [...docs.values()].map((d) => USERS.fromStored(structuredClone(d)));
  const byUid = (a: { uid: string }, b: { uid: string }) => (nameKey(a.uid) < nameKey(b.uid) ? -1 : 1);
  const exempt = (u: UserRecord) => u.memberOf.some((g) => c.exempt.includes(g));
  const enabled = users.filter((u) => u.enabled);
  const never = users.filter((u) => !u.lastLoginAt).sort(byUid);
  const inactive = users.filter((u) => u.lastLoginAt && u.lastLoginAt < c.activeSince)
    .sort((a, b) => a.lastLoginAt!.getTime() - b.lastLoginAt!.getTime() || byUid(a, b));
  const expiring = c.expiring
    ? users.filter((u) => u.enabled && u.credentials && u.credentials.passwordChangedAt >= c.expiring!.from && u.credentials.passwordChangedAt < c.expiring!.to)
      .map((u) => ({ uid: u.uid, expiresAt: new Date(u.credentials!.passwordChangedAt.getTime() + c.expiring!.maxAgeMs) }))
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || byUid(a, b))
    : [];
  const unused = users.flatMap((u) => (u.appPasswords ?? [])
    .filter((a) => (a.lastUsedAt ?? a.createdAt) < c.unusedSince)
    .map((a) => ({ uid: u.uid, name: a.name, ...(a.lastUsedAt ? { lastUsedAt: a.lastUsedAt } : {}) })))
    .sort((a, b) => byUid(a, b) || (a.name < b.name ? -1 : 1));
  const notExempt = enabled.filter((u) => !exempt(u));
  const enrolled = (u: UserRecord) => u.totp?.confirmedAt !== undefined;
  return {
    total: users.length,
    enabled: enabled.length,
    disabled: users.length - enabled.length,
    expired: users.filter((u) => u.expiresAt && u.expiresAt <= c.now).length,
    active: users.filter((u) => u.lastLoginAt && u.lastLoginAt >= c.activeSince).length,
    neverLoggedIn: { count: never.length, users: never.slice(0, q.limit).map((u) => u.uid) },
    inactive: { count: inactive.length, users: inactive.slice(0, q.limit).map((u) => ({ uid: u.uid, lastLoginAt: u.lastLoginAt! })) },
    passwordsExpiring: { count: expiring.length, users: expiring.slice(0, q.limit) },
    appPasswordsUnused: { count: unused.length, items: unused.slice(0, q.limit) },
    mfa: {
      enrolled: enabled.filter(enrolled).length,
      exempt: enabled.length - notExempt.length,
      notExempt: notExempt.length,
      enrolledNotExempt: notExempt.filter(enrolled).length,
    },
  };
}

/** The accounting log, with each record folded into its session as mongo.ts's upsert does. */
function accountingRepo(log: Timeline<AccountingRecord, AccountingQuery>, sessions: Map<string, SessionRecord>): AccountingRepo {
  const matches = (s: SessionRecord, q: SessionQuery): boolean =>
    (q.user === undefined || s.user === q.user)
    && (q.since === undefined || s.lastAt >= q.since)
    && (q.activeSince === undefined || (s.stoppedAt === undefined && s.lastAt >= q.activeSince));
  const order = (a: SessionRecord, b: SessionRecord): number =>
    b.lastAt.getTime() - a.lastAt.getTime() || compare(a.nas, b.nas) || compare(a.sessionId, b.sessionId);
  return {
    async append(r) {
      await log.append(r);
      const change = sessionChange(r);
      if (change) {
        const key = JSON.stringify([change.key.nas, change.key.sessionId]);
        sessions.set(key, applyChange(sessions.get(key), structuredClone(change)));
      }
      const cause = restartCause(r);
      if (cause === undefined) return;
      for (const s of sessions.values()) {
        if (s.nas === r.nas && s.stoppedAt === undefined && s.lastAt <= r.at) Object.assign(s, { stoppedAt: new Date(r.at), stopCause: cause });
      }
    },
    list: (q) => log.list(q),
    async sessions(q) {
      checkPage(q);
      return [...sessions.values()].filter((s) => matches(s, q)).sort(order).slice(0, q.limit).map((s) => structuredClone(s));
    },
    async purge(before) {
      for (const [key, s] of sessions) if (s.lastAt < before) sessions.delete(key);
      return log.purge(before);
    },
  };
}

/** $min, $max and $set, as MongoDB applies them (a missing field takes the value). */
function applyChange(old: SessionRecord | undefined, c: SessionChange): SessionRecord {
  const s = (old ?? { ...c.key }) as Record<string, unknown>;
  const pick = (field: string, value: Date | number, larger: boolean) => {
    const was = s[field] as Date | number | undefined;
    if (was === undefined || (larger ? value > was : value < was)) s[field] = value;
  };
  for (const [field, value] of Object.entries(c.min)) pick(field, value, false);
  for (const [field, value] of Object.entries(c.max)) pick(field, value as Date | number, true);
  Object.assign(s, c.set);
  return s as unknown as SessionRecord;
}

/** Code-unit order, as MongoDB sorts (equal to its byte order outside astral characters). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function nasHistoryRepo(byUid: Map<string, Set<string>>): NasHistoryRepo {
  return {
    async note(uid, nas) {
      const known = byUid.get(nameKey(uid)) ?? new Set<string>();
      const first = !known.has(nas);
      const others = known.size > (first ? 0 : 1);
      known.add(nas);
      byUid.set(nameKey(uid), known);
      return { first, others };
    },
    async forget(uid) {
      byUid.delete(nameKey(uid));
    },
  };
}

function lockoutRepo(states: Map<string, LockoutState>): LockoutRepo {
  return {
    async get(uid) {
      const s = states.get(nameKey(uid));
      return s && structuredClone(s);
    },
    async getMany(uids) {
      const found = new Map<string, LockoutState>();
      for (const key of uids.map(nameKey)) {
        const s = states.get(key);
        if (s) found.set(key, structuredClone(s));
      }
      return found;
    },
    async registerFailure(uid, o) {
      checkCount('threshold', o.threshold, 1);
      const s = nextLockout(states.get(nameKey(uid)), o);
      states.set(nameKey(uid), s);
      return structuredClone(s);
    },
    async clear(uid) {
      states.delete(nameKey(uid));
    },
  };
}

function sourceRepo(byUid: Map<string, Map<string, Date>>): SourceRepo {
  return {
    async list(uid, o) {
      const found: FamiliarSource[] = [...(byUid.get(nameKey(uid)) ?? [])]
        .filter(([, at]) => at >= o.since)
        .map(([source, at]) => ({ source, at: new Date(at) }));
      return found.sort((x, y) => y.at.getTime() - x.at.getTime()).slice(0, o.limit);
    },
    async remember(uid, source, o) {
      const key = nameKey(uid);
      const sources = byUid.get(key) ?? new Map<string, Date>();
      for (const [s, at] of sources) if (at < o.forgetBefore) sources.delete(s);
      sources.set(source, new Date(o.at));
      byUid.set(key, sources);
    },
    async forget(uid) {
      byUid.delete(nameKey(uid));
    },
  };
}

function sequenceRepo(next: Map<string, number>): SequenceRepo {
  return {
    async next(name, start, count = 1) {
      checkCount('count', count, 1);
      checkCount('start', start, 0);
      const first = next.get(name) ?? start;
      next.set(name, first + count);
      return first;
    },
    async peek(name) {
      return next.get(name);
    },
  };
}

function outboxRepo(items: Map<string, OutboxDoc>, deliveries: Map<string, Pick<OutboxStatus, 'lastSuccessAt' | 'lastFailure'>>): OutboxRepo {
  const held = (id: string, lease: string): OutboxDoc | undefined => {
    const d = items.get(id);
    return d?.state === 'pending' && d.lease === lease ? d : undefined;
  };
  const note = (destination: string, s: Pick<OutboxStatus, 'lastSuccessAt' | 'lastFailure'>): void => {
    deliveries.set(destination, structuredClone({ ...deliveries.get(destination), ...s }));
  };
  return {
    async enqueue(list, now) {
      for (const x of list) {
        const id = randomUUID();
        items.set(id, structuredClone({ ...x, id, createdAt: now, attempts: 0, state: 'pending', availableAt: now }));
      }
    },
    async claim(destination, o) {
      checkClaim(o);
      const due = [...items.values()]
        .filter((d) => d.destination === destination && d.state === 'pending' && d.availableAt <= o.now)
        .sort((a, b) => a.availableAt.getTime() - b.availableAt.getTime())
        .slice(0, o.limit);
      return due.map((d) => {
        const lease = randomUUID();
        Object.assign(d, { lease, availableAt: new Date(o.now.getTime() + o.leaseMs) });
        const { id, createdAt, attempts, event } = structuredClone(d);
        return { id, destination, event, createdAt, attempts, lease };
      });
    },
    async delivered(item, at) {
      items.delete(item.id);
      note(item.destination, { lastSuccessAt: at });
    },
    async failed(item, o) {
      const d = held(item.id, item.lease);
      if (!d) return false;
      d.attempts++;
      delete d.lease;
      if (o.retryAt) d.availableAt = new Date(o.retryAt);
      else d.state = 'dead';
      note(item.destination, { lastFailure: { at: o.at, error: o.error, ...(o.status === undefined ? {} : { status: o.status }) } });
      return true;
    },
    async release(item, at) {
      const d = held(item.id, item.lease);
      if (!d) return;
      delete d.lease;
      d.availableAt = new Date(at);
    },
    async status(destination) {
      const mine = [...items.values()].filter((d) => d.destination === destination);
      const pending = mine.filter((d) => d.state === 'pending');
      const oldest = pending.reduce<Date | undefined>((min, d) => (min && min <= d.createdAt ? min : d.createdAt), undefined);
      return structuredClone({
        pending: pending.length,
        dead: mine.length - pending.length,
        ...(oldest ? { oldestPendingAt: oldest } : {}),
        ...deliveries.get(destination),
      });
    },
    async purge(before) {
      let purged = 0;
      for (const [id, d] of items) {
        if (d.createdAt < before) {
          items.delete(id);
          purged++;
        }
      }
      return purged;
    },
  };
}
