// Counters of the RADIUS front, for /metrics and tests.
import type { MalformedReason } from './codec.ts';
import type { OverLimit } from './limits.ts';

export type DropReason =
  | MalformedReason
  | 'unknown-code' | 'unknown-client' | 'bad-authenticator' | 'bad-message-authenticator'
  | 'missing-message-authenticator' | 'duplicate-in-flight' | 'store-unavailable'
  | 'unknown-realm' | 'internal-error'
  /** Over an in-flight limit (limits.ts): of one NAS, of one tenant, or in total. */
  | OverLimit
  /** The directory refused the credential check for now (token buckets, a source's wait, a full queue). */
  | 'throttled'
  /** No answer fits in 4,096 bytes, not even an Access-Reject (the request's Proxy-State alone fill it). */
  | 'reply-too-large';

export interface RadiusStats {
  received: number;
  accepted: number;
  rejected: number;
  challenged: number;
  /** Accounting-Requests stored and acknowledged. */
  accounting: number;
  statusServer: number;
  /** Retransmissions answered from the duplicate cache. */
  duplicates: number;
  dropped: Partial<Record<DropReason, number>>;
  /** Requests being worked on now. */
  inFlight: number;
}

export function emptyStats(): RadiusStats {
  return { received: 0, accepted: 0, rejected: 0, challenged: 0, accounting: 0, statusServer: 0, duplicates: 0, dropped: {}, inFlight: 0 };
}
