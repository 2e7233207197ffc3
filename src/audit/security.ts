// Suspicious activity, read from the authentication events as the Auditor records them and
// raised as audit events of their own (tenant thresholds: the tenant file's `security`):
// - security.failures-across-sources: one account failed `count` times, from `sources` sources;
// - security.spraying: one source failed for `users` accounts (existing or not);
// - security.new-nas: an account logged in through a RADIUS NAS it had never used, having used another.
// The first two keep their windows in memory, in LRUs bounded in bytes (a flood of keys forgets
// old windows rather than grow), and raise once per window and key, not per failure. new-nas
// needs a history that outlives a restart: the store's NasHistoryRepo, asked once per account
// and NAS while the pair is remembered here.
import { LRUCache } from 'lru-cache';
import { nameKey } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import type { AuditEvent, Store } from '../store/index.ts';

/** The tenant file's `security` (config/schema.ts), as the Auditor is given it. */
export interface SecurityPolicy {
  readonly userFailures: { readonly enabled: boolean; readonly count: number; readonly sources: number; readonly minutes: number };
  readonly spraying: { readonly enabled: boolean; readonly users: number; readonly minutes: number };
  readonly newNas: boolean;
}

export interface SecurityWatchOptions {
  store: Store;
  logger: Logger;
  /** A tenant's thresholds, read per event (a reload applies at once); undefined: not watched. */
  policy: (tenantId: string) => SecurityPolicy | undefined;
  /** Bytes, estimated, that each kind of window may take in all. */
  maxWindowBytes?: number;
  /** Account and NAS pairs known to be in the store, at most. */
  maxNasPairs?: number;
}

const MINUTE_MS = 60_000;
const DEFAULT_WINDOW_BYTES = 16 * 1024 * 1024;
const DEFAULT_NAS_PAIRS = 100_000;
/** Names an event's detail lists, at most. */
const LISTED = 10;
/** Account and source names are cut to this length, so that a window's size has a bound. */
const MAX_NAME = 128;
const ENTRY_BYTES = 64;

/** The most recent distinct names seen, at most `limit`, each with when it was last seen. */
class Recent {
  private readonly seen = new Map<string, number>();

  add(name: string, at: number, limit: number, cutoff: number): void {
    this.seen.delete(name);
    this.seen.set(name, at);
    for (const [n, t] of this.seen) if (t < cutoff) this.seen.delete(n);
    // Map order is the order of last sight: the first entries are the oldest.
    for (const n of this.seen.keys()) {
      if (this.seen.size <= limit) break;
      this.seen.delete(n);
    }
  }

  get size(): number {
    return this.seen.size;
  }

  /** Newest first, at most `n`. */
  names(n: number): string[] {
    return [...this.seen.keys()].reverse().slice(0, n);
  }

  bytes(): number {
    let b = 0;
    for (const n of this.seen.keys()) b += ENTRY_BYTES + 2 * n.length;
    return b;
  }
}

interface FailureWindow {
  /** Instants (ms) of the latest failures within the window, at most `count`. */
  times: number[];
  sources: Recent;
  raisedAt?: number;
}

interface SprayWindow {
  accounts: Recent;
  raisedAt?: number;
}

/** A failed check of a credential; a right password that must be followed by a code is none. */
function isFailure(e: AuditEvent): boolean {
  return e.outcome === 'failed' && /\.(auth|service-auth)$/.test(e.action) && e.reason !== 'mfa-challenge';
}

/** The account and NAS of a successful RADIUS login (EAP-TLS names the account in detail.uid). */
function nasLogin(e: AuditEvent): { uid: string; nas: string } | undefined {
  if (e.outcome !== 'ok' || !e.actor.startsWith('radius:')) return undefined;
  const nas = e.actor.slice('radius:'.length);
  if (e.action === 'radius.auth' && e.target) return { uid: e.target, nas };
  const uid = e.detail?.uid;
  if (e.action === 'radius.eap' && typeof uid === 'string') return { uid, nas };
  return undefined;
}

const cut = (s: string): string => s.slice(0, MAX_NAME);

export class SecurityWatch {
  private readonly failures: LRUCache<string, FailureWindow>;
  private readonly sprays: LRUCache<string, SprayWindow>;
  /** Pairs the store has recorded already: a login through them asks the store nothing. */
  private readonly nasPairs: LRUCache<string, true>;
  private readonly log: Logger;

  constructor(private readonly o: SecurityWatchOptions) {
    const maxSize = o.maxWindowBytes ?? DEFAULT_WINDOW_BYTES;
    this.failures = new LRUCache({ maxSize, sizeCalculation: (w) => ENTRY_BYTES + 8 * w.times.length + w.sources.bytes() });
    this.sprays = new LRUCache({ maxSize, sizeCalculation: (w) => ENTRY_BYTES + w.accounts.bytes() });
    this.nasPairs = new LRUCache({ max: o.maxNasPairs ?? DEFAULT_NAS_PAIRS });
    this.log = o.logger.child({ component: 'security' });
  }

  /** The security events `e` raises, if any; never for a security event itself. */
  async observe(tenantId: string, e: AuditEvent): Promise<AuditEvent[]> {
    const policy = this.o.policy(tenantId);
    if (!policy || e.action.startsWith('security.')) return [];
    const raised: (AuditEvent | undefined)[] = [];
    if (isFailure(e)) {
      const source = e.detail?.source === undefined ? undefined : cut(String(e.detail.source));
      const account = e.target === undefined ? undefined : cut(nameKey(e.target));
      if (policy.userFailures.enabled && account) raised.push(this.failure(tenantId, account, source ?? 'unknown', e, policy.userFailures));
      if (policy.spraying.enabled && account && source) raised.push(this.spray(tenantId, source, account, e, policy.spraying));
    }
    const login = policy.newNas ? nasLogin(e) : undefined;
    if (login) raised.push(await this.newNas(tenantId, login, e));
    return raised.filter((x) => x !== undefined);
  }

  private failure(tenantId: string, account: string, source: string, e: AuditEvent, p: SecurityPolicy['userFailures']): AuditEvent | undefined {
    const key = JSON.stringify([tenantId, account]);
    const t = e.at.getTime();
    const windowMs = p.minutes * MINUTE_MS;
    const w = this.failures.get(key) ?? { times: [], sources: new Recent() };
    w.times = [...w.times, t].filter((x) => x > t - windowMs).slice(-p.count);
    w.sources.add(source, t, p.sources, t - windowMs);
    const due = w.times.length >= p.count && w.sources.size >= p.sources && !recently(w.raisedAt, t, windowMs);
    if (due) w.raisedAt = t;
    this.failures.set(key, w); // again, so that the LRU counts its new size
    if (!due) return undefined;
    return alert(e, 'security.failures-across-sources', e.target, 'failed', {
      failures: w.times.length, sources: w.sources.size, minutes: p.minutes, recentSources: w.sources.names(LISTED).join(', '),
    });
  }

  private spray(tenantId: string, source: string, account: string, e: AuditEvent, p: SecurityPolicy['spraying']): AuditEvent | undefined {
    const key = JSON.stringify([tenantId, source]);
    const t = e.at.getTime();
    const windowMs = p.minutes * MINUTE_MS;
    const w = this.sprays.get(key) ?? { accounts: new Recent() };
    w.accounts.add(account, t, p.users, t - windowMs);
    const due = w.accounts.size >= p.users && !recently(w.raisedAt, t, windowMs);
    if (due) w.raisedAt = t;
    this.sprays.set(key, w);
    if (!due) return undefined;
    return alert(e, 'security.spraying', source, 'failed', {
      users: w.accounts.size, minutes: p.minutes, recentUsers: w.accounts.names(LISTED).join(', '),
    });
  }

  private async newNas(tenantId: string, login: { uid: string; nas: string }, e: AuditEvent): Promise<AuditEvent | undefined> {
    const key = JSON.stringify([tenantId, nameKey(login.uid), login.nas]);
    if (this.nasPairs.has(key)) return undefined;
    let seen: { first: boolean; others: boolean };
    try {
      seen = await this.o.store.tenant(tenantId).nasHistory.note(login.uid, login.nas, e.at);
    } catch (err) {
      // Asked again at the next login: an outage costs a missed event at most.
      this.log.error({ event: 'security.new-nas', tenant: tenantId, protocol: 'radius', outcome: 'failed', err }, 'NAS history not read');
      return undefined;
    }
    this.nasPairs.set(key, true);
    if (!seen.first || !seen.others) return undefined;
    const source = e.detail?.source;
    return alert(e, 'security.new-nas', login.uid, 'ok', { nas: login.nas, ...(source === undefined ? {} : { source }) });
  }
}

function recently(raisedAt: number | undefined, t: number, windowMs: number): boolean {
  return raisedAt !== undefined && t - raisedAt < windowMs;
}

function alert(e: AuditEvent, action: string, target: string | undefined, outcome: AuditEvent['outcome'], detail: NonNullable<AuditEvent['detail']>): AuditEvent {
  return {
    at: e.at,
    actor: 'system',
    protocol: 'system',
    action,
    ...(target === undefined ? {} : { target }),
    outcome,
    detail: { ...detail, ...(e.protocol === undefined ? {} : { via: e.protocol }) },
  };
}
