import { availableParallelism } from 'node:os';
import { DEFAULTS } from '../config/index.ts';

// Limits of the credential checks (issue 9), in one object with units: what a password check
// accepts, how fast one source or one tenant may ask, how much hashing waits, and smart lockout.

export interface CredentialLimits {
  /**
   * UTF-8 bytes of a password that a check accepts (LDAP bind, TTLS/PAP; RADIUS PAP is at most
   * 128 by RFC 2865). A longer one is refused unhashed, like a wrong password; a new password
   * longer than this is refused by the policy.
   */
  maxPasswordBytes: number;
  /** Password hashes checked at once: the hash worker threads (0: one per CPU core). */
  hashThreads: number;
  /** Checks one tenant may have waiting for a hash thread; more are refused as throttled. */
  maxQueuedPerTenant: number;
  /** Token bucket per source address (an IPv6 address counts by its /64), across tenants. */
  perSource: TokenRate;
  /** Token bucket per tenant. */
  perTenant: TokenRate;
  /** Sources (and source+account pairs) remembered for throttling; the least recent go first. */
  maxTrackedSources: number;
  /** Wrong passwords one source may give for one account before it must wait. */
  sourceFreeFailures: number;
  /** Milliseconds the first wait lasts; each further failure doubles it, up to the tenant's lockout duration. */
  sourceBackoffMs: number;
  /** Days a source stays familiar after the account last authenticated from it. */
  familiarDays: number;
  /** Familiar sources kept per account (the most recent). */
  maxFamiliarSources: number;
}

export interface TokenRate {
  /** Tokens a full bucket holds: checks allowed in a burst. */
  burst: number;
  /** Tokens added per second: the sustained rate of checks. */
  perSecond: number;
}

const D = DEFAULTS.server.passwords;

/** The configuration's defaults (passwords.maxPasswordBytes, passwords.checks). */
export const DEFAULT_CREDENTIAL_LIMITS: Readonly<CredentialLimits> = Object.freeze({
  ...D.checks,
  maxPasswordBytes: D.maxPasswordBytes,
  maxTrackedSources: 65_536,
});

export function resolveCredentialLimits(partial: Partial<CredentialLimits> = {}): CredentialLimits {
  const l = { ...DEFAULT_CREDENTIAL_LIMITS, ...partial };
  return { ...l, hashThreads: l.hashThreads > 0 ? l.hashThreads : Math.max(1, availableParallelism()) };
}
