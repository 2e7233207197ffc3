// The report API's shapes (GET /api/v1/report, GET /api/v1/tenants/:t/report), as the console reads them.
import type { MspReportJson, TenantReportJson } from '../../src/admin/api.ts';

// The wire shapes are the admin API's own schemas (type-only: nothing of src/ is bundled).
export type MspReport = MspReportJson;
export type OverviewRow = MspReportJson['rows'][number];
export type TenantReport = TenantReportJson;

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
