// RADIUS accounting as sessions: GET /api/v1/tenants/:tenant/sessions, read by every role.
import type { FastifyInstance } from 'fastify';
import { ACTIVE_WITHIN_HOURS } from '../../directory/index.ts';
import { SessionList, SessionQuery } from '../api.ts';
import { directoryOf, toDate, type AdminContext, type TenantParams } from '../context.ts';
import { TenantPath } from './tenants.ts';

export function sessionRoutes(app: FastifyInstance, ctx: AdminContext): void {
  /** The most recently active first. */
  app.get<{ Params: TenantParams; Querystring: SessionQuery }>('/api/v1/tenants/:tenant/sessions', {
    config: { access: 'read' }, schema: { params: TenantPath, querystring: SessionQuery, response: { 200: SessionList } },
  }, async (req) => {
    const q = req.query;
    const items = await directoryOf(ctx, req).listSessions({
      limit: q.limit,
      active: q.active,
      ...(q.user === undefined ? {} : { user: q.user }),
      ...(q.since === undefined ? {} : { since: toDate(q.since) }),
    });
    return { items, activeWithinHours: ACTIVE_WITHIN_HOURS };
  });
}
