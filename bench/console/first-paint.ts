// First paint of the console's tenants overview with 1,000 tenants:
//   npx tsx bench/console/first-paint.ts [tenants=1000] [runs=7]
// Writes a config directory with N tenants (no users: the page lists tenants and their report
// rows), starts the daemon on it (port 0), and loads / in Debian's Chromium (playwright-core),
// signed in as msp-admin (the token put in sessionStorage before the page loads). Measures, from
// navigation start: first contentful paint ("Signing in…"), the frame after the first screenful
// of rows (60) is in the table with its KPI cells, and the frame after all N rows are. Two arms: the daemon as it is (the report API answers, or 404s where it is
// not built yet: the KPI cells say so), and the report answered by the page itself with N
// synthetic rows of 7 days each (page.route), so that the KPI cells and N sparklines are drawn.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon } from '../../src/daemon/index.ts';
import { launch } from '../../test/console/helpers.ts';

const N = Number(process.argv[2] ?? 1000);
const RUNS = Number(process.argv[3] ?? 7);
const TOKEN = 'bench-console-ops-token-0000000001';

const dir = await mkdtemp(join(tmpdir(), 'tenantdir-console-bench-'));
await mkdir(join(dir, 'tenants'));
await writeFile(join(dir, 'tenantdir.yaml'), [
  'listen:', '  ldap: { port: 0, host: 127.0.0.1 }', '  radius: { auth: 0, acct: 0, host: 127.0.0.1 }', '  http: { port: 0, host: 127.0.0.1 }',
  'admins:', `  - { name: ops, token: ${TOKEN}, role: msp-admin }`, '',
].join('\n'));
for (let i = 0; i < N; i++) {
  const id = `tenant-${String(i).padStart(4, '0')}`;
  await writeFile(join(dir, 'tenants', `${id}.yaml`), `id: ${id}\nname: Client ${i} Ltd\nbaseDN: dc=${id},dc=example\n`);
}
const daemon = await startDaemon({ configDir: dir, logger: silentLogger() });
const url = `http://127.0.0.1:${daemon.ports.http}`;
const browser = await launch();

function syntheticReport() {
  const days = Array.from({ length: 7 }, (_, d) => new Date(Date.now() - (6 - d) * 86_400_000).toISOString().slice(0, 10));
  const rows = Array.from({ length: N }, (_, i) => {
    const byDay = days.map((day, d) => ({ day, ok: 50 + ((i * 7 + d * 13) % 90), failed: (i + d) % 5 }));
    const ok = byDay.reduce((n, d) => n + d.ok, 0);
    const failed = byDay.reduce((n, d) => n + d.failed, 0);
    return {
      tenant: `tenant-${String(i).padStart(4, '0')}`, users: 40 + (i % 300), activeUsers: 30 + (i % 200), authOk: ok, authFailed: failed,
      successRate: ok / (ok + failed), lockouts: i % 4, mfaCoverage: (i % 100) / 100, lastActivity: new Date().toISOString(), byDay,
    };
  });
  return JSON.stringify({ since: `${days[0]}T00:00:00Z`, until: new Date().toISOString(), rows });
}

/**
 * In the page, before its scripts: note the frame after the first screenful and after all N rows
 * are in the DOM. A string, not a function: tsx's transform would add helpers the page lacks.
 */
const watch = (n: number) => `(() => {
  const marks = (window.__marks = {});
  const first = Math.min(${n}, 60);
  const note = (k) => {
    if (k in marks) return;
    marks[k] = -1;
    requestAnimationFrame(() => requestAnimationFrame(() => (marks[k] = performance.now())));
  };
  const check = () => {
    const table = document.querySelector('[data-testid="tenants"]');
    if (!table) return;
    const rows = table.querySelectorAll('tbody tr').length;
    const kpis = document.querySelector('#report-unavailable') !== null ? Infinity : table.querySelectorAll('svg.spark').length;
    if (rows >= first && kpis >= first) note('first');
    if (rows === ${n} && kpis >= ${n} && table.getAttribute('data-complete') === 'true') note('all');
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
})();`;

async function once(stub: string | undefined): Promise<{ fcp: number; first: number; all: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(`sessionStorage.setItem('tenantdir.console.token', ${JSON.stringify(TOKEN)})`);
  await context.addInitScript(watch(N));
  const page: Page = await context.newPage();
  if (stub) await page.route('**/api/v1/report?*', (r) => r.fulfill({ status: 200, contentType: 'application/json', body: stub }));
  await page.goto(url);
  // A function, not a string: the console's CSP forbids eval, which a string predicate needs.
  await page.waitForFunction(() => ((globalThis as unknown as { __marks: Record<string, number> }).__marks['all'] ?? -1) > 0, undefined, { timeout: 60_000 });
  const marks = await page.evaluate('window.__marks') as Record<string, number>;
  const fcp = await page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN") as number;
  await context.close();
  return { fcp, first: marks.first!, all: marks.all! };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const out: Record<string, { fcp: number; first: number; firstWorst: number; all: number; allWorst: number }> = {};
try {
  for (const [arm, stub] of [['daemon as built', undefined], [`report stubbed, ${N} rows`, syntheticReport()]] as const) {
    await once(stub); // warm-up: the browser's first page
    const r: { fcp: number; first: number; all: number }[] = [];
    for (let i = 0; i < RUNS; i++) r.push(await once(stub));
    out[arm] = {
      fcp: median(r.map((x) => x.fcp)),
      first: median(r.map((x) => x.first)), firstWorst: Math.max(...r.map((x) => x.first)),
      all: median(r.map((x) => x.all)), allWorst: Math.max(...r.map((x) => x.all)),
    };
  }
} finally {
  await browser.close();
  await daemon.close();
  await rm(dir, { recursive: true, force: true });
}
console.log(`| arm | tenants | first contentful paint | first screen of rows painted (median / worst of ${RUNS}) | all ${N} rows painted (median / worst) |`);
console.log('|---|---:|---:|---:|---:|');
const ms = (x: number) => `${x.toFixed(0)} ms`;
for (const [arm, r] of Object.entries(out)) console.log(`| ${arm} | ${N} | ${ms(r.fcp)} | ${ms(r.first)} / ${ms(r.firstWorst)} | ${ms(r.all)} / ${ms(r.allWorst)} |`);
console.log(JSON.stringify({ bench: 'console-first-paint', tenants: N, runs: RUNS, results: out }));
