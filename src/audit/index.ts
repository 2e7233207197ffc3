// The audit trail: every change and every authentication, per tenant. An event goes to the
// tenant's store (for reports and `audit tail`) and, as one structured line, to the log.
import type { Logger } from '../core/log.ts';
import type { AuditEvent, Store } from '../store/index.ts';

export type AuditInput = Omit<AuditEvent, 'at'> & { at?: Date };

export class Auditor {
  private readonly log: Logger;

  constructor(
    private readonly store: Store,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'audit' });
  }

  /**
   * Records one event. An audit write that fails (store outage) is logged at error and does
   * not fail the operation it describes: the log line still carries the event.
   */
  async record(tenantId: string, input: AuditInput): Promise<void> {
    const event: AuditEvent = { ...input, at: input.at ?? new Date() };
    this.log.info(
      {
        event: event.action, tenant: tenantId, actor: event.actor, target: event.target,
        outcome: event.outcome, protocol: event.protocol, reason: event.reason, detail: event.detail,
      },
      'audit',
    );
    try {
      await this.store.tenant(tenantId).audit.append(event);
    } catch (err) {
      this.log.error({ event: 'audit.write', tenant: tenantId, outcome: 'failed', err }, 'audit event not stored');
    }
  }
}
