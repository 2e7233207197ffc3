// Groups of one tenant and their members: users, and nested groups.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../../core/errors.ts';
import { nameKey } from '../../core/ids.ts';
import type { TenantDirectory } from '../../directory/index.ts';
import { GroupJson, GroupPage, GroupPatchBody, MembersQuery, NewGroupBody, PageQuery, RenumberGroupBody, UserPage } from '../api.ts';
import { actorOf, directoryOf, pageJson, pageOf, type AdminContext, type TenantParams } from '../context.ts';
import { TenantPath } from './tenants.ts';

const GroupPath = Type.Object({ tenant: Type.String(), name: Type.String() });
const UserMemberPath = Type.Object({ tenant: Type.String(), name: Type.String(), uid: Type.String() });
const GroupMemberPath = Type.Object({ tenant: Type.String(), name: Type.String(), child: Type.String() });
interface GroupParams extends TenantParams {
  name: string;
}
type MemberParams = GroupParams & ({ uid: string } | { child: string });

const read = { access: 'read' } as const;
const write = { access: 'write' } as const;

async function requireGroup(dir: TenantDirectory, name: string) {
  const g = await dir.getGroup(name);
  if (!g) throw new NotFound(`group "${name}" not found`);
  return g;
}

export function groupRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const base = '/api/v1/tenants/:tenant/groups';
  const one = { params: GroupPath };

  app.get<{ Params: TenantParams; Querystring: PageQuery }>(base, {
    config: read, schema: { params: TenantPath, querystring: PageQuery, response: { 200: GroupPage } },
  }, async (req) => {
    const { q } = req.query;
    const r = await directoryOf(ctx, req).findGroups(q ? { prefix: 'name', value: q } : { all: true }, pageOf(req.query));
    return pageJson(r);
  });

  app.post<{ Params: TenantParams; Body: NewGroupBody }>(base, {
    config: write, schema: { params: TenantPath, body: NewGroupBody, response: { 201: GroupJson } },
  }, async (req, reply) => {
    const group = await directoryOf(ctx, req).createGroup(req.body, actorOf(req));
    return reply.status(201).header('location', `/api/v1/tenants/${req.params.tenant}/groups/${group.name}`).send(group);
  });

  app.get<{ Params: GroupParams }>(`${base}/:name`, {
    config: read, schema: { ...one, response: { 200: GroupJson } },
  }, async (req) => requireGroup(directoryOf(ctx, req), req.params.name));

  app.patch<{ Params: GroupParams; Body: GroupPatchBody }>(`${base}/:name`, {
    config: write, schema: { ...one, body: GroupPatchBody, response: { 200: GroupJson } },
  }, async (req) => directoryOf(ctx, req).updateGroup(req.params.name, req.body, actorOf(req)));

  app.delete<{ Params: GroupParams }>(`${base}/:name`, { config: write, schema: one }, async (req, reply) => {
    await directoryOf(ctx, req).deleteGroup(req.params.name, actorOf(req));
    return reply.status(204).send();
  });

  /** A new gidNumber (the next free one, or `gidNumber`). For `doctor`'s findings. */
  app.post<{ Params: GroupParams; Body: RenumberGroupBody }>(`${base}/:name/renumber`, {
    config: write, schema: { ...one, body: RenumberGroupBody, response: { 200: GroupJson } },
  }, async (req) => directoryOf(ctx, req).renumberGroup(req.params.name, actorOf(req), req.body.gidNumber));

  /** Member users, through nested groups too unless `direct=true`. */
  app.get<{ Params: GroupParams; Querystring: MembersQuery }>(`${base}/:name/members`, {
    config: read, schema: { ...one, querystring: MembersQuery, response: { 200: UserPage } },
  }, async (req) => {
    const dir = directoryOf(ctx, req);
    const group = await requireGroup(dir, req.params.name);
    const { q, direct } = req.query;
    const page = pageOf(req.query);
    const members = direct ? [nameKey(group.name)] : await dir.groupClosure(group.name);
    const query = { memberOf: members };
    const r = await dir.findUsers(q ? { and: [query, { prefix: 'uid', value: q }] } : query, page);
    return pageJson(r);
  });

  // PUT adds (idempotent), DELETE removes: a member is a user or a nested group.
  const kinds = [
    { path: 'users/:uid', params: UserMemberPath, member: (p: MemberParams) => ({ user: 'uid' in p ? p.uid : '' }) },
    { path: 'groups/:child', params: GroupMemberPath, member: (p: MemberParams) => ({ group: 'child' in p ? p.child : '' }) },
  ];
  for (const k of kinds) {
    const opts = { config: write, schema: { params: k.params } };
    app.put<{ Params: MemberParams }>(`${base}/:name/members/${k.path}`, opts, async (req, reply) => {
      await directoryOf(ctx, req).addMember(req.params.name, k.member(req.params), actorOf(req));
      return reply.status(204).send();
    });
    app.delete<{ Params: MemberParams }>(`${base}/:name/members/${k.path}`, opts, async (req, reply) => {
      await directoryOf(ctx, req).removeMember(req.params.name, k.member(req.params), actorOf(req));
      return reply.status(204).send();
    });
  }
}
