// The one credential verifier in front of every password check (LDAP bind, RADIUS PAP, EAP inner
// methods, password modify, service accounts, history): it refuses cheaply first (token buckets,
// length cap, a full queue), then checks the hash on a worker thread, tenants taking turns.
// An account that does not exist is checked against a dummy hash of the configured bcrypt cost,
// and a migrated hash is checked together with that dummy, so that every refusal costs the same.
// One instance serves every tenant (Directory makes it), so that turns and buckets span tenants.
import { randomBytes } from 'node:crypto';
import { BUSY, FairQueue } from './fair-queue.ts';
import { HashPool } from './hash-pool.ts';
import { resolveCredentialLimits, type CredentialLimits } from './limits.ts';
import { hashCheck, hashPassword } from './passwords.ts';
import { SourceStrikes, TokenBuckets } from './throttle.ts';

export { BUSY } from './fair-queue.ts';

export interface Verdict {
  ok: boolean;
  /** The stored hash is not bcrypt: re-hash it after this successful authentication. */
  rehash: boolean;
}

/** Refused before any hash: which bucket was empty, and whether this starts a run of refusals. */
export type Admission = { ok: true } | { ok: false; by: 'source' | 'tenant'; first: boolean };

export interface VerifierOptions {
  bcryptCost: number;
  limits?: Partial<CredentialLimits>;
  /** Milliseconds, for buckets and waits (tests give a fake clock). */
  now?: () => number;
}

export class CredentialVerifier {
  readonly limits: CredentialLimits;
  /** Smart lockout's first stage: waits per source and account (authentication.ts). */
  readonly strikes: SourceStrikes;
  private readonly bySource: TokenBuckets;
  private readonly byTenant: TokenBuckets;
  private readonly queue: FairQueue;
  private readonly pool: HashPool;
  private dummy: Promise<string> | undefined;

  constructor(private readonly o: VerifierOptions) {
    this.limits = resolveCredentialLimits(o.limits);
    const now = o.now ?? Date.now;
    const l = this.limits;
    this.bySource = new TokenBuckets(l.perSource, l.maxTrackedSources, now);
    this.byTenant = new TokenBuckets(l.perTenant, l.maxTrackedSources, now);
    this.strikes = new SourceStrikes(l.maxTrackedSources, now);
    this.queue = new FairQueue(l.hashThreads, l.maxQueuedPerTenant);
    this.pool = new HashPool(l.hashThreads);
  }

  /** Takes a token from the source's bucket, then the tenant's: no token, no hash. */
  admit(tenant: string, source: string): Admission {
    const s = this.bySource.take(source);
    if (s !== 'ok') return { ok: false, by: 'source', first: s === 'first-refusal' };
    const t = this.byTenant.take(tenant);
    if (t !== 'ok') {
      this.bySource.refund(source);
      return { ok: false, by: 'tenant', first: t === 'first-refusal' };
    }
    return { ok: true };
  }

  /** A successful login gives its tokens back: only failures spend a source's or tenant's budget. */
  refund(tenant: string, source: string): void {
    this.bySource.refund(source);
    this.byTenant.refund(tenant);
  }

  /** Longer than any password we check: refused without looking further. */
  tooLong(password: string): boolean {
    // A UTF-16 code unit is at least one UTF-8 byte: the length alone refuses most without a scan.
    return password.length > this.limits.maxPasswordBytes || Buffer.byteLength(password, 'utf8') > this.limits.maxPasswordBytes;
  }

  /**
   * Checks `password` against `stored` (undefined: no such account, or no password) on a hash
   * thread, in the tenant's and source's turn. BUSY when the tenant's queue is full; `bounded:
   * false` (an administrator's own checks) waits instead.
   */
  async check(tenant: string, source: string, password: string, stored: string | undefined, o = { bounded: true }): Promise<Verdict | typeof BUSY> {
    const known = stored === undefined ? undefined : hashCheck(stored);
    const dummy = known?.check.kind === 'bcrypt' ? undefined : { kind: 'bcrypt' as const, hash: await this.dummyHash() };
    const checks = [...(known ? [known.check] : []), ...(dummy ? [dummy] : [])];
    const results = await this.queue.run(tenant, source, () => this.pool.run(password, checks), o);
    if (results === BUSY) return BUSY;
    return known ? { ok: results[0] === true, rehash: known.rehash } : { ok: false, rehash: false };
  }

  /** Equal work for a refusal that has no account to check (a DN under no tenant): the dummy hash. */
  async refuse(tenant: string, source: string, password: string): Promise<void> {
    await this.check(tenant, source, password, undefined);
  }

  /** Checks waiting for a hash thread in a tenant's queue (for tests and probes). */
  waiting(tenant: string): number {
    return this.queue.waitingIn(tenant);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** A bcrypt hash of a random password at the configured cost, made once. */
  private dummyHash(): Promise<string> {
    this.dummy ??= hashPassword(randomBytes(16).toString('base64'), this.o.bcryptCost);
    return this.dummy;
  }
}
