// Denial-of-service probe of the credential checks (issue 9), at a real bcrypt cost: a flood of
// wrong passwords in one tenant against another tenant's logins, refusal timing (unknown user,
// wrong password, locked user), a 1 MiB password, and SHA-crypt against the event loop.
// Usage: node --import=tsx bench/dos/verifier.ts [bcryptCost=10] [floodSize=300]
import { fileURLToPath } from 'node:url';
import { encrypt as shaCrypt } from 'unixcrypt';
import { Auditor } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { Directory, type Actor } from '../../src/directory/index.ts';
import { MemoryStore } from '../../src/store/index.ts';

const cost = Number(process.argv[2] ?? 10);
const floodSize = Number(process.argv[3] ?? 300);
const GOOD = 'Correct-Horse-9';
const loaded = await loadConfig(fileURLToPath(new URL('./fixtures', import.meta.url)));
if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
const acme = loaded.registry.byId('acme')!;
const globex = loaded.registry.byId('globex')!;
const store = new MemoryStore();
const logger = silentLogger();
const directory = new Directory({ store, auditor: new Auditor(store, logger), logger, bcryptCost: cost });
const admin: Actor = { name: 'ops', protocol: 'admin' };
const from = (source: string): Actor => ({ name: 'ldap:probe', protocol: 'ldap', source });
const a = directory.tenant(acme);
const g = directory.tenant(globex);
await a.createUser({ uid: 'alice', password: GOOD }, admin);
await a.createUser({ uid: 'locked', password: GOOD }, admin);
await a.createUser({ uid: 'sha', passwordHash: `{CRYPT}${shaCrypt(GOOD, '$6$probesalt')}` }, admin);
await g.createUser({ uid: 'gina', password: GOOD }, admin);

const ms = (t0: number) => performance.now() - t0;
const quantile = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const fmt = (x: number) => `${x.toFixed(1)} ms`;
async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return ms(t0);
}

/** The event loop's worst lateness, by a 5 ms ticker, until stop() (which lets one tick run). */
function loopLag(): { stop(): Promise<number> } {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
  }, 5);
  return { stop: () => new Promise((resolve) => setTimeout(() => { clearInterval(timer); resolve(Math.max(worst, performance.now() - last - 5)); }, 6)) };
}

// 1. Refusal timing: medians over sequential tries, each from its own source (no throttling).
for (let i = 0; i < 5; i++) await a.authenticate('locked', { password: `wrong-${i}` }, from(`10.9.0.${i}`));
const timing: Record<string, number[]> = { unknown: [], 'wrong-password': [], locked: [] };
for (let i = 0; i < 15; i++) {
  timing.unknown!.push(await timed(() => a.authenticate(`nobody${i}`, { password: 'Wrong-1' }, from(`10.1.0.${i}`))));
  timing['wrong-password']!.push(await timed(() => a.authenticate('alice', { password: `Wrong-${i}` }, from(`10.2.0.${i}`))));
  timing.locked!.push(await timed(() => a.authenticate('locked', { password: 'Wrong-1' }, from(`10.9.0.${i % 5}`))));
}
await a.unlock('alice', admin).catch(() => false);
console.log(`bcrypt cost ${cost}`);
console.log('refusal medians:', Object.entries(timing).map(([k, v]) => `${k} ${fmt(quantile(v, 0.5))}`).join(', '));

// 2. Long passwords against a SHA-512-crypt user: the answer's time and the event loop's worst delay.
for (const size of [1024, 64 * 1024, 1024 * 1024]) {
  const lag = loopLag();
  const took = await timed(() => a.authenticate('sha', { password: 'x'.repeat(size) }, from('10.3.0.1')));
  console.log(`$6$ user, ${size} B password: answered in ${fmt(took)}, event-loop lag max ${fmt(await lag.stop())}`);
  if (took > 5_000) break;
}

// 3. Flood: floodSize wrong passwords at once from one address in acme, while globex's user logs
// in 20 times in a row. What globex sees is the point.
const flood = Array.from({ length: floodSize }, (_, i) => a.authenticate(`user${i % 50}`, { password: 'Wrong-1' }, from('10.6.6.6')));
const lag = loopLag();
const t0 = performance.now();
const victim: number[] = [];
for (let i = 0; i < 20; i++) {
  const t = performance.now();
  const r = await g.authenticate('gina', { password: GOOD }, from('10.7.0.1'));
  victim.push(ms(t));
  if (!r.ok) console.log('globex login refused:', r.reason);
}
const verdicts = await Promise.all(flood);
const reasons = new Map<string, number>();
for (const v of verdicts) if (!v.ok) reasons.set(v.reason, (reasons.get(v.reason) ?? 0) + 1);
console.log(`flood of ${floodSize} from one acme source: done in ${fmt(ms(t0))}; verdicts ${JSON.stringify(Object.fromEntries(reasons))}`);
console.log(`event-loop lag max during the flood: ${fmt(await lag.stop())}`);
console.log(`globex login during it: p50 ${fmt(quantile(victim, 0.5))}, p99 ${fmt(quantile(victim, 0.99))}, max ${fmt(Math.max(...victim))}`);
process.exit(0);
