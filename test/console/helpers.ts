// Console tests: a daemon on a fresh copy of the fixture config (ports 0, in-memory store), and
// Debian's Chromium driven by playwright-core through its executablePath (no browser download).
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestFn } from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/config', import.meta.url));

export const TOKENS = {
  ops: 'console-ops-token-00000000000001',
  acmeAdmin: 'console-acme-admin-token-000002',
  acmeHelpdesk: 'console-acme-helpdesk-tok-0003',
} as const;

/** Debian's chromium package; CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? '/usr/bin/chromium';

export interface ConsoleWorld {
  url: string;
  daemon: RunningDaemon;
  dir: string;
  close(): Promise<void>;
}

export async function startConsole(): Promise<ConsoleWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-console-'));
  await cp(FIXTURES, dir, { recursive: true });
  const daemon = await startDaemon({ configDir: dir, logger: silentLogger() });
  return {
    url: `http://127.0.0.1:${daemon.ports.http}`,
    daemon,
    dir,
    async close() {
      await daemon.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One daemon and one browser for every test of a file: `const s = consoleSuite(test)`, then `s.w`, `s.browser`. */
export function consoleSuite(test: TestFn): { w: ConsoleWorld; browser: Browser } {
  const s = {} as { w: ConsoleWorld; browser: Browser };
  test.before(async () => {
    [s.w, s.browser] = await Promise.all([startConsole(), launch()]);
  });
  test.after.always(async () => {
    await s.browser?.close();
    await s.w?.close();
  });
  return s;
}

export function launch(): Promise<Browser> {
  // --no-sandbox: the tests run as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 30_000 });
}

/** Opens the console and signs in with `token`; resolves once the header shows who it is. */
export async function signIn(page: Page, url: string, token: string, path = '/'): Promise<void> {
  await page.goto(`${url}${path}`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('whoami').waitFor();
}

const AXE = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core on the page as it is: the serious and critical violations (none is the goal). */
export async function axeSerious(page: Page): Promise<AxeViolation[]> {
  // The page's CSP refuses an inline <script> (addScriptTag({ content }) is blocked, as it should
  // be), so axe's source is evaluated through the devtools protocol, which CSP does not bind.
  await page.evaluate(await AXE);
  // A string: these files are type-checked without the DOM's globals.
  const result = await page.evaluate("axe.run(document, { resultTypes: ['violations'] })") as { violations: AxeViolation[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function describe(v: AxeViolation[]): string {
  return v.map((x) => `${x.id} (${x.impact}): ${x.help} at ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('\n');
}
