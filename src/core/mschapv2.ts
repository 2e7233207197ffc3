// MS-CHAPv2 (RFC 2759) and its MPPE key derivation (RFC 3079): pure crypto, in core because
// both the RADIUS front (MS-CHAPv2 over RADIUS) and EAP (EAP-MSCHAPv2, TTLS/MS-CHAPv2) use it.
// Every function follows the RFC's pseudo-code of the same name; the RFC's test vectors are in
// test/core/mschapv2.test.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
// OpenSSL 3 refuses MD4 without the legacy provider.
import md4 from 'js-md4';
import { desEncryptBlock, expandDesKey } from './des.ts';

/** MD4 of the NT hash: what the authenticator response and the MPPE keys are made from. */
export function hashNtPasswordHash(ntHash: Uint8Array): Buffer {
  return Buffer.from(md4.arrayBuffer(ntHash));
}

/** RFC 2759 ChallengeHash: the 8-byte challenge the NT-Response answers. */
export function challengeHash(peerChallenge: Uint8Array, authenticatorChallenge: Uint8Array, userName: string): Buffer {
  return createHash('sha1').update(peerChallenge).update(authenticatorChallenge).update(userName, 'utf8').digest().subarray(0, 8);
}

/** RFC 2759 ChallengeResponse: three DES blocks keyed by the NT hash padded to 21 bytes. */
export function challengeResponse(challenge: Uint8Array, ntHash: Uint8Array): Buffer {
  const z = Buffer.alloc(21);
  Buffer.from(ntHash).copy(z);
  return Buffer.concat([0, 7, 14].map((i) => desEncryptBlock(expandDesKey(z.subarray(i, i + 7)), challenge)));
}

export function generateNtResponse(authChallenge: Uint8Array, peerChallenge: Uint8Array, userName: string, ntHash: Uint8Array): Buffer {
  return challengeResponse(challengeHash(peerChallenge, authChallenge, userName), ntHash);
}

const MAGIC1 = Buffer.from('Magic server to client signing constant', 'ascii');
const MAGIC2 = Buffer.from('Pad to make it do more than one iteration', 'ascii');

/** RFC 2759 GenerateAuthenticatorResponse: "S=" and 40 upper-case hex digits. */
export function authenticatorResponse(
  ntHash: Uint8Array, ntResponse: Uint8Array, peerChallenge: Uint8Array, authChallenge: Uint8Array, userName: string,
): string {
  const digest = createHash('sha1').update(hashNtPasswordHash(ntHash)).update(ntResponse).update(MAGIC1).digest();
  const challenge = challengeHash(peerChallenge, authChallenge, userName);
  return `S=${createHash('sha1').update(digest).update(challenge).update(MAGIC2).digest('hex').toUpperCase()}`;
}

export interface MschapV2Check {
  /** Whether the NT-Response matches this NT hash, for some accepted form of the user name. */
  ok: boolean;
  /** The authenticator response for the name that matched ("S=..."). */
  authenticatorResponse?: string;
}

/**
 * Checks an NT-Response against an NT hash, in constant time. Windows computes the challenge
 * hash over the user name without its "DOMAIN\" prefix, so that form is tried as well.
 */
export function checkNtResponse(
  ntHash: Uint8Array, ntResponse: Uint8Array, peerChallenge: Uint8Array, authChallenge: Uint8Array, userName: string,
): MschapV2Check {
  const names = [userName];
  const slash = userName.lastIndexOf('\\');
  if (slash >= 0) names.push(userName.slice(slash + 1));
  for (const name of names) {
    const expected = generateNtResponse(authChallenge, peerChallenge, name, ntHash);
    if (expected.length === ntResponse.length && timingSafeEqual(expected, ntResponse)) {
      return { ok: true, authenticatorResponse: authenticatorResponse(ntHash, ntResponse, peerChallenge, authChallenge, name) };
    }
  }
  return { ok: false };
}

// ---------------------------------------------------------------- RFC 3079 MPPE keys

const SHS_PAD1 = Buffer.alloc(40, 0x00);
const SHS_PAD2 = Buffer.alloc(40, 0xf2);
const KEY_MAGIC1 = Buffer.from('This is the MPPE Master Key', 'ascii');
const KEY_MAGIC2 = Buffer.from('On the client side, this is the send key; on the server side, it is the receive key.', 'ascii');
const KEY_MAGIC3 = Buffer.from('On the client side, this is the receive key; on the server side, it is the send key.', 'ascii');

function masterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Buffer {
  return createHash('sha1').update(passwordHashHash).update(ntResponse).update(KEY_MAGIC1).digest().subarray(0, 16);
}

function asymmetricStartKey(master: Uint8Array, magic: Buffer): Buffer {
  return createHash('sha1').update(master).update(SHS_PAD1).update(magic).update(SHS_PAD2).digest().subarray(0, 16);
}

/** The server's 128-bit MPPE keys (RFC 3079 section 3.3 with IsServer = TRUE). */
export function serverMppeKeys(ntHash: Uint8Array, ntResponse: Uint8Array): { send: Buffer; recv: Buffer; master: Buffer } {
  const master = masterKey(hashNtPasswordHash(ntHash), ntResponse);
  return { master, send: asymmetricStartKey(master, KEY_MAGIC3), recv: asymmetricStartKey(master, KEY_MAGIC2) };
}
