// Open EAP conversations, keyed by the RADIUS State we hand out. Bounded in total and per NAS,
// and forgotten after an idle timeout, so a NAS that floods or abandons exchanges costs memory
// only up to the caps and ends only its own conversations.
import { randomBytes } from 'node:crypto';

export interface ConversationLimits {
  /** A conversation with no request for this long is dropped (ms). */
  idleTimeoutMs: number;
  /** Open conversations, all NAS together. */
  maxConversations: number;
  /** Open conversations of one NAS. */
  maxPerNas: number;
}

export const DEFAULT_CONVERSATION_LIMITS: ConversationLimits = { idleTimeoutMs: 60_000, maxConversations: 10_000, maxPerNas: 2_000 };

interface Entry<C> {
  nas: string;
  value: C;
  lastSeen: number;
}

export class Conversations<C> {
  private readonly entries = new Map<string, Entry<C>>();
  private readonly perNas = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limits: ConversationLimits,
    /** Frees what a conversation holds when it is dropped. */
    private readonly dispose: (c: C) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.max(1_000, limits.idleTimeoutMs / 4));
    this.timer.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Opens a conversation; undefined when a cap is reached (the new one is refused, old ones live). */
  open(nas: string, value: C): Buffer | undefined {
    const n = this.perNas.get(nas) ?? 0;
    if (this.entries.size >= this.limits.maxConversations || n >= this.limits.maxPerNas) return undefined;
    const state = randomBytes(16);
    this.entries.set(state.toString('hex'), { nas, value, lastSeen: this.now() });
    this.perNas.set(nas, n + 1);
    return state;
  }

  /** The conversation for this State, if it exists, is not idle past the timeout and is this NAS's. */
  get(state: Buffer, nas: string): C | undefined {
    const key = state.toString('hex');
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() - e.lastSeen > this.limits.idleTimeoutMs) {
      this.remove(key, e);
      return undefined;
    }
    if (e.nas !== nas) return undefined;
    e.lastSeen = this.now();
    return e.value;
  }

  close(state: Buffer): void {
    const key = state.toString('hex');
    const e = this.entries.get(key);
    if (e) this.remove(key, e);
  }

  sweep(): void {
    const cutoff = this.now() - this.limits.idleTimeoutMs;
    for (const [key, e] of this.entries) if (e.lastSeen < cutoff) this.remove(key, e);
  }

  shutdown(): void {
    clearInterval(this.timer);
    for (const [key, e] of this.entries) this.remove(key, e);
  }

  private remove(key: string, e: Entry<C>): void {
    this.entries.delete(key);
    const n = (this.perNas.get(e.nas) ?? 1) - 1;
    if (n > 0) this.perNas.set(e.nas, n);
    else this.perNas.delete(e.nas);
    this.dispose(e.value);
  }
}
