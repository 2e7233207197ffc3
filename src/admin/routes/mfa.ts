// TOTP of one tenant's users: enrol (the seed is shown this once), confirm with a first code,
// status, reset (helpdesk may: a lost phone is a helpdesk call), and re-sealing every seed of a
// tenant after a key rotation.
import type { FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import { ResealResult, TotpCodeBody, TotpEnrolment, TotpResetResult, TotpStatusJson } from '../api.ts';
import { actorOf, directoryOf, type AdminContext, type TenantParams } from '../context.ts';
import { TenantPath } from './tenants.ts';
import { UserPath } from './users.ts';

interface UserParams extends TenantParams {
  uid: string;
}

export function mfaRoutes(app: FastifyInstance, ctx: AdminContext): void {
  const base = '/api/v1/tenants/:tenant/users/:uid/mfa/totp';
  const one = { params: UserPath };

  app.post<{ Params: UserParams }>(base, {
    config: { access: 'write' }, schema: { ...one, response: { 201: TotpEnrolment } },
  }, async (req, reply) => {
    const e = await directoryOf(ctx, req).enrollTotp(req.params.uid, actorOf(req));
    // Never cached, never logged: the seed is in this answer.
    reply.header('cache-control', 'no-store');
    return reply.status(201).send({ uid: req.params.uid, ...e, qrSvg: await QRCode.toString(e.uri, { type: 'svg', margin: 2 }) });
  });

  app.post<{ Params: UserParams; Body: TotpCodeBody }>(`${base}/confirm`, {
    config: { access: 'write' }, schema: { ...one, body: TotpCodeBody, response: { 200: TotpStatusJson } },
  }, async (req) => {
    const dir = directoryOf(ctx, req);
    await dir.confirmTotp(req.params.uid, req.body.code, actorOf(req));
    return { uid: req.params.uid, ...(await dir.totpStatus(req.params.uid)), tenantMode: dir.tenant.mfa.totp };
  });

  app.get<{ Params: UserParams }>(base, {
    config: { access: 'read' }, schema: { ...one, response: { 200: TotpStatusJson } },
  }, async (req) => {
    const dir = directoryOf(ctx, req);
    return { uid: req.params.uid, ...(await dir.totpStatus(req.params.uid)), tenantMode: dir.tenant.mfa.totp };
  });

  app.delete<{ Params: UserParams }>(base, {
    config: { access: 'credential' }, schema: { ...one, response: { 200: TotpResetResult } },
  }, async (req) => ({ uid: req.params.uid, reset: await directoryOf(ctx, req).resetTotp(req.params.uid, actorOf(req)) }));

  app.post<{ Params: TenantParams }>('/api/v1/tenants/:tenant/mfa/reseal', {
    config: { access: 'write' }, schema: { params: TenantPath, response: { 200: ResealResult } },
  }, async (req) => ({ tenant: req.params.tenant, ...(await directoryOf(ctx, req).resealTotp(actorOf(req))) }));
}
