// Activity reports: a tenant's (GET /api/v1/tenants/:tenant/report) and the MSP-wide one with a
// row per tenant the caller may see (GET /api/v1/report). Access `report`: msp-admin,
// tenant-admin of the tenant, a helpdesk granted `reports`; another tenant's report is "not
// found", and its row is never in the MSP-wide one.
import type { FastifyInstance } from 'fastify';
import { parseSince } from '../../directory/index.ts';
import { canSeeTenant } from '../access.ts';
import { MspReportJson, MspReportQuery, ReportQuery, TenantReportJson } from '../api.ts';
import { directoryOf, type AdminContext, type TenantParams } from '../context.ts';
import { TenantPath } from './tenants.ts';

export function reportRoutes(app: FastifyInstance, ctx: AdminContext): void {
  app.get<{ Params: TenantParams; Querystring: ReportQuery }>('/api/v1/tenants/:tenant/report', {
    config: { access: 'report' }, schema: { params: TenantPath, querystring: ReportQuery, response: { 200: TenantReportJson } },
  }, async (req) => {
    const q = req.query;
    const until = new Date();
    return directoryOf(ctx, req).report({
      since: parseSince(q.since, until), until, inactiveDays: q.inactiveDays, expiringDays: q.expiringDays, unusedDays: q.unusedDays,
    });
  });

  app.get<{ Querystring: MspReportQuery }>('/api/v1/report', {
    config: { access: 'report' }, schema: { querystring: MspReportQuery, response: { 200: MspReportJson } },
  }, async (req) => {
    const p = req.principal;
    const visible = ctx.live.current().tenants.filter((t) => p !== null && canSeeTenant(p, t.id));
    const until = new Date();
    return ctx.directory.mspReport(visible, { since: parseSince(req.query.since, until), until, inactiveDays: req.query.inactiveDays });
  });
}
