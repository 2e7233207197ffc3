// The audit trail: every change and every authentication, per tenant. An event goes to the
// tenant's store (for reports and `audit tail`), as one structured line to the log, and, once
// stored, to the tenant's live listeners (bus.ts). Authentication events also feed the
// suspicious-activity watch (security.ts), whose findings are recorded as events of their own.
// Events are recorded through a handle bound to one tenant (Auditor.tenant), so that no call
// site passes a tenant id with each event and none can name the wrong one. A sink (the
// integrations) names the webhooks that want each event: their outbox items are written in the
// same call, beside the event, so they are durable when the event is.
import type { Logger } from '../core/log.ts';
import type { AuditEvent, Store } from '../store/index.ts';
import { AuditBus, type AuditListener } from './bus.ts';
import { SecurityWatch, type SecurityPolicy } from './security.ts';

export type { AuditListener } from './bus.ts';
export type { SecurityPolicy } from './security.ts';

export type AuditInput = Omit<AuditEvent, 'at'> & { at?: Date };

/** Where events go besides the store and the log. */
export interface AuditSink {
  /** The outbox destinations (webhooks) that want this event of this tenant. */
  destinations(tenantId: string, event: AuditEvent): readonly string[];
  /** Told of every event once its writes were attempted (streams such as syslog). */
  recorded(tenantId: string, events: readonly AuditEvent[]): void;
}

/** One tenant's audit trail. */
export interface TenantAuditor {
  readonly tenantId: string;
  /**
   * Records one event. An audit write that fails (store outage) is logged at error and does
   * not fail the operation it describes: the log line still carries the event.
   */
  record(input: AuditInput): Promise<void>;
  /** Many events in one store write (an import's one per user); one log line each. */
  recordMany(inputs: AuditInput[]): Promise<void>;
  /**
   * `listener` hears each of this tenant's events once it is stored, in the order stored; call
   * the result to stop. It must not block: it is called synchronously by whoever records.
   */
  subscribe(listener: AuditListener): () => void;
}

export interface AuditorOptions {
  /** Webhooks and syslog (the integrations). */
  sink?: AuditSink;
  /** A tenant's thresholds for suspicious activity (security.*), read per event; absent: none is watched. */
  security?: (tenantId: string) => SecurityPolicy | undefined;
}

export class Auditor {
  private readonly log: Logger;
  private readonly sink: AuditSink | undefined;
  private readonly bus: AuditBus;
  private readonly watch: SecurityWatch | undefined;

  constructor(
    private readonly store: Store,
    logger: Logger,
    o: AuditorOptions = {},
  ) {
    this.log = logger.child({ component: 'audit' });
    this.sink = o.sink;
    this.bus = new AuditBus((err, tenant) => this.log.error({ event: 'audit.listener', tenant, outcome: 'failed', err }, 'an audit listener failed'));
    this.watch = o.security && new SecurityWatch({ store, logger, policy: o.security });
  }

  /** The audit trail of one tenant: its events go to that tenant's store and nowhere else. */
  tenant(tenantId: string): TenantAuditor {
    const { audit: repo, outbox } = this.store.tenant(tenantId);
    const { log, sink, bus, watch } = this;
    const stamp = (input: AuditInput): AuditEvent => {
      const event: AuditEvent = { ...input, at: input.at ?? new Date() };
      log[event.action.startsWith('security.') ? 'warn' : 'info'](
        {
          event: event.action, tenant: tenantId, actor: event.actor, target: event.target,
          outcome: event.outcome, protocol: event.protocol, reason: event.reason, detail: event.detail,
        },
        'audit',
      );
      return event;
    };
    /** Stores the events, then hands the stored ones to the live listeners: what a listener hears is in the store. */
    const store = async (events: AuditEvent[]): Promise<void> => {
      const write = () => (events.length === 1 ? repo.append(events[0]!) : repo.appendMany(events));
      const items = sink ? events.flatMap((event) => sink.destinations(tenantId, event).map((destination) => ({ destination, event }))) : [];
      // Side by side, not one after the other: no multi-document transactions on every server.
      const [stored, queued] = await Promise.allSettled([write(), items.length > 0 ? outbox.enqueue(items, new Date()) : undefined]);
      if (stored.status === 'rejected') {
        log.error({ event: 'audit.write', tenant: tenantId, outcome: 'failed', count: events.length, err: stored.reason }, 'audit events not stored');
      }
      if (queued.status === 'rejected') {
        log.error({ event: 'audit.outbox', tenant: tenantId, outcome: 'failed', count: items.length, err: queued.reason }, 'webhook deliveries not queued');
      }
      sink?.recorded(tenantId, events);
      if (stored.status === 'fulfilled') for (const e of events) bus.publish(tenantId, e);
    };
    const record = async (events: AuditEvent[]): Promise<void> => {
      await store(events);
      if (!watch) return;
      const raised: AuditEvent[] = [];
      try {
        // One at a time, in order: each event moves the windows the next one is judged by.
        for (const e of events) raised.push(...await watch.observe(tenantId, e));
      } catch (err) {
        log.error({ event: 'security.watch', tenant: tenantId, outcome: 'failed', err }, 'suspicious-activity watch failed');
      }
      if (raised.length > 0) await store(raised.map(stamp));
    };
    return {
      tenantId,
      record: (input) => record([stamp(input)]),
      recordMany: (inputs) => record(inputs.map(stamp)),
      subscribe: (listener) => bus.subscribe(tenantId, listener),
    };
  }
}
