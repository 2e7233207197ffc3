// The live side of the audit trail: each tenant's events, as they are stored, to whoever listens
// (the admin API's event stream). Delivery is synchronous and never waits: a listener that
// cannot keep up must drop itself (the stream disconnects a slow client), so the bus holds no
// queue at all.
import type { AuditEvent } from '../store/index.ts';

export type AuditListener = (event: Readonly<AuditEvent>) => void;

export class AuditBus {
  private readonly listeners = new Map<string, Set<AuditListener>>();

  constructor(private readonly onError: (err: unknown, tenantId: string) => void) {}

  /** `listener` hears every event of `tenantId` stored from now on; call the result to stop. */
  subscribe(tenantId: string, listener: AuditListener): () => void {
    const set = this.listeners.get(tenantId) ?? new Set<AuditListener>();
    // A wrapper per subscription, so that subscribing one function twice is two subscriptions.
    const own: AuditListener = (e) => listener(e);
    set.add(own);
    this.listeners.set(tenantId, set);
    return () => {
      set.delete(own);
      if (set.size === 0 && this.listeners.get(tenantId) === set) this.listeners.delete(tenantId);
    };
  }

  /** Hands the event to each listener of its tenant; one listener's exception reaches no other. */
  publish(tenantId: string, event: Readonly<AuditEvent>): void {
    const set = this.listeners.get(tenantId);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        this.onError(err, tenantId);
      }
    }
  }
}
