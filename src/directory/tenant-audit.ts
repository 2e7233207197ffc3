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

/** Fields whose values never go to the audit trail, whatever changed. */
const SECRET_FIELDS = new Set(['credentials', 'totp', 'appPasswords', 'password', 'passwordHash', 'ntHash', 'secret', 'seed']);
/** A before or after value is cut to this many characters (an SSH key list can be long). */
const MAX_CHANGE_CHARS = 2048;

/**
 * An admin change as audit detail: `before` and `after` (JSON objects of the fields that
 * changed, never a secret), flat strings as the audit trail keeps them.
 */
export function changeDetail(before: object, after: object, fields: readonly string[]): Record<string, string> {
  const was = before as Record<string, unknown>;
  const now = after as Record<string, unknown>;
  const changed = fields.filter((f) => !SECRET_FIELDS.has(f) && JSON.stringify(was[f]) !== JSON.stringify(now[f]));
  if (changed.length === 0) return {};
  const pick = (r: Record<string, unknown>) => JSON.stringify(Object.fromEntries(changed.map((f) => [f, r[f] ?? null]))).slice(0, MAX_CHANGE_CHARS);
  return { before: pick(was), after: pick(now) };
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
    detail: {
      ...rest,
      ...(actor.source ? { source: actor.source } : {}),
      ...(actor.nas ? { nas: actor.nas } : {}),
      ...(actor.role ? { role: actor.role } : {}),
      ...(actor.agent ? { agent: actor.agent.slice(0, 128) } : {}),
    },
  };
}
