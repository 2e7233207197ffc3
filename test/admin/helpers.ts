// An AdminServer over the fixture config (two tenants, one admin of each role), on an ephemeral
// port, and a small fetch wrapper that returns status and parsed JSON.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestFn } from 'ava';
import { AdminServer, type AdminServerOptions } from '../../src/admin/index.ts';
import { loadConfig, type Registry } from '../../src/config/index.ts';
import type { Logger } from '../../src/core/log.ts';
import { makeWorld, type World } from '../helpers/world.ts';

export const CONFIG_DIR = fileURLToPath(new URL('./fixtures/config', import.meta.url));

export const TOKENS = {
  ops: 'test-ops-token-000000000000000001',
  acmeAdmin: 'test-acme-admin-token-0000000002',
  acmeHelpdesk: 'test-acme-helpdesk-token-000003',
  globexAdmin: 'test-globex-admin-token-00000004',
  acmeReporter: 'test-acme-reporter-token-000005',
} as const;

export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

export interface Api {
  url: string;
  world: World;
  ready: { value: boolean };
  call(token: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  close(): Promise<void>;
}

export async function startAdmin(o: { storeUri?: string; stream?: AdminServerOptions['stream']; logger?: Logger } = {}): Promise<Api> {
  const world = await makeWorld({ configDir: CONFIG_DIR, ...(o.storeUri ? { storeUri: o.storeUri } : {}), ...(o.logger ? { logger: o.logger } : {}) });
  const ready = { value: true };
  const server = new AdminServer({
    live: world.live,
    directory: world.directory,
    logger: world.logger,
    readiness: async () => ({ ready: ready.value, checks: { config: true, store: ready.value || 'unreachable', listeners: true } }),
    ...(o.stream ? { stream: o.stream } : {}),
  });
  const port = await server.listen();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    world,
    ready,
    async call(token, method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    async close() {
      await server.close();
      await world.close();
    },
  };
}

/** The newest audit events of a tenant, as the API returns them. */
export async function auditOf(api: Api, tenant: string, query = ''): Promise<any[]> {
  const r = await api.call(TOKENS.ops, 'GET', `/api/v1/tenants/${tenant}/audit?limit=50${query}`);
  if (r.status !== 200) throw new Error(`audit read failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.items;
}

/** One server for every test of a file. */
export function withAdmin(test: TestFn<{ api: Api }>): void {
  test.before(async (t) => {
    t.context.api = await startAdmin();
  });
  test.after.always(async (t) => {
    await t.context.api?.close();
  });
}

/** The fixture configuration as a reload would load it with `token` rotated to a new one. */
export async function registryRotating(token: string): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-rotated-'));
  try {
    await cp(CONFIG_DIR, dir, { recursive: true });
    const server = join(dir, 'tenantdir.yaml');
    await writeFile(server, (await readFile(server, 'utf8')).replace(token, 'a-freshly-rotated-token-00000000009'));
    const loaded = await loadConfig(dir);
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
    return loaded.registry;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
