// Password hashing, how hashes migrated from other directories are checked (on a hash thread:
// verifier.ts), and the tenant's password policy. bcrypt.hash runs on libuv's thread pool.
import bcrypt from 'bcrypt';
import md4 from 'js-md4';
import type { PasswordPolicy } from '../config/index.ts';
import { parseMac } from '../core/mac.ts';
import type { HashCheck } from './hash-pool.ts';

const BCRYPT_RE = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

export type HashScheme = 'bcrypt' | 'ssha' | 'ssha512' | 'sha' | 'crypt-bcrypt' | 'crypt-sha512' | 'crypt-sha256';

/** Which scheme a stored hash uses, or undefined for one we cannot verify. */
export function hashScheme(stored: string): HashScheme | undefined {
  if (BCRYPT_RE.test(stored)) return 'bcrypt';
  const m = /^\{([A-Za-z0-9]+)\}(.*)$/s.exec(stored);
  if (!m) return undefined;
  const scheme = (m[1] as string).toUpperCase();
  const rest = m[2] as string;
  if (scheme === 'SSHA') return 'ssha';
  if (scheme === 'SSHA512') return 'ssha512';
  if (scheme === 'SHA') return 'sha';
  if (scheme === 'CRYPT') {
    if (BCRYPT_RE.test(rest)) return 'crypt-bcrypt';
    if (rest.startsWith('$6$')) return 'crypt-sha512';
    if (rest.startsWith('$5$')) return 'crypt-sha256';
  }
  return undefined;
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, cost);
}

/** How to check a stored hash on a hash thread, and whether to re-hash it to bcrypt after a success. */
export function hashCheck(stored: string): { check: HashCheck; rehash: boolean } | undefined {
  switch (hashScheme(stored)) {
    case 'bcrypt':
      return { check: { kind: 'bcrypt', hash: stored }, rehash: false };
    case 'crypt-bcrypt':
      return { check: { kind: 'bcrypt', hash: stored.slice('{CRYPT}'.length) }, rehash: true };
    case 'crypt-sha512':
    case 'crypt-sha256':
      return { check: { kind: 'sha-crypt', hash: stored.slice('{CRYPT}'.length) }, rehash: true };
    case 'ssha':
    case 'sha':
      return saltedDigest('sha1', 20, stored);
    case 'ssha512':
      return saltedDigest('sha512', 64, stored);
    default:
      return undefined;
  }
}

/** {SSHA}/{SSHA512}/{SHA}: base64(digest(password ‖ salt) ‖ salt), salt possibly empty. */
function saltedDigest(algorithm: 'sha1' | 'sha512', digestLength: number, stored: string): { check: HashCheck; rehash: boolean } | undefined {
  const decoded = Buffer.from(stored.slice(stored.indexOf('}') + 1), 'base64');
  if (decoded.length < digestLength) return undefined;
  return { check: { kind: 'digest', algorithm, digest: decoded.subarray(0, digestLength), salt: decoded.subarray(digestLength) }, rehash: true };
}

/** NT hash (MD4 of the UTF-16LE password), hex: what MS-CHAPv2 needs. */
export function ntHash(password: string): string {
  return md4.hex(new Uint8Array(Buffer.from(password, 'utf16le')));
}

const CLASSES: { name: string; re: RegExp }[] = [
  { name: 'lowercase letters', re: /\p{Ll}/u },
  { name: 'uppercase letters', re: /\p{Lu}/u },
  { name: 'digits', re: /\p{Nd}/u },
  { name: 'symbols', re: /[^\p{L}\p{Nd}]/u },
];

/**
 * Checks a new password against the tenant's policy (history is checked separately, since it
 * needs the stored hashes). Returns why it fails, or undefined when it passes.
 */
export function policyViolation(password: string, uid: string, policy: PasswordPolicy, maxBytes: number): string | undefined {
  // First, so that the checks below never run over a huge string.
  if (password.length > maxBytes || Buffer.byteLength(password, 'utf8') > maxBytes) {
    return `the password must be at most ${maxBytes} bytes long (UTF-8)`;
  }
  if ([...password].length < policy.minLength) {
    return `the password must be at least ${policy.minLength} characters long`;
  }
  const present = CLASSES.filter((c) => c.re.test(password)).length;
  if (present < policy.minClasses) {
    return `the password must mix at least ${policy.minClasses} of: ${CLASSES.map((c) => c.name).join(', ')}`;
  }
  if (uid.length >= 3 && password.toLowerCase().includes(uid.toLowerCase())) {
    return 'the password must not contain the user name';
  }
  // Every frame a device sends carries its MAC: never a secret. Devices are registered instead.
  if (parseMac(password) !== undefined) {
    return 'the password must not be a MAC address (register devices with tenantdir device add)';
  }
  return undefined;
}
