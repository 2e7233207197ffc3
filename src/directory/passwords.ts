// Password hashing, verification of hashes migrated from other directories, and the tenant's
// password policy. bcrypt runs on libuv's thread pool, so a compare never blocks the event loop.
import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcrypt';
import md4 from 'js-md4';
import { verify as verifyUnixCrypt } from 'unixcrypt';
import type { PasswordPolicy } from '../config/index.ts';

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

export interface Verdict {
  ok: boolean;
  /** The stored hash is not bcrypt: re-hash it after this successful authentication. */
  rehash: boolean;
}

/** A real bcrypt hash to compare against when the user does not exist, so timing says nothing. */
const DUMMY_HASH = '$2b$10$CwTycUXWue0Thq9StjUM0uJ8.vhfyVfbe6bH.H6fZSthMxoGS0s9i';

export async function verifyPassword(password: string, stored: string | undefined): Promise<Verdict> {
  if (stored === undefined) {
    await bcrypt.compare(password, DUMMY_HASH);
    return { ok: false, rehash: false };
  }
  const scheme = hashScheme(stored);
  switch (scheme) {
    case 'bcrypt':
      return { ok: await bcrypt.compare(password, stored), rehash: false };
    case 'crypt-bcrypt':
      return { ok: await bcrypt.compare(password, stored.slice('{CRYPT}'.length)), rehash: true };
    case 'crypt-sha512':
    case 'crypt-sha256':
      return { ok: verifyUnixCrypt(password, stored.slice('{CRYPT}'.length)), rehash: true };
    case 'ssha':
    case 'sha':
      return { ok: verifySaltedDigest('sha1', 20, password, stored), rehash: true };
    case 'ssha512':
      return { ok: verifySaltedDigest('sha512', 64, password, stored), rehash: true };
    default:
      return { ok: false, rehash: false };
  }
}

/** {SSHA}/{SSHA512}/{SHA}: base64(digest(password ‖ salt) ‖ salt), salt possibly empty. */
function verifySaltedDigest(algorithm: string, digestLength: number, password: string, stored: string): boolean {
  const decoded = Buffer.from(stored.slice(stored.indexOf('}') + 1), 'base64');
  if (decoded.length < digestLength) return false;
  const digest = decoded.subarray(0, digestLength);
  const salt = decoded.subarray(digestLength);
  const actual = createHash(algorithm).update(password, 'utf8').update(salt).digest();
  return timingSafeEqual(actual, digest);
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
export function policyViolation(password: string, uid: string, policy: PasswordPolicy): string | undefined {
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
  return undefined;
}

/** Was this password used among the stored history hashes? */
export async function inHistory(password: string, hashes: readonly string[]): Promise<boolean> {
  for (const h of hashes) {
    if ((await verifyPassword(password, h)).ok) return true;
  }
  return false;
}
