// The activity report of one tenant, and the MSP-wide one with a row per tenant: what an MSP
// shares with its clients every month and looks at every morning. Every number is computed by
// the store on its indexes (store/port.ts AuditRepo.countByDay and friends); this file only
// puts them together, fills the days and works out what the store cannot know from the
// configuration (who must use MFA: mfa.totp and the exempt groups, with nesting).
import type { TenantConfig } from '../config/index.ts';
import { InvalidInput } from '../core/errors.ts';
import { nameKey } from '../core/ids.ts';
import type { AuditDayCount, AuditEvent, CrossTenantReports, TenantStore, UserSummary } from '../store/index.ts';
import { descendantGroups } from './graph.ts';

/** The audit actions that are authentications: binds, RADIUS and 802.1X checks (the inner check of TTLS/PEAP; EAP-TLS), MAB. */
export const AUTH_ACTIONS = ['ldap.auth', 'ldap.service-auth', 'radius.auth', 'radius.mab'] as const;
/** A right password answered by a RADIUS Access-Challenge is a step, not a failure: not counted. */
const STEP_REASONS = ['mfa-challenge'];
const DAY_MS = 86_400_000;
/** Lists in a report hold at most this many entries; their counts are exact. */
export const REPORT_LIST_LIMIT = 100;
/** Top failing users and sources. */
export const REPORT_TOP_LIMIT = 10;
export const MAX_SINCE_DAYS = 366;

export interface ReportQuery {
  since: Date;
  until: Date;
  /** Users who logged in, but not within this many days, are inactive. */
  inactiveDays: number;
  /** Passwords expiring within this many days. */
  expiringDays: number;
  /** App passwords not used within this many days. */
  unusedDays: number;
  /** Lists are capped at this (REPORT_LIST_LIMIT by default). */
  limit?: number;
}

/**
 * `7d`, `24h`, `90m` back from `now`, or an ISO date-time. The start of the report; bounded
 * by MAX_SINCE_DAYS.
 */
export function parseSince(since: string, now: Date): Date {
  const m = /^(\d{1,6})([dhm])$/.exec(since.trim());
  let d: Date;
  if (m) d = new Date(now.getTime() - Number(m[1]) * { d: DAY_MS, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm']);
  else if (/^\d{4}-\d{2}-\d{2}/.test(since)) d = new Date(since);
  else throw new InvalidInput(`since "${since}" is neither a duration (7d, 24h, 90m) nor a date-time`);
  if (Number.isNaN(d.getTime())) throw new InvalidInput(`since "${since}" is not a valid date-time`);
  if (d > now) throw new InvalidInput(`since "${since}" is in the future`);
  if (now.getTime() - d.getTime() > MAX_SINCE_DAYS * DAY_MS) throw new InvalidInput(`a report covers at most ${MAX_SINCE_DAYS} days`);
  return d;
}

export interface DayTotals {
  day: string;
  ok: number;
  failed: number;
}

export interface TenantReport {
  tenant: string;
  since: Date;
  until: Date;
  generatedAt: Date;
  /** The newest authentication ever recorded (not only in the range); null if none. */
  lastActivity: Date | null;
  /** Counted over the whole UTC days the range touches, from the store's daily rollup (store/port.ts countByDay). */
  authentications: {
    ok: number;
    failed: number;
    /** ok / (ok + failed); null without any. */
    successRate: number | null;
    byMethod: { protocol: string; method: string; ok: number; failed: number }[];
    /** Every UTC day of the range, oldest first, zeros included. */
    byDay: DayTotals[];
  };
  topFailingUsers: { user: string; failures: number; lastAt: Date }[];
  topFailingSources: { source: string; nas: string | null; failures: number; lastAt: Date }[];
  lockouts: { count: number; users: { user: string; at: Date }[] };
  /** As the store sums them up (store/port.ts UserSummary), with the inactive users named as the report names users. */
  users: Pick<UserSummary, 'total' | 'enabled' | 'disabled' | 'expired' | 'active' | 'neverLoggedIn'> & {
    inactive: { days: number; count: number; users: { user: string; lastLoginAt: Date }[] };
  };
  mfa: {
    enrolled: number;
    /** Enabled users who must give a code: all but the exempt with totp required; the enrolled with optional; none with off. */
    required: number;
    exempt: number;
    /** Enabled users outside the exempt groups who have an authenticator, of all of them; null without any. */
    coverage: number | null;
  };
  passwordsExpiring: { days: number; count: number; users: { user: string; expiresAt: Date }[] };
  appPasswordsUnused: { days: number; count: number; items: { user: string; name: string; lastUsedAt: Date | null }[] };
  suspicious: { kind: string; user: string | null; source: string | null; at: Date; detail: Record<string, string | number | boolean> }[];
}

const rate = (ok: number, failed: number): number | null => (ok + failed === 0 ? null : ok / (ok + failed));
const isFailed = (o: AuditEvent['outcome']): boolean => o !== 'ok';

/** Every UTC day that [since, until) touches, oldest first (at most the store's range bound). */
export function daysOf(since: Date, until: Date): string[] {
  const days: string[] = [];
  const first = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (let t = first; t < until.getTime() && days.length <= MAX_SINCE_DAYS + 1; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

function byDay(rows: readonly { day: string; outcome: AuditEvent['outcome']; count: number }[], since: Date, until: Date): DayTotals[] {
  const out = new Map(daysOf(since, until).map((day) => [day, { day, ok: 0, failed: 0 }]));
  for (const r of rows) {
    const d = out.get(r.day);
    if (!d) continue;
    if (isFailed(r.outcome)) d.failed += r.count;
    else d.ok += r.count;
  }
  return [...out.values()];
}

function byMethod(rows: readonly AuditDayCount[]): TenantReport['authentications']['byMethod'] {
  const out = new Map<string, { protocol: string; method: string; ok: number; failed: number }>();
  for (const r of rows) {
    const key = JSON.stringify([r.protocol, r.method]);
    const m = out.get(key) ?? { protocol: r.protocol, method: r.method, ok: 0, failed: 0 };
    if (isFailed(r.outcome)) m.failed += r.count;
    else m.ok += r.count;
    out.set(key, m);
  }
  return [...out.values()].sort((a, b) => b.ok + b.failed - (a.ok + a.failed) || (a.protocol + a.method < b.protocol + b.method ? -1 : 1));
}

/** Group keys whose direct members are MFA-exempt: the exempt groups and every group nested in them. */
async function exemptKeys(tenant: TenantConfig, store: TenantStore): Promise<string[]> {
  const keys = new Set<string>();
  for (const g of tenant.mfa.exemptGroups) for (const k of await descendantGroups(store.groups, nameKey(g))) keys.add(k);
  return [...keys];
}

export async function tenantReport(tenant: TenantConfig, store: TenantStore, q: ReportQuery, now: Date): Promise<TenantReport> {
  const limit = q.limit ?? REPORT_LIST_LIMIT;
  const range = { since: q.since, until: q.until };
  const auth = { ...range, actions: AUTH_ACTIONS, exceptReasons: STEP_REASONS };
  const [counts, users, sources, lockouts, security, lastActivity, summary] = await Promise.all([
    store.audit.countByDay(auth),
    store.audit.topFailing({ ...auth, by: 'user', limit: REPORT_TOP_LIMIT }),
    store.audit.topFailing({ ...auth, by: 'source', limit: REPORT_TOP_LIMIT }),
    store.audit.recent({ ...range, actions: ['user.lockout'], limit }),
    store.audit.recent({ ...range, actionPrefix: 'security.', limit }),
    store.audit.lastAt({ actions: AUTH_ACTIONS }),
    exemptKeys(tenant, store).then((exemptGroups) => store.users.summarize({
      now, inactiveDays: q.inactiveDays, expiringDays: q.expiringDays, unusedDays: q.unusedDays,
      passwordMaxAgeDays: tenant.passwordPolicy.maxAgeDays, exemptGroups, limit,
    })),
  ]);
  const ok = counts.filter((r) => !isFailed(r.outcome)).reduce((n, r) => n + r.count, 0);
  const failed = counts.filter((r) => isFailed(r.outcome)).reduce((n, r) => n + r.count, 0);
  const mode = tenant.mfa.totp;
  return {
    tenant: tenant.id,
    since: q.since,
    until: q.until,
    generatedAt: now,
    lastActivity: lastActivity ?? null,
    authentications: { ok, failed, successRate: rate(ok, failed), byMethod: byMethod(counts), byDay: byDay(counts, q.since, q.until) },
    topFailingUsers: users.map((u) => ({ user: u.key, failures: u.failures, lastAt: u.lastAt })),
    topFailingSources: sources.map((s) => ({ source: s.key, nas: s.nas ?? null, failures: s.failures, lastAt: s.lastAt })),
    lockouts: { count: lockouts.count, users: lockouts.items.map((e) => ({ user: e.target ?? '', at: e.at })) },
    users: {
      total: summary.total,
      enabled: summary.enabled,
      disabled: summary.disabled,
      expired: summary.expired,
      active: summary.active,
      neverLoggedIn: summary.neverLoggedIn,
      inactive: { days: q.inactiveDays, count: summary.inactive.count, users: summary.inactive.users.map((u) => ({ user: u.uid, lastLoginAt: u.lastLoginAt })) },
    },
    mfa: {
      enrolled: summary.mfa.enrolled,
      required: mode === 'required' ? summary.mfa.notExempt : mode === 'optional' ? summary.mfa.enrolledNotExempt : 0,
      exempt: summary.mfa.exempt,
      coverage: summary.mfa.notExempt === 0 ? null : summary.mfa.enrolledNotExempt / summary.mfa.notExempt,
    },
    passwordsExpiring: {
      days: tenant.passwordPolicy.maxAgeDays > 0 ? q.expiringDays : 0,
      count: summary.passwordsExpiring.count,
      users: summary.passwordsExpiring.users.map((u) => ({ user: u.uid, expiresAt: u.expiresAt })),
    },
    appPasswordsUnused: {
      days: q.unusedDays,
      count: summary.appPasswordsUnused.count,
      items: summary.appPasswordsUnused.items.map((a) => ({ user: a.uid, name: a.name, lastUsedAt: a.lastUsedAt ?? null })),
    },
    suspicious: security.items.map(suspicious),
  };
}

/** A security.* event as the report lists it: spraying names a source, the others a user. */
function suspicious(e: AuditEvent): TenantReport['suspicious'][number] {
  const kind = e.action.slice('security.'.length);
  const { source, ...detail } = e.detail ?? {};
  const bySource = kind === 'spraying';
  return {
    kind,
    user: bySource ? null : e.target ?? null,
    source: bySource ? e.target ?? null : source === undefined ? null : String(source),
    at: e.at,
    detail,
  };
}

export interface MspRow {
  tenant: string;
  users: number;
  /** Logged in within inactiveDays (30 by default). */
  activeUsers: number;
  authOk: number;
  authFailed: number;
  successRate: number | null;
  lockouts: number;
  /** Enabled users with an authenticator, of the enabled users (exempt groups are not subtracted here). */
  mfaCoverage: number | null;
  /** The newest authentication in the range; null if none. */
  lastActivity: Date | null;
  byDay: DayTotals[];
}

export interface MspReport {
  since: Date;
  until: Date;
  rows: MspRow[];
}

/**
 * One row per tenant, each number from one aggregation over all of them (never a query per
 * tenant): authentications by tenant and day, lockouts by tenant, the newest authentication
 * by tenant, users by tenant.
 */
export async function mspReport(tenants: readonly TenantConfig[], reports: CrossTenantReports, q: { since: Date; until: Date; inactiveDays: number }, now: Date): Promise<MspReport> {
  const range = { since: q.since, until: q.until };
  const auth = { ...range, actions: AUTH_ACTIONS, exceptReasons: STEP_REASONS };
  const [counts, lockouts, last, users] = await Promise.all([
    reports.countByDay(auth),
    reports.countByDay({ ...range, actions: ['user.lockout'] }),
    reports.lastAt(auth),
    reports.users({ activeSince: new Date(now.getTime() - q.inactiveDays * DAY_MS) }),
  ]);
  const rowsOf = new Map<string, typeof counts>();
  for (const r of counts) rowsOf.set(r.tenantId, [...(rowsOf.get(r.tenantId) ?? []), r]);
  const lockoutsOf = new Map<string, number>();
  for (const r of lockouts) lockoutsOf.set(r.tenantId, (lockoutsOf.get(r.tenantId) ?? 0) + r.count);
  const rows = tenants.map((t): MspRow => {
    const mine = rowsOf.get(t.id) ?? [];
    const ok = mine.filter((r) => !isFailed(r.outcome)).reduce((n, r) => n + r.count, 0);
    const failed = mine.filter((r) => isFailed(r.outcome)).reduce((n, r) => n + r.count, 0);
    const u = users.get(t.id) ?? { total: 0, enabled: 0, active: 0, mfaEnrolled: 0 };
    return {
      tenant: t.id,
      users: u.total,
      activeUsers: u.active,
      authOk: ok,
      authFailed: failed,
      successRate: rate(ok, failed),
      lockouts: lockoutsOf.get(t.id) ?? 0,
      mfaCoverage: u.enabled === 0 ? null : u.mfaEnrolled / u.enabled,
      lastActivity: last.get(t.id) ?? null,
      byDay: byDay(mine, q.since, q.until),
    };
  });
  return { since: q.since, until: q.until, rows: rows.sort((a, b) => (a.tenant < b.tenant ? -1 : 1)) };
}
