// MAC addresses as switches, access points and people write them, and the one form tenantdir
// stores: 12 lowercase hex digits. Hand-written: the spellings are a few patterns, and the npm
// parsers on offer take fewer of them (none reads Cisco's aabb.ccdd.eeff and HP's aabbcc-ddeeff).
import { InvalidInput } from './errors.ts';

/**
 * The spellings read, in any letter case: pairs (aa:bb:cc:dd:ee:ff, aa-bb-..), groups of four
 * (Cisco aabb.ccdd.eeff, Huawei aabb-ccdd-eeff), halves (HP aabbcc-ddeeff, Aruba aabbcc:ddeeff)
 * and bare hex (aabbccddeeff). One separator throughout.
 */
const SPELLINGS = [
  /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i,
  /^[0-9a-f]{4}([.:-])[0-9a-f]{4}\1[0-9a-f]{4}$/i,
  /^[0-9a-f]{6}[:-][0-9a-f]{6}$/i,
  /^[0-9a-f]{12}$/i,
];

const EXAMPLES = 'aa:bb:cc:dd:ee:ff, AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff or aabbccddeeff';

/** The stored form (12 lowercase hex digits) of a MAC address in any common spelling; undefined if `s` is none. */
export function parseMac(s: string): string | undefined {
  const t = s.trim();
  if (t.length > 17 || !SPELLINGS.some((re) => re.test(t))) return undefined;
  return t.replace(/[^0-9a-f]/gi, '').toLowerCase();
}

/** parseMac, or InvalidInput naming `field` and the spellings it takes. */
export function toMac(s: string, field = 'mac'): string {
  const mac = parseMac(s);
  if (mac === undefined) {
    throw new InvalidInput(`${field} ${JSON.stringify(s.slice(0, 64))} is not a MAC address: write 12 hex digits, e.g. ${EXAMPLES}`);
  }
  return mac;
}

/** A group (multicast or broadcast) address: never a device's own, so never one to register. */
export function isGroupMac(mac: string): boolean {
  return (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

/** The spellings a NAS may have used for a stored MAC, for checks that must compare exact text (CHAP). */
export function macSpellings(mac: string): string[] {
  const pairs = mac.match(/../g) ?? [];
  const quads = mac.match(/..../g) ?? [];
  const lower = [mac, pairs.join(':'), pairs.join('-'), quads.join('.'), quads.join('-'), `${mac.slice(0, 6)}-${mac.slice(6)}`];
  return [...new Set([...lower, ...lower.map((s) => s.toUpperCase())])];
}
