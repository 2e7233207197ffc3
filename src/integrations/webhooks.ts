// The webhook delivery worker: claims due items from each tenant's outbox, per destination,
// POSTs them signed, and acknowledges a 2xx by deleting the item; any other answer (or none) is
// retried with exponential backoff until giveUpAfterMs, then the item is dead. At least once:
// an item leaves the outbox only after a 2xx, and a worker that stops or crashes leaves its
// claims to run out, so another worker (or this one, restarted) sends them again.
import type { LiveRegistry } from '../config/index.ts';
import type { Logger } from '../core/log.ts';
import { LogThrottle } from '../core/log-throttle.ts';
import type { OutboxItem, Store } from '../store/index.ts';
import { destinationsOf, type Webhook } from './destinations.ts';
import { Poster, type PostResult } from './http.ts';
import { SIGNATURE_HEADER, signature, webhookBody } from './payload.ts';

export interface WebhookCounters {
  /** 2xx answers. */
  delivered: number;
  /** Attempts that failed (an answer other than 2xx, or none). */
  failed: number;
  /** Items given up on. */
  dead: number;
}

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

/** A store or delivery problem is logged once per destination and this interval. */
const LOG_INTERVAL_MS = 60_000;
const USER_AGENT = 'tenantdir-webhooks/1';

export class WebhookWorker {
  private readonly log: Logger;
  private readonly poster = new Poster();
  private readonly throttle = new LogThrottle({ intervalMs: LOG_INTERVAL_MS, maxKeys: 10_000 });
  /** In flight per destination key (MSP-wide destinations count every tenant's deliveries). */
  private readonly inFlight = new Map<string, number>();
  /** When to look at a tenant's queue of a destination again (`tenant\0key` → ms). */
  private readonly lookAt = new Map<string, number>();
  private readonly running = new Set<Running>();
  private readonly counters = new Map<string, WebhookCounters>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private ticking = false;
  private again = false;
  private stopped = true;

  constructor(private readonly o: { live: LiveRegistry; store: Store; logger: Logger; now?: () => number }) {
    this.log = o.logger.child({ component: 'webhooks' });
  }

  start(): void {
    this.stopped = false;
    this.wake(0);
  }

  /** New items in this tenant's outbox: look at once rather than at the next poll. */
  nudge(tenantId: string): void {
    for (const w of destinationsOf(this.o.live.current()).webhooks(tenantId)) this.lookAt.delete(`${tenantId}\0${w.key}`);
    this.wake(0);
  }

  /** Every destination's counters since start, with its tenant and key (`tenant/<name>`, `msp/<name>`). */
  allCounters(): Array<{ tenant: string; destination: string } & WebhookCounters> {
    return [...this.counters].map(([k, c]) => {
      const [tenant = '', destination = ''] = k.split('\0');
      return { tenant, destination, ...c };
    });
  }

  /** Counters since start, by tenant and destination key. */
  countersOf(tenantId: string, key: string): WebhookCounters {
    return { ...(this.counters.get(`${tenantId}\0${key}`) ?? { delivered: 0, failed: 0, dead: 0 }) };
  }

  /** Stops claiming, cuts off deliveries in flight and hands their items back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const r of this.running) r.abort.abort();
    await Promise.allSettled([...this.running].map((r) => r.done));
    this.poster.close();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private wake(inMs: number): void {
    if (this.stopped) return;
    const at = this.now() + Math.max(0, inMs);
    if (this.timer && at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.tick();
    }, Math.max(0, inMs));
  }

  private async tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    try {
      do {
        this.again = false;
        await this.claimDue();
      } while (this.again && !this.stopped);
    } finally {
      this.ticking = false;
      this.wake(this.o.live.current().server.integrations.delivery.pollMs);
    }
  }

  /** One look at every tenant's queue of every destination that has a free slot and may have work. */
  private async claimDue(): Promise<void> {
    const registry = this.o.live.current();
    const delivery = registry.server.integrations.delivery;
    const destinations = destinationsOf(registry);
    for (const tenant of registry.tenants) {
      for (const w of destinations.webhooks(tenant.id)) {
        if (this.stopped) return;
        const look = `${tenant.id}\0${w.key}`;
        const free = delivery.concurrency - (this.inFlight.get(w.key) ?? 0);
        const now = this.now();
        if (free <= 0 || (this.lookAt.get(look) ?? 0) > now) continue;
        let items: OutboxItem[];
        try {
          items = await this.o.store.tenant(tenant.id).outbox.claim(w.key, { now: new Date(now), leaseMs: delivery.leaseMs, limit: free });
        } catch (err) {
          this.problem(tenant.id, w, 'claim', { err });
          this.lookAt.set(look, now + delivery.pollMs);
          continue;
        }
        // Fewer than asked for: nothing more is due until the next poll, a retry or a nudge.
        if (items.length < free) this.lookAt.set(look, now + delivery.pollMs);
        for (const item of items) this.begin(tenant.id, w, item);
      }
    }
  }

  private begin(tenantId: string, w: Webhook, item: OutboxItem): void {
    this.inFlight.set(w.key, (this.inFlight.get(w.key) ?? 0) + 1);
    const abort = new AbortController();
    const run: Running = {
      abort,
      done: this.deliver(tenantId, w, item, abort.signal)
        .catch((err: unknown) => this.problem(tenantId, w, 'deliver', { err }))
        .finally(() => {
          this.running.delete(run);
          this.inFlight.set(w.key, (this.inFlight.get(w.key) ?? 1) - 1);
          // A slot is free: another tenant's items for this destination may be waiting.
          this.wake(0);
        }),
    };
    this.running.add(run);
  }

  private async deliver(tenantId: string, w: Webhook, item: OutboxItem, signal: AbortSignal): Promise<void> {
    const delivery = this.o.live.current().server.integrations.delivery;
    const outbox = this.o.store.tenant(tenantId).outbox;
    const body = webhookBody(tenantId, item);
    const t = Math.floor(this.now() / 1000);
    const result: PostResult = await this.poster.post(w.url, body, {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      [SIGNATURE_HEADER]: signature(w.secret, t, body),
      'tenantdir-delivery': item.id,
      'tenantdir-event': item.event.action,
      'tenantdir-attempt': String(item.attempts + 1),
    }, { timeoutMs: delivery.timeoutMs, signal, ...(w.ca === undefined ? {} : { ca: w.ca }) });
    const at = new Date(this.now());
    const count = this.count(tenantId, w.key);
    const look = `${tenantId}\0${w.key}`;
    if (signal.aborted) {
      await outbox.release(item, at);
      return;
    }
    if ('status' in result && result.status >= 200 && result.status < 300) {
      await outbox.delivered(item, at);
      count.delivered++;
      // It answers: more of its items may be due now.
      this.lookAt.delete(look);
      this.log.debug({ event: 'webhook.deliver', tenant: tenantId, destination: w.key, outcome: 'ok', status: result.status }, 'webhook delivered');
      return;
    }
    const status = 'status' in result ? result.status : undefined;
    const error = 'status' in result ? `HTTP ${result.status}` : result.error;
    const deadline = item.createdAt.getTime() + delivery.giveUpAfterMs;
    const retryAt = at.getTime() >= deadline ? undefined : Math.min(deadline, at.getTime() + backoff(item.attempts + 1, delivery));
    await outbox.failed(item, { at, error, ...(status === undefined ? {} : { status }), ...(retryAt === undefined ? {} : { retryAt: new Date(retryAt) }) });
    count.failed++;
    const fields = { tenant: tenantId, destination: w.key, host: w.url.host, status, error, attempt: item.attempts + 1 };
    if (retryAt === undefined) {
      count.dead++;
      this.log.error({ event: 'webhook.dead', outcome: 'failed', ...fields }, 'webhook delivery given up: the event is dead (see the integrations status route)');
      return;
    }
    this.problem(tenantId, w, 'deliver', { ...fields, retryInMs: retryAt - at.getTime() });
    // Absent means "look now" (more were due): leave it so; otherwise look no later than the retry.
    const next = this.lookAt.get(look);
    if (next !== undefined) this.lookAt.set(look, Math.min(next, retryAt));
    this.wake(retryAt - this.now());
  }

  private count(tenantId: string, key: string): WebhookCounters {
    const id = `${tenantId}\0${key}`;
    let c = this.counters.get(id);
    if (!c) {
      c = { delivered: 0, failed: 0, dead: 0 };
      this.counters.set(id, c);
    }
    return c;
  }

  /** A failed attempt or a store problem: one warning per destination and interval. */
  private problem(tenantId: string, w: Webhook, step: 'claim' | 'deliver', fields: Record<string, unknown>): void {
    const seen = this.throttle.shouldLog(`${step}\0${tenantId}\0${w.key}`);
    if (!seen.log) return;
    this.log.warn({
      event: `webhook.${step}`, outcome: 'failed', tenant: tenantId, destination: w.key, host: w.url.host, suppressed: seen.suppressed, ...fields,
    }, step === 'claim' ? 'cannot read the outbox; will retry' : 'webhook delivery failed; will retry');
  }
}

/** Exponential backoff with ±20 % jitter, so that retries of many items spread out. */
export function backoff(attempt: number, d: { firstRetryMs: number; maxRetryMs: number }, random = Math.random): number {
  const base = Math.min(d.maxRetryMs, d.firstRetryMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(base * (0.8 + 0.4 * random()));
}
