// App passwords of one tenant's users: add (the secret is shown in this answer only), list,
// revoke. Adding is a tenant-admin's: an app password is a working credential that the one who
// makes it sees and the user may never notice, and it can stand for both factors. Revoking only
// takes access away, so helpdesk may (a lost phone is a helpdesk call), and list to find it.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppPasswordList, NewAppPasswordBody, NewAppPasswordJson } from '../api.ts';
import { actorOf, directoryOf, type AdminContext, type TenantParams } from '../context.ts';
import { UserPath } from './users.ts';

interface UserParams extends TenantParams {
  uid: string;
}

interface OneParams extends UserParams {
  name: string;
}

const OnePath = Type.Object({ ...UserPath.properties, name: Type.String() });

export function appPasswordRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const base = '/api/v1/tenants/:tenant/users/:uid/app-passwords';

  app.post<{ Params: UserParams; Body: NewAppPasswordBody }>(base, {
    config: { access: 'write' }, schema: { params: UserPath, body: NewAppPasswordBody, response: { 201: NewAppPasswordJson } },
  }, async (req, reply) => {
    const added = await directoryOf(ctx, req).addAppPassword(req.params.uid, req.body, actorOf(req));
    // Never cached: the secret is in this answer.
    reply.header('cache-control', 'no-store');
    return reply.status(201).send({ uid: req.params.uid, ...added });
  });

  app.get<{ Params: UserParams }>(base, {
    config: { access: 'read' }, schema: { params: UserPath, response: { 200: AppPasswordList } },
  }, async (req) => ({ uid: req.params.uid, items: await directoryOf(ctx, req).listAppPasswords(req.params.uid) }));

  app.delete<{ Params: OneParams }>(`${base}/:name`, {
    config: { access: 'credential' }, schema: { params: OnePath },
  }, async (req, reply) => {
    await directoryOf(ctx, req).revokeAppPassword(req.params.uid, req.params.name, actorOf(req));
    return reply.status(204).send();
  });
}
