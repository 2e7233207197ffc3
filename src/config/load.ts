// Loading: read tenantdir.yaml, tenants/*.yaml and the seed file, report every problem of every
// file at once (file:line:col: message), and build a Registry only from a configuration with none.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Static, TSchema } from '@sinclair/typebox';
import { ConfigInvalid } from '../core/errors.ts';
import { checkAcross, checkSeed, type Part } from './checks.ts';
import { buildRegistry, type Registry, type SeedData, type ServerConfig, type TenantConfig, type TenantSource } from './registry.ts';
import { SeedFile, ServerFile, TenantFile } from './schema.ts';
import { formatProblem, SourceFile, type ConfigProblem } from './source.ts';
import { isRecord, validate } from './validate.ts';

export type LoadResult =
  | { ok: true; registry: Registry; warnings: ConfigProblem[] }
  | { ok: false; problems: ConfigProblem[]; warnings: ConfigProblem[] };

const SERVER_FILE = 'tenantdir.yaml';
export const TENANTS_DIR = 'tenants';

interface Collect {
  /** The config dir as the operator gave it (for file names in problems) and absolute. */
  shownDir: string;
  absDir: string;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
  /** Files in the order they were read: problems are listed in this order, then by position. */
  files: string[];
}

export async function loadConfig(dir: string): Promise<LoadResult> {
  const c: Collect = { shownDir: dir, absDir: resolve(dir), problems: [], warnings: [], files: [] };
  const server = await readPart(ServerFile, resolve(c.absDir, SERVER_FILE), c);
  const tenants: Part[] = [];
  const files = await tenantFiles(c);
  for (const file of files) {
    const part = await readPart(TenantFile, file, c);
    if (part) tenants.push(part);
  }
  const allRead = tenants.length === files.length;
  const ids = checkAcross(server, tenants, allRead, c.problems);
  const seedFile = isRecord(server?.value) && isRecord(server.value.storage) ? server.value.storage.seed : undefined;
  // A missing seed file is already a problem at storage.seed.
  if (typeof seedFile === 'string' && existsSync(seedFile)) {
    const seed = await readPart(SeedFile, seedFile, c);
    if (seed) checkSeed(seed, allRead ? ids : undefined, c.problems);
  }
  const byPlace = (a: ConfigProblem, b: ConfigProblem) =>
    c.files.indexOf(a.file) - c.files.indexOf(b.file) || a.line - b.line || a.col - b.col;
  c.problems.sort(byPlace);
  c.warnings.sort(byPlace);
  if (c.problems.length > 0 || !server) return { ok: false, problems: c.problems, warnings: c.warnings };
  // Validated, with secrets and paths resolved in place: the resolved static types now hold.
  const registry = buildRegistry({
    dir: c.absDir,
    server: server.value as ServerConfig,
    tenants: tenants.map((t) => ({ ...(t.value as Omit<TenantConfig, 'baseDNNorm' | 'file'>), file: t.source.file })),
    sources: new Map(tenants.map((t) => [(t.value as TenantConfig).id, sourceOf(t, t.value as TenantConfig)])),
  });
  return { ok: true, registry, warnings: c.warnings };
}

/** The lines of a tenant's NAS clients and VLANs, for views that say where to edit them. */
function sourceOf(part: Part, t: TenantConfig): TenantSource {
  const lines = (key: 'clients' | 'vlans', n: number) => Array.from({ length: n }, (_, i) => part.source.where(['radius', key, i]).line);
  return Object.freeze({
    file: part.source.file,
    clients: Object.freeze(lines('clients', t.radius.clients.length)),
    vlans: Object.freeze(lines('vlans', t.radius.vlans.length)),
  });
}

/** For `tenantdir config check`: every problem and warning as a `file:line:col: message` line. */
export async function checkConfig(dir: string): Promise<{ ok: boolean; problems: string[]; warnings: string[] }> {
  const r = await loadConfig(dir);
  return {
    ok: r.ok,
    problems: r.ok ? [] : r.problems.map(formatProblem),
    warnings: r.warnings.map((w) => formatProblem({ ...w, message: `warning: ${w.message}` })),
  };
}

/**
 * The seed file named by storage.seed, parsed and checked against the registry's tenants;
 * undefined when there is none. Plaintext passwords stay as written: the directory hashes them.
 * Rejects with ConfigInvalid, listing every problem, when the file changed into something invalid.
 */
export async function loadSeed(registry: Registry): Promise<SeedData | undefined> {
  const file = registry.server.storage.seed;
  if (file === undefined) return undefined;
  const fromCwd = relative(process.cwd(), registry.dir);
  const c: Collect = {
    shownDir: fromCwd.startsWith('..') || isAbsolute(fromCwd) ? registry.dir : fromCwd,
    absDir: registry.dir,
    problems: [],
    warnings: [],
    files: [],
  };
  const seed = await readPart(SeedFile, file, c);
  if (seed) checkSeed(seed, new Set(registry.tenants.map((t) => t.id)), c.problems);
  if (!seed || c.problems.length > 0) {
    throw new ConfigInvalid(`the seed file has ${c.problems.length} problem(s):\n${c.problems.map(formatProblem).join('\n')}`, {
      hint: 'correct the seed file; `tenantdir config check` lists the same problems',
    });
  }
  return seed.value as Static<typeof SeedFile>;
}

/** Reads, parses and validates one file; undefined when it cannot be read or is not YAML. */
async function readPart(schema: TSchema, abs: string, c: Collect): Promise<Part | undefined> {
  const rel = relative(c.absDir, abs);
  const shown = rel.startsWith('..') || isAbsolute(rel) ? abs : join(c.shownDir, rel);
  c.files.push(shown);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? `not found; create it (config/example/${rel} is a commented example)`
      : `cannot be read: ${(err as Error).message}`;
    c.problems.push({ file: shown, line: 1, col: 1, message: `${rel} ${why}` });
    return undefined;
  }
  const parsed = SourceFile.parse(shown, text);
  c.warnings.push(...parsed.warnings);
  if (parsed.problems.length > 0) {
    c.problems.push(...parsed.problems);
    return undefined;
  }
  const v = await validate(schema, parsed.source, c.absDir);
  c.problems.push(...v.problems);
  c.warnings.push(...v.warnings);
  return { source: parsed.source, value: v.value };
}

/** tenants/*.yaml|yml, sorted by name, so "the second" of two duplicates is well defined. */
async function tenantFiles(c: Collect): Promise<string[]> {
  const dir = join(c.absDir, TENANTS_DIR);
  const at = { file: join(c.shownDir, TENANTS_DIR), line: 1, col: 1 };
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => !e.isDirectory() && /\.ya?ml$/.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      c.warnings.push({ ...at, message: `no ${TENANTS_DIR}/ directory: zero tenants are configured; add one file per tenant in ${TENANTS_DIR}/` });
    } else {
      c.problems.push({ ...at, message: `cannot read ${TENANTS_DIR}/: ${(err as Error).message}; it must be a readable directory` });
    }
    return [];
  }
  if (names.length === 0) c.warnings.push({ ...at, message: 'no tenant files (*.yaml): zero tenants are configured' });
  return names.map((n) => join(dir, n));
}
