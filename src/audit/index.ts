// The audit trail: every change and every authentication, per tenant. An event goes to the
// tenant's store (for reports and `audit tail`) and, as one structured line, to the log.
// Events are recorded through a handle bound to one tenant (Auditor.tenant), so that no call
// site passes a tenant id with each event and none can name the wrong one.
import type { Logger } from '../core/log.ts';
import type { AuditEvent, AuditRepo, Store } from '../store/index.ts';

export type AuditInput = Omit<AuditEvent, 'at'> & { at?: Date };

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
  ) {
    this.log = logger.child({ component: 'audit' });
  }

  /** The audit trail of one tenant: its events go to that tenant's store and nowhere else. */
  tenant(tenantId: string): TenantAuditor {
    const repo: AuditRepo = this.store.tenant(tenantId).audit;
    const log = this.log;
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
    const store = async (write: () => Promise<void>, count: number): Promise<void> => {
      try {
        await write();
      } catch (err) {
        log.error({ event: 'audit.write', tenant: tenantId, outcome: 'failed', count, err }, 'audit events not stored');
      }
    };
    return {
      tenantId,
      record: (input) => store(() => repo.append(stamp(input)), 1),
      recordMany: (inputs) => store(() => repo.appendMany(inputs.map(stamp)), inputs.length),
    };
  }
}
