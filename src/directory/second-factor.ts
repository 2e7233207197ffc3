// Whether a login needs a second factor, from the tenant's `mfa` settings, the user, and what
// the protocol can carry: a code appended to the password, a RADIUS challenge, or nothing
// (PEAP-MSCHAPv2). Exempt groups count with nesting, like every group rule.
import type { TenantConfig } from '../config/index.ts';
import { nameKey } from '../core/ids.ts';
import type { TenantStore, UserRecord } from '../store/index.ts';
import { ancestorGroups } from './graph.ts';

/**
 * How a code can travel on this login. append: the last 6 digits of the password; challenge:
 * asked in a second round (RADIUS Access-Challenge); none: the protocol cannot carry one;
 * not-asked: this protocol is not under MFA (LDAP with mfa.ldap off, service accounts, a
 * password change proving the old password).
 */
export type CodeCarrier = 'append' | 'challenge' | 'none' | 'not-asked';

/** What the login needs: nothing more, a code, or a refusal that no password can overcome. */
export type FactorNeed = 'nothing' | 'code' | 'not-enrolled' | 'no-carrier';

export async function factorNeed(tenant: TenantConfig, store: TenantStore, user: UserRecord, carrier: CodeCarrier): Promise<FactorNeed> {
  const mode = tenant.mfa.totp;
  if (mode === 'off' || carrier === 'not-asked') return 'nothing';
  const enrolled = user.totp?.confirmedAt !== undefined;
  if (mode === 'optional' && !enrolled) return 'nothing';
  if (await exempt(tenant, store, user)) return 'nothing';
  if (!enrolled) return 'not-enrolled';
  return carrier === 'none' ? 'no-carrier' : 'code';
}

async function exempt(tenant: TenantConfig, store: TenantStore, user: UserRecord): Promise<boolean> {
  if (tenant.mfa.exemptGroups.length === 0 || user.memberOf.length === 0) return false;
  const groups = new Set(await ancestorGroups(store.groups, user.memberOf));
  return tenant.mfa.exemptGroups.some((g) => groups.has(nameKey(g)));
}

/** Splits "password123456" into the password and its 6-digit code; no code if it does not end so. */
export function splitAppendedCode(presented: string): { password: string; code?: string } {
  const code = presented.slice(-6);
  return presented.length > 6 && /^\d{6}$/.test(code) ? { password: presented.slice(0, -6), code } : { password: presented };
}
