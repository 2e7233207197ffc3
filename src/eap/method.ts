// The one interface every EAP method implements (hostapd's `struct eap_method`), and the context
// through which a method reaches users: methods never see the directory, only `EapContext`.
import type { Logger } from '../core/log.ts';
import type { EapTenant } from './tenant.ts';

/** Sizes of the TLS-based methods' messages (in method.ts so that methods and tls-common share it). */
export interface TlsLimits {
  /** TLS bytes per EAP packet we send (FreeRADIUS's fragment_size). */
  fragmentSize: number;
  /** The largest TLS message a peer may send, reassembled (a client certificate chain). */
  maxMessage: number;
}

/** What EAP needs to know of a user; the directory's User has these fields and more. */
export interface EapUser {
  uid: string;
  enabled: boolean;
  expiresAt?: Date;
}

/** A password (TTLS/PAP) or a check against the stored NT hash (MS-CHAPv2). */
export type EapProof = { password: string } | { verifyNtHash(ntHash: Buffer): boolean };

export type EapVerdict = { ok: true; user: EapUser } | { ok: false; reason: string };

/**
 * The verdict's reason when the directory refused the check for now, before any hash (token
 * buckets, a source's wait after wrong passwords, a full queue): the step is deferred, not failed.
 */
export const THROTTLED = 'throttled';

/** What a method may do besides computing: check credentials, find users, find inner methods. */
export interface EapContext {
  readonly tenant: EapTenant;
  readonly log: Logger;
  readonly limits: TlsLimits;
  /** The identity being authenticated: the EAP identity, or PEAP's inner identity in phase 2. */
  readonly identity: string;
  /** Checks a credential of an inner identity (`user`, `user@realm`, `REALM\\user`), always in this tenant. */
  authenticate(identity: string, proof: EapProof, method: string): Promise<EapVerdict>;
  /** The enabled, unexpired user of this tenant a certificate's identity names (EAP-TLS; same forms). */
  lookupUser(identity: string, method: string): Promise<EapVerdict>;
  /** PEAP's phase 2 finds its inner method here (hostapd's eap_server_get_eap_method). */
  method(type: number): EapMethod<unknown> | undefined;
}

export type Step<S> =
  /** Type-data of the next EAP-Request (the caller adds code, identifier and type). */
  | { send: Buffer; state: S }
  /** `msk` is absent for an inner method: the tunnel's keys are the session's keys. */
  | { success: { user: EapUser; msk?: Buffer } }
  | { failure: string }
  /**
   * Nothing to answer now (the credential check was THROTTLED): the state is kept as it was, and
   * the peer's retransmission of the same response runs this step again.
   */
  | { deferred: string };

export interface EapMethod<S> {
  type: number;
  name: string;
  start(ctx: EapContext): Step<S>;
  /** `data` is the type-data of the peer's response. */
  next(s: S, data: Buffer, ctx: EapContext): Promise<Step<S>>;
  /** Frees what the state holds (a TLS socket) when a conversation ends early. */
  dispose?(s: S): void;
}
