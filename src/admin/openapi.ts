// An OpenAPI 3.1 description built from the routes' own JSON schemas as they are registered,
// so it cannot drift from what the server validates and sends. Served at /api/v1/openapi.json.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ErrorBody } from './api.ts';

interface ObjectSchema {
  properties?: Record<string, unknown>;
  required?: string[];
}

const ROLES = {
  public: 'no token',
  read: 'msp-admin, tenant-admin, helpdesk',
  credential: 'msp-admin, tenant-admin, helpdesk',
  write: 'msp-admin, tenant-admin',
  msp: 'msp-admin',
  metrics: 'msp-admin, metrics',
  report: 'msp-admin, tenant-admin, helpdesk granted reports',
} as const;

function parameters(where: 'path' | 'query', schema: unknown): unknown[] {
  const s = (schema ?? {}) as ObjectSchema;
  return Object.entries(s.properties ?? {}).map(([name, p]) => ({
    name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: p,
  }));
}

function operation(r: RouteOptions): Record<string, unknown> {
  const schema = (r.schema ?? {}) as Record<string, unknown>;
  const access = r.config?.access ?? 'write';
  const responses: Record<string, unknown> = {};
  for (const [status, s] of Object.entries((schema.response ?? {}) as Record<string, unknown>)) {
    // A schema per media type (the event stream) is given as fastify takes it: `{ content }`.
    const content = (s as { content?: unknown }).content ?? { 'application/json': { schema: s } };
    responses[status] = { description: status, content };
  }
  if (Object.keys(responses).length === 0) responses['204'] = { description: 'done' };
  responses.default = { description: 'an error', content: { 'application/json': { schema: ErrorBody } } };
  return {
    'x-roles': ROLES[access],
    ...(access === 'public' ? { security: [] } : {}),
    parameters: [...parameters('path', schema.params), ...parameters('query', schema.querystring)],
    ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } } : {}),
    responses,
  };
}

/** Starts collecting routes; call before they are registered. Returns the document's getter. */
export function openApiCollector(app: FastifyInstance): () => unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  app.addHook('onRoute', (r) => {
    if (!r.url.startsWith('/api/')) return;
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      (paths[path] ??= {})[method.toLowerCase()] = operation(r);
    }
  });
  // Serialized once: the schemas carry TypeBox symbols, which JSON drops.
  let doc: unknown;
  return () => (doc ??= JSON.parse(JSON.stringify({
    openapi: '3.1.0',
    info: { title: 'tenantdir admin API', version: 'v1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  })));
}
