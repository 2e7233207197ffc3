// What a route handler gets from the request once the access hook has run: the caller, the
// tenant (already scope-checked), the tenant's directory, the audit actor; and cursor paging.
import type { FastifyRequest } from 'fastify';
import type { LiveRegistry, TenantConfig } from '../config/index.ts';
import { InvalidInput } from '../core/errors.ts';
import type { Actor, Directory, TenantDirectory } from '../directory/index.ts';
import type { Page, PageResult } from '../directory/index.ts';
import type { Access, Principal } from './access.ts';
import type { IntegrationsJson, PageJson, PageQuery } from './api.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs; a route that does not say is treated as a write. */
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
    tenant: TenantConfig | null;
  }
}

/** Delivery status of webhooks and syslog destinations (the daemon's integrations). */
export interface IntegrationsView {
  /** The tenant's own destinations. */
  status(tenantId: string): Promise<IntegrationsJson>;
  /** The MSP-wide destinations, over every tenant. */
  mspStatus(): Promise<IntegrationsJson>;
}

export interface AdminContext {
  live: LiveRegistry;
  directory: Directory;
  integrations?: IntegrationsView;
}

/** The CLI's User-Agent prefix. A label only: the audit trail keeps it as detail.agent, never as the protocol. */
export const CLI_USER_AGENT = 'tenantdir-cli';

export interface TenantParams {
  tenant: string;
}

export function tenantOf(req: FastifyRequest): TenantConfig {
  // Set by the access hook for every route with :tenant; absent only through a routing bug.
  if (!req.tenant) throw new Error(`route ${req.routeOptions.url ?? '?'} has no tenant`);
  return req.tenant;
}

export function directoryOf(ctx: AdminContext, req: FastifyRequest): TenantDirectory {
  return ctx.directory.tenant(tenantOf(req));
}

export function actorOf(req: FastifyRequest): Actor {
  if (!req.principal) throw new Error(`route ${req.routeOptions.url ?? '?'} has no principal`);
  // Protocol and address come from the connection, never from a header the caller chooses
  // (no X-Forwarded-For, no User-Agent): the agent is recorded as what it is, the caller's word.
  const ua = req.headers['user-agent'];
  return {
    name: req.principal.name,
    protocol: 'admin',
    role: req.principal.role,
    ...(req.socket.remoteAddress ? { source: req.socket.remoteAddress } : {}),
    ...(typeof ua === 'string' && ua !== '' ? { agent: ua } : {}),
  };
}

// Cursors are opaque to clients: base64url of the store's keyset position.
export function pageOf(q: Pick<PageQuery, 'limit' | 'cursor'>): Page {
  if (q.cursor === undefined) return { limit: q.limit };
  const after = Buffer.from(q.cursor, 'base64url').toString('utf8');
  if (after === '' || Buffer.from(after, 'utf8').toString('base64url') !== q.cursor) {
    throw new InvalidInput('cursor is not valid: pass the `next` value of the previous page unchanged');
  }
  return { limit: q.limit, after };
}

export function pageJson<T>(r: PageResult<T>): PageJson<T> {
  return { items: r.items, ...(r.next === undefined ? {} : { next: Buffer.from(r.next, 'utf8').toString('base64url') }) };
}

/** An API timestamp (validated as date-time by the schema) as a Date. */
export function toDate(s: string): Date {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new InvalidInput(`"${s}" is not a date-time`);
  return d;
}
