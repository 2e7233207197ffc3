// Integration test helpers: the Python webhook receiver (receiver.py, which checks signatures
// itself), a two-tenant configuration written per test with its integrations, and the audit
// write path (Auditor with the integrations' sink) over a store, as the daemon wires it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { Auditor, type TenantAuditor } from '../../src/audit/index.ts';
import { LiveRegistry, loadConfig, type Registry } from '../../src/config/index.ts';
import { silentLogger, type Logger } from '../../src/core/log.ts';
import { Integrations } from '../../src/integrations/index.ts';
import { MemoryStore, type Store } from '../../src/store/index.ts';

export const PYTHON = '/usr/bin/python3';
const RECEIVER = fileURLToPath(new URL('./receiver.py', import.meta.url));

export const SECRETS = {
  acme: 'acme-webhook-secret-0123456789abcdef',
  globex: 'globex-webhook-secret-0123456789abcdef',
  msp: 'msp-webhook-secret-0123456789abcdef-00',
} as const;

/** Fast retries, so that an outage of a second is many attempts; leases beyond the timeout. */
export const FAST_DELIVERY = 'delivery: { firstRetryMs: 50, maxRetryMs: 300, timeoutMs: 2000, leaseMs: 3000, pollMs: 100 }';

/** Resolves once `check()` holds; rejects after `ms` (every wait is bounded). */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 6_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Delivery {
  path: string;
  /** Index of the receiver's secret that verifies the signature; null if none does. */
  secret: number | null;
  status: number;
  headers: Record<string, string>;
  body: { id: string; type: string; tenant: string; createdAt: string; event: Record<string, unknown> & { action: string; target?: string } };
  inFlight: number;
}

export interface Receiver {
  port: number;
  url: string;
  /** Every request received so far, over restarts. */
  deliveries(): Promise<Delivery[]>;
  stop(): Promise<void>;
  /** Starts it again on the same port, with the same log. */
  restart(): Promise<void>;
}

export interface ReceiverOptions {
  secrets: string[];
  failFirst?: number;
  status?: number;
  delayMs?: number;
}

/** receiver.py on a free port of 127.0.0.1; stopped after the test. */
export async function startReceiver(t: ExecutionContext, o: ReceiverOptions): Promise<Receiver> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-receiver-'));
  const out = join(dir, 'deliveries.jsonl');
  await writeFile(out, '');
  let proc: ChildProcess | undefined;
  let port = 0;
  const launch = async (): Promise<void> => {
    const args = [RECEIVER, '--port', String(port), '--out', out, ...o.secrets.flatMap((s) => ['--secret', s])];
    if (o.failFirst) args.push('--fail-first', String(o.failFirst));
    if (o.status) args.push('--status', String(o.status));
    if (o.delayMs) args.push('--delay-ms', String(o.delayMs));
    const p = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    port = await new Promise<number>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`receiver.py did not start: ${text}`)), 5_000);
      p.stdout!.on('data', (b: Buffer) => {
        text += b.toString();
        const m = /listening (\d+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      p.stderr!.on('data', (b: Buffer) => (text += b.toString()));
      p.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`receiver.py exited (${code}): ${text}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  await launch();
  t.teardown(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    port,
    url: `http://127.0.0.1:${port}/hooks/tenantdir`,
    async deliveries() {
      const text = await readFile(out, 'utf8');
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Delivery);
    },
    stop,
    restart: launch,
  };
}

/** A webhook list item in YAML flow style. */
export function webhook(url: string, secret: string, more = ''): string {
  return `    - { url: "${url}", secret: ${secret}, ${more || 'events: ["*"]'} }`;
}

export interface World {
  dir: string;
  registry: Registry;
  live: LiveRegistry;
  store: Store;
  integrations: Integrations;
  auditor: Auditor;
  tenant(id: string): TenantAuditor;
}

export interface WorldOptions {
  /** Lines under `integrations:` of each file (already indented by two spaces). */
  acme?: string[];
  globex?: string[];
  msp?: string[];
  store?: Store;
  logger?: Logger;
  /** integrations.delivery of tenantdir.yaml, as a YAML flow mapping line. */
  delivery?: string;
  /** Lines of tenantdir.yaml besides listen and integrations. */
  server?: string[];
}

const TENANT = (id: string, n: number, integrations: string[]) => [
  `id: ${id}`, `name: ${id}`, `baseDN: dc=${id},dc=example`,
  'radius:', `  clients: [ { name: ap, address: 127.0.0.${n}/32, secret: ${id}-radius-secret-0123 } ]`,
  ...(integrations.length ? ['integrations:', ...integrations] : []),
].join('\n');

/** The configuration, a store (memory unless given), the integrations started, and the Auditor over them. */
export async function makeWorld(t: ExecutionContext, o: WorldOptions): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-integrations-'));
  await mkdir(join(dir, 'tenants'));
  await writeFile(join(dir, 'tenantdir.yaml'), [
    'listen: { ldap: { port: 0 }, radius: { auth: 0, acct: 0, host: 127.0.0.1 }, http: { port: 0 } }',
    ...(o.server ?? []),
    'integrations:', `  ${o.delivery ?? FAST_DELIVERY}`, ...(o.msp ?? []),
  ].join('\n'));
  await writeFile(join(dir, 'tenants/acme.yaml'), TENANT('acme', 1, o.acme ?? []));
  await writeFile(join(dir, 'tenants/globex.yaml'), TENANT('globex', 2, o.globex ?? []));
  const loaded = await loadConfig(dir);
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n'));
  const logger = o.logger ?? silentLogger();
  const store = o.store ?? new MemoryStore();
  const live = new LiveRegistry(loaded.registry);
  const integrations = new Integrations({ live, store, logger });
  const auditor = new Auditor(store, logger, { sink: integrations.sink });
  integrations.start();
  t.teardown(async () => {
    await integrations.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, registry: loaded.registry, live, store, integrations, auditor, tenant: (id) => auditor.tenant(id) };
}
