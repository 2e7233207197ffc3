// The seam for 802.1X: an Access-Request carrying EAP-Message goes to an EapHandler (src/eap).
// The front owns RADIUS (framing, Message-Authenticator, State, MPPE key encryption, VLANs);
// the handler owns EAP and sees users only through `authenticate` and `getUser`.
import type { AuthResult, Proof, User } from '../directory/index.ts';

export interface EapExchange {
  /** The EAP packet: every EAP-Message attribute of the request, joined in order. */
  eapMessage: Buffer;
  /** The State attribute of the request, as the handler sent it in the last challenge. */
  state: Buffer | undefined;
  /** User-Name as the NAS sent it (the outer identity; realm not stripped). */
  userName: string;
  /** The user name to look up in this tenant (realm stripped as configured). */
  uid: string;
  tenant: { id: string; allowMschapv2: boolean };
  nas: { name: string; source: string };
  /** Checks a credential in this tenant, with lockout and audit (protocol 'radius'). */
  authenticate(uid: string, proof: Proof): Promise<AuthResult>;
  /** Finds a user of this tenant, for EAP-TLS (a certificate names a user; no credential to check). */
  getUser(uid: string): Promise<User | undefined>;
}

export type EapOutcome =
  /** Access-Challenge: `state` comes back in the next request of this conversation. */
  | { kind: 'challenge'; eapMessage: Buffer; state: Buffer }
  /**
   * Access-Accept with EAP-Success. `uid` is the authenticated user (its groups give the VLAN);
   * `msk` (64 bytes, RFC 5216) becomes MS-MPPE-Recv-Key (first 32) and MS-MPPE-Send-Key (last 32).
   * `identity` (the inner one, not the outer label) and `method` (ttls/pap, peap/mschapv2, tls, ...)
   * go to the audit record.
   */
  | { kind: 'accept'; eapMessage: Buffer; uid: string; msk: Buffer; method: string; identity: string }
  /** Access-Reject with EAP-Failure; `reason` goes to the log and audit only, with `identity` and `method` when known. */
  | { kind: 'reject'; eapMessage: Buffer; reason: string; method?: string; identity?: string };

export interface EapHandler {
  /** Rejects only on a store outage (StoreUnavailable): the request then goes unanswered. */
  handle(exchange: EapExchange): Promise<EapOutcome>;
}
