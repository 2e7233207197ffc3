// The cheap refusals in front of every hash: a token bucket per source address and per tenant,
// and a wait per source and account after wrong passwords (smart lockout's first stage). Both
// live in memory, bounded: the least recently used entries go first.
import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';
import type { TenantConfig } from '../config/index.ts';
import type { CredentialLimits, TokenRate } from './limits.ts';

/** The key a source counts under: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function sourceKey(address: string | undefined): string {
  if (!address) return '-';
  try {
    const a = ipaddr.process(address);
    return a.kind() === 'ipv4' ? a.toString() : `${ipaddr.IPv6.networkAddressFromCIDR(`${a.toString()}/64`).toString()}/64`;
  } catch {
    // Not an address (a RADIUS NAS and station): as it is when short, else a digest that keeps it distinct.
    return address.length <= 64 ? address : createHash('sha256').update(address).digest('base64url');
  }
}

interface Bucket {
  tokens: number;
  at: number;
  /** Refusals since the bucket last had a token: only the first of a run is reported. */
  refusing: boolean;
}

/** Sources remembered per account: a spray from many sources keeps the most recent ones. */
const MAX_SOURCES_PER_ACCOUNT = 64;

export type Take = 'ok' | 'first-refusal' | 'refused';

export class TokenBuckets {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(
    private readonly rate: TokenRate,
    max: number,
    private readonly now: () => number,
  ) {
    this.buckets = new LRUCache({ max });
  }

  take(key: string): Take {
    const b = this.refill(key);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.refusing = false;
      return 'ok';
    }
    const first = !b.refusing;
    b.refusing = true;
    return first ? 'first-refusal' : 'refused';
  }

  /** Gives a token back (a successful login costs its source nothing). */
  refund(key: string): void {
    const b = this.refill(key);
    b.tokens = Math.min(this.rate.burst, b.tokens + 1);
  }

  private refill(key: string): Bucket {
    const now = this.now();
    const b = this.buckets.get(key);
    if (!b) {
      const fresh = { tokens: this.rate.burst, at: now, refusing: false };
      this.buckets.set(key, fresh);
      return fresh;
    }
    b.tokens = Math.min(this.rate.burst, b.tokens + ((now - b.at) / 1000) * this.rate.perSecond);
    b.at = now;
    return b;
  }
}

interface Strikes {
  failures: number;
  last: number;
  until: number;
  /** A refusal during the current wait was reported already. */
  reported: boolean;
}

export interface StrikePolicy {
  /** Failures a source may give for an account before it must wait. */
  free: number;
  /** The first wait, in ms; it doubles with each further failure. */
  baseMs: number;
  /** The longest wait, in ms. */
  maxMs: number;
  /** Ms after the last failure when a source's strikes are forgotten. */
  windowMs: number;
}

/** Wrong passwords per account and source, and how long that source must wait before its next try. */
export class SourceStrikes {
  // account key → source key → strikes: an account's entries are cleared together (unlock, reset).
  private readonly accounts: LRUCache<string, Map<string, Strikes>>;

  constructor(
    max: number,
    private readonly now: () => number,
  ) {
    this.accounts = new LRUCache({ max });
  }

  /**
   * Ms `source` must still wait before it may try `account` again (0: it may now), and whether
   * this is the first refusal of the wait (one audit event per wait, however many tries).
   */
  wait(account: string, source: string): { ms: number; first: boolean } {
    const s = this.accounts.get(account)?.get(source);
    const ms = s ? Math.max(0, s.until - this.now()) : 0;
    if (!s || ms === 0) return { ms, first: false };
    const first = !s.reported;
    s.reported = true;
    return { ms, first };
  }

  /** Counts a wrong password; returns the wait it imposes (0 while free failures remain). */
  fail(account: string, source: string, p: StrikePolicy): number {
    const now = this.now();
    let bySource = this.accounts.get(account);
    if (!bySource) {
      bySource = new Map();
      this.accounts.set(account, bySource);
    }
    const old = bySource.get(source);
    const failures = old && now - old.last <= p.windowMs ? old.failures + 1 : 1;
    const wait = failures < p.free ? 0 : Math.min(p.maxMs, p.baseMs * 2 ** (failures - p.free));
    if (!old && bySource.size >= MAX_SOURCES_PER_ACCOUNT) bySource.delete(bySource.keys().next().value!);
    bySource.set(source, { failures, last: now, until: now + wait, reported: false });
    return wait;
  }

  /** A success from this source: its strikes against the account are forgotten. Were there any? */
  clear(account: string, source: string): boolean {
    return this.accounts.get(account)?.delete(source) ?? false;
  }

  /** An unlock or a new password: every source's strikes against the account are forgotten. */
  clearAccount(account: string): void {
    this.accounts.delete(account);
  }
}

/** How long a source waits after wrong tries: the limits' backoff, within the tenant's lockout window and duration. */
export function strikePolicy(l: CredentialLimits, lockout: Pick<TenantConfig['passwordPolicy']['lockout'], 'windowMinutes' | 'durationMinutes'>): StrikePolicy {
  return { free: l.sourceFreeFailures, baseMs: l.sourceBackoffMs, maxMs: lockout.durationMinutes * 60_000, windowMs: lockout.windowMinutes * 60_000 };
}
