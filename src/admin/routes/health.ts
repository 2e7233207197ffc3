// Liveness and readiness, for load balancers and orchestrators: no token, no detail beyond the
// named checks. Also the OpenAPI description of the API.
import type { FastifyInstance } from 'fastify';
import { Readiness } from '../api.ts';
import type { Static } from '@sinclair/typebox';

export type ReadinessCheck = () => Promise<Static<typeof Readiness>>;

export function healthRoutes(app: FastifyInstance, readiness: ReadinessCheck, openapi: () => unknown): void {
  const config = { access: 'public' } as const;

  /** The process is up and serving HTTP. */
  app.get('/healthz', { config }, async () => ({ ok: true }));

  /** Config loaded, store reachable, listeners bound: 200, otherwise 503 naming what is not. */
  app.get('/readyz', { config, schema: { response: { 200: Readiness, 503: Readiness } } }, async (_req, reply) => {
    const r = await readiness().catch((err: unknown) => ({
      ready: false, checks: { readiness: err instanceof Error ? err.message : String(err) },
    }));
    return reply.status(r.ready ? 200 : 503).send(r);
  });

  app.get('/api/v1/openapi.json', { config }, async () => openapi());
}
