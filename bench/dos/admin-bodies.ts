// Denial-of-service probe of the admin API's request bodies (issue 9): a tenant-admin sends four
// 8 MB JSON bodies at once (nested 4 M deep, or 2.7 M empty objects) to the import route and to a
// user route, while another client reads a tenant over and over. Prints each answer, the other
// client's worst latency during it, and the daemon's peak RSS (a `tenantdir serve` process).
// Usage: node --import=tsx bench/dos/admin-bodies.ts [bodies=4] [megabytes=8]
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configCopy, events, serve, TOKEN, until } from '../../test/daemon/helpers.ts';

const bodies = Number(process.argv[2] ?? 4);
const size = Number(process.argv[3] ?? 8) * 1024 * 1024;
const TENANT_ADMIN = 'probe-acme-admin-token-0123456789';

const dir = await configCopy();
await writeFile(join(dir, 'tenantdir.yaml'), (await readFile(join(dir, 'tenantdir.yaml'), 'utf8'))
  .replace('admins:\n', `admins:\n  - { name: acme-it, token: ${TENANT_ADMIN}, role: tenant-admin, tenants: [acme] }\n`));
const daemon = serve(['--config', dir]);
try {
  await until('the daemon to start', () => events(daemon).some((e) => e.event === 'daemon.start'), 30_000);
  const ports = events(daemon).find((e) => e.event === 'daemon.start')?.ports as { http: number };
  const base = `http://127.0.0.1:${ports.http}`;
  const peakRss = async () => Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${daemon.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const post = (path: string, body: string) => fetch(`${base}${path}`, {
    method: 'POST', body, headers: { authorization: `Bearer ${TENANT_ADMIN}`, 'content-type': 'application/json' },
  }).then(async (r) => `${r.status} ${(await r.text()).slice(0, 100)}`, (err: Error) => `failed: ${err.message}`);

  const half = Math.floor((size - 20) / 2);
  const shapes = {
    nested: `{"users":${'['.repeat(half)}${']'.repeat(half)}}`,
    'empty objects': `{"users":[${'{},'.repeat(Math.floor((size - 20) / 3))}{}]}`,
  };
  console.log(`daemon peak RSS before: ${(await peakRss()).toFixed(0)} MB`);
  for (const [shape, body] of Object.entries(shapes)) {
    for (const path of ['/api/v1/tenants/acme/import', '/api/v1/tenants/acme/users']) {
      let stop = false;
      const latencies: number[] = [];
      const reader = (async () => {
        // Bounded: the attack's answers end it, and 3,000 reads at most.
        for (let i = 0; i < 3_000 && !stop; i++) {
          const t0 = performance.now();
          await fetch(`${base}/api/v1/tenants/acme`, { headers: { authorization: `Bearer ${TOKEN}` } });
          latencies.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: bodies }, () => post(path, body)));
      const took = performance.now() - t0;
      stop = true;
      await reader;
      console.log(`${bodies} × ${(body.length / 1048576).toFixed(1)} MB ${shape} → ${path}: all answered in ${took.toFixed(0)} ms; `
        + `another client's read: max ${Math.max(...latencies).toFixed(0)} ms over ${latencies.length}; peak RSS ${(await peakRss()).toFixed(0)} MB`);
      console.log(`  answers: ${[...new Set(answers)].join(' | ')}`);
    }
  }
} finally {
  daemon.kill();
}
process.exit(0);
