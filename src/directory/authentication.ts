// Authentication of one tenant's users and service accounts, with smart lockout. Every check
// passes the verifier's cheap refusals first (token buckets, length cap, a source's wait), then
// the hash. Wrong passwords slow the source that gave them (a wait per source and account);
// the account lock counts only failures from sources the account has not logged in from
// recently, and shuts out only those: the user's own usual addresses keep working.
import type { TenantConfig } from '../config/index.ts';
import { nameKey } from '../core/ids.ts';
import type { AppPasswordRecord, FamiliarSource, LockoutState, TenantStore, UserRecord } from '../store/index.ts';
import { satisfiesMfa, type TenantAppPasswords } from './app-passwords.ts';
import type { TenantCredentials } from './credentials.ts';
import type { Actor } from './inputs.ts';
import { factorNeed, splitAppendedCode, type CodeCarrier, type FactorNeed } from './second-factor.ts';
import type { TenantAudit } from './tenant-audit.ts';
import type { TenantTotp } from './totp.ts';
import { sourceKey, strikePolicy } from './throttle.ts';
import { BUSY, type CredentialVerifier, type Verdict } from './verifier.ts';
import { toUser, type User } from './views.ts';

export type ServiceAccount = TenantConfig['ldap']['serviceAccounts'][number];

export type AuthFailure =
  | 'no-such-user' | 'bad-password' | 'disabled' | 'expired' | 'locked' | 'password-expired'
  /** NT-hash proof (MS-CHAPv2) for a user without an NT hash (tenant lacks allowMschapv2). */
  | 'no-nt-hash'
  /**
   * Refused before any hash: this source or tenant asks too often, this source must wait after
   * wrong passwords for this account, or the tenant's queue is full. LDAP may answer busy (51),
   * RADIUS may drop the request.
   */
  | 'throttled'
  /** A password longer than any we check (CredentialLimits.maxPasswordBytes); refused unhashed. */
  | 'too-long'
  /** The password was right and a TOTP code must follow: the caller asks for it (RADIUS Access-Challenge), then completeChallenge. */
  | 'mfa-challenge'
  /** mfa.totp is required and the user has not enrolled an authenticator. */
  | 'mfa-not-enrolled'
  /** A code is needed and this protocol cannot carry one (PEAP-MSCHAPv2): an app password or a certificate can. */
  | 'mfa-unavailable'
  /** The TOTP code was missing or wrong (counted like a wrong password). */
  | 'bad-code'
  /** The code was right but used already (counted like a wrong password). */
  | 'code-replay';

/**
 * What a client proves: a plaintext password (LDAP bind, PAP, TTLS/PAP), or knowledge of the NT
 * hash (MS-CHAPv2), checked by the protocol's own `verify` against the stored NT hash.
 */
export type Proof = { password: string } | { verifyNtHash(ntHash: Buffer): boolean };

export type AuthResult =
  /** `factor`: the credential was one of the user's app passwords, `appPassword` by name (a password expiry does not apply to it). */
  | { ok: true; user: User; passwordExpiresAt?: Date; factor?: 'app-password'; appPassword?: string }
  /** `proven`: the credential itself was right and the account's state refused it (ppolicy may say so). */
  | { ok: false; reason: AuthFailure; proven?: boolean };

export type ServiceAuthResult = { ok: true; account: ServiceAccount } | { ok: false; reason: AuthFailure };

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** lastLoginAt is written again only when older than this (the store checks too). */
const LOGIN_STAMP_MS = MINUTE_MS;
/** A familiar source's last-seen time is written again at most this often. */
const REMEMBER_EVERY_MS = DAY_MS;
const SYSTEM: Actor = { name: 'system', protocol: 'system' };
/** An app password that matched: right without a hash. */
const APP_PASSWORD_RIGHT: Verdict = { ok: true, rehash: false };

/** A refusal before any hash, and whether it is audited (only the first of a run of throttled ones, or of a wait). */
interface Gate {
  reason: 'throttled' | 'too-long';
  audit: boolean;
  detail: Record<string, string>;
}

/** What the shared part of a check found, before the account's own states. */
type Attempt =
  | { kind: 'refused'; reason: AuthFailure; proven?: boolean; detail?: Record<string, string> }
  | { kind: 'right'; verdict: Verdict; lock: LockoutState | undefined; familiar: FamiliarSource[] };

export class TenantAuthentication {
  constructor(
    private readonly tenant: TenantConfig,
    private readonly store: TenantStore,
    private readonly verifier: CredentialVerifier,
    private readonly credentials: TenantCredentials,
    private readonly audit: TenantAudit,
    private readonly totp: TenantTotp,
    private readonly appPasswords: TenantAppPasswords,
    private readonly now: () => Date,
  ) {}

  /**
   * Checks a credential. A "no" is a verdict with a reason for the log and audit only (clients
   * see one answer for all of them); a store outage rejects with StoreUnavailable instead.
   */
  async authenticate(uid: string, proof: Proof, actor: Actor, carrier: CodeCarrier = 'not-asked'): Promise<AuthResult> {
    const source = sourceKey(actor.source);
    const method = 'password' in proof ? 'password' : 'nt-hash';
    const gate = this.gate(uid, source, 'password' in proof ? proof.password : undefined);
    if (gate) {
      if (gate.audit) await this.audit.record(actor, `${actor.protocol}.auth`, uid, 'failed', { reason: gate.reason, method: actor.method ?? method, credential: method, ...gate.detail });
      return { ok: false, reason: gate.reason };
    }
    const user = await this.store.users.get(uid);
    // An app password is found by its lookup id and checked by one HMAC (or its NT hash), never bcrypt; where it satisfies MFA no code is asked.
    const app = this.appPassword(user, proof, actor);
    const need = user && !(app && satisfiesMfa(this.tenant, actor.protocol)) ? await factorNeed(this.tenant, this.store, user, carrier) : 'nothing';
    // Appended, the code is split off before the password is checked; without one the check still runs (equal work) and fails.
    const split = need === 'code' && carrier === 'append' && 'password' in proof ? splitAppendedCode(proof.password) : undefined;
    const checked: Proof = split ? { password: split.code === undefined ? '' : split.password } : proof;
    const used = split ? this.appPassword(user, checked, actor) : app;
    const attempt = await this.attempt(user?.uid ?? uid, user !== undefined, source,
      async (tenant) => (used ? APP_PASSWORD_RIGHT : this.verifyUser(tenant, source, checked, user, actor)));
    const second = { need, carrier, ...(split?.code === undefined ? {} : { code: split.code }) };
    const result = attempt.kind === 'refused'
      ? { ok: false as const, reason: attempt.reason, ...(attempt.proven === undefined ? {} : { proven: attempt.proven }) }
      : await this.admitUser(user!, attempt, source, checked, second, used);
    await this.audit.record(actor, `${actor.protocol}.auth`, uid, result.ok ? 'ok' : 'failed', {
      ...(result.ok ? {} : { reason: result.reason }),
      method: actor.method ?? method,
      credential: used ? 'app-password' : method,
      ...(used ? { appPassword: used.name } : {}),
      ...(need === 'code' && carrier !== 'challenge' ? { factor: 'totp' } : {}),
      ...(attempt.kind === 'refused' ? attempt.detail : {}),
    });
    return result;
  }

  /**
   * The second round of a challenge: `uid` gave the right password (authenticate answered
   * mfa-challenge) and now gives the code. The caller keeps the challenge (RADIUS State) bound to
   * the NAS and the user, single-use and short-lived; this checks the code, counts a wrong one
   * like a wrong password, and admits the user as authenticate does.
   */
  async completeChallenge(uid: string, code: string, actor: Actor): Promise<AuthResult> {
    const source = sourceKey(actor.source);
    const gate = this.gate(uid, source, undefined);
    const user = gate ? undefined : await this.store.users.get(uid);
    let result: AuthResult;
    if (gate) result = { ok: false, reason: gate.reason };
    else if (!user) result = { ok: false, reason: 'no-such-user' };
    else {
      const now = this.now();
      const lock = await this.store.lockouts.get(user.uid);
      const familiar = await this.familiar(user.uid, now);
      if (this.lockEnd(lock) && !familiar.some((f) => f.source === source)) result = { ok: false, reason: 'locked' };
      else result = await this.admitUser(user, { kind: 'right', verdict: { ok: true, rehash: false }, lock, familiar }, source, { password: '' }, { need: 'code', carrier: 'append', code });
    }
    if (!gate || gate.audit) {
      await this.audit.record(actor, `${actor.protocol}.auth`, uid, result.ok ? 'ok' : 'failed', { ...(result.ok ? {} : { reason: result.reason }), method: actor.method ?? 'challenge', step: 'challenge', factor: 'totp' });
    }
    return result;
  }

  /**
   * A YAML service account's bind (cn=S,ou=services). Service accounts overlay the store
   * read-only; they get the same limits as users and a lockout of their own (key service:NAME).
   */
  async authenticateService(name: string, password: string, actor: Actor): Promise<ServiceAuthResult> {
    const source = sourceKey(actor.source);
    const target = `service:${name}`;
    const gate = this.gate(target, source, password);
    if (gate) {
      if (gate.audit) await this.audit.record(actor, `${actor.protocol}.service-auth`, target, 'failed', { reason: gate.reason, method: actor.method ?? 'password', ...gate.detail });
      return { ok: false, reason: gate.reason };
    }
    const account = this.tenant.ldap.serviceAccounts.find((s) => nameKey(s.name) === nameKey(name));
    const attempt = await this.attempt(target, account !== undefined, source, (tenant) => this.verifier.check(tenant, source, password, account?.passwordHash));
    if (attempt.kind === 'right') await this.succeeded(target, source, attempt);
    const ok = attempt.kind === 'right' && account !== undefined;
    await this.audit.record(actor, `${actor.protocol}.service-auth`, target, ok ? 'ok' : 'failed', ok ? { method: actor.method ?? 'password' } : {
      method: actor.method ?? 'password',
      reason: attempt.kind === 'refused' ? (attempt.reason === 'no-such-user' ? 'no-such-account' : attempt.reason) : 'bad-password',
      ...(attempt.kind === 'refused' ? attempt.detail : {}),
    });
    if (ok) return { ok: true, account };
    return { ok: false, reason: attempt.kind === 'refused' ? attempt.reason : 'bad-password' };
  }

  /** Is the account locked now (for sources it has not logged in from)? For display. */
  async lockedUntil(uid: string): Promise<Date | undefined> {
    return this.lockEnd(await this.store.lockouts.get(uid));
  }

  /** lockedUntil for a page of users in one read: uid name key → end of the lock, for the locked ones. */
  async lockedUntilMany(uids: string[]): Promise<Map<string, Date>> {
    const out = new Map<string, Date>();
    for (const [key, state] of await this.store.lockouts.getMany(uids)) {
      const until = this.lockEnd(state);
      if (until) out.set(key, until);
    }
    return out;
  }

  /** An unlock or a new password: the account lock and every source's wait are lifted. */
  async reset(uid: string): Promise<void> {
    this.verifier.strikes.clearAccount(this.strikeKey(uid));
    await this.store.lockouts.clear(uid);
  }

  /** A deleted or renamed account: its name keeps nothing (lock, waits, familiar sources, NAS used) for a later one. */
  async forget(uid: string): Promise<void> {
    await this.reset(uid);
    await this.store.sources.forget(uid);
    await this.store.nasHistory.forget(uid);
  }

  // ------------------------------------------------------------ the shared steps

  /** The cheap refusals, in order: the buckets, the length cap, this source's wait for this account. */
  private gate(account: string, source: string, password: string | undefined): Gate | undefined {
    const admitted = this.verifier.admit(this.tenant.id, source);
    if (!admitted.ok) return { reason: 'throttled', audit: admitted.first, detail: { throttled: admitted.by } };
    if (password !== undefined && this.verifier.tooLong(password)) {
      // Counted against the source like a wrong password: it is one, and costs no hash.
      this.verifier.strikes.fail(this.strikeKey(account), source, this.strikePolicy());
      return { reason: 'too-long', audit: true, detail: {} };
    }
    const wait = this.verifier.strikes.wait(this.strikeKey(account), source);
    return wait.ms > 0 ? { reason: 'throttled', audit: wait.first, detail: { throttled: 'source-wait', wait: String(wait.ms) } } : undefined;
  }

  /**
   * The check itself, with the same work for every refusal: an unknown account is checked
   * against the dummy hash, a locked one still has its password checked (a right password may be
   * told the account is locked; a guesser learns nothing). Failures are counted here.
   */
  private async attempt(
    key: string,
    exists: boolean,
    source: string,
    verify: (tenant: string) => Promise<Verdict | typeof BUSY | 'no-nt-hash'>,
  ): Promise<Attempt> {
    const now = this.now();
    const lock = exists ? await this.store.lockouts.get(key) : undefined;
    const familiar = lock && this.lockEnd(lock) ? await this.familiar(key, now) : [];
    const lockedOut = this.lockEnd(lock) !== undefined && !familiar.some((f) => f.source === source);
    const verdict = await verify(this.tenant.id);
    if (verdict === BUSY) return { kind: 'refused', reason: 'throttled', detail: { throttled: 'queue' } };
    if (verdict === 'no-nt-hash') return { kind: 'refused', reason: exists ? 'no-nt-hash' : 'no-such-user' };
    if (lockedOut) {
      // Not counted (the account is locked already), but the source is slowed like any guesser.
      if (!verdict.ok) this.verifier.strikes.fail(this.strikeKey(key), source, this.strikePolicy());
      return { kind: 'refused', reason: 'locked', proven: verdict.ok };
    }
    if (!verdict.ok || !exists) {
      const wait = await this.failed(key, exists, source, now);
      return { kind: 'refused', reason: exists ? 'bad-password' : 'no-such-user', ...(wait > 0 ? { detail: { wait: String(wait) } } : {}) };
    }
    return { kind: 'right', verdict, lock, familiar };
  }

  private async verifyUser(tenant: string, source: string, proof: Proof, user: UserRecord | undefined, actor: Actor): Promise<Verdict | typeof BUSY | 'no-nt-hash'> {
    if ('password' in proof) return this.verifier.check(tenant, source, proof.password, user?.credentials?.passwordHash);
    const nt = user?.credentials?.ntHash;
    // A user whose only NT hashes are app passwords' gave a wrong one: counted like a wrong password.
    if (!nt) return this.appPasswords.hasNtHash(user, actor.protocol) ? { ok: false, rehash: false } : 'no-nt-hash';
    return { ok: proof.verifyNtHash(Buffer.from(nt, 'hex')), rehash: false };
  }

  /**
   * A right password: the user's own states come after it, so that a guesser's timing shows none
   * of them; then the second factor, if the login needs one.
   */
  private async admitUser(
    user: UserRecord, attempt: Extract<Attempt, { kind: 'right' }>, source: string, proof: Proof,
    second: { need: FactorNeed; carrier: CodeCarrier; code?: string }, app?: AppPasswordRecord,
  ): Promise<AuthResult> {
    const now = this.now();
    if (!user.enabled) return { ok: false, reason: 'disabled', proven: true };
    if (user.expiresAt && user.expiresAt <= now) return { ok: false, reason: 'expired', proven: true };
    const maxAge = this.tenant.passwordPolicy.maxAgeDays;
    const expiresAt = maxAge > 0 && user.credentials && !app ? new Date(user.credentials.passwordChangedAt.getTime() + maxAge * DAY_MS) : undefined;
    if (expiresAt && expiresAt < now) return { ok: false, reason: 'password-expired', proven: true };
    if (second.need === 'not-enrolled') return { ok: false, reason: 'mfa-not-enrolled', proven: true };
    if (second.need === 'no-carrier') return { ok: false, reason: 'mfa-unavailable', proven: true };
    if (second.need === 'code') {
      if (second.carrier === 'challenge') return { ok: false, reason: 'mfa-challenge', proven: true };
      const verdict = second.code === undefined ? 'wrong' : await this.totp.verifyLogin(user, second.code);
      if (verdict !== 'ok') {
        await this.failed(user.uid, true, source, now);
        return { ok: false, reason: verdict === 'replay' ? 'code-replay' : 'bad-code' };
      }
    }
    await this.succeeded(user.uid, source, attempt);
    // One conditional write at most a minute; none at all when the record says it is recent.
    if (!user.lastLoginAt || now.getTime() - user.lastLoginAt.getTime() >= LOGIN_STAMP_MS) await this.store.users.recordLogin(user.uid, now);
    if (attempt.verdict.rehash && 'password' in proof) await this.rehash(user, proof.password);
    if (app) {
      await this.appPasswords.used(user, app);
      return { ok: true, user: toUser(user), factor: 'app-password', appPassword: app.name };
    }
    return { ok: true, user: toUser(user), ...(expiresAt ? { passwordExpiresAt: expiresAt } : {}) };
  }

  // ------------------------------------------------------------ app passwords (app-passwords.ts)

  /** The user's app password that `proof` is, among those the protocol's scope allows. */
  private appPassword(user: UserRecord | undefined, proof: Proof, actor: Actor): AppPasswordRecord | undefined {
    return 'password' in proof
      ? this.appPasswords.matchPassword(user, proof.password, actor.protocol)
      : this.appPasswords.matchNtHash(user, (nt) => proof.verifyNtHash(nt), actor.protocol);
  }

  /**
   * A success forgets this source's strikes and gives its tokens back, and makes the source
   * familiar. Counted failures are cleared only by a success from a source that failed itself
   * (a user's typos), and never during a lock: a success elsewhere must not hand an attacker
   * fresh tries.
   */
  private async succeeded(key: string, source: string, attempt: Extract<Attempt, { kind: 'right' }>): Promise<void> {
    const hadStrikes = this.verifier.strikes.clear(this.strikeKey(key), source);
    this.verifier.refund(this.tenant.id, source);
    const now = this.now();
    if (hadStrikes && attempt.lock && attempt.lock.failures > 0 && !this.lockEnd(attempt.lock)) await this.store.lockouts.clear(key);
    const familiar = attempt.familiar.length > 0 ? attempt.familiar : await this.familiar(key, now);
    const seen = familiar.find((f) => f.source === source);
    if (!seen || now.getTime() - seen.at.getTime() >= REMEMBER_EVERY_MS) {
      await this.store.sources.remember(key, source, { at: now, forgetBefore: this.familiarSince(now) });
    }
  }

  /**
   * A wrong password (or an unknown account): the source's strikes grow, and, from a source the
   * account does not know, the account's lock counts it. Returns the wait the source now has.
   */
  private async failed(key: string, exists: boolean, source: string, now: Date): Promise<number> {
    const wait = this.verifier.strikes.fail(this.strikeKey(key), source, this.strikePolicy());
    const p = this.tenant.passwordPolicy.lockout;
    if (!exists || p.threshold <= 0) return wait;
    if ((await this.familiar(key, now)).some((f) => f.source === source)) return wait;
    const state = await this.store.lockouts.registerFailure(key, {
      now, windowMs: p.windowMinutes * MINUTE_MS, threshold: p.threshold, lockMs: p.durationMinutes * MINUTE_MS,
    });
    if (state.failures === p.threshold) {
      await this.audit.record(SYSTEM, 'user.lockout', key, 'ok', { until: state.lockedUntil?.toISOString() ?? '', source });
    }
    return wait;
  }

  /** A migrated hash is replaced by bcrypt on the first successful login (and an NT hash added). */
  private async rehash(user: UserRecord, password: string): Promise<void> {
    const credentials = await this.credentials.hash(password, user.credentials?.history ?? [], user.credentials?.passwordChangedAt ?? this.now());
    await this.store.users.update(user.uid, (old) => ({ ...old, credentials }));
    await this.audit.record(SYSTEM, 'user.rehash', user.uid, 'ok');
  }

  private familiar(key: string, now: Date): Promise<FamiliarSource[]> {
    return this.store.sources.list(key, { since: this.familiarSince(now), limit: this.verifier.limits.maxFamiliarSources });
  }

  private familiarSince(now: Date): Date {
    return new Date(now.getTime() - this.verifier.limits.familiarDays * DAY_MS);
  }

  private strikePolicy() {
    return strikePolicy(this.verifier.limits, this.tenant.passwordPolicy.lockout);
  }

  /** Strikes are kept across tenants in one map: the tenant is part of the key. */
  private strikeKey(account: string): string {
    return `${this.tenant.id}\u0000${nameKey(account)}`;
  }

  private lockEnd(s: LockoutState | undefined): Date | undefined {
    return s?.lockedUntil && s.lockedUntil > this.now() ? s.lockedUntil : undefined;
  }
}
