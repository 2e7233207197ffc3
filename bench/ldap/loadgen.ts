// The LDAP load generator: N connections, each a closed loop (send one request, wait for its
// answer, repeat) for a fixed time; requests are encoded with our own BER writer and answers
// only framed, so the generator costs little CPU beside the server it measures.
// Run as a child process: node --import tsx bench/ldap/loadgen.ts '<json LoadSpec>' → JSON on stdout.
import { connect, type Socket } from 'node:net';
import { constructed, envelope, integer, octets, pduSize, tlv } from '../../src/ldap/ber.ts';

export interface LoadSpec {
  port: number;
  connections: number;
  seconds: number;
  workload: 'bind' | 'uid' | 'member';
  tenants: number;
  users: number;
  /** Service account bind DN of tenant k, with {k}; and its password. */
  bindDn: string;
  password: string;
  /** Base DN of tenant k, with {k}. */
  base: string;
}

export interface LoadResult {
  workload: LoadSpec['workload'];
  connections: number;
  ops: number;
  opsPerSec: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  entries: number;
}

const ATTRS = { uid: ['uid', 'cn', 'mail', 'uidNumber', 'gidNumber', 'homeDirectory', 'loginShell'], member: ['cn', 'gidNumber'] };

function bindPdu(id: number, dn: string, pw: string): Buffer {
  return constructed(0x30, [integer(id), constructed(0x60, [integer(3), octets(dn), octets(pw, 0x80)])]);
}

function searchPdu(id: number, base: string, attr: string, value: string, attrs: string[]): Buffer {
  return constructed(0x30, [integer(id), constructed(0x63, [
    octets(base), integer(2, 0x0a), integer(0, 0x0a), integer(0), integer(0), tlv(0x01, Buffer.from([0])),
    constructed(0xa3, [octets(attr), octets(value)]),
    constructed(0x30, attrs.map((a) => octets(a))),
  ])]);
}

const pad = (n: number): string => String(n).padStart(4, '0');

/** One connection's loop; resolves with its latencies (ms) when `until` has passed. */
async function connection(spec: LoadSpec, k: number, until: number, out: { lat: number[]; errors: number; entries: number }): Promise<void> {
  const sock: Socket = connect(spec.port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  const tenant = k % spec.tenants;
  const bindDn = spec.bindDn.replace('{k}', String(tenant));
  const base = spec.base.replace('{k}', String(tenant));
  let id = 0;
  let pending: Buffer = Buffer.alloc(0);
  let done: (() => void) | undefined;
  sock.on('data', (d: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    for (;;) {
      const size = pduSize(pending);
      if (typeof size !== 'object' || pending.length < size.total) return;
      const frame = pending.subarray(0, size.total);
      pending = pending.subarray(size.total);
      const env = envelope(frame);
      const tag = env?.op.tag;
      if (tag === 0x64) out.entries++;
      if (tag === 0x61 || tag === 0x65) {
        // resultCode: the ENUMERATED right inside the operation.
        if (env && frame[env.op.start + 2] !== 0) out.errors++;
        done?.();
      }
    }
  });
  const roundTrip = (pdu: Buffer): Promise<void> => new Promise((resolve) => { done = resolve; sock.write(pdu); });
  if (spec.workload !== 'bind') await roundTrip(bindPdu(++id, bindDn, spec.password));
  let n = k * 7919;
  while (Date.now() < until) {
    n = (n + 104_729) % spec.users;
    const uid = `u${pad(n)}`;
    const pdu = spec.workload === 'bind' ? bindPdu(++id, bindDn, spec.password)
      : spec.workload === 'uid' ? searchPdu(++id, base, 'uid', uid, ATTRS.uid)
        : searchPdu(++id, base, 'member', `uid=${uid},ou=people,${base}`, ATTRS.member);
    const t0 = process.hrtime.bigint();
    await roundTrip(pdu);
    out.lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  sock.destroy();
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const out = { lat: [] as number[], errors: 0, entries: 0 };
  const start = Date.now();
  const until = start + spec.seconds * 1000;
  await Promise.all(Array.from({ length: spec.connections }, (_, k) => connection(spec, k, until, out)));
  const seconds = (Date.now() - start) / 1000;
  const sorted = out.lat.sort((a, b) => a - b);
  const q = (p: number): number => Number((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0).toFixed(2));
  return {
    workload: spec.workload, connections: spec.connections, ops: sorted.length,
    opsPerSec: Math.round(sorted.length / seconds), p50ms: q(0.5), p99ms: q(0.99), errors: out.errors, entries: out.entries,
  };
}

if (process.argv[2]) {
  runLoad(JSON.parse(process.argv[2]) as LoadSpec).then((r) => process.stdout.write(`${JSON.stringify(r)}\n`), (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
}
