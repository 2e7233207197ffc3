// What an app password costs to verify against a password (issue 10): right credentials through
// TenantDirectory.authenticate — the path of every login, with the verifier's gates, the lockout
// reads, the familiar-source write and the audit event — over RADIUS from four NAS addresses,
// for 200 users each. Arms: an app password (one HMAC), bcrypt at the configured cost (12) and
// at cost 10, and an MS-CHAPv2 proof matched by the 20th of a user's app passwords (the bounded
// NT-hash loop). Each arm runs one request at a time (latency) and 16 at once (throughput).
// Usage: node --import=tsx bench/app-passwords/run.ts [seconds per run=6]
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Auditor } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { checkNtResponse, generateNtResponse } from '../../src/core/mschapv2.ts';
import { Directory, hashPassword, ntHash, type Actor, type Proof } from '../../src/directory/index.ts';
import { MemoryStore } from '../../src/store/index.ts';

const SECONDS = Number(process.argv[2] ?? 6);
const CONFIGURED_COST = 12;
const USERS = 200;
const PASSWORD = 'Correct-Horse-9';

const loaded = await loadConfig(fileURLToPath(new URL('../dos/fixtures', import.meta.url)));
if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
const acme = { ...loaded.registry.byId('acme')!, radius: { ...loaded.registry.byId('acme')!.radius, allowMschapv2: true } };
const store = new MemoryStore();
const logger = silentLogger();
const directory = new Directory({ store, auditor: new Auditor(store, logger), logger, bcryptCost: CONFIGURED_COST });
const a = directory.tenant(acme);
const admin: Actor = { name: 'bench', protocol: 'admin' };
const nas = (i: number): Actor => ({ name: 'radius:ap', protocol: 'radius', source: `10.0.0.${i % 4}` });

// Users with a stored hash (made once per cost), and an app password each.
const hashes = { 12: await hashPassword(PASSWORD, 12), 10: await hashPassword(PASSWORD, 10) };
const secrets: string[] = [];
for (let i = 0; i < USERS; i++) {
  await a.createUser({ uid: `b12-${i}`, passwordHash: hashes[12] }, admin);
  await a.createUser({ uid: `b10-${i}`, passwordHash: hashes[10] }, admin);
  await a.createUser({ uid: `app-${i}`, passwordHash: hashes[12] }, admin);
  secrets.push((await a.addAppPassword(`app-${i}`, { name: 'phone' }, admin)).secret);
}
// One user with 20 app passwords: an MS-CHAPv2 proof for the last one tries all 20 NT hashes.
await a.createUser({ uid: 'many', password: PASSWORD }, admin);
let last = '';
for (let i = 0; i < 20; i++) last = (await a.addAppPassword('many', { name: `device-${i}` }, admin)).secret;

function mschapProof(user: string, password: string): Proof {
  const authChallenge = randomBytes(16);
  const peerChallenge = randomBytes(16);
  const ntResponse = generateNtResponse(authChallenge, peerChallenge, user, Buffer.from(ntHash(password), 'hex'));
  return { verifyNtHash: (nt) => checkNtResponse(nt, ntResponse, peerChallenge, authChallenge, user).ok };
}

type Login = (i: number) => Promise<boolean>;
const arms: [string, Login][] = [
  ['app password (HMAC-SHA-256)', async (i) => (await a.authenticate(`app-${i % USERS}`, { password: secrets[i % USERS]! }, nas(i))).ok],
  [`bcrypt cost ${CONFIGURED_COST} (configured)`, async (i) => (await a.authenticate(`b12-${i % USERS}`, { password: PASSWORD }, nas(i))).ok],
  ['bcrypt cost 10', async (i) => (await a.authenticate(`b10-${i % USERS}`, { password: PASSWORD }, nas(i))).ok],
  ['MS-CHAPv2, 20th of 20 app passwords', async (i) => (await a.authenticate('many', mschapProof('many', last), nas(i))).ok],
];

const quantile = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

/** `concurrency` loops of logins for SECONDS: verifications/s and the latency of each. */
async function measure(login: Login, concurrency: number): Promise<{ n: number; perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      if (!(await login(next++))) throw new Error('a login failed: the benchmark measures right credentials only');
      latencies.push(performance.now() - t);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  return { n: latencies.length, perSecond: latencies.length / elapsed, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

const load = loadavg().map((x) => x.toFixed(1)).join(' ');
const ms = (x: number) => (x < 1 ? `${(x * 1000).toFixed(0)} µs` : `${x.toFixed(1)} ms`);
console.log(`${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, ${SECONDS} s per run, ${USERS} users per arm`);
console.log('| credential | concurrency | verifications | per second | p50 | p99 |');
console.log('|---|---:|---:|---:|---:|---:|');
const results: Record<string, unknown>[] = [];
for (const [name, login] of arms) {
  await login(0); // warm: the first use writes lastUsedAt and the familiar source
  for (const concurrency of [1, 16]) {
    const r = await measure(login, concurrency);
    results.push({ credential: name, concurrency, ...r });
    console.log(`| ${name} | ${concurrency} | ${r.n} | ${r.perSecond.toFixed(r.perSecond < 100 ? 1 : 0)} | ${ms(r.p50)} | ${ms(r.p99)} |`);
  }
}
const after = loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`load average before/after: ${load} / ${after} (other processes share these cores)`);
console.log(JSON.stringify({ bench: 'app-passwords', seconds: SECONDS, load: { before: load, after }, results }));
await directory.close();
