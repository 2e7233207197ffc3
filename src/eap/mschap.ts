// The MS-CHAPv2 check EAP-MSCHAPv2 and TTLS/MS-CHAPv2 share. It runs inside the directory's
// NT-hash callback, so the hash never leaves the directory; the crypto is core's, shared with RADIUS.
import { checkNtResponse } from '../core/mschapv2.ts';
import type { EapContext, EapUser } from './method.ts';

export interface MschapResponse {
  /** The name the peer put in its response (hashed into the challenge). */
  name: string;
  authChallenge: Buffer;
  peerChallenge: Buffer;
  ntResponse: Buffer;
}

/** Checks an MS-CHAPv2 response for `ctx.identity`; on success also gives the authenticator response. */
export async function verifyMschapv2(ctx: EapContext, r: MschapResponse, method: string): Promise<
  { ok: true; user: EapUser; authResponse: string } | { ok: false; reason: string }
> {
  let authResponse = '';
  const verdict = await ctx.authenticate(ctx.identity, {
    verifyNtHash(ntHash: Buffer): boolean {
      const check = checkNtResponse(ntHash, r.ntResponse, r.peerChallenge, r.authChallenge, r.name);
      authResponse = check.authenticatorResponse ?? '';
      return check.ok;
    },
  }, method);
  return verdict.ok ? { ok: true, user: verdict.user, authResponse } : verdict;
}
