// The Class (RFC 2865 §5.25) in every Access-Accept, which the NAS echoes in the session's
// Accounting-Requests: it names the user who authenticated, since an 802.1X NAS accounts under
// the anonymous outer identity otherwise. AES-256-GCM under a key derived from the NAS's secret
// and the tenant id: opaque to whoever sees it, impossible to forge or alter without the secret,
// still readable after a restart, and it opens only for the tenant it was issued for (a Class of
// acme's read at globex's NAS names nobody, even where both NAS share a secret).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Tells ours apart from a Class the tenant sends itself (`replyAttributes`). */
const PREFIX = 'tdc1:';
const SALT = 'tenantdir RADIUS Class v1';
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

function classKey(secret: string, tenantId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, tenantId, 32));
}

/** A fresh Class for `uid` of `tenantId`, printable (some NAS mishandle binary Class values). */
export function issueClass(secret: string, tenantId: string, uid: string): Buffer {
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', classKey(secret, tenantId), iv);
  const sealed = Buffer.concat([iv, cipher.update(uid, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return Buffer.from(`${PREFIX}${sealed.toString('base64url')}`, 'ascii');
}

/** Ours among a request's Class attributes, if any. */
export function ourClass(values: readonly Buffer[]): Buffer | undefined {
  return values.find((v) => v.subarray(0, PREFIX.length).toString('latin1') === PREFIX);
}

/** The uid in a Class of ours, if it was issued for `tenantId` under `secret`; undefined otherwise. */
export function readClass(value: Buffer, secret: string, tenantId: string): string | undefined {
  const sealed = Buffer.from(value.subarray(PREFIX.length).toString('latin1'), 'base64url');
  if (sealed.length <= IV_LENGTH + TAG_LENGTH) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', classKey(secret, tenantId), sealed.subarray(0, IV_LENGTH));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_LENGTH, sealed.length - TAG_LENGTH)), decipher.final()]).toString('utf8');
  } catch {
    return undefined; // another key (tenant or secret), or altered
  }
}
