// The audit trail: every change and every authentication, per tenant. An event goes to the
// tenant's store (for reports and `audit tail`) and, as one structured line, to the log.
// Events are recorded through a handle bound to one tenant (Auditor.tenant), so that no call
// site passes a tenant id with each event and none can name the wrong one. A sink (the
// integrations) names the webhooks that want each event: their outbox items are written in the
// same call, beside the event, so they are durable when the event is.
import type { Logger } from '../core/log.ts';
import type { AuditEvent, Store } from '../store/index.ts';

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
}

export class Auditor {
  private readonly log: Logger;

  constructor(
    private readonly store: Store,
    logger: Logger,
    private readonly sink?: AuditSink,
  ) {
    this.log = logger.child({ component: 'audit' });
  }

  /** The audit trail of one tenant: its events go to that tenant's store and nowhere else. */
  tenant(tenantId: string): TenantAuditor {
    const { audit: repo, outbox } = this.store.tenant(tenantId);
    const { log, sink } = this;
    const stamp = (input: AuditInput): AuditEvent => {
      const event: AuditEvent = { ...input, at: input.at ?? new Date() };
      log.info(
        {
          event: event.action, tenant: tenantId, actor: event.actor, target: event.target,
          outcome: event.outcome, protocol: event.protocol, reason: event.reason, detail: event.detail,
        },
        'audit',
      );
      return event;
    };
    const store = async (events: AuditEvent[], write: () => Promise<void>): Promise<void> => {
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
    };
    return {
      tenantId,
      record: (input) => {
        const event = stamp(input);
        return store([event], () => repo.append(event));
      },
      recordMany: (inputs) => {
        const events = inputs.map(stamp);
        return store(events, () => repo.appendMany(events));
      },
    };
  }
}
