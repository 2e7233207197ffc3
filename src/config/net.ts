// NAS addresses: parse an IP or CIDR once, test overlap (config checks), and find the most
// specific network for a source address (every RADIUS packet: a map lookup per distinct prefix
// length, longest first, instead of a scan of every client).
import ipaddr from 'ipaddr.js';

export interface Net {
  readonly family: 4 | 6;
  /** The network address, host bits cleared. */
  readonly bytes: readonly number[];
  readonly prefix: number;
  /** Normal form, e.g. 10.0.0.0/8. */
  readonly text: string;
  /** The operator wrote host bits below the prefix (10.1.2.3/8): probably not what was meant. */
  readonly hostBitsSet: boolean;
}

type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** An IP address (a /32 or /128) or a CIDR; an IPv4-mapped IPv6 address counts as IPv4. */
export function parseNet(s: string): Net | undefined {
  const parts = s.trim().split('/');
  const [host = '', bits] = parts;
  if (parts.length > 2) return undefined;
  // ipaddr also accepts "10" or "0xa.1" as IPv4; in a config file that is a typo.
  if (!host.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(host)) return undefined;
  let addr: Addr;
  try {
    addr = bits === undefined ? ipaddr.process(host) : ipaddr.parse(host);
  } catch {
    return undefined;
  }
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  const raw = addr.toByteArray();
  const bytes = raw.map((b, i) => b & byteMask(i, prefix));
  const network = ipaddr.fromByteArray(bytes).toString();
  return {
    family: max === 32 ? 4 : 6,
    bytes,
    prefix,
    text: `${network}/${prefix}`,
    hostBitsSet: raw.some((b, i) => b !== bytes[i]),
  };
}

export function overlaps(a: Net, b: Net): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return a.family === b.family && keyOf(a.bytes, prefix) === keyOf(b.bytes, prefix);
}

/** Answers remembered per index: NAS sources are few, and parsing an IPv6 address costs ~10 µs. */
const MEMO_MAX = 4096;

/** Most-specific-network lookup. Filled once when a registry is built, then only read. */
export class NetIndex<T> {
  private readonly families = { 4: new Tier<T>(), 6: new Tier<T>() };
  private readonly memo = new Map<string, T | undefined>();

  add(net: Net, value: T): void {
    this.families[net.family].add(net, value);
    this.memo.clear();
  }

  /** The value of the longest prefix containing `address`; undefined for no match or a malformed address. */
  lookup(address: string): T | undefined {
    if (this.memo.has(address)) return this.memo.get(address);
    const found = this.find(address);
    // Bounded: a flood of spoofed sources empties the memo instead of growing it.
    if (this.memo.size >= MEMO_MAX) this.memo.clear();
    this.memo.set(address, found);
    return found;
  }

  private find(address: string): T | undefined {
    let addr: Addr;
    try {
      addr = ipaddr.process(address);
    } catch {
      return undefined;
    }
    return this.families[addr.kind() === 'ipv4' ? 4 : 6].lookup(addr.toByteArray());
  }
}

class Tier<T> {
  private readonly byPrefix = new Map<number, Map<string, T>>();
  /** Distinct prefix lengths, longest first. */
  private prefixes: number[] = [];

  add(net: Net, value: T): void {
    let nets = this.byPrefix.get(net.prefix);
    if (!nets) {
      nets = new Map();
      this.byPrefix.set(net.prefix, nets);
      this.prefixes = [...this.byPrefix.keys()].sort((a, b) => b - a);
    }
    nets.set(keyOf(net.bytes, net.prefix), value);
  }

  lookup(bytes: readonly number[]): T | undefined {
    for (const prefix of this.prefixes) {
      const hit = this.byPrefix.get(prefix)?.get(keyOf(bytes, prefix));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}

function byteMask(index: number, prefix: number): number {
  const bits = Math.max(0, Math.min(8, prefix - index * 8));
  return (0xff00 >> bits) & 0xff;
}

/** The first `prefix` bits as a string key. */
function keyOf(bytes: readonly number[], prefix: number): string {
  const n = Math.ceil(prefix / 8);
  let key = '';
  for (let i = 0; i < n; i++) key += String.fromCharCode((bytes[i] ?? 0) & byteMask(i, prefix));
  return key;
}
