// Counters of the RADIUS front, for /metrics and tests.
import type { MalformedReason } from './codec.ts';

export type DropReason =
  | MalformedReason
  | 'unknown-code' | 'unknown-client' | 'bad-authenticator' | 'bad-message-authenticator'
  | 'missing-message-authenticator' | 'duplicate-in-flight' | 'overloaded' | 'store-unavailable'
  | 'unknown-realm' | 'internal-error';

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
}

export function emptyStats(): RadiusStats {
  return { received: 0, accepted: 0, rejected: 0, challenged: 0, accounting: 0, statusServer: 0, duplicates: 0, dropped: {} };
}
