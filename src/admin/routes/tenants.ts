// Tenants (read-only: they come from YAML), each tenant's audit trail, and its doctor.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TenantConfig } from '../../config/index.ts';
import { canSeeTenant } from '../access.ts';
import { AuditList, AuditQuery, DoctorJson, TenantJson, TenantList } from '../api.ts';
import { directoryOf, tenantOf, toDate, type AdminContext, type TenantParams } from '../context.ts';

export const TenantPath = Type.Object({ tenant: Type.String() });
const read = { access: 'read' } as const;

function tenantJson(t: TenantConfig): TenantJson {
  return { id: t.id, name: t.name, baseDN: t.baseDN, passwordPolicy: t.passwordPolicy, mfa: { totp: t.mfa.totp } };
}

export function tenantRoutes(app: FastifyInstance, ctx: AdminContext): void {
  /** The tenants the caller may see; others are not named. */
  app.get('/api/v1/tenants', { config: read, schema: { response: { 200: TenantList } } }, async (req) => {
    const p = req.principal;
    const visible = ctx.live.current().tenants.filter((t) => p !== null && canSeeTenant(p, t.id));
    return { items: visible.map(tenantJson) };
  });

  app.get<{ Params: TenantParams }>('/api/v1/tenants/:tenant', {
    config: read, schema: { params: TenantPath, response: { 200: TenantJson } },
  }, async (req) => tenantJson(tenantOf(req)));

  /** Newest first; page back with `until` = the last event's `at`. */
  app.get<{ Params: TenantParams; Querystring: AuditQuery }>('/api/v1/tenants/:tenant/audit', {
    config: read, schema: { params: TenantPath, querystring: AuditQuery, response: { 200: AuditList } },
  }, async (req) => {
    const q = req.query;
    const items = await directoryOf(ctx, req).listAudit({
      limit: q.limit,
      ...(q.since ? { since: toDate(q.since) } : {}),
      ...(q.until ? { until: toDate(q.until) } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.target ? { target: q.target } : {}),
      ...(q.outcome ? { outcome: q.outcome } : {}),
    });
    return { items };
  });

  /**
   * Problems in the tenant's stored data (POSIX numbers that collide), each with its fix; an
   * empty list is a clean bill. Admins only: it reads every user.
   */
  app.get<{ Params: TenantParams }>('/api/v1/tenants/:tenant/doctor', {
    config: { access: 'write' }, schema: { params: TenantPath, response: { 200: DoctorJson } },
  }, async (req) => directoryOf(ctx, req).doctor());
}
