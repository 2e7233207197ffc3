// Prints the before/after table of RESULTS.md from two probe.ts JSON files.
// Usage: npx tsx bench/dos/table.ts bench/dos/before.json bench/dos/after.json
import { readFileSync } from 'node:fs';
import type { Latencies } from './victim.ts';

interface Result {
  probe: string;
  load1: number;
  alive: boolean;
  rssPeakMb: number;
  rssAfterMb: number | null;
  victim: { bind: Latencies; pap: Latencies };
  finding: Record<string, unknown>;
}

const [beforeFile, afterFile] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  console.error('usage: npx tsx bench/dos/table.ts BEFORE.json AFTER.json');
  process.exit(2);
}
interface Run { commit: string; probes: Result[]; reruns?: { probes: string[]; commit: string }[] }
const load = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Run;
const rerunNote = (r: Run, what: string) => (r.reruns ?? []).map((x) => ` ${what}: ${x.probes.join(', ')} re-run at ${x.commit}.`).join('');
const before = load(beforeFile);
const after = load(afterFile);

const ms = (x: number | null) => (x === null ? '–' : x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const lost = (l: Latencies) => `${l.unanswered}/${l.tries}`;
const cell = (r: Result | undefined, f: (r: Result) => string) => (r ? f(r) : 'not run');
const pair = (b: Result | undefined, a: Result | undefined, f: (r: Result) => string) => `${cell(b, f)} → ${cell(a, f)}`;

const names = [...new Set([...before.probes, ...after.probes].map((r) => r.probe))];
const both = (name: string) => [before.probes.find((r) => r.probe === name), after.probes.find((r) => r.probe === name)] as const;
console.log(`Each cell: before (${before.commit}) → after (${after.commit}).${rerunNote(before, 'Before')}${rerunNote(after, 'After')}\n`);
console.log('| probe | load (1 min) | alive | RSS peak / after (MB) | victim bind p50 | victim bind p99 | victim PAP p50 | victim PAP p99 | unanswered bind, PAP |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const name of names) {
  const [b, a] = both(name);
  console.log(`| ${[
    name,
    pair(b, a, (r) => r.load1.toFixed(1)),
    pair(b, a, (r) => (r.alive ? 'yes' : '**no**')),
    pair(b, a, (r) => `${r.rssPeakMb} / ${r.rssAfterMb ?? '–'}`),
    pair(b, a, (r) => ms(r.victim.bind.p50)),
    pair(b, a, (r) => ms(r.victim.bind.p99)),
    pair(b, a, (r) => ms(r.victim.pap.p50)),
    pair(b, a, (r) => ms(r.victim.pap.p99)),
    pair(b, a, (r) => `${lost(r.victim.bind)}, ${lost(r.victim.pap)}`),
  ].join(' | ')} |`);
}
console.log('\n| probe | finding before | finding after |\n|---|---|---|');
for (const name of names) {
  const [b, a] = both(name);
  console.log(`| ${name} | ${cell(b, (r) => `\`${JSON.stringify(r.finding)}\``)} | ${cell(a, (r) => `\`${JSON.stringify(r.finding)}\``)} |`);
}
