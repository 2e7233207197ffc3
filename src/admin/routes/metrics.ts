// GET /metrics: Prometheus text format, for an msp-admin token or a `metrics` role token (a
// scraper's: `authorization: { credentials: <token> }` in prometheus.yml).
import type { FastifyInstance } from 'fastify';

export interface MetricsText {
  text(): Promise<{ contentType: string; body: string }>;
}

export function metricsRoutes(app: FastifyInstance, metrics: MetricsText): void {
  app.get('/metrics', {
    config: { access: 'metrics' },
    schema: { response: { 200: { content: { 'text/plain': { schema: { type: 'string' } } } } } },
  }, async (_req, reply) => {
    const { contentType, body } = await metrics.text();
    return reply.type(contentType).send(body);
  });
}
