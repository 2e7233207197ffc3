// Summarises a V8 .cpuprofile: self time by function and by file, idle and start-up left out.
//   npx tsx bench/ldap/summarise.ts /tmp/ldap-prof/<file>.cpuprofile
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
const profile = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const where = (n: Node): string => n.callFrame.url.replace(/^.*\/work\/main\//, '').replace(/^.*node_modules\//, 'npm:') || '(native)';
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let busy = 0;
profile.samples.forEach((id, i) => {
  const n = nodes.get(id);
  const dt = profile.timeDeltas[i] ?? 0;
  if (!n || n.callFrame.functionName === '(idle)' || /esm|cjs\/loader|compile/.test(n.callFrame.url)) return;
  busy += dt;
  const fn = `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  const file = where(n).replace(/^npm:(@[^/]+\/[^/]+|[^/]+).*$/, 'npm:$1');
  byFile.set(file, (byFile.get(file) ?? 0) + dt);
});
const top = (m: Map<string, number>, n: number): string =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`).join('\n');
console.log(`busy ${(busy / 1e6).toFixed(2)} s\n-- by file\n${top(byFile, 15)}\n-- by function\n${top(byFunction, 25)}`);
