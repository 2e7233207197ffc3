// Daemon test helpers: a fresh copy of the fixture config, a logger whose lines a test can read,
// and a bounded wait.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../../src/core/log.ts';
import { devTls } from '../../src/core/tls.ts';

const FIXTURES = fileURLToPath(new URL('../directory/fixtures', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const TOKEN = 'test-ops-token-0123456789abcdef';

/** Resolves once `check()` holds; rejects after `ms` (every wait is bounded). */
export async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A development certificate made once per test file (an RSA key takes ~0.5 s), in its own folder. */
export function certsOnce(): () => Promise<string> {
  let made: Promise<string> | undefined;
  return () => (made ??= mkdtemp(join(tmpdir(), 'tenantdir-test-certs-')).then(async (d) => (await devTls(d), d)));
}

/** A fresh copy of the two-tenant fixture config; with `certs`, that folder becomes its certs/. */
export async function configCopy(certs?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-daemon-'));
  await cp(FIXTURES, dir, { recursive: true });
  if (certs) await cp(certs, join(dir, 'certs'), { recursive: true });
  return dir;
}

/**
 * A tenantdir.yaml for the fixture: every listener on 127.0.0.1 port 0, bcrypt cost 4, the ops
 * token as msp-admin, and `storage` (a flow mapping, e.g. `{ uri: "mongodb://..." }`); `extra`
 * lines go before the storage line.
 */
export function daemonYaml(storage: string, extra: string[] = []): string {
  return [
    'listen:',
    '  ldap: { port: 0, host: 127.0.0.1 }',
    '  radius: { auth: 0, acct: 0, host: 127.0.0.1 }',
    '  http: { port: 0, host: 127.0.0.1 }',
    ...extra,
    `storage: ${storage}`,
    'passwords: { bcryptCost: 4 }',
    `admins: [ { name: ops, token: ${TOKEN}, role: msp-admin } ]`,
    '',
  ].join('\n');
}

export type LogLine = Record<string, unknown> & { event?: string; msg?: string };

/** A logger that keeps every line, parsed. */
export function captureLogger(level = 'info'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

/** `tenantdir serve` as `npm start` runs it (node bin/tenantdir.js), its output collected. */
export interface ServeProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs its whole process group (npm's child too), if still there. */
  kill(): void;
}

export interface ServeOptions {
  env?: NodeJS.ProcessEnv;
  /** A command line to run it under (unshare ...). */
  wrap?: string[];
  /** Instead of `node bin/tenantdir.js serve` (npm start ...). */
  command?: string[];
  cwd?: string;
}

export function serve(args: string[], o: ServeOptions = {}): ServeProcess {
  const command = [...(o.wrap ?? []), ...(o.command ?? [process.execPath, join(REPO, 'bin/tenantdir.js'), 'serve']), ...args];
  // A process group of its own, so that kill() reaches whatever it started.
  const child = spawn(command[0]!, command.slice(1), { cwd: o.cwd ?? REPO, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  };
  return { child, stdout: () => out, stderr: () => err, exited, kill };
}

/** The parsed JSON log lines a serve process wrote so far. */
export function events(p: ServeProcess): LogLine[] {
  return p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

/** Waits, bounded, for the process to exit. */
export function exitWithin(p: ServeProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return Promise.race([
    p.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`tenantdir serve did not exit within ${ms} ms:\n${p.stderr()}`)), ms).unref()),
  ]);
}
