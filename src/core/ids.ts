// Identifiers shared by every layer.
import { randomUUID } from 'node:crypto';

/** A tenant id as the contract defines it: [a-z0-9-]{1,63}. */
export const TENANT_ID_PATTERN = '^[a-z0-9-]{1,63}$';
const TENANT_ID_RE = new RegExp(TENANT_ID_PATTERN);

export function isTenantId(s: string): boolean {
  return TENANT_ID_RE.test(s);
}

/** uid and group names: what POSIX and LDAP RDNs both accept without escaping. */
export const NAME_PATTERN = '^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$';
const NAME_RE = new RegExp(NAME_PATTERN);

export function isValidName(s: string): boolean {
  return NAME_RE.test(s);
}

/** A RADIUS realm (RFC 7542): DNS-style labels, e.g. acme.example. */
export const REALM_PATTERN = '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?){0,126}$';

/** Case-insensitive lookups compare this form (stored beside the original in the store). */
export function nameKey(s: string): string {
  return s.trim().toLowerCase();
}

export function newEntryUUID(): string {
  return randomUUID();
}
