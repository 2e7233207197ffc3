// Who is calling and what they may do: bearer tokens from tenantdir.yaml, their roles and their
// tenants. The one place that decides access; routes only declare what they need.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AdminConfig, Registry, TenantConfig } from '../config/index.ts';
import { Forbidden, NotFound, Unauthenticated } from '../core/errors.ts';

export type Role = AdminConfig['role'];

export interface Principal {
  name: string;
  role: Role;
  /** Tenants a tenant-admin or helpdesk may act on; every tenant for msp-admin. */
  tenants: ReadonlySet<string> | 'all';
  /** Access beyond the role (the admin's `grants`). */
  grants: ReadonlySet<Grant>;
}

export type Grant = NonNullable<AdminConfig['grants']>[number];

/**
 * What a route needs. read: GET; credential: set a password, unlock, reset an authenticator,
 * revoke an app password (helpdesk may); write: every other change; msp: MSP-wide views
 * (msp-admin only); metrics: /metrics (msp-admin and the metrics role); report: the activity
 * reports (msp-admin, tenant-admin, and a helpdesk granted `reports`). public routes need no token.
 */
export type Access = 'public' | 'read' | 'credential' | 'write' | 'msp' | 'metrics' | 'report';

export const ALLOWED: Record<Role, ReadonlySet<Access>> = {
  'msp-admin': new Set(['read', 'credential', 'write', 'msp', 'metrics', 'report']),
  'tenant-admin': new Set(['read', 'credential', 'write', 'report']),
  helpdesk: new Set(['read', 'credential']),
  // A Prometheus scraper's token: a leaked one shows counts, never a user or a change.
  metrics: new Set(['metrics']),
};

/** What a grant adds to any role. */
const GRANTED: Record<Grant, Access> = { reports: 'report' };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * The admin whose token is presented. Both sides are hashed to equal-length digests so that
 * timingSafeEqual applies, and every configured token is compared, so the time taken does not
 * say which one (or how much of one) matched.
 */
export function authenticate(authorization: string | undefined, admins: readonly AdminConfig[]): Principal {
  const m = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  if (!m?.[1]) throw new Unauthenticated('a bearer token is required (Authorization: Bearer <token>)');
  const presented = digest(m[1]);
  let found: AdminConfig | undefined;
  for (const a of admins) {
    if (timingSafeEqual(presented, digest(a.token)) && !found) found = a;
  }
  if (!found) throw new Unauthenticated('the bearer token is not valid');
  return {
    name: found.name,
    role: found.role,
    tenants: found.role === 'msp-admin' ? 'all' : new Set(found.tenants ?? []),
    grants: new Set(found.grants ?? []),
  };
}

export function canSeeTenant(p: Principal, tenantId: string): boolean {
  return p.tenants === 'all' || p.tenants.has(tenantId);
}

/** The tenant, if the caller may see it; otherwise exactly what a nonexistent tenant gets. */
export function scopedTenant(p: Principal, registry: Pick<Registry, 'byId'>, id: string): TenantConfig {
  const t = canSeeTenant(p, id) ? registry.byId(id) : undefined;
  if (!t) throw new NotFound(`tenant "${id}" not found`);
  return t;
}

export function checkRole(p: Principal, access: Access): void {
  if (access === 'public' || ALLOWED[p.role].has(access)) return;
  if ([...p.grants].some((g) => GRANTED[g] === access)) return;
  throw new Forbidden(`role ${p.role} may not do this`, {
    hint: access === 'msp' ? 'MSP-wide views need an msp-admin token'
      : access === 'metrics' ? '/metrics needs an msp-admin or a metrics token'
        : access === 'report' ? 'reports need a tenant-admin or msp-admin token, or `grants: [reports]` on the admin in tenantdir.yaml'
          : p.role === 'metrics' ? 'a metrics token reads /metrics only' : 'helpdesk tokens may read, set passwords, unlock users, reset authenticators and revoke app passwords only',
  });
}
