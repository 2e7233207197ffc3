// A tenant's credentials as they are made and changed: hashes of new passwords (bcrypt, and an
// NT hash where MS-CHAPv2 is allowed), migrated hashes taken as they are, and the policy and
// history checks a new password passes. History is checked on the hash threads (verifier.ts).
import type { TenantConfig } from '../config/index.ts';
import { InvalidInput, PasswordPolicyViolation } from '../core/errors.ts';
import type { UserRecord } from '../store/index.ts';
import type { NewUserInput } from './inputs.ts';
import { hashPassword, hashScheme, ntHash, policyViolation } from './passwords.ts';
import { BUSY, type CredentialVerifier } from './verifier.ts';

export type StoredCredentials = NonNullable<UserRecord['credentials']>;

/** An administrator's checks wait in the tenant's turn, never refused as busy. */
const ADMIN_CHECK = { bounded: false };

export class TenantCredentials {
  constructor(
    private readonly tenant: TenantConfig,
    private readonly verifier: CredentialVerifier,
    private readonly bcryptCost: number,
  ) {}

  /** The credentials a new user starts with: a password under the policy, or a migrated hash. */
  async forNewUser(input: NewUserInput, now: Date): Promise<Pick<UserRecord, 'credentials'>> {
    if (input.password !== undefined) {
      const why = this.policyViolation(input.password, input.uid);
      if (why) throw new PasswordPolicyViolation(why);
      return { credentials: await this.hash(input.password, [], now) };
    }
    if (input.passwordHash !== undefined) {
      if (!hashScheme(input.passwordHash)) {
        throw new InvalidInput('passwordHash must be bcrypt ($2a$/$2b$/$2y$), {SSHA}, {SSHA512}, {SHA} or {CRYPT}');
      }
      return { credentials: { passwordHash: input.passwordHash, passwordChangedAt: now, history: [] } };
    }
    return {};
  }

  async hash(password: string, history: string[], changedAt: Date): Promise<StoredCredentials> {
    return {
      passwordHash: await hashPassword(password, this.bcryptCost),
      ...(this.tenant.radius.allowMschapv2 ? { ntHash: ntHash(password) } : {}),
      passwordChangedAt: changedAt,
      history,
    };
  }

  policyViolation(password: string, uid: string): string | undefined {
    return policyViolation(password, uid, this.tenant.passwordPolicy, this.verifier.limits.maxPasswordBytes);
  }

  /** Was this password one of these stored hashes? (history, and a re-import's "same password") */
  async isOneOf(password: string, hashes: readonly string[]): Promise<boolean> {
    for (const h of hashes) {
      const verdict = await this.verifier.check(this.tenant.id, 'admin', password, h, ADMIN_CHECK);
      if (verdict !== BUSY && verdict.ok) return true;
    }
    return false;
  }
}
