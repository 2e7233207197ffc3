// One tenant's TOTP second factor (RFC 6238, otplib): enrolment (a seed, shown once as an
// otpauth:// URI), confirmation by a first code, status, reset, and the check of a code at login.
// Seeds are sealed at rest with the server's key ring, bound to the tenant and the user's
// entryUUID; a code is good once (the time step of the last accepted one is kept) and within one
// step of clock skew either way.
import { generateSecret, generateURI, verify } from 'otplib';
import type { TenantConfig } from '../config/index.ts';
import { Conflict, InvalidInput, NotFound } from '../core/errors.ts';
import { KeyMissing, type KeyRing } from '../core/keyring.ts';
import type { TenantStore, TotpRecord, UserRecord } from '../store/index.ts';
import type { Actor } from './inputs.ts';
import type { TenantAudit } from './tenant-audit.ts';

const PERIOD_SECONDS = 30;
/** ±1 step: a phone whose clock is up to 30 s off still works. */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
const CODE = /^\d{6}$/;

export interface Enrolment {
  /** otpauth://totp/... for an authenticator app (as a QR code or typed). */
  uri: string;
  /** The seed in base32, for typing into an app by hand. Shown once, at enrolment. */
  secret: string;
}

export interface TotpStatus {
  enrolled: boolean;
  confirmed: boolean;
  createdAt?: Date;
  confirmedAt?: Date;
}

/** What a code proved: right (and now used), wrong, or right but used already. */
export type CodeVerdict = 'ok' | 'wrong' | 'replay';

/** Thrown inside a store update to abandon it: the step was taken by a concurrent login. */
class StepTaken extends Error {}

export class TenantTotp {
  constructor(
    private readonly tenant: TenantConfig,
    private readonly store: TenantStore,
    private readonly keys: KeyRing,
    private readonly audit: TenantAudit,
    private readonly now: () => Date,
  ) {}

  /**
   * A new seed for `uid`, unconfirmed until `confirm`. An earlier unconfirmed enrolment is
   * replaced; a confirmed one must be reset first, so that enrolling cannot silently move a
   * user's factor to another phone.
   */
  async enroll(uid: string, actor: Actor): Promise<Enrolment> {
    const user = await this.user(uid);
    if (user.totp?.confirmedAt) {
      throw new Conflict(`user "${user.uid}" already has a confirmed authenticator`, { hint: 'reset it first (tenantdir mfa reset), then enroll again' });
    }
    const secret = generateSecret();
    const totp: TotpRecord = { seed: this.keys.seal(Buffer.from(secret, 'utf8'), this.context(user)), createdAt: this.now() };
    await this.store.users.update(user.uid, (old) => ({ ...old, totp }));
    await this.audit.record(actor, 'mfa.enroll', user.uid, 'ok');
    return { uri: generateURI({ issuer: this.tenant.name, label: user.uid, secret, period: PERIOD_SECONDS }), secret };
  }

  /** Activates an enrolment with its first valid code. */
  async confirm(uid: string, code: string, actor: Actor): Promise<void> {
    const user = await this.user(uid);
    if (!user.totp) throw new NotFound(`user "${user.uid}" has no authenticator enrolled`, { hint: 'run tenantdir mfa enroll first' });
    if (user.totp.confirmedAt) throw new Conflict(`user "${user.uid}"'s authenticator is confirmed already`);
    const verdict = await this.check(user, code, { confirming: true });
    await this.audit.record(actor, 'mfa.confirm', user.uid, verdict === 'ok' ? 'ok' : 'failed', verdict === 'ok' ? {} : { reason: 'bad-code' });
    if (verdict !== 'ok') throw new InvalidInput('the code is not valid: check the phone\'s clock and give the code shown now');
  }

  async status(uid: string): Promise<TotpStatus> {
    const t = (await this.user(uid)).totp;
    return {
      enrolled: t !== undefined,
      confirmed: t?.confirmedAt !== undefined,
      ...(t ? { createdAt: t.createdAt } : {}),
      ...(t?.confirmedAt ? { confirmedAt: t.confirmedAt } : {}),
    };
  }

  /** Removes the user's authenticator (a lost phone); returns whether there was one. */
  async reset(uid: string, actor: Actor): Promise<boolean> {
    const user = await this.user(uid);
    if (!user.totp) {
      await this.audit.record(actor, 'mfa.reset', user.uid, 'ok', { result: 'none-enrolled' });
      return false;
    }
    await this.store.users.update(user.uid, (old) => {
      const { totp: _removed, ...rest } = old;
      return rest;
    });
    await this.audit.record(actor, 'mfa.reset', user.uid, 'ok');
    return true;
  }

  /**
   * Checks a login's code against the user's confirmed authenticator, and spends its time step:
   * the same code (or an older one) is a replay from then on.
   */
  verifyLogin(user: UserRecord, code: string): Promise<CodeVerdict> {
    return this.check(user, code, { confirming: false });
  }

  /**
   * Seals every seed of this tenant with the current key (after a new key was put first). A seed
   * that does not open (tampered with, or its key gone) is left as it is and reported by uid.
   */
  async reseal(actor: Actor): Promise<{ resealed: number; unreadable: string[] }> {
    let resealed = 0;
    const unreadable: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.store.users.find({ all: true }, { limit: 200, ...(after ? { after } : {}) });
      for (const u of page.items) {
        if (!u.totp || u.totp.seed.keyId === this.keys.current) continue;
        const plain = this.tryOpen(u);
        if (!plain) {
          unreadable.push(u.uid);
          continue;
        }
        await this.store.users.update(u.uid, (old) => (old.totp ? { ...old, totp: { ...old.totp, seed: this.keys.seal(plain, this.context(old)) } } : old));
        resealed++;
      }
      after = page.next;
    } while (after !== undefined);
    await this.audit.record(actor, 'mfa.rotate-key', undefined, unreadable.length ? 'failed' : 'ok', {
      resealed: String(resealed), unreadable: String(unreadable.length), key: this.keys.current,
    });
    return { resealed, unreadable };
  }

  private async check(user: UserRecord, code: string, o: { confirming: boolean }): Promise<CodeVerdict> {
    const totp = user.totp;
    if (!totp || (!o.confirming && !totp.confirmedAt) || !CODE.test(code)) return 'wrong';
    const result = await verify({
      secret: this.open(user).toString('utf8'),
      token: code,
      epoch: Math.floor(this.now().getTime() / 1000),
      period: PERIOD_SECONDS,
      epochTolerance: TOLERANCE_SECONDS,
    });
    // otplib's functional verify answers for HOTP too: only a TOTP result has a time step.
    const step = result.valid && 'timeStep' in result ? result.timeStep : undefined;
    if (step === undefined) return 'wrong';
    if (totp.lastStep !== undefined && step <= totp.lastStep) return 'replay';
    try {
      await this.store.users.update(user.uid, (old) => {
        if (!old.totp || (old.totp.lastStep !== undefined && step <= old.totp.lastStep)) throw new StepTaken();
        return { ...old, totp: { ...old.totp, lastStep: step, ...(o.confirming ? { confirmedAt: this.now() } : {}) } };
      });
    } catch (err) {
      if (err instanceof StepTaken) return 'replay';
      throw err;
    }
    return 'ok';
  }

  private tryOpen(user: UserRecord): Buffer | undefined {
    if (!user.totp || !this.keys.ids().includes(user.totp.seed.keyId)) return undefined;
    return this.keys.open(user.totp.seed, this.context(user));
  }

  private open(user: UserRecord): Buffer {
    if (user.totp && !this.keys.ids().includes(user.totp.seed.keyId)) throw new KeyMissing(user.totp.seed.keyId);
    const plain = this.tryOpen(user);
    if (!plain) throw new InvalidInput(`user "${user.uid}"'s authenticator seed does not open with its key`, { expose: false, hint: 'reset the user\'s authenticator (tenantdir mfa reset) and enroll again' });
    return plain;
  }

  /** What a seal is bound to: this tenant and this user, whatever the user is renamed to. */
  private context(user: Pick<UserRecord, 'entryUUID'>): string {
    return `totp\u0000${this.tenant.id}\u0000${user.entryUUID}`;
  }

  private async user(uid: string): Promise<UserRecord> {
    const u = await this.store.users.get(uid);
    if (!u) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    return u;
  }
}
