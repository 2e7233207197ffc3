// Delivery status of the webhooks and syslog destinations: a tenant's own (tenant-admin and
// helpdesk of that tenant may read it) and the MSP-wide ones (msp-admin only). URLs are shown
// by origin only, secrets never.
import type { FastifyInstance } from 'fastify';
import { IntegrationsJson } from '../api.ts';
import { tenantOf, type AdminContext, type TenantParams } from '../context.ts';
import { TenantPath } from './tenants.ts';

const NONE: IntegrationsJson = { webhooks: [], syslog: [] };

export function integrationRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const response = { 200: IntegrationsJson };

  app.get<{ Params: TenantParams }>('/api/v1/tenants/:tenant/integrations', {
    config: { access: 'read' }, schema: { params: TenantPath, response },
  }, async (req) => (ctx.integrations ? ctx.integrations.status(tenantOf(req).id) : NONE));

  app.get('/api/v1/integrations', {
    config: { access: 'msp' }, schema: { response },
  }, async () => (ctx.integrations ? ctx.integrations.mspStatus() : NONE));
}
