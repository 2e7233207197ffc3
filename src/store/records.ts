// What both adapters share, so that they cannot drift apart: the stored form of a record (the
// record plus its lowercased lookup keys), the rules an update keeps, the query vocabulary
// lowered to one condition tree, the lockout arithmetic, and the repository shapes of the port
// assembled from one generic set of record operations. memory.ts evaluates a condition tree;
// mongo.ts translates it into a filter.
import { InvalidInput } from '../core/errors.ts';
import { isTenantId, nameKey } from '../core/ids.ts';
import { toMac } from '../core/mac.ts';
import type {
  AccountingRecord, AccountingRepo, AuditDayCount, AuditEvent, AuditRangeQuery, AuditTop, DeviceRecord, UserSummaryQuery, DeviceRepo, GroupQuery, GroupRecord, GroupRepo, LockoutState,
  NewDevice, NewGroup, NewUser, Page, PageResult, SessionRecord, UserQuery, UserRecord, UserRepo,
} from './port.ts';

/** A stored document: a record plus internal fields the port never shows. */
export type Doc = Record<string, unknown>;

export function checkTenantId(id: string): void {
  if (!isTenantId(id)) throw new InvalidInput(`invalid tenant id ${JSON.stringify(id)}`);
}

/** Page size ceiling: a caller that wants more pages on. */
export const MAX_PAGE = 1000;

export function checkPage(page: Page): void {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_PAGE) {
    throw new InvalidInput(`page limit must be an integer from 1 to ${MAX_PAGE}`);
  }
}

export function checkCount(what: string, n: number, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidInput(`${what} must be an integer >= ${min}`);
}

// ---------------------------------------------------------------- conditions

/**
 * A query lowered to stored fields and normalised values. `in` on an array field matches when
 * any element is listed (Mongo's own semantics, which memory.ts copies).
 */
export type Cond =
  | { all: true }
  | { field: string; eq: string | number }
  | { field: string; prefix: string }
  | { field: string; in: (string | number)[] }
  | { and: Cond[] }
  | { or: Cond[] };

interface QuerySchema {
  /** Query field name → stored field (the lowercased key where comparison folds case). */
  fields: Record<string, string>;
  /** The kind's set query: `{ [member]: keys }` matches records whose `listField` holds any key. */
  member: string;
  listField: Kind<unknown, unknown, unknown>['listField'];
}

/** Strings compare case-insensitively (their stored keys are lowercased); numbers as they are. */
function fold(v: string | number): string | number {
  return typeof v === 'string' ? nameKey(v) : v;
}

function toCond(q: UserQuery | GroupQuery, s: QuerySchema): Cond {
  const field = (name: string): string => {
    const f = s.fields[name];
    if (f === undefined) throw new InvalidInput(`cannot query on ${JSON.stringify(name)}`);
    return f;
  };
  const member = (q as Record<string, unknown>)[s.member];
  if ('all' in q) return { all: true };
  if ('and' in q) return { and: q.and.map((x) => toCond(x, s)) };
  if ('or' in q) return { or: q.or.map((x) => toCond(x, s)) };
  if ('eq' in q) return { field: field(q.eq), eq: fold(q.value) };
  if ('prefix' in q) return { field: field(q.prefix), prefix: nameKey(q.value) };
  if ('in' in q) return { field: field(q.in), in: (q.values as (string | number)[]).map(fold) };
  if (Array.isArray(member)) return { field: s.listField, in: member.map(String).map(nameKey) };
  throw new InvalidInput(`unknown query ${JSON.stringify(q)}`);
}

// ---------------------------------------------------------------- kinds

/** What differs between users, groups and devices; everything else is written once, generically. */
export interface Kind<R, N, Q> {
  label: 'user' | 'group' | 'device';
  /** The public name field and its stored lowercased key (unique per tenant); a MAC is its own key. */
  idField: 'uid' | 'name' | 'mac';
  keyField: 'uidKey' | 'nameKey' | 'mac';
  /** The array of group keys that membership edits change. */
  listField: 'memberOf' | 'memberGroups' | 'groups';
  toStored(tenantId: string, r: N): Doc;
  fromStored(d: Doc): R;
  cond(q: Q): Cond;
}

type IdField = Kind<unknown, unknown, unknown>['idField'];

/** An update's result keeps identity and creation; modifiedAt always moves forward. */
export function keepImmutables<R>(old: R, next: R, idField: IdField): R {
  const was = old as Doc;
  return {
    ...next,
    [idField]: was[idField],
    tenantId: was.tenantId,
    // Devices have none: undefined is dropped when stored.
    entryUUID: was.entryUUID,
    createdAt: was.createdAt,
    modifiedAt: new Date(Math.max(Date.now(), (was.modifiedAt as Date).getTime() + 1)),
  };
}

/** A rename's result: the record under its new name, otherwise kept as an update keeps it. */
export function renamed<R>(old: R, newId: string, idField: IdField): R {
  return { ...keepImmutables(old, old, idField), [idField]: newId };
}

/** Strips internal fields from a stored document. */
export function without(d: Doc, internal: readonly string[]): Doc {
  const out = { ...d };
  for (const k of internal) delete out[k];
  return out;
}

/**
 * Drops `undefined` members at any depth, as the Mongo driver does with `ignoreUndefined`, so
 * both adapters return the same shapes.
 */
function defined<T>(v: T): T {
  if (Array.isArray(v)) return v.map(defined) as T;
  if (v === null || typeof v !== 'object' || v instanceof Date) return v;
  return Object.fromEntries(
    Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, defined(x)]),
  ) as T;
}

/** Group keys, normalised and de-duplicated. */
function keys(list: readonly string[]): string[] {
  return [...new Set(list.map(nameKey))];
}

type KindNames = Pick<Kind<unknown, unknown, unknown>, 'label' | 'idField' | 'keyField' | 'listField'>;

interface KindSpec extends QuerySchema, KindNames {
  /** Further lowercased copies for case-insensitive queries: stored key → record field. */
  folded: Record<string, string>;
}

function kind<R, N, Q>(s: KindSpec): Kind<R, N, Q> {
  const internal = ['_id', 'rev', ...(s.keyField === s.idField ? [] : [s.keyField]), ...Object.keys(s.folded)];
  return {
    label: s.label,
    idField: s.idField,
    keyField: s.keyField,
    listField: s.listField,
    toStored(tenantId, r) {
      const d = r as Doc;
      const fold = (v: unknown) => (typeof v === 'string' ? nameKey(v) : undefined);
      return defined({
        ...d,
        tenantId,
        ...(d.entryUUID === undefined ? {} : { entryUUID: String(d.entryUUID).toLowerCase() }),
        [s.listField]: keys(d[s.listField] as string[]),
        [s.keyField]: fold(d[s.idField]),
        ...Object.fromEntries(Object.entries(s.folded).map(([key, field]) => [key, fold(d[field])])),
      });
    },
    fromStored: (d) => without(d, internal) as R,
    cond: (q) => toCond(q as UserQuery | GroupQuery, s),
  };
}

export const USERS = kind<UserRecord, NewUser, UserQuery>({
  label: 'user',
  idField: 'uid',
  keyField: 'uidKey',
  listField: 'memberOf',
  folded: { cnKey: 'cn', mailKey: 'mail' },
  fields: {
    uid: 'uidKey', mail: 'mailKey', cn: 'cnKey', entryUUID: 'entryUUID',
    uidNumber: 'uidNumber', gidNumber: 'gidNumber',
  },
  member: 'memberOf',
});

export const GROUPS = kind<GroupRecord, NewGroup, GroupQuery>({
  label: 'group',
  idField: 'name',
  keyField: 'nameKey',
  listField: 'memberGroups',
  folded: {},
  fields: { name: 'nameKey', entryUUID: 'entryUUID', gidNumber: 'gidNumber' },
  member: 'hasMemberGroup',
});

/** Devices are listed in MAC order only. */
export type DeviceQuery = { all: true };

/** A device's key is its MAC, normalised before it reaches the store's operations (deviceRepo). */
export const DEVICES = kind<DeviceRecord, NewDevice, DeviceQuery>({
  label: 'device',
  idField: 'mac',
  keyField: 'mac',
  listField: 'groups',
  folded: {},
  fields: { mac: 'mac' },
  member: 'inGroups',
});

/** Fields of UserRecord that a replacing import may leave out (and must then remove). */
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
const OPTIONAL_USER_FIELDS = [
  'givenName', 'displayName', 'mail', 'telephoneNumber', 'title', 'expiresAt', 'credentials', 'totp', 'appPasswords',
  'lastLoginAt',
] as const satisfies readonly OptionalKeys<UserRecord>[];
// Fails to compile when UserRecord gains an optional field that the list above lacks.
type Unlisted = Exclude<OptionalKeys<UserRecord>, (typeof OPTIONAL_USER_FIELDS)[number]>;
const everyOptionalListed: [Unlisted] extends [never] ? true : never = true;
void everyOptionalListed;

/** Fields a replacing import keeps from the stored user: what the server learnt, not what the file says. */
export const KEPT_ON_REPLACE = ['lastLoginAt'] as const;

/** Stored fields absent from `stored` that a wholesale replace must unset. */
export function absentUserFields(stored: Doc): string[] {
  return [...OPTIONAL_USER_FIELDS, 'mailKey'].filter((k) => stored[k] === undefined && !(KEPT_ON_REPLACE as readonly string[]).includes(k));
}

/** A page from up to `limit + 1` records in key order: the extra one only says more remain. */
export function toPage<R>(docs: Doc[], page: Page, kind: Kind<R, unknown, unknown>): PageResult<R> {
  const items = docs.slice(0, page.limit).map(kind.fromStored);
  const last = docs[page.limit - 1];
  return docs.length > page.limit && last ? { items, next: String(last[kind.keyField]) } : { items };
}

// ---------------------------------------------------------------- audit and accounting

export type AccountingQuery = Parameters<AccountingRepo['list']>[0];

/** What both logs' listings share: a time range and a size. */
export interface TimelineQuery {
  since?: Date;
  /** Exclusive. */
  until?: Date;
  limit: number;
}

export interface Timeline<T, Q> {
  append(x: T): Promise<void>;
  appendMany(xs: T[]): Promise<void>;
  list(q: Q): Promise<T[]>;
  purge(before: Date): Promise<number>;
}

/** The UTC date of an instant, YYYY-MM-DD: the `day` the stores keep with each audit event. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** recordLogin writes lastLoginAt again only when the stored one is older than this. */
export const LOGIN_STAMP_MS = 60_000;

/** At most this many days in one report range: the day buckets (and a backfill of old events) stay bounded. */
export const MAX_REPORT_DAYS = 400;

export function checkRange(q: { since: Date; until: Date }): void {
  if (!(q.since instanceof Date) || !(q.until instanceof Date) || Number.isNaN(q.since.getTime()) || Number.isNaN(q.until.getTime())) {
    throw new InvalidInput('a report range needs two dates');
  }
  if (q.until.getTime() - q.since.getTime() > MAX_REPORT_DAYS * 86_400_000) throw new InvalidInput(`a report covers at most ${MAX_REPORT_DAYS} days`);
}

/** Outcomes a report counts as failures. */
export const FAILED_OUTCOMES = ['failed', 'refused'] as const;

/** The cutoffs users.summarize compares with, from its query. */
export function summaryCutoffs(q: UserSummaryQuery) {
  checkCount('limit', q.limit, 1);
  if (q.limit > MAX_PAGE) throw new InvalidInput(`summary lists hold at most ${MAX_PAGE}`);
  for (const k of ['inactiveDays', 'expiringDays', 'passwordMaxAgeDays', 'unusedDays'] as const) checkCount(k, q[k], 0);
  const day = 86_400_000;
  const now = q.now.getTime();
  return {
    now: q.now,
    activeSince: new Date(now - q.inactiveDays * day),
    unusedSince: new Date(now - q.unusedDays * day),
    // A password set in [now - maxAge, now - maxAge + expiring) expires in [now, now + expiring).
    expiring: q.passwordMaxAgeDays > 0
      ? { from: new Date(now - q.passwordMaxAgeDays * day), to: new Date(now - q.passwordMaxAgeDays * day + q.expiringDays * day), maxAgeMs: q.passwordMaxAgeDays * day }
      : undefined,
    exempt: [...new Set(q.exemptGroups.map(nameKey))],
  };
}

/** Whether an event falls in a report range (memory.ts; mongo.ts says the same as a filter, auditRangeFilter). */
export function inAuditRange(e: AuditEvent, q: AuditRangeQuery): boolean {
  if (e.at < q.since || e.at >= q.until) return false;
  if (q.exceptReasons && e.reason !== undefined && q.exceptReasons.includes(e.reason)) return false;
  if (q.actions === undefined && q.actionPrefix === undefined) return true;
  return (q.actions?.includes(e.action) ?? false) || (q.actionPrefix !== undefined && e.action.startsWith(q.actionPrefix));
}

/** A detail value as a report key: strings as they are, other values as text, absent as ''. */
export function detailKey(e: AuditEvent, field: string): string {
  const v = e.detail?.[field];
  return v === undefined ? '' : String(v);
}

/** Report rows in a stable order: by day, protocol, method, outcome. */
export function byDayOrder(a: AuditDayCount, b: AuditDayCount): number {
  return cmp(a.day, b.day) || cmp(a.protocol, b.protocol) || cmp(a.method, b.method) || cmp(a.outcome, b.outcome);
}

/** Most failures first, then by key (and NAS). */
export function topOrder(a: AuditTop, b: AuditTop): number {
  return b.failures - a.failures || cmp(a.key, b.key) || cmp(a.nas ?? '', b.nas ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The fields a listing compares for equality when the query gives them. */
export const AUDIT_FILTERS = ['action', 'target', 'outcome'] as const;
export const ACCOUNTING_FILTERS = ['sessionId', 'user'] as const;

// ---------------------------------------------------------------- sessions

/**
 * How one accounting record changes its session, as update operators: memory.ts applies them
 * itself, mongo.ts sends them as $min, $max and $set in one upsert. (A fold on write, not an
 * aggregation on read: FerretDB 1.24's $group has only $count and $sum.)
 */
export interface SessionChange {
  key: Pick<SessionRecord, 'nas' | 'sessionId'>;
  /** Each field becomes the smaller of the stored value and this one. */
  min: Pick<SessionRecord, 'startedAt'>;
  /** Each field becomes the larger of the stored value and this one. */
  max: Pick<SessionRecord, 'lastAt'> & Partial<Pick<SessionRecord, 'stoppedAt' | 'sessionTime' | 'inputOctets' | 'outputOctets'>>;
  /** The values this record gives replace the stored ones. */
  set: Partial<Pick<SessionRecord, 'user' | 'nasAddress' | 'callingStationId' | 'calledStationId' | 'framedAddress' | 'stopCause'>>;
}

/** The change a Start, Interim-Update or Stop makes; undefined for Accounting-On/Off (see restartCause). */
export function sessionChange(r: AccountingRecord): SessionChange | undefined {
  if (r.statusType === 'on' || r.statusType === 'off') return undefined;
  const stop = r.statusType === 'stop';
  return {
    key: { nas: r.nas, sessionId: r.sessionId },
    min: { startedAt: new Date(r.at.getTime() - (r.sessionTime ?? 0) * 1000) },
    max: defined({
      lastAt: r.at, stoppedAt: stop ? r.at : undefined,
      sessionTime: r.sessionTime, inputOctets: r.inputOctets, outputOctets: r.outputOctets,
    }),
    set: defined({
      user: r.user, nasAddress: r.nasAddress, callingStationId: r.callingStationId, calledStationId: r.calledStationId,
      framedAddress: r.framedAddress, stopCause: stop ? r.terminateCause : undefined,
    }),
  };
}

/**
 * An Accounting-On/Off (the NAS started or stops) ends the sessions of its NAS that are open
 * and last heard of at or before it, with this stopCause; undefined for any other record.
 */
export function restartCause(r: AccountingRecord): string | undefined {
  return r.statusType === 'on' ? 'Accounting-On' : r.statusType === 'off' ? 'Accounting-Off' : undefined;
}

// ---------------------------------------------------------------- lockouts

export interface FailureOptions {
  now: Date;
  windowMs: number;
  threshold: number;
  lockMs: number;
}

/** The window in which a failure still counts: it started at or after this instant. */
export function windowCutoff(o: FailureOptions): Date {
  return new Date(o.now.getTime() - o.windowMs);
}

/**
 * One more failure. A lock is never shortened here (a new window does not lift it); only
 * clear() removes it, so callers compare lockedUntil with the time.
 */
export function nextLockout(old: LockoutState | undefined, o: FailureOptions): LockoutState {
  const inWindow = old !== undefined && old.windowStart >= windowCutoff(o);
  const failures = inWindow ? old.failures + 1 : 1;
  const lock = failures >= o.threshold ? new Date(o.now.getTime() + o.lockMs) : undefined;
  const lockedUntil = lock && !(old?.lockedUntil && old.lockedUntil > lock) ? lock : old?.lockedUntil;
  return defined({ failures, windowStart: inWindow ? old.windowStart : o.now, lockedUntil });
}

// ---------------------------------------------------------------- repositories

/** The generic record operations each adapter implements once for users and groups. */
export interface RecordOps<R, N, Q> {
  get(id: string): Promise<R | undefined>;
  find(q: Q, page: Page): Promise<PageResult<R>>;
  count(q?: Q): Promise<number>;
  create(r: N): Promise<R>;
  update(id: string, fn: (old: R) => R): Promise<R>;
  addTo(id: string, key: string): Promise<void>;
  /** addTo on every existing record of `ids`; returns how many exist. */
  addToMany(ids: string[], key: string): Promise<number>;
  removeFrom(id: string, key: string): Promise<void>;
  removeEverywhere(key: string): Promise<number>;
  /** Moves `oldKey` to `newKey` in every record's list: adds the new key, then removes the old one. */
  replaceEverywhere(oldKey: string, newKey: string): Promise<number>;
  /** NotFound if `id` is absent, Conflict if another record has `newId`. */
  rename(id: string, newId: string): Promise<R>;
  delete(id: string): Promise<boolean>;
  /**
   * Sets one date field and nothing else (modifiedAt stays); an absent record is left alone.
   * With `olderThan`, only where the field is absent or before it.
   */
  stamp(id: string, field: string, at: Date, olderThan?: Date): Promise<void>;
}

/** The methods users and groups share, over one set of record operations. */
function recordRepo<R, N, Q>(ops: RecordOps<R, N, Q>) {
  return {
    get: (id: string) => ops.get(id),
    find: (q: Q, page: Page) => ops.find(q, page),
    count: (q?: Q) => ops.count(q),
    create: (r: N) => ops.create(r),
    update: (id: string, fn: (old: R) => R) => ops.update(id, fn),
    rename: (id: string, newId: string) => ops.rename(id, newId),
    delete: (id: string) => ops.delete(id),
  };
}

export function userRepo(
  ops: RecordOps<UserRecord, NewUser, UserQuery>,
  upsertMany: UserRepo['upsertMany'],
  summarize: UserRepo['summarize'],
): UserRepo {
  return {
    ...recordRepo(ops),
    recordLogin: (uid, at) => ops.stamp(uid, 'lastLoginAt', at, new Date(at.getTime() - LOGIN_STAMP_MS)),
    summarize,
    addMemberOf: (uid, groupKey) => ops.addTo(uid, groupKey),
    addMemberOfMany: (uids, groupKey) => ops.addToMany(uids, groupKey),
    removeMemberOf: (uid, groupKey) => ops.removeFrom(uid, groupKey),
    removeGroupEverywhere: (groupKey) => ops.removeEverywhere(groupKey),
    replaceGroupEverywhere: (oldKey, newKey) => ops.replaceEverywhere(oldKey, newKey),
    upsertMany,
  };
}

export function deviceRepo(ops: RecordOps<DeviceRecord, NewDevice, DeviceQuery>): DeviceRepo {
  // async: a MAC that is none rejects, as every store error does, rather than throwing.
  return {
    get: async (mac) => ops.get(toMac(mac)),
    list: async (page) => ops.find({ all: true }, page.after === undefined ? page : { ...page, after: toMac(page.after) }),
    create: async (d) => ops.create({ ...d, mac: toMac(d.mac) }),
    update: async (mac, fn) => ops.update(toMac(mac), fn),
    delete: async (mac) => ops.delete(toMac(mac)),
    touch: async (mac, at) => ops.stamp(toMac(mac), 'lastSeenAt', at),
    removeGroupEverywhere: (groupKey) => ops.removeEverywhere(groupKey),
    replaceGroupEverywhere: (oldKey, newKey) => ops.replaceEverywhere(oldKey, newKey),
  };
}

export function groupRepo(ops: RecordOps<GroupRecord, NewGroup, GroupQuery>): GroupRepo {
  return {
    ...recordRepo(ops),
    addMemberGroup: (name, childKey) => ops.addTo(name, childKey),
    removeMemberGroup: (name, childKey) => ops.removeFrom(name, childKey),
    removeMemberGroupEverywhere: (childKey) => ops.removeEverywhere(childKey),
    replaceMemberGroupEverywhere: (oldKey, newKey) => ops.replaceEverywhere(oldKey, newKey),
  };
}

// ---------------------------------------------------------------- outbox

/** An outbox item as stored: due (or leased) until `availableAt`; the lease token while claimed. */
export interface OutboxDoc {
  id: string;
  destination: string;
  event: AuditEvent;
  createdAt: Date;
  attempts: number;
  state: 'pending' | 'dead';
  availableAt: Date;
  lease?: string;
}

export function checkClaim(o: { limit: number; leaseMs: number }): void {
  checkCount('limit', o.limit, 1);
  if (o.limit > MAX_PAGE) throw new InvalidInput(`claim limit must be at most ${MAX_PAGE}`);
  checkCount('leaseMs', o.leaseMs, 1);
}

// ---------------------------------------------------------------- the daily rollup of the audit log

/**
 * The actions the store also counts in a daily rollup as it appends them: the authentications
 * (directory/report.ts AUTH_ACTIONS) and lockouts. Reports over these read the rollup, one small
 * document per tenant and UTC day, instead of every event.
 */
export const ROLLED_UP_ACTIONS: readonly string[] = ['ldap.auth', 'ldap.service-auth', 'radius.auth', 'radius.mab', 'user.lockout'];

/**
 * One tenant's day of the rollup. `c` counts events by key (rollupKey: action, reason, outcome,
 * protocol, method, each URI-encoded and '.'-free so that it is one field name); `l` is the
 * newest instant by action and reason.
 */
export interface RollupDay {
  day: string;
  c: Record<string, number>;
  l: Record<string, Date>;
}

const enc = (s: string): string => encodeURIComponent(s).replace(/\./g, '%2E');

/** The counter and newest-instant field names of an event; undefined when its action is not rolled up. */
export function rollupKeys(e: AuditEvent): { count: string; last: string } | undefined {
  if (!ROLLED_UP_ACTIONS.includes(e.action)) return undefined;
  const last = `${enc(e.action)}|${enc(e.reason ?? '')}`;
  return { count: `${last}|${e.outcome}|${enc(e.protocol ?? '')}|${enc(detailKey(e, 'method'))}`, last };
}

/** Events summed per UTC day into the $inc and $max of one update per day (appendMany's bulk of upserts). */
export function rollupOf(events: readonly AuditEvent[]): Map<string, { inc: Record<string, number>; max: Record<string, Date> }> {
  const days = new Map<string, { inc: Record<string, number>; max: Record<string, Date> }>();
  for (const e of events) {
    const k = rollupKeys(e);
    if (!k) continue;
    const day = utcDay(e.at);
    const d = days.get(day) ?? { inc: {}, max: {} };
    d.inc[k.count] = (d.inc[k.count] ?? 0) + 1;
    const was = d.max[k.last];
    if (!was || e.at > was) d.max[k.last] = e.at;
    days.set(day, d);
  }
  return days;
}

/** Whether a range query can be answered from the rollup: only rolled-up actions, no prefix. */
export function rolledUp(q: AuditRangeQuery): boolean {
  return q.actions !== undefined && q.actionPrefix === undefined && q.actions.every((a) => ROLLED_UP_ACTIONS.includes(a));
}

/** The first and last UTC day [since, until) touches: the rollup counts whole days. */
export function rollupDays(q: { since: Date; until: Date }): { first: string; last: string } {
  return { first: utcDay(q.since), last: utcDay(new Date(Math.max(q.since.getTime(), q.until.getTime() - 1))) };
}

/** [since, until) widened to whole UTC days, for the raw events' counts to agree with the rollup's. */
export function wholeDays(q: AuditRangeQuery): AuditRangeQuery {
  const since = new Date(Date.UTC(q.since.getUTCFullYear(), q.since.getUTCMonth(), q.since.getUTCDate()));
  const end = new Date(Math.max(q.since.getTime(), q.until.getTime() - 1));
  const until = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate()) + 86_400_000);
  return { ...q, since, until };
}

const dec = (s: string): string => decodeURIComponent(s);

/** The counts of rollup days for a query (rolledUp(q)): per day, protocol, method and outcome. */
export function countRollup(days: readonly RollupDay[], q: AuditRangeQuery): AuditDayCount[] {
  const { first, last } = rollupDays(q);
  const rows = new Map<string, AuditDayCount>();
  for (const d of days) {
    if (d.day < first || d.day > last) continue;
    for (const [field, n] of Object.entries(d.c ?? {})) {
      const [action = '', reason = '', outcome = '', protocol = '', method = ''] = field.split('|');
      if (!q.actions?.includes(dec(action))) continue;
      if (reason !== '' && q.exceptReasons?.includes(dec(reason))) continue;
      const row = { day: d.day, protocol: dec(protocol), method: dec(method), outcome: outcome as AuditEvent['outcome'] };
      const key = JSON.stringify(row);
      const found = rows.get(key) ?? { ...row, count: 0 };
      found.count += Number(n);
      rows.set(key, found);
    }
  }
  return [...rows.values()].filter((r) => r.count > 0).sort(byDayOrder);
}

/** The newest instant in rollup days for a query (rolledUp(q)); it may lie outside [since, until) on the edge days. */
export function lastOfRollup(days: readonly RollupDay[], q: AuditRangeQuery): Date | undefined {
  const { first, last } = rollupDays(q);
  let newest: Date | undefined;
  for (const d of days) {
    if (d.day < first || d.day > last) continue;
    for (const [field, at] of Object.entries(d.l ?? {})) {
      const [action = '', reason = ''] = field.split('|');
      if (!q.actions?.includes(dec(action))) continue;
      if (reason !== '' && q.exceptReasons?.includes(dec(reason))) continue;
      if (!newest || at > newest) newest = at;
    }
  }
  return newest;
}
