// The issue-9 probes against a tenantdir source tree, one fresh daemon per probe.
// Usage: npx tsx bench/dos/probe.ts --tree DIR [--only name,...] [--all] --json OUT.json [--update]
// --update: OUT.json exists; the probes run now replace their entries in it (each keeps its own load).
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RssSampler, startDaemon, writeConfig } from './daemon.ts';
import { PROBES, type ProbeContext } from './probes.ts';
import { startVictim, type Victim } from './victim.ts';

const { values } = parseArgs({ options: { tree: { type: 'string' }, only: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'string' }, update: { type: 'boolean' } } });
if (!values.tree || !values.json) {
  console.error('usage: npx tsx bench/dos/probe.ts --tree DIR [--only name,...] [--all] --json OUT.json');
  process.exit(2);
}
const tree = resolve(values.tree);
const only = values.all || !values.only ? undefined : new Set(values.only.split(','));
const unknown = [...(only ?? [])].filter((n) => !PROBES.some((p) => p.name === n));
if (unknown.length) {
  console.error(`unknown probe(s): ${unknown.join(', ')}; known: ${PROBES.map((p) => p.name).join(', ')}`);
  process.exit(2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (x: number) => Math.round(x);
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const commit = execFileSync('git', ['-C', tree, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();

const configDir = await writeConfig();
const results: Record<string, unknown>[] = [];
const run = { tree, commit, started: new Date().toISOString(), uptimeAtStart: uptime(), configDir, probes: results };
console.log(`${tree} @ ${commit}; ${run.uptimeAtStart}`);

for (const probe of PROBES.filter((p) => !only || only.has(p.name))) {
  // A fresh daemon for every probe: a probe that kills it, or leaves a lock or a backoff, cannot
  // change the next one's result.
  const daemon = await startDaemon(tree, configDir);
  const rss = new RssSampler(daemon.pid);
  const rssStart = await rss.sample();
  const cleanups: (() => void)[] = [];
  let victim: Victim | undefined;
  const ctx: ProbeContext = {
    ports: daemon.ports, rss, deadline: Date.now() + probe.capMs,
    beginVictim: async () => { victim ??= await startVictim(daemon.ports); },
    onCleanup: (f) => cleanups.push(f),
  };
  const load = loadavg()[0]!;
  if (!probe.setup) await ctx.beginVictim();
  const t0 = performance.now();
  let finding: Record<string, unknown>;
  // The hard cap: a probe still running 10 s past its deadline is abandoned (its sockets closed below).
  let capTimer: NodeJS.Timeout | undefined;
  try {
    finding = await Promise.race([
      probe.run(ctx),
      new Promise<never>((_, reject) => (capTimer = setTimeout(() => reject(new Error(`capped at ${probe.capMs + 10_000} ms`)), probe.capMs + 10_000))),
    ]);
  } catch (err) {
    finding = { error: (err as Error).message };
  } finally {
    clearTimeout(capTimer);
  }
  const ms = performance.now() - t0;
  const rssPeakDuring = rss.peakMb;
  await ctx.beginVictim(); // a probe that failed in its setup still gets a (short) victim window
  const victimResult = await victim!.stop();
  for (const f of cleanups) f();
  await sleep(probe.settleMs ?? 3_000);
  const rssAfter = await rss.sample();
  rss.stop();
  const result = {
    probe: probe.name, ms: Math.round(ms), load1: load, alive: daemon.alive(), death: daemon.death() ?? null,
    rssStartMb: mb(rssStart), rssPeakMb: mb(Math.max(rssPeakDuring, rss.peakMb)), rssAfterMb: daemon.alive() ? mb(rssAfter) : null,
    victim: victimResult, finding,
  };
  results.push(result);
  console.log(JSON.stringify(result));
  await daemon.stop();
}
let out: Record<string, unknown> = { ...run, uptimeAtEnd: uptime() };
if (values.update) {
  const old = JSON.parse(await readFile(values.json, 'utf8')) as { probes: { probe: string }[]; reruns?: unknown[] };
  const fresh = new Map(results.map((r) => [r.probe as string, r]));
  out = {
    ...old, probes: old.probes.map((r) => fresh.get(r.probe) ?? r).concat(results.filter((r) => !old.probes.some((o) => o.probe === r.probe))),
    reruns: [...(old.reruns ?? []), { probes: [...fresh.keys()], commit, started: run.started, uptimeAtStart: run.uptimeAtStart, uptimeAtEnd: out.uptimeAtEnd }],
  };
}
await writeFile(values.json, `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${values.json}`);
process.exit(0);
