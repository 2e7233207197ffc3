// The report API's shapes (GET /api/v1/report, GET /api/v1/tenants/:t/report), as the console reads them.
import type { Day } from './ui.tsx';

export interface OverviewRow {
  tenant: string;
  users: number;
  activeUsers: number;
  authOk: number;
  authFailed: number;
  successRate: number | null;
  lockouts: number;
  mfaCoverage: number | null;
  lastActivity?: string | null;
  byDay: Day[];
}

export interface MspReport {
  since: string;
  until: string;
  rows: OverviewRow[];
}

export interface TenantReport {
  tenant: string;
  since: string;
  until: string;
  generatedAt: string;
  lastActivity?: string | null;
  authentications: { ok: number; failed: number; successRate: number | null; byMethod: { protocol: string; method: string; ok: number; failed: number }[]; byDay: Day[] };
  topFailingUsers: { user: string; failures: number; lastAt?: string }[];
  topFailingSources: { source: string; nas?: string | null; failures: number; lastAt?: string }[];
  lockouts: { count: number; users: { user: string; at: string }[] };
  users: { total: number; enabled: number; disabled: number; expired: number; active: number; neverLoggedIn: { count: number; users: string[] }; inactive: { days: number; count: number; users: { user: string; lastLoginAt: string }[] } };
  mfa: { enrolled: number; required: number; exempt: number; coverage: number | null };
  passwordsExpiring: { days: number; users: { user: string; expiresAt: string }[] };
  appPasswordsUnused: { days: number; items: { user: string; name: string; lastUsedAt?: string | null }[] };
  suspicious: { kind: string; user?: string | null; source?: string | null; at: string; detail?: Record<string, string | number | boolean> }[];
}

/** A tenant's report as one overview row. */
export function rowOf(r: TenantReport): OverviewRow {
  return {
    tenant: r.tenant,
    users: r.users.total,
    activeUsers: r.users.active,
    authOk: r.authentications.ok,
    authFailed: r.authentications.failed,
    successRate: r.authentications.successRate,
    lockouts: r.lockouts.count,
    mfaCoverage: r.mfa.coverage,
    lastActivity: r.lastActivity ?? null,
    byDay: r.authentications.byDay,
  };
}
