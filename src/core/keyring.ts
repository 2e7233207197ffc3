// The server's secret keys (tenantdir.yaml `secrets.keys`), for what must be kept secret at rest:
// TOTP seeds are sealed with AES-256-GCM, app passwords are stored as HMAC-SHA-256. Each record
// stores the id of the key that made it: the first key makes new records, every listed key still
// opens old ones, so a key is rotated by putting a new one first (`tenantdir mfa rotate-key`
// re-seals TOTP seeds; app passwords keep their key until revoked). Each use has its own subkey
// (HKDF), so a sealed seed and an app-password digest never share key material.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { TenantdirError } from './errors.ts';

export interface KeyMaterial {
  /** Short name stored beside each record it made (`k1`, `2026-12`). */
  id: string;
  /** 32 bytes or more of key. */
  key: Buffer;
}

/** A sealed secret as stored: the key id, and base64 of nonce ‖ ciphertext ‖ tag. */
export interface Sealed {
  keyId: string;
  box: string;
}

/** A record names a key that is not configured (any more): the operator must add it back. */
export class KeyMissing extends TenantdirError {
  constructor(keyId: string) {
    super('TD_KEY_MISSING', `secret key "${keyId}" is not in secrets.keys`, {
      expose: false,
      hint: `add the key with id ${keyId} back to secrets.keys in tenantdir.yaml (after the current one), or reset what it protects`,
    });
  }
}

type Use = 'totp-seal' | 'app-password';

const NONCE = 12;
const TAG = 16;

export class KeyRing {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly subkeys = new Map<string, Buffer>();
  readonly current: string;

  constructor(material: readonly KeyMaterial[]) {
    const first = material[0];
    if (!first) throw new Error('a key ring needs at least one key');
    this.current = first.id;
    this.keys = new Map(material.map((m) => [m.id, m.key]));
  }

  ids(): string[] {
    return [...this.keys.keys()];
  }

  /**
   * Seals `plain` with the current key. `context` (tenant and user, say) is authenticated with
   * it, so a sealed value copied onto another record does not open.
   */
  seal(plain: Buffer, context: string): Sealed {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.subkey(this.current, 'totp-seal'), nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return { keyId: this.current, box: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64') };
  }

  /** Opens a sealed value; undefined when it was tampered with or sealed for another context. */
  open(s: Sealed, context: string): Buffer | undefined {
    const raw = Buffer.from(s.box, 'base64');
    if (raw.length < NONCE + TAG) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.subkey(s.keyId, 'totp-seal'), raw.subarray(0, NONCE));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG));
    try {
      return Buffer.concat([decipher.update(raw.subarray(NONCE, raw.length - TAG)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  /** HMAC-SHA-256 of `data` under the key `keyId` (the current one by default). */
  digest(data: string, keyId = this.current): string {
    return createHmac('sha256', this.subkey(keyId, 'app-password')).update(data, 'utf8').digest('base64');
  }

  /** Constant-time comparison of `data`'s digest under `keyId` with `expected`. */
  digestMatches(data: string, keyId: string, expected: string): boolean {
    const a = Buffer.from(this.digest(data, keyId), 'base64');
    const b = Buffer.from(expected, 'base64');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private subkey(keyId: string, use: Use): Buffer {
    const name = `${use}\u0000${keyId}`;
    let sub = this.subkeys.get(name);
    if (!sub) {
      const key = this.keys.get(keyId);
      if (!key) throw new KeyMissing(keyId);
      sub = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `tenantdir ${use}`, 32));
      this.subkeys.set(name, sub);
    }
    return sub;
  }
}

/** A key as written in YAML: 64 hex digits or base64 of 32 bytes or more. */
export function parseKey(text: string): Buffer | undefined {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64,}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  return key && key.length >= 32 ? key : undefined;
}

/** A new key, as `tenantdir` prints it for the operator to store. */
export function newKeyText(): string {
  return randomBytes(32).toString('base64');
}
