// RADIUS benchmark: PAP Access-Requests/s and p99 against tenantdir and FreeRADIUS 3 in the same
// run, serving the same users with the same bcrypt hashes, next to bcrypt's own compares/s here.
// Our own closed-loop UDP load generator (radclient rescans its input and is too slow).
//   node --import=tsx bench/radius/run.ts [--users 64] [--seconds 15] [--concurrency 16] [--cost 10]
// Needs `freeradius` (.ci/radius-deps.sh). Prints a table and one JSON line.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import bcrypt from 'bcrypt';
import { ATTR, CODE, encodeRequest, parsePacket } from '../../src/radius/codec.ts';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '16' },
    cost: { type: 'string', default: '10' },
    'freeradius-port': { type: 'string', default: '18200' }, // not 18120: the inner-tunnel site's
  },
});
const USERS = Number(args.users);
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const COST = Number(args.cost);
const FR_PORT = Number(args['freeradius-port']);
const SECRET = 'bench-secret-0123456789abcdef';
const TIMEOUT_MS = 20_000;

interface Result { name: string; requests: number; accepted: number; lost: number; perSecond: number; p50: number; p99: number }

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** bcrypt compares/s with every core busy (the libuv pool), for the same cost. */
async function bcryptRate(hash: string, password: string): Promise<number> {
  const end = Date.now() + 4000;
  let n = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (Date.now() < end) {
      await bcrypt.compare(password, hash);
      n++;
    }
  }));
  return n / 4;
}

/**
 * Closed loop: CONCURRENCY requests outstanding, each a fresh identifier and authenticator for
 * the next user; a request unanswered after TIMEOUT_MS is lost (no retransmission).
 */
async function load(name: string, port: number, users: { uid: string; password: string }[]): Promise<Result> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const pending = new Map<number, { sent: number; done: (ok: boolean) => void }>();
  socket.on('message', (msg) => {
    const p = parsePacket(msg);
    if (!p.ok) return;
    const slot = pending.get(p.packet.identifier);
    if (slot) slot.done(p.packet.code === CODE.AccessAccept);
  });
  const latencies: number[] = [];
  let requests = 0;
  let accepted = 0;
  let lost = 0;
  let nextUser = 0;
  const freeIds = Array.from({ length: 256 }, (_, i) => i);
  const stopAt = Date.now() + SECONDS * 1000;
  const start = Date.now();
  let lastDone = start;
  async function worker(): Promise<void> {
    while (Date.now() < stopAt) {
      const user = users[nextUser++ % users.length]!;
      const id = freeIds.pop();
      if (id === undefined) throw new Error('out of identifiers: concurrency must stay below 256');
      const packet = encodeRequest({
        code: CODE.AccessRequest, identifier: id, secret: SECRET, password: user.password, messageAuthenticator: true,
        attributes: [{ type: ATTR.UserName, value: Buffer.from(user.uid) }, { name: 'NAS-Port', value: 1 }],
      });
      requests++;
      const ok = await new Promise<boolean | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), TIMEOUT_MS);
        pending.set(id, { sent: performance.now(), done: (v) => { clearTimeout(timer); resolve(v); } });
        const sent = performance.now();
        socket.send(packet, port, '127.0.0.1');
        pending.get(id)!.sent = sent;
      }).then((v) => {
        const slot = pending.get(id);
        if (v !== undefined && slot) latencies.push(performance.now() - slot.sent);
        pending.delete(id);
        freeIds.push(id);
        return v;
      });
      if (ok === undefined) lost++;
      else if (ok) accepted++;
      lastDone = Date.now();
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  socket.close();
  latencies.sort((a, b) => a - b);
  const seconds = (lastDone - start) / 1000;
  return { name, requests, accepted, lost, perSecond: (requests - lost) / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${seen.slice(-2000)}`)), timeoutMs);
    const on = (d: Buffer) => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}:\n${seen.slice(-2000)}`)); });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function tenantdirConfig(dir: string, users: { uid: string; hash: string }[]): Promise<void> {
  await mkdir(join(dir, 'tenants'), { recursive: true });
  await writeFile(join(dir, 'tenantdir.yaml'), [
    'listen: { ldap: { port: 0 }, http: { port: 0 }, radius: { auth: 0, acct: 0, host: 127.0.0.1 } }',
    `passwords: { bcryptCost: ${COST} }`,
    'storage: { seed: seed.yaml }',
  ].join('\n'));
  await writeFile(join(dir, 'tenants', 'bench.yaml'), [
    'id: bench', 'name: Bench', 'baseDN: dc=bench,dc=example',
    `radius: { clients: [ { name: loadgen, address: 127.0.0.1/32, secret: ${SECRET} } ], vlans: [ { group: staff, vlan: 20 } ] }`,
  ].join('\n'));
  await writeFile(join(dir, 'seed.yaml'), [
    'tenants:', '  bench:', '    groups: [{ name: staff }]', '    users:',
    ...users.map((u) => `      - { uid: ${u.uid}, passwordHash: "${u.hash}", cn: ${u.uid}, sn: ${u.uid}, groups: [staff] }`),
  ].join('\n'));
}

/** A copy of Debian's FreeRADIUS config with our client and users (Crypt-Password = the bcrypt hash). */
async function freeradiusConfig(dir: string, users: { uid: string; hash: string }[]): Promise<void> {
  await cp('/etc/freeradius/3.0', dir, { recursive: true, dereference: true });
  await writeFile(join(dir, 'clients.conf'), `client bench {\n  ipaddr = 127.0.0.1\n  secret = ${SECRET}\n}\n`);
  await writeFile(join(dir, 'mods-config', 'files', 'authorize'),
    users.map((u) => `${u.uid} Crypt-Password := "${u.hash}"\n  Tunnel-Type = VLAN, Tunnel-Medium-Type = IEEE-802, Tunnel-Private-Group-Id = "20"\n`).join('\n'));
  // Run as the invoking user, without the per-request detail files of the default site.
  const conf = (await readFile(join(dir, 'radiusd.conf'), 'utf8')).replace(/^\s*(user|group) = freerad$/gm, '');
  await writeFile(join(dir, 'radiusd.conf'), conf);
  // The default site's four listeners (auth, acct; IPv4, IPv6) on FR_PORT.. instead of 1812/1813.
  let next = FR_PORT;
  const site = (await readFile(join(dir, 'sites-enabled', 'default'), 'utf8')).replace(/^(\s*)port = 0$/gm, (_, indent: string) => `${indent}port = ${next++}`);
  await writeFile(join(dir, 'sites-enabled', 'default'), site);
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'tenantdir-bench-'));
  const children: ChildProcess[] = [];
  try {
    process.stderr.write(`hashing ${USERS} passwords at cost ${COST}...\n`);
    const users = await Promise.all(Array.from({ length: USERS }, async (_, i) => {
      const password = `Bench-Password-${i}-xyz`;
      return { uid: `user${i}`, password, hash: await bcrypt.hash(password, COST) };
    }));
    const compares = await bcryptRate(users[0]!.hash, users[0]!.password);
    process.stderr.write(`bcrypt: ${compares.toFixed(1)} compares/s\n`);

    const ours = join(work, 'tenantdir');
    await tenantdirConfig(ours, users);
    const server = spawn(process.execPath, ['--import=tsx', fileURLToPath(new URL('./server.ts', import.meta.url)), ours], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(server);
    const ports = JSON.parse(await waitForLine(server, /\{"auth":\d+,"acct":\d+\}/, 60_000)) as { auth: number };
    process.stderr.write(`tenantdir on ${ports.auth}: ${SECONDS} s at concurrency ${CONCURRENCY}...\n`);
    const a = await load('tenantdir', ports.auth, users);
    await stop(server);

    const fr = join(work, 'freeradius');
    await freeradiusConfig(fr, users);
    const radiusd = spawn('/usr/sbin/freeradius', ['-f', '-d', fr, '-l', 'stdout'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(radiusd);
    await waitForLine(radiusd, /Ready to process requests/, 60_000);
    process.stderr.write(`FreeRADIUS on ${FR_PORT}: ${SECONDS} s at concurrency ${CONCURRENCY}...\n`);
    const b = await load('FreeRADIUS 3', FR_PORT, users);
    await stop(radiusd);

    const rows = [a, b];
    console.log(`\nPAP, bcrypt cost ${COST}, ${USERS} users, concurrency ${CONCURRENCY}, ${SECONDS} s each; bcrypt alone: ${compares.toFixed(1)} compares/s`);
    console.log('server          req/s   p50 ms   p99 ms   sent  accepted  lost');
    for (const r of rows) {
      console.log(`${r.name.padEnd(14)} ${r.perSecond.toFixed(1).padStart(6)} ${r.p50.toFixed(0).padStart(8)} ${r.p99.toFixed(0).padStart(8)} ${String(r.requests).padStart(6)} ${String(r.accepted).padStart(9)} ${String(r.lost).padStart(5)}`);
    }
    console.log(`ratio tenantdir / FreeRADIUS: ${(a.perSecond / b.perSecond).toFixed(2)}x (target >= 1.8x)`);
    console.log(JSON.stringify({ cost: COST, users: USERS, concurrency: CONCURRENCY, seconds: SECONDS, bcryptComparesPerSecond: compares, results: rows }));
  } finally {
    for (const c of children) await stop(c);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
