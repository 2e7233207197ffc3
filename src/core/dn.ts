// Distinguished names (RFC 4514), as far as tenantdir needs them: parse, normalise, compare.
// Every naming attribute we serve (dc, o, ou, cn, uid) is case-ignore, so the normal form
// lowercases types and values, trims unescaped spaces and re-escapes what RFC 4514 requires.
import { InvalidInput } from './errors.ts';

export interface Rdn {
  /** Attribute type, lowercased. */
  type: string;
  /** Attribute value, unescaped, as written. */
  value: string;
}

const TYPE_RE = /^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)*)$/;

/** Parses a DN into its RDNs, leftmost first. Multi-valued RDNs (a+b) are refused. */
export function parseDn(dn: string): Rdn[] {
  const rdns: Rdn[] = [];
  if (dn.trim() === '') return rdns;
  let i = 0;
  const n = dn.length;
  while (i < n) {
    const eq = dn.indexOf('=', i);
    if (eq < 0) throw new InvalidInput(`bad DN "${dn}": missing "=" after position ${i}`);
    const type = dn.slice(i, eq).trim();
    if (!TYPE_RE.test(type)) throw new InvalidInput(`bad DN "${dn}": bad attribute type "${type}"`);
    i = eq + 1;
    let value = '';
    let pendingSpaces = '';
    let started = false;
    let ended = false;
    for (; i < n; i++) {
      const c = dn[i] as string;
      if (c === ',' || c === ';') { ended = true; i++; break; }
      if (c === '+') throw new InvalidInput(`bad DN "${dn}": multi-valued RDNs are not supported`);
      if (c === '\\') {
        const next = dn[i + 1];
        if (next === undefined) throw new InvalidInput(`bad DN "${dn}": dangling escape`);
        const hex = dn.slice(i + 1, i + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          // A run of \XX escapes is UTF-8: collect the bytes and decode them together.
          const bytes: number[] = [];
          while (dn[i] === '\\' && /^[0-9A-Fa-f]{2}$/.test(dn.slice(i + 1, i + 3))) {
            bytes.push(parseInt(dn.slice(i + 1, i + 3), 16));
            i += 3;
          }
          i--;
          value += pendingSpaces + Buffer.from(bytes).toString('utf8');
        } else {
          value += pendingSpaces + next;
          i++;
        }
        pendingSpaces = '';
        started = true;
        continue;
      }
      if (c === ' ') {
        if (started) pendingSpaces += c;
        continue;
      }
      if (c === '"' || c === '<' || c === '>') {
        throw new InvalidInput(`bad DN "${dn}": unescaped "${c}"`);
      }
      value += pendingSpaces + c;
      pendingSpaces = '';
      started = true;
    }
    if (value === '') throw new InvalidInput(`bad DN "${dn}": empty value for "${type}"`);
    rdns.push({ type: type.toLowerCase(), value });
    if (ended && i >= n) throw new InvalidInput(`bad DN "${dn}": trailing separator`);
  }
  return rdns;
}

export function escapeDnValue(v: string): string {
  let out = v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

export function formatDn(rdns: readonly Rdn[]): string {
  return rdns.map((r) => `${r.type}=${escapeDnValue(r.value)}`).join(',');
}

/** The normal form: lowercase, canonical escaping. Two DNs name the same entry iff equal here. */
export function normalizeDn(dn: string): string {
  return formatDn(parseDn(dn).map((r) => ({ type: r.type, value: r.value.toLowerCase() })));
}

/** Like normalizeDn, but undefined instead of an error for a malformed DN. */
export function tryNormalizeDn(dn: string): string | undefined {
  try {
    return normalizeDn(dn);
  } catch {
    return undefined;
  }
}

export function isValidDn(dn: string): boolean {
  try {
    return parseDn(dn).length > 0;
  } catch {
    return false;
  }
}

/** Is `dn` equal to `base` or below it? Both must be in normal form. */
export function isWithin(dn: string, base: string): boolean {
  if (base === '') return true;
  return dn === base || dn.endsWith(`,${base}`);
}
