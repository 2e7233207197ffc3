// Bulk provisioning: one batch of users and groups per request, idempotent, bad rows reported
// (by the line the client sent) while the rest import. The CLI splits files into batches.
import type { FastifyInstance } from 'fastify';
import { InvalidInput } from '../../core/errors.ts';
import { MAX_IMPORT_BATCH } from '../../directory/index.ts';
import { ImportBody, ImportResult } from '../api.ts';
import { actorOf, directoryOf, type AdminContext, type TenantParams } from '../context.ts';
import { TenantPath } from './tenants.ts';
import { newUserInput } from './users.ts';

/** An import batch of MAX_IMPORT_BATCH rows with long SSH keys fits in this. */
const IMPORT_BODY_LIMIT = 8 * 1024 * 1024;

export function importRoutes(app: FastifyInstance, ctx: AdminContext): void {
  app.post<{ Params: TenantParams; Body: ImportBody }>('/api/v1/tenants/:tenant/import', {
    config: { access: 'write' },
    bodyLimit: IMPORT_BODY_LIMIT,
    schema: { params: TenantPath, body: ImportBody, response: { 200: ImportResult } },
  }, async (req) => {
    const users = req.body.users ?? [];
    const groups = req.body.groups ?? [];
    if (users.length + groups.length > MAX_IMPORT_BATCH) {
      throw new InvalidInput(`an import batch holds at most ${MAX_IMPORT_BATCH} rows; split it`);
    }
    return directoryOf(ctx, req).importBatch({ users: users.map(newUserInput), groups }, actorOf(req));
  });
}
