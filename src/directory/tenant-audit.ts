// One tenant's audit trail as the directory writes it: who acted (and from where), what, on what.
import type { AuditInput, AuditListener, TenantAuditor } from '../audit/index.ts';
import type { AuditEvent, AuditQuery, TenantStore } from '../store/index.ts';
import type { Actor } from './inputs.ts';

export type Outcome = AuditEvent['outcome'];

export class TenantAudit {
  constructor(
    private readonly auditor: TenantAuditor,
    private readonly store: TenantStore,
  ) {}

  async record(actor: Actor, action: string, target: string | undefined, outcome: Outcome, detail: Record<string, string> = {}): Promise<void> {
    await this.auditor.record(event(actor, action, target, outcome, detail));
  }

  /** Many successful changes by one actor in one store write (an import). */
  recordMany(actor: Actor, events: { action: string; target: string; detail: Record<string, string> }[]): Promise<void> {
    return this.auditor.recordMany(events.map((e) => event(actor, e.action, e.target, 'ok', e.detail)));
  }

  /** This tenant's audit events, newest first. */
  list(q: AuditQuery): Promise<AuditEvent[]> {
    return this.store.audit.list(q);
  }

  /** This tenant's events as they are stored, until the returned function is called. */
  subscribe(listener: AuditListener): () => void {
    return this.auditor.subscribe(listener);
  }
}

function event(actor: Actor, action: string, target: string | undefined, outcome: Outcome, detail: Record<string, string>): AuditInput {
  const { reason, ...rest } = detail;
  return {
    actor: actor.name,
    protocol: actor.protocol,
    action,
    ...(target === undefined ? {} : { target }),
    outcome,
    ...(reason === undefined ? {} : { reason }),
    detail: { ...rest, ...(actor.source ? { source: actor.source } : {}) },
  };
}
