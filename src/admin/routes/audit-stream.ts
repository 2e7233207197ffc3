// The live audit tail: GET /api/v1/tenants/:tenant/audit/stream, as Server-Sent Events (sse.ts).
// Each of the tenant's events is sent once it is stored (the Auditor's bus, through the
// directory), filtered like the audit listing, as `event: audit` with the JSON of GET .../audit.
// An event's id is `<ms>-<digest>`: its instant and a digest of its JSON. A client that comes
// back with it (Last-Event-ID, which EventSource sends by itself) first gets what it missed,
// from the store. Only the event the id names is known to have arrived, so others of that same
// millisecond may come again: at least once, never lost, unless more than one page was missed;
// then `event: gap` names the range to list instead. The stream ends (`event: end`) when a
// reload takes the token's access away, when the store cannot give the catch-up, and at shutdown.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from '../../config/index.ts';
import { InvalidInput } from '../../core/errors.ts';
import type { AuditEvent, TenantDirectory } from '../../directory/index.ts';
import { authenticate, checkRole, scopedTenant } from '../access.ts';
import { AuditStreamQuery, type AuditEventJson } from '../api.ts';
import { directoryOf, tenantOf, type AdminContext, type TenantParams } from '../context.ts';
import { SseStream, type SseLimits } from '../sse.ts';
import { TenantPath } from './tenants.ts';

/** Events read from the store to resume a stream (the store's page size) or to fill a backlog. */
const CATCH_UP = 1000;
const CURSOR = /^(\d{1,15})-([A-Za-z0-9_-]{11})$/;

type Filter = Pick<AuditStreamQuery, 'action' | 'target' | 'outcome'>;

/** The event as the audit listing sends it, keys in one order, so that its digest is stable. */
function eventJson(e: Readonly<AuditEvent>): string {
  const json: AuditEventJson = {
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    ...(e.target === undefined ? {} : { target: e.target }),
    outcome: e.outcome,
    ...(e.protocol === undefined ? {} : { protocol: e.protocol }),
    ...(e.reason === undefined ? {} : { reason: e.reason }),
    ...(e.detail === undefined ? {} : { detail: Object.fromEntries(Object.entries(e.detail).sort(([a], [b]) => (a < b ? -1 : 1))) }),
  };
  return JSON.stringify(json);
}

const digest = (data: string): string => createHash('sha256').update(data).digest('base64url').slice(0, 11);

function parseCursor(id: string | undefined): { ms: number; digest: string } | undefined {
  if (id === undefined || id === '') return undefined;
  const m = CURSOR.exec(id);
  if (!m) throw new InvalidInput('Last-Event-ID is not an id this stream sent: pass the `id` of the last event received, unchanged');
  return { ms: Number(m[1]), digest: m[2]! };
}

function matches(e: Readonly<AuditEvent>, f: Filter): boolean {
  return (f.action === undefined || e.action === f.action) && (f.target === undefined || e.target === f.target)
    && (f.outcome === undefined || e.outcome === f.outcome);
}

/** Does the request's token still give read access to the tenant under `registry`? */
function stillAllowed(req: FastifyRequest, registry: Registry, tenantId: string): boolean {
  try {
    const p = authenticate(req.headers.authorization, registry.server.admins);
    scopedTenant(p, registry, tenantId);
    checkRole(p, 'read');
    return true;
  } catch {
    return false;
  }
}

/**
 * What the stream starts with: the events a resumed client missed (or the backlog asked for),
 * oldest first, and whether more were missed than one page holds.
 */
async function catchUp(dir: TenantDirectory, q: AuditStreamQuery, filter: Filter, cursor: ReturnType<typeof parseCursor>) {
  if (!cursor && q.backlog === 0) return { events: [], truncated: false };
  const found = await dir.listAudit({ ...filter, limit: cursor ? CATCH_UP : q.backlog, ...(cursor ? { since: new Date(cursor.ms) } : {}) });
  const events = found.reverse().map((e) => ({ e, data: eventJson(e) }));
  const seen = cursor && events.findIndex(({ e, data }) => e.at.getTime() === cursor.ms && digest(data) === cursor.digest);
  if (seen !== undefined && seen >= 0) events.splice(seen, 1);
  return { events, truncated: cursor !== undefined && found.length === CATCH_UP };
}

export function auditStreamRoutes(app: FastifyInstance, ctx: AdminContext, limits: SseLimits): void {
  const open = new Set<SseStream>();
  app.addHook('preClose', async () => {
    for (const s of open) s.end({ event: 'end', data: JSON.stringify({ reason: 'shutdown' }) });
  });

  app.get<{ Params: TenantParams; Querystring: AuditStreamQuery }>('/api/v1/tenants/:tenant/audit/stream', {
    config: { access: 'read' },
    schema: { params: TenantPath, querystring: AuditStreamQuery, response: { 200: { content: { 'text/event-stream': { schema: { type: 'string' } } } } } },
  }, async (req, reply) => {
    const q = req.query;
    const filter: Filter = {
      ...(q.action === undefined ? {} : { action: q.action }),
      ...(q.target === undefined ? {} : { target: q.target }),
      ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
    };
    const header = req.headers['last-event-id'];
    const cursor = parseCursor(typeof header === 'string' ? header : q.lastEventId);
    const tenantId = tenantOf(req).id;
    const dir = directoryOf(ctx, req);
    const sse = new SseStream(limits);
    const send = (e: Readonly<AuditEvent>, data = eventJson(e)) => sse.send({ id: `${e.at.getTime()}-${digest(data)}`, event: 'audit', data });
    // Heard while the catch-up is read; sent after it, less what it already held.
    let pending: Readonly<AuditEvent>[] | undefined = [];
    const unsubscribe = dir.watchAudit((e) => {
      if (!matches(e, filter)) return;
      if (!pending) send(e);
      else if (pending.length < CATCH_UP) pending.push(e);
      else sse.end(); // a burst during the catch-up: the client resumes from what it has
    });
    const unwatchConfig = ctx.live.onChange((next) => {
      if (!stillAllowed(req, next, tenantId)) sse.end({ event: 'end', data: JSON.stringify({ reason: 'access-revoked' }) });
    });
    open.add(sse);
    sse.onEnd((why) => {
      unsubscribe();
      unwatchConfig();
      open.delete(sse);
      if (why === 'slow') req.log.info({ event: 'audit.stream', tenant: tenantId, outcome: 'disconnected', reason: 'slow' }, 'audit stream client fell behind: disconnected');
    });

    void reply
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-transform')
      .header('x-accel-buffering', 'no') // nginx: pass each event on at once
      .send(sse.body);

    try {
      const { events, truncated } = await catchUp(dir, q, filter, cursor);
      if (truncated && cursor && events[0]) {
        sse.send({ event: 'gap', data: JSON.stringify({
          since: new Date(cursor.ms).toISOString(), until: new Date(events[0].e.at.getTime() + 1).toISOString(),
          message: `more than ${CATCH_UP} events were missed: list the audit trail from since to until (exclusive) for the rest`,
        }) });
      }
      const held = new Map<string, number>();
      for (const { e, data } of events) {
        send(e, data);
        held.set(data, (held.get(data) ?? 0) + 1);
      }
      const heard = pending ?? [];
      pending = undefined;
      for (const e of heard) {
        const data = eventJson(e);
        const n = held.get(data) ?? 0;
        if (n > 0) held.set(data, n - 1);
        else send(e, data);
      }
    } catch (err) {
      req.log.warn({ event: 'audit.stream', tenant: tenantId, outcome: 'failed', err }, 'audit stream catch-up failed');
      sse.end({ event: 'end', data: JSON.stringify({ reason: 'store-unavailable' }) });
    }
    return reply;
  });
}
