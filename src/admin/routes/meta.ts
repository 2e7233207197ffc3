// What the console asks first: who the token is (whoami), the configuration's health (the last
// reload and its problems, MSP-wide), and a tenant's RADIUS settings as read-only rows that name
// the YAML line to edit (they come from files, not the store).
import { relative, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ReloadStatus } from '../../config/index.ts';
import { ConfigStatusJson, RadiusViewJson, WhoamiJson } from '../api.ts';
import { tenantOf, type AdminContext, type TenantParams } from '../context.ts';
import { ALLOWED } from '../access.ts';
import { TenantPath } from './tenants.ts';

export function metaRoutes(app: FastifyInstance, ctx: AdminContext, reloadStatus: () => ReloadStatus | undefined): void {
  app.get('/api/v1/whoami', { config: { access: 'read' }, schema: { response: { 200: WhoamiJson } } }, async (req) => {
    const p = req.principal!;
    const may = ALLOWED[p.role];
    return {
      name: p.name,
      role: p.role,
      tenants: p.tenants === 'all' ? 'all' as const : [...p.tenants].sort(),
      may: { write: may.has('write'), credential: may.has('credential'), msp: may.has('msp') },
    };
  });

  /** MSP-wide: a problem may name any tenant's file. */
  app.get('/api/v1/config/status', { config: { access: 'msp' }, schema: { response: { 200: ConfigStatusJson } } }, async () => {
    const registry = ctx.live.current();
    const last = reloadStatus();
    return {
      loadedAt: registry.loadedAt.toISOString(),
      tenants: registry.tenants.length,
      ...(last ? {
        lastReload: {
          at: last.at.toISOString(), reason: last.reason, ok: last.ok,
          problems: last.problems.map((p) => ({ ...p, file: shown(registry.dir, p.file) })),
          warnings: last.warnings.map((p) => ({ ...p, file: shown(registry.dir, p.file) })),
        },
      } : {}),
    };
  });

  app.get<{ Params: TenantParams }>('/api/v1/tenants/:tenant/radius', {
    config: { access: 'read' }, schema: { params: TenantPath, response: { 200: RadiusViewJson } },
  }, async (req) => {
    const t = tenantOf(req);
    const registry = ctx.live.current();
    const src = registry.sourceOf(t.id);
    const r = t.radius;
    return {
      tenant: t.id,
      file: shown(registry.dir, t.file),
      clients: r.clients.map((c, i) => ({ name: c.name, address: c.address, ...line(src?.clients[i]) })),
      vlans: r.vlans.map((v, i) => ({ group: v.group, vlan: v.vlan, ...line(src?.vlans[i]) })),
      realms: [...r.realms],
      requireMessageAuthenticator: r.requireMessageAuthenticator,
      allowMschapv2: r.allowMschapv2,
      mab: { enabled: r.mab.enabled, ...(r.mab.unknownVlan === undefined ? {} : { unknownVlan: r.mab.unknownVlan }) },
    };
  });
}

const line = (n: number | undefined) => (n === undefined ? {} : { line: n });

/** A config file relative to the config directory (tenants/acme.yaml), as the operator edits it. */
function shown(dir: string, file: string): string {
  const rel = relative(dir, resolve(file));
  return rel.startsWith('..') ? file : rel;
}
