// The admin HTTP API on listen.http: JSON under /api/v1/, /healthz and /readyz, over HTTPS when
// listen.http.tls is on. Access is decided in one hook (token → principal → tenant scope → role),
// errors are shaped in one handler, and each request is one log line without headers or bodies.
import type { Server as TlsServer } from 'node:tls';
import ipaddr from 'ipaddr.js';
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { LiveRegistry, ReloadStatus } from '../config/index.ts';
import { hasCode } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { tlsOptions, type TlsMaterial } from '../core/tls.ts';
import type { Directory } from '../directory/index.ts';
import { authenticate, checkRole, scopedTenant } from './access.ts';
import type { AdminContext, IntegrationsView, TenantParams } from './context.ts';
import { consoleRoutes, isAppPath } from './console.ts';
import { toErrorReply } from './errors.ts';
import { auditStreamRoutes } from './routes/audit-stream.ts';
import { deviceRoutes } from './routes/devices.ts';
import { boundedJsonParser } from './json-body.ts';
import { appPasswordRoutes } from './routes/app-passwords.ts';
import { healthRoutes, type ReadinessCheck } from './routes/health.ts';
import { groupRoutes } from './routes/groups.ts';
import { importRoutes } from './routes/import.ts';
import { reportRoutes } from './routes/reports.ts';
import { integrationRoutes } from './routes/integrations.ts';
import { metaRoutes } from './routes/meta.ts';
import { metricsRoutes, type MetricsText } from './routes/metrics.ts';
import { mfaRoutes } from './routes/mfa.ts';
import { openApiCollector } from './openapi.ts';
import { sessionRoutes } from './routes/sessions.ts';
import type { SseLimits } from './sse.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { userRoutes } from './routes/users.ts';

export interface AdminServerOptions {
  live: LiveRegistry;
  directory: Directory;
  logger: Logger;
  /** /readyz: the daemon knows whether config, store and listeners are up. */
  readiness: ReadinessCheck;
  /** Serve HTTPS with this certificate (listen.http.tls); absent: plain HTTP. */
  tls?: TlsMaterial;
  /** Webhook and syslog status; absent: none configured. */
  integrations?: IntegrationsView;
  /** The audit stream's heartbeat and how far a client may fall behind; the defaults otherwise. */
  stream?: Partial<SseLimits>;
  /** /metrics; absent: no such route. */
  metrics?: MetricsText;
  /** The last config reload, for the console's config health; absent: none yet. */
  reloadStatus?: () => ReloadStatus | undefined;
  /** The built console (default dist/console of this package). */
  consoleDir?: string;
}

const STREAM_LIMITS: SseLimits = {
  heartbeatMs: 15_000, // under the 30-60 s idle timeouts of common proxies and load balancers
  maxQueuedBytes: 1024 * 1024, // a few thousand events not yet taken by the client
};

/**
 * The body limit of a route that does not set its own: a group, a password, a renumber, a body
 * that should be empty. Users (SSH keys) and imports set larger ones. Checked while reading: a
 * Content-Length over it is refused before a byte of the body is read.
 */
const BODY_LIMIT = 16 * 1024;

export class AdminServer {
  private readonly app: FastifyInstance;
  private readonly log: Logger;

  constructor(private readonly o: AdminServerOptions) {
    this.log = o.logger.child({ component: 'admin' });
    const ctx = { live: o.live, directory: o.directory, ...(o.integrations ? { integrations: o.integrations } : {}) };
    this.app = buildApp(ctx, this.log, o, { ...STREAM_LIMITS, ...o.stream });
  }

  /** Binds listen.http and resolves with the bound port (listen.http.port 0 = ephemeral). */
  async listen(): Promise<number> {
    const { port, host } = this.o.live.current().server.listen.http;
    await this.app.listen({ port, host });
    const address = this.app.server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    const scheme = this.o.tls ? 'https' : 'http';
    this.log.info({ event: 'admin.listen', outcome: 'ok', host, port: bound, tls: Boolean(this.o.tls) }, `admin API listening on ${scheme}://${host}:${bound}`);
    if (!this.o.tls && !isLoopback(host)) {
      // Tokens would cross the network in the clear.
      this.log.warn({ event: 'admin.plaintext', outcome: 'warning', host, port: bound },
        `the admin API listens on ${host} without TLS: admin tokens cross the network in the clear; set listen.http.tls: true (or bind 127.0.0.1)`);
    }
    return bound;
  }

  /** A new certificate for connections accepted from now on (a reload); open ones keep theirs. */
  setTls(material: TlsMaterial): void {
    // With `https` fastify's server is an https.Server, though typed as the plain one.
    if (this.o.tls) (this.app.server as unknown as TlsServer).setSecureContext(tlsOptions(material));
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

/** 127.0.0.0/8, ::1 and localhost: the addresses only this machine reaches. */
function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback';
}

function buildApp(ctx: AdminContext, log: Logger, o: AdminServerOptions, stream: SseLimits): FastifyInstance {
  const { readiness, tls, metrics } = o;
  const app = fastify({
    ...(tls ? { https: tlsOptions(tls) } : {}),
    loggerInstance: log as FastifyBaseLogger,
    // One line per request from onResponse below instead of fastify's two with the raw request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Reject unknown fields (a typo should fail, not vanish); coerce query strings only.
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true },
  });
  boundedJsonParser(app);
  app.decorateRequest('principal', null);
  app.decorateRequest('tenant', null);
  const openapi = openApiCollector(app);

  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config.access;
    if (access === 'public') return;
    // A path of the web console's app (/tenants/acme): index.html for anyone; the app signs in.
    if (req.is404 && isAppPath(req.url)) return;
    const registry = ctx.live.current(); // per request, so a reload rotates tokens at once
    req.principal = authenticate(req.headers.authorization, registry.server.admins);
    if (req.is404) return;
    const tenant = (req.params as Partial<TenantParams>).tenant;
    // Scope before role: a tenant outside the caller's scope is "not found", whatever the verb.
    if (tenant !== undefined) req.tenant = scopedTenant(req.principal, registry, tenant);
    checkRole(req.principal, access ?? 'write');
  });

  app.addHook('onResponse', async (req, reply) => {
    const status = reply.statusCode;
    log[status >= 500 ? 'error' : 'info']({
      event: 'admin.request',
      method: req.method,
      route: req.routeOptions.url ?? 'unknown',
      tenant: req.tenant?.id,
      actor: req.principal?.name,
      status,
      outcome: status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed',
      ms: Math.round(reply.elapsedTime),
    }, 'admin request');
  });

  app.setErrorHandler(async (err, req, reply) => {
    const r = toErrorReply(err, req.routeOptions.bodyLimit);
    if (r.internal) log.error({ event: 'admin.error', route: req.routeOptions.url, tenant: req.tenant?.id, outcome: 'failed', err }, 'admin request failed');
    if (hasCode(err, 'TD_UNAUTHENTICATED')) void reply.header('www-authenticate', 'Bearer realm="tenantdir"');
    return reply.status(r.status).send(r.body);
  });

  app.setNotFoundHandler(async (req: FastifyRequest, reply) => {
    if (web.fallback(req.method, req.url, reply)) return reply;
    return reply.status(404).send({ error: { code: 'TD_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` } });
  });

  // Bearer tokens only, never cookies: a cross-site request cannot carry the caller's credentials.
  app.addHook('onSend', async (_req, reply) => {
    void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
  });

  const web = consoleRoutes(app, o.consoleDir);
  healthRoutes(app, ctx.live, readiness, openapi);
  metaRoutes(app, ctx, o.reloadStatus ?? (() => undefined));
  tenantRoutes(app, ctx);
  userRoutes(app, ctx);
  groupRoutes(app, ctx);
  deviceRoutes(app, ctx);
  importRoutes(app, ctx);
  mfaRoutes(app, ctx);
  auditStreamRoutes(app, ctx, stream);
  sessionRoutes(app, ctx);
  appPasswordRoutes(app, ctx);
  integrationRoutes(app, ctx);
  if (metrics) metricsRoutes(app, metrics);
  reportRoutes(app, ctx);
  return app;
}
