// Liveness and readiness, for load balancers and orchestrators: no token needed. Without an
// msp-admin token /readyz says only up or down per check; with one, what is wrong (the store's
// error, which tenant is still seeding), which names hosts and tenants. Also the OpenAPI document.
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LiveRegistry } from '../../config/index.ts';
import { hasCode } from '../../core/errors.ts';
import { authenticate } from '../access.ts';
import { Readiness } from '../api.ts';

type ReadinessJson = Static<typeof Readiness>;
export type ReadinessCheck = () => Promise<ReadinessJson>;

/**
 * msp-admin only: the detail is about the MSP's own infrastructure, which a tenant's admin or
 * helpdesk has no business seeing. Any other caller, or a token that is not valid, gets the
 * booleans: a probe's answer never depends on the token it may have been given by mistake.
 */
function maySeeDetail(authorization: string | undefined, live: LiveRegistry): boolean {
  if (authorization === undefined) return false;
  try {
    return authenticate(authorization, live.current().server.admins).role === 'msp-admin';
  } catch (err) {
    if (hasCode(err, 'TD_UNAUTHENTICATED')) return false;
    throw err;
  }
}

/** Each check as up (true) or down (false), its text dropped. */
function upOrDown(r: ReadinessJson): ReadinessJson {
  return { ready: r.ready, checks: Object.fromEntries(Object.entries(r.checks).map(([name, v]) => [name, v === true])) };
}

export function healthRoutes(app: FastifyInstance, live: LiveRegistry, readiness: ReadinessCheck, openapi: () => unknown): void {
  const config = { access: 'public' } as const;

  /** The process is up and serving HTTP. */
  app.get('/healthz', { config }, async () => ({ ok: true }));

  /** Config loaded, store reachable, listeners bound: 200, otherwise 503 naming what is not. */
  app.get('/readyz', { config, schema: { response: { 200: Readiness, 503: Readiness } } }, async (req, reply) => {
    const r = await readiness().catch((err: unknown) => ({
      ready: false, checks: { readiness: err instanceof Error ? err.message : String(err) },
    }));
    return reply.status(r.ready ? 200 : 503).send(maySeeDetail(req.headers.authorization, live) ? r : upOrDown(r));
  });

  app.get('/api/v1/openapi.json', { config }, async () => openapi());
}
