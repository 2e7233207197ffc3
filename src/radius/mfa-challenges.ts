// RADIUS MFA challenges (mfa.radius: challenge): after a right password the NAS gets an
// Access-Challenge with a State of ours; the user's next Access-Request carries that State and
// the TOTP code as User-Password. A State is bound to the tenant, the NAS and the user, lives two
// minutes, and is good once. Bounded, so that even users with right passwords cannot grow it.
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Our States start with this, so that an EAP State (or a stranger's) is never taken for one. */
const PREFIX = Buffer.from('tdmfa1');
const TTL_MS = 120_000;
const MAX = 10_000;

export interface Challenge {
  tenantId: string;
  nasKey: string;
  uid: string;
}

export class MfaChallenges {
  private readonly open = new LRUCache<string, Challenge>({ max: MAX, ttl: TTL_MS });

  /** A new State for `c`. */
  issue(c: Challenge): Buffer {
    const state = Buffer.concat([PREFIX, randomBytes(16)]);
    this.open.set(state.toString('base64'), c);
    return state;
  }

  static isOurs(state: Buffer): boolean {
    return state.length === PREFIX.length + 16 && state.subarray(0, PREFIX.length).equals(PREFIX);
  }

  /**
   * Takes the challenge a State names, if it is open and was issued to this tenant, NAS and user;
   * taken once, whatever the code turns out to be.
   */
  take(state: Buffer, expected: Challenge): boolean {
    const key = state.toString('base64');
    const c = this.open.get(key);
    if (!c) return false;
    this.open.delete(key);
    return c.tenantId === expected.tenantId && c.nasKey === expected.nasKey && c.uid.toLowerCase() === expected.uid.toLowerCase();
  }

  clear(): void {
    this.open.clear();
  }
}
