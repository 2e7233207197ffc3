// Single-block DES (FIPS 46-3), for MS-CHAP's challenge response only (RFC 2759
// ChallengeResponse: three DES-ECB blocks keyed by 7-byte parts of the NT hash). Node 20's
// OpenSSL 3 keeps `des-ecb` in the legacy provider, which a daemon cannot count on, but
// `des-ede3-ecb` is in the default one, and EDE with the key K‖K‖K is E_K(D_K(E_K(x))) = E_K(x).
// Nothing else may use this: DES is broken as a cipher; here it is a fixed protocol step.
import { createCipheriv } from 'node:crypto';

/** Encrypts one 8-byte block with an 8-byte key (parity bits ignored). */
export function desEncryptBlock(key: Uint8Array, block: Uint8Array): Buffer {
  if (key.length !== 8 || block.length !== 8) throw new RangeError('DES takes an 8-byte key and an 8-byte block');
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

/** Spreads 56 key bits over 8 bytes, 7 bits each (the parity bit, bit 0, is left 0). */
export function expandDesKey(key7: Uint8Array): Buffer {
  if (key7.length !== 7) throw new RangeError('a 56-bit DES key is 7 bytes');
  const out = Buffer.alloc(8);
  for (let i = 0; i < 56; i++) {
    const bit = (key7[i >> 3]! >> (7 - (i & 7))) & 1;
    out[Math.floor(i / 7)]! |= bit << (7 - (i % 7));
  }
  return out;
}
