// Open EAP conversations, keyed by the RADIUS State we hand out: an lru-cache bounded in total,
// with the idle timeout as its TTL. On top of it, caps per NAS and a fair share per tenant, so a
// NAS that floods or abandons exchanges ends only its own conversations, and a tenant that fills
// the pool gives way to one below its share (its least recently used conversation is dropped).
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface ConversationLimits {
  /** A conversation with no request for this long is dropped (ms). */
  idleTimeoutMs: number;
  /** Open conversations, all NAS together. */
  maxConversations: number;
  /** Open conversations of one NAS. */
  maxPerNas: number;
}

export const DEFAULT_CONVERSATION_LIMITS: ConversationLimits = { idleTimeoutMs: 60_000, maxConversations: 10_000, maxPerNas: 2_000 };

/** Whose a conversation is: `nas` is unique across the configuration (a name is unique only within a tenant). */
export interface Owner {
  tenant: string;
  nas: string;
}

interface Entry<C> {
  owner: Owner;
  value: C;
}

export type Opened = { ok: true; state: Buffer; evicted: Owner | undefined } | { ok: false; cap: 'nas' | 'tenant' };

export class Conversations<C> {
  private readonly cache: LRUCache<string, Entry<C>>;
  private readonly perNas = new Map<string, number>();
  /** Each tenant's State keys, least recently used first (a Set keeps insertion order). */
  private readonly perTenant = new Map<string, Set<string>>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limits: ConversationLimits,
    /** Frees what a conversation holds when it is dropped. */
    dispose: (c: C) => void,
    now: () => number = Date.now,
  ) {
    this.cache = new LRUCache<string, Entry<C>>({
      // A safety bound only: open() makes room itself, so the cache never evicts on its own.
      max: limits.maxConversations + 1,
      ttl: limits.idleTimeoutMs,
      updateAgeOnGet: true,
      // Checked on each get with the injected clock (tests move it); no timer per entry.
      ttlResolution: 0,
      perf: { now },
      dispose: (e, key) => {
        this.forget(key, e.owner);
        dispose(e.value);
      },
    });
    this.timer = setInterval(() => this.cache.purgeStale(), Math.max(1_000, limits.idleTimeoutMs / 4));
    this.timer.unref();
  }

  get size(): number {
    return this.cache.size;
  }

  /** Open conversations of one tenant (tests, /metrics). */
  ofTenant(tenant: string): number {
    return this.perTenant.get(tenant)?.size ?? 0;
  }

  /**
   * Opens a conversation, or says which cap refused it (old ones live on). With the pool full, a
   * tenant below its fair share (the pool divided among the tenants holding conversations) takes
   * the least recently used conversation of the tenant holding the most.
   */
  open(owner: Owner, value: C): Opened {
    if ((this.perNas.get(owner.nas) ?? 0) >= this.limits.maxPerNas) return { ok: false, cap: 'nas' };
    let evicted: Owner | undefined;
    // Idle ones still count until the next sweep: purging here would cost O(n) per request in a flood.
    if (this.cache.size >= this.limits.maxConversations) {
      const holders = this.perTenant.size + (this.perTenant.has(owner.tenant) ? 0 : 1);
      if (this.ofTenant(owner.tenant) >= Math.floor(this.limits.maxConversations / holders)) return { ok: false, cap: 'tenant' };
      const victim = this.largestTenant();
      const key = victim && this.perTenant.get(victim)?.values().next().value;
      if (key === undefined) return { ok: false, cap: 'tenant' };
      evicted = this.cache.peek(key, { allowStale: true })?.owner;
      this.cache.delete(key);
    }
    const state = randomBytes(16);
    const key = state.toString('hex');
    this.cache.set(key, { owner, value });
    this.perNas.set(owner.nas, (this.perNas.get(owner.nas) ?? 0) + 1);
    let keys = this.perTenant.get(owner.tenant);
    if (!keys) this.perTenant.set(owner.tenant, (keys = new Set()));
    keys.add(key);
    return { ok: true, state, evicted };
  }

  /** The conversation for this State, if it exists, is not idle past the timeout and is this NAS's and tenant's. */
  get(state: Buffer, owner: Owner): C | undefined {
    const key = state.toString('hex');
    // Without refreshing it: only its owner's requests keep a conversation alive.
    const e = this.cache.get(key, { updateAgeOnGet: false });
    if (!e || e.owner.nas !== owner.nas || e.owner.tenant !== owner.tenant) return undefined;
    this.cache.get(key);
    const keys = this.perTenant.get(owner.tenant);
    keys?.delete(key);
    keys?.add(key);
    return e.value;
  }

  close(state: Buffer): void {
    this.cache.delete(state.toString('hex'));
  }

  sweep(): void {
    this.cache.purgeStale();
  }

  shutdown(): void {
    clearInterval(this.timer);
    this.cache.clear();
  }

  private largestTenant(): string | undefined {
    let best: string | undefined;
    let most = 0;
    for (const [tenant, keys] of this.perTenant) {
      if (keys.size > most) [best, most] = [tenant, keys.size];
    }
    return best;
  }

  private forget(key: string, owner: Owner): void {
    const n = (this.perNas.get(owner.nas) ?? 1) - 1;
    if (n > 0) this.perNas.set(owner.nas, n);
    else this.perNas.delete(owner.nas);
    const keys = this.perTenant.get(owner.tenant);
    keys?.delete(key);
    if (keys?.size === 0) this.perTenant.delete(owner.tenant);
  }
}
