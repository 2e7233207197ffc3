// Integrations: each audit event also goes to the webhooks (durable outbox, signed POSTs) and
// syslog destinations (a stream) that want it, the tenant's own and the MSP-wide ones. The
// Auditor calls `sink` on its write path; the daemon starts and closes the rest.
import { hostname } from 'node:os';
import type { AuditSink } from '../audit/index.ts';
import type { LiveRegistry } from '../config/index.ts';
import type { Logger } from '../core/log.ts';
import type { AuditEvent, OutboxStatus, Store } from '../store/index.ts';
import { destinationsOf, type Scope, type SyslogTarget, type Webhook } from './destinations.ts';
import { syslogMessage } from './syslog-format.ts';
import { SyslogSender, type SyslogCounters } from './syslog.ts';
import { WebhookWorker, type WebhookCounters } from './webhooks.ts';

export { signature, webhookBody, SIGNATURE_HEADER } from './payload.ts';
export { syslogMessage } from './syslog-format.ts';

export interface WebhookStatus {
  name: string;
  scope: Scope;
  /** Scheme, host and port only: a URL's path or query may hold a token. */
  origin: string;
  events: string[];
  outcomes?: string[];
  /** From the outbox (every tenant's, for an MSP-wide webhook). */
  pending: number;
  dead: number;
  oldestPendingAt?: string;
  lastSuccessAt?: string;
  lastFailure?: { at: string; status?: number; error: string };
  /** Since this daemon started: 2xx answers, failed attempts, items given up on. */
  delivered: number;
  failedAttempts: number;
  givenUp: number;
  /** MSP-wide webhooks: the tenants with items waiting or dead. */
  byTenant?: Record<string, { pending: number; dead: number }>;
}

export interface SyslogStatus extends SyslogCounters {
  scope: Scope;
  host: string;
  port: number;
  transport: string;
  format: string;
  events: string[];
}

export interface IntegrationsStatus {
  webhooks: WebhookStatus[];
  syslog: SyslogStatus[];
}

export interface IntegrationsOptions {
  live: LiveRegistry;
  store: Store;
  logger: Logger;
  /** The clock deliveries are timed by (tests). */
  now?: () => number;
}

export class Integrations {
  readonly sink: AuditSink;
  private readonly webhooks: WebhookWorker;
  private readonly senders = new Map<string, SyslogSender>();
  private readonly origin = { hostname: hostname(), procid: process.pid };
  private readonly log: Logger;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: IntegrationsOptions) {
    this.log = o.logger.child({ component: 'integrations' });
    this.webhooks = new WebhookWorker(o);
    this.sink = {
      destinations: (tenantId, event) =>
        destinationsOf(o.live.current()).webhooks(tenantId).filter((w) => w.wants(event)).map((w) => w.key),
      recorded: (tenantId, events) => this.recorded(tenantId, events),
    };
    // Destinations that a reload removed close; new ones open on their first message.
    this.unsubscribe = o.live.onChange(() => this.closeRemovedSenders());
  }

  start(): void {
    this.webhooks.start();
  }

  /** Stops deliveries (their items go back to the outbox) and closes syslog connections. */
  async close(): Promise<void> {
    this.unsubscribe();
    await this.webhooks.stop();
    for (const s of this.senders.values()) s.close();
    this.senders.clear();
  }

  /** Webhook delivery counts since start, per tenant and destination, from memory (for /metrics). */
  deliveryCounters(): Array<{ tenant: string; destination: string } & WebhookCounters> {
    return this.webhooks.allCounters();
  }

  /** The tenant's own webhooks and syslog destinations (not the MSP's). */
  async status(tenantId: string): Promise<IntegrationsStatus> {
    const d = destinationsOf(this.o.live.current());
    const own = d.webhooks(tenantId).filter((w) => w.scope === 'tenant');
    return {
      webhooks: await Promise.all(own.map(async (w) => this.webhookStatus(w, await this.o.store.tenant(tenantId).outbox.status(w.key), [tenantId]))),
      syslog: d.syslog(tenantId).filter((s) => s.scope === 'tenant').map((s) => this.syslogStatus(tenantId, s)),
    };
  }

  /** The MSP-wide webhooks and syslog destinations, over every tenant. */
  async mspStatus(): Promise<IntegrationsStatus> {
    const registry = this.o.live.current();
    const d = destinationsOf(registry);
    const ids = registry.tenants.map((t) => t.id);
    const webhooks: WebhookStatus[] = [];
    for (const w of d.msp.webhooks) {
      const per = new Map<string, OutboxStatus>();
      for (const id of ids) per.set(id, await this.o.store.tenant(id).outbox.status(w.key));
      const byTenant = Object.fromEntries([...per].filter(([, s]) => s.pending + s.dead > 0).map(([id, s]) => [id, { pending: s.pending, dead: s.dead }]));
      webhooks.push({ ...this.webhookStatus(w, merge([...per.values()]), ids), byTenant });
    }
    return { webhooks, syslog: d.msp.syslog.map((s) => this.syslogStatus(undefined, s)) };
  }

  private recorded(tenantId: string, events: readonly AuditEvent[]): void {
    const d = destinationsOf(this.o.live.current());
    if (d.webhooks(tenantId).length > 0) this.webhooks.nudge(tenantId);
    for (const target of d.syslog(tenantId)) {
      const wanted = events.filter((e) => target.wants(e));
      if (wanted.length === 0) continue;
      const sender = this.sender(target.scope === 'msp' ? undefined : tenantId, target);
      for (const e of wanted) sender.send(syslogMessage(tenantId, e, target.config.format, this.origin));
    }
  }

  private webhookStatus(w: Webhook, s: OutboxStatus, tenants: string[]): WebhookStatus {
    const counters = tenants.map((id) => this.webhooks.countersOf(id, w.key));
    const sum = (k: keyof WebhookCounters) => counters.reduce((n, c) => n + c[k], 0);
    return {
      name: w.name, scope: w.scope, origin: w.url.origin, events: [...w.config.events],
      ...(w.config.outcomes ? { outcomes: [...w.config.outcomes] } : {}),
      pending: s.pending, dead: s.dead,
      ...(s.oldestPendingAt ? { oldestPendingAt: s.oldestPendingAt.toISOString() } : {}),
      ...(s.lastSuccessAt ? { lastSuccessAt: s.lastSuccessAt.toISOString() } : {}),
      ...(s.lastFailure ? { lastFailure: { ...s.lastFailure, at: s.lastFailure.at.toISOString() } } : {}),
      delivered: sum('delivered'), failedAttempts: sum('failed'), givenUp: sum('dead'),
    };
  }

  private syslogStatus(tenantId: string | undefined, s: SyslogTarget): SyslogStatus {
    const c = this.senders.get(senderKey(tenantId, s))?.counters() ?? { sent: 0, dropped: 0, errors: 0, queued: 0, connected: false };
    const { host, port, transport, format, events } = s.config;
    return { scope: s.scope, host, port, transport, format, events: [...events], ...c };
  }

  /** One sender per destination and tenant (MSP-wide: one for every tenant). */
  private sender(tenantId: string | undefined, target: SyslogTarget): SyslogSender {
    const key = senderKey(tenantId, target);
    let s = this.senders.get(key);
    if (!s) {
      const { host, port, transport, ca } = target.config;
      s = new SyslogSender({
        host, port, transport, ...(ca === undefined ? {} : { ca }),
        queueSize: this.o.live.current().server.integrations.syslogQueue,
        logger: this.log.child({ tenant: tenantId ?? 'msp' }),
      });
      this.senders.set(key, s);
    }
    return s;
  }

  private closeRemovedSenders(): void {
    const registry = this.o.live.current();
    const d = destinationsOf(registry);
    const keep = new Set([
      ...d.msp.syslog.map((s) => senderKey(undefined, s)),
      ...registry.tenants.flatMap((t) => d.syslog(t.id).filter((s) => s.scope === 'tenant').map((s) => senderKey(t.id, s))),
    ]);
    for (const [key, s] of this.senders) {
      if (keep.has(key)) continue;
      s.close();
      this.senders.delete(key);
    }
  }
}

function senderKey(tenantId: string | undefined, s: SyslogTarget): string {
  const { host, port, transport, format, ca } = s.config;
  return JSON.stringify([tenantId ?? null, host, port, transport, format, ca ?? null]);
}

/** One status from every tenant's: counts add up, the latest success and failure win. */
function merge(all: OutboxStatus[]): OutboxStatus {
  const out: OutboxStatus = { pending: 0, dead: 0 };
  for (const s of all) {
    out.pending += s.pending;
    out.dead += s.dead;
    if (s.oldestPendingAt && (!out.oldestPendingAt || s.oldestPendingAt < out.oldestPendingAt)) out.oldestPendingAt = s.oldestPendingAt;
    if (s.lastSuccessAt && (!out.lastSuccessAt || s.lastSuccessAt > out.lastSuccessAt)) out.lastSuccessAt = s.lastSuccessAt;
    if (s.lastFailure && (!out.lastFailure || s.lastFailure.at > out.lastFailure.at)) out.lastFailure = s.lastFailure;
  }
  return out;
}
