// Config test helpers: a temp copy of a fixture directory with some files replaced, and the
// problems of loading it as `file:line:col: message` lines relative to that directory.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { formatProblem, loadConfig, type ConfigProblem } from '../../src/config/index.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** YAML text from lines, so a test shows which line is which. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** A temp copy of fixtures/<base> with `files` written over it (null deletes one); removed after the test. */
export async function configDir(t: ExecutionContext, files: Record<string, string | null> = {}, base = 'base'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(join(FIXTURES, base), dir, { recursive: true });
  await writeFiles(dir, files);
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string | null>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    const file = join(dir, name);
    if (text === null) {
      await rm(file, { recursive: true, force: true });
    } else {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text);
    }
  }
}

/** `file:line:col: message` with the temp directory cut off the file name. */
export function shown(dir: string, p: ConfigProblem): string {
  return formatProblem(p).replaceAll(`${dir}/`, '');
}

/** Loads `dir` and returns its problems (failing the test if it loaded). */
export async function problems(t: ExecutionContext, dir: string): Promise<string[]> {
  const r = await loadConfig(dir);
  if (r.ok) {
    t.fail('expected the configuration to be refused');
    return [];
  }
  return r.problems.map((p) => shown(dir, p));
}

/** The problems of fixtures/base with `files` written over it. */
export async function problemsWith(t: ExecutionContext, files: Record<string, string | null>): Promise<string[]> {
  return problems(t, await configDir(t, files));
}

/**
 * Asserts that loading `dir` reports exactly one problem, at `where` (file:line:col), whose
 * message matches every pattern.
 */
export async function oneProblem(t: ExecutionContext, dir: string, where: string, ...patterns: RegExp[]): Promise<void> {
  const found = await problems(t, dir);
  t.is(found.length, 1, found.join('\n'));
  const [line = ''] = found;
  t.true(line.startsWith(`${where}: `), line);
  for (const p of patterns) t.regex(line, p);
}
