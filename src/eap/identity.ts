// EAP-Identity (RFC 3748 §5.1), method proposal and Legacy Nak (§5.3.1): a tenant offers its
// methods in order; a peer's Nak names the ones it wants, and the first of those on offer wins.
import type { EapTenant } from './tenant.ts';

/** RFC 3748 leaves identities unbounded; RADIUS's User-Name is at most 253 bytes. */
export const MAX_IDENTITY = 253;

/**
 * `bytes` without the NULs that end it, in one backward scan: a regular expression such as
 * /\0+$/ backtracks over every run of NULs not at the end (64 KiB of them took seconds).
 */
export function withoutTrailingNuls(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

/** The identity in an EAP-Response/Identity, or undefined if it is not a usable one. */
export function parseIdentity(typeData: Buffer): string | undefined {
  if (typeData.length > MAX_IDENTITY) return undefined;
  // Some supplicants terminate the identity with NUL (RFC 3748 §5.1 says it must not be).
  const s = withoutTrailingNuls(typeData).toString('utf8');
  return s.includes('\0') ? undefined : s;
}

/** A tenant as far as realms go: its id and the realms it lists (`radius.realms`). */
export interface RealmOwner {
  id: string;
  realms: readonly string[];
}

/** Whether `realm` is the tenant's id or one of its realms (case-insensitive). */
export function isOwnRealm(realm: string, tenant: RealmOwner): boolean {
  const r = realm.toLowerCase();
  return r === tenant.id || tenant.realms.some((own) => own.toLowerCase() === r);
}

/**
 * The uid an inner (or EAP-TLS) identity names in a tenant: `user`, `user@realm` or
 * `realm\user`, where the realm is the tenant's id or one of its realms. Any other realm is
 * refused rather than ignored: the user meant another tenant, and a same-named user here must
 * not be tried in their stead.
 */
export function innerUid(identity: string, tenant: RealmOwner): { ok: true; uid: string } | { ok: false; reason: string } {
  let uid = identity.trim();
  let realm: string | undefined;
  const at = uid.lastIndexOf('@');
  if (at >= 0) {
    realm = uid.slice(at + 1);
    uid = uid.slice(0, at);
  }
  const slash = uid.indexOf('\\');
  if (slash >= 0) {
    if (realm !== undefined) return { ok: false, reason: 'malformed-identity' };
    realm = uid.slice(0, slash);
    uid = uid.slice(slash + 1);
  }
  if (uid === '') return { ok: false, reason: 'malformed-identity' };
  if (realm !== undefined && !isOwnRealm(realm, tenant)) return { ok: false, reason: `realm-not-allowed (${realm.toLowerCase()})` };
  return { ok: true, uid };
}

/** After a Nak: the first type the peer asks for that the tenant offers and was not tried yet. */
export function methodAfterNak(tenant: EapTenant, nakData: Buffer, tried: ReadonlySet<number>): number | undefined {
  for (const type of nakData) {
    if (!tried.has(type) && tenant.methods.includes(type)) return type;
  }
  return undefined;
}
