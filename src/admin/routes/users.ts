// Users of one tenant: CRUD, password, enable/disable, unlock, renumber.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../../core/errors.ts';
import { nameKey } from '../../core/ids.ts';
import type { NewUserInput, TenantDirectory, UserFields } from '../../directory/index.ts';
import {
  NewUserBody, PageQuery, PasswordBody, RenumberUserBody, UnlockResult, UserJson, UserPage, UserPatchBody,
} from '../api.ts';
import { actorOf, directoryOf, pageJson, pageOf, toDate, type AdminContext, type TenantParams } from '../context.ts';
import { TenantPath } from './tenants.ts';

export const UserPath = Type.Object({ tenant: Type.String(), uid: Type.String() });
interface UserParams extends TenantParams {
  uid: string;
}

const read = { access: 'read' } as const;
const write = { access: 'write' } as const;
const credential = { access: 'credential' } as const;
/** A user's fields with a few dozen SSH keys; the server's default (16 KiB) for the other bodies. */
const USER_BODY_LIMIT = 64 * 1024;

/** A create or import row as the directory takes it (timestamps as Dates). */
export function newUserInput<T extends NewUserBody>(b: T): Omit<T, 'expiresAt'> & NewUserInput {
  const { expiresAt, ...rest } = b;
  return { ...rest, ...(expiresAt === undefined ? {} : { expiresAt: toDate(expiresAt) }) };
}

/** A patch as the directory takes it: null clears, which the directory spells ''. */
function userFields(b: UserPatchBody): UserFields {
  const { expiresAt, ...rest } = b;
  const out: UserFields = {};
  for (const [k, v] of Object.entries(rest)) (out as Record<string, unknown>)[k] = v === null ? '' : v;
  if (expiresAt !== undefined) out.expiresAt = expiresAt === null ? null : toDate(expiresAt);
  return out;
}

function withLock<T extends object>(user: T, lockedUntil: Date | undefined): T & { lockedUntil?: Date } {
  return lockedUntil ? { ...user, lockedUntil } : user;
}

async function requireUser(dir: TenantDirectory, uid: string) {
  const u = await dir.getUser(uid);
  if (!u) throw new NotFound(`user "${uid}" not found`);
  return u;
}

export function userRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const base = '/api/v1/tenants/:tenant/users';
  const one = { params: UserPath };

  app.get<{ Params: TenantParams; Querystring: PageQuery }>(base, {
    config: read, schema: { params: TenantPath, querystring: PageQuery, response: { 200: UserPage } },
  }, async (req) => {
    const { q } = req.query;
    const dir = directoryOf(ctx, req);
    const r = await dir.findUsers(q ? { prefix: 'uid', value: q } : { all: true }, pageOf(req.query));
    const locked = await dir.lockedUntilMany(r.items.map((u) => u.uid));
    return pageJson({ ...r, items: r.items.map((u) => withLock(u, locked.get(nameKey(u.uid)))) });
  });

  app.post<{ Params: TenantParams; Body: NewUserBody }>(base, {
    config: write, bodyLimit: USER_BODY_LIMIT, schema: { params: TenantPath, body: NewUserBody, response: { 201: UserJson } },
  }, async (req, reply) => {
    const user = await directoryOf(ctx, req).createUser(newUserInput(req.body), actorOf(req));
    return reply.status(201).header('location', `/api/v1/tenants/${req.params.tenant}/users/${user.uid}`).send(user);
  });

  app.get<{ Params: UserParams }>(`${base}/:uid`, {
    config: read, schema: { ...one, response: { 200: UserJson } },
  }, async (req) => {
    const dir = directoryOf(ctx, req);
    const user = await requireUser(dir, req.params.uid);
    return withLock(user, await dir.lockedUntil(user.uid));
  });

  app.patch<{ Params: UserParams; Body: UserPatchBody }>(`${base}/:uid`, {
    config: write, bodyLimit: USER_BODY_LIMIT, schema: { ...one, body: UserPatchBody, response: { 200: UserJson } },
  }, async (req) => directoryOf(ctx, req).updateUser(req.params.uid, userFields(req.body), actorOf(req)));

  app.delete<{ Params: UserParams }>(`${base}/:uid`, { config: write, schema: one }, async (req, reply) => {
    await directoryOf(ctx, req).deleteUser(req.params.uid, actorOf(req));
    return reply.status(204).send();
  });

  /** Sets the password under the tenant's policy (422 says which rule failed); clears a lockout. */
  app.put<{ Params: UserParams; Body: PasswordBody }>(`${base}/:uid/password`, {
    config: credential, schema: { ...one, body: PasswordBody },
  }, async (req, reply) => {
    await directoryOf(ctx, req).setPassword(req.params.uid, req.body.password, actorOf(req));
    return reply.status(204).send();
  });

  /** 200 either way: `unlocked` says whether there was a lock to lift (none: nothing changed, nothing audited). */
  app.post<{ Params: UserParams }>(`${base}/:uid/unlock`, {
    config: credential, schema: { ...one, response: { 200: UnlockResult } },
  }, async (req) => ({ uid: req.params.uid, unlocked: await directoryOf(ctx, req).unlock(req.params.uid, actorOf(req)) }));

  /** A new uidNumber (the next free one, or `uidNumber`); a private group moves with it. For `doctor`'s findings. */
  app.post<{ Params: UserParams; Body: RenumberUserBody }>(`${base}/:uid/renumber`, {
    config: write, schema: { ...one, body: RenumberUserBody, response: { 200: UserJson } },
  }, async (req) => directoryOf(ctx, req).renumberUser(req.params.uid, actorOf(req), req.body.uidNumber));

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post<{ Params: UserParams }>(`${base}/:uid/${verb}`, {
      config: write, schema: { ...one, response: { 200: UserJson } },
    }, async (req) => directoryOf(ctx, req).setEnabled(req.params.uid, enabled, actorOf(req)));
  }
}
