// RFC 2548 salt encryption of MS-MPPE-Send-Key / MS-MPPE-Recv-Key (the radius library would send
// them in plaintext). Used for MS-CHAPv2 here and for the MSK of the EAP methods.
import { createHash, randomBytes } from 'node:crypto';

/** The salt's high bit must be set (RFC 2548 2.4.2); the rest is random, so each one is unique. */
function newSalt(): Buffer {
  const salt = randomBytes(2);
  salt[0]! |= 0x80;
  return salt;
}

function xorStream(data: Buffer, secret: string, requestAuthenticator: Uint8Array, salt: Uint8Array, decrypt: boolean): Buffer {
  const out = Buffer.alloc(data.length);
  let previous: Uint8Array = Buffer.concat([requestAuthenticator, salt]);
  for (let i = 0; i < data.length; i += 16) {
    const b = createHash('md5').update(secret, 'utf8').update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = data[i + j]! ^ b[j]!;
    previous = (decrypt ? data : out).subarray(i, i + 16);
  }
  return out;
}

/** Salt ‖ encrypted(length ‖ key ‖ zero padding to 16): the value of an MS-MPPE-*-Key attribute. */
export function encryptMppeKey(key: Uint8Array, secret: string, requestAuthenticator: Uint8Array, salt: Uint8Array = newSalt()): Buffer {
  const plain = Buffer.alloc(Math.ceil((key.length + 1) / 16) * 16);
  plain[0] = key.length;
  Buffer.from(key).copy(plain, 1);
  return Buffer.concat([salt, xorStream(plain, secret, requestAuthenticator, salt, false)]);
}

/** The inverse, for tests and for clients: undefined when the value is malformed. */
export function decryptMppeKey(value: Buffer, secret: string, requestAuthenticator: Uint8Array): Buffer | undefined {
  if (value.length < 18 || (value.length - 2) % 16 !== 0) return undefined;
  const plain = xorStream(value.subarray(2), secret, requestAuthenticator, value.subarray(0, 2), true);
  const length = plain[0]!;
  return length + 1 <= plain.length ? plain.subarray(1, 1 + length) : undefined;
}
