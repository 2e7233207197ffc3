// Bulk provisioning: one batch of users and groups per request, idempotent, bad rows reported
// (by the line the client sent) while the rest import. The CLI splits files into batches. A row
// that names its LDIF entry's DN is refused unless that DN is in the tenant's subtree.
import type { FastifyInstance } from 'fastify';
import type { TenantConfig } from '../../config/index.ts';
import { InvalidInput } from '../../core/errors.ts';
import { isWithin, normalizeDn, tryNormalizeDn } from '../../core/dn.ts';
import { MAX_IMPORT_BATCH } from '../../directory/index.ts';
import { ImportBody, ImportResult } from '../api.ts';
import { actorOf, directoryOf, tenantOf, type AdminContext, type TenantParams } from '../context.ts';
import { TenantPath } from './tenants.ts';
import { newUserInput } from './users.ts';

/** A batch of MAX_IMPORT_BATCH rows with a few SSH keys each fits in this; the CLI sends 1 MiB at most. */
const IMPORT_BODY_LIMIT = 4 * 1024 * 1024;

type RowError = ImportResult['errors'][number];

/** Keeps the rows whose `dn` (when given) is in the tenant's subtree; reports the others by line. */
function inTenant<T extends { dn?: string; line?: number }>(tenant: TenantConfig, rows: T[], name: (r: Omit<T, 'dn'>) => string, refused: RowError[]): Omit<T, 'dn'>[] {
  const base = normalizeDn(tenant.baseDN);
  const kept: Omit<T, 'dn'>[] = [];
  for (const { dn, ...row } of rows) {
    const norm = dn === undefined ? base : tryNormalizeDn(dn);
    if (norm !== undefined && isWithin(norm, base)) {
      kept.push(row);
      continue;
    }
    const why = norm === undefined ? `"${dn}" is not a valid DN` : `${dn} is not under ${tenant.id}'s base ${tenant.baseDN}`;
    refused.push({ ...(row.line === undefined ? {} : { line: row.line }), name: name(row), message: `dn ${why}; not imported` });
  }
  return kept;
}

export function importRoutes(app: FastifyInstance, ctx: AdminContext): void {
  app.post<{ Params: TenantParams; Body: ImportBody }>('/api/v1/tenants/:tenant/import', {
    config: { access: 'write' },
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: { params: TenantPath, body: ImportBody, response: { 200: ImportResult } },
  }, async (req) => {
    if ((req.body.users?.length ?? 0) + (req.body.groups?.length ?? 0) > MAX_IMPORT_BATCH) {
      throw new InvalidInput(`an import batch holds at most ${MAX_IMPORT_BATCH} rows; split it`);
    }
    const tenant = tenantOf(req);
    const refused: RowError[] = [];
    const users = inTenant(tenant, req.body.users ?? [], (u) => u.uid, refused);
    const groups = inTenant(tenant, req.body.groups ?? [], (g) => g.name, refused);
    const r = await directoryOf(ctx, req).importBatch({ users: users.map(newUserInput), groups }, actorOf(req));
    return { ...r, failed: r.failed + refused.length, errors: [...refused, ...r.errors] };
  });
}
