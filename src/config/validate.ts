// One file against its schema: fill in defaults, turn every TypeBox error into a problem at the
// offending node that says what to do, then apply each node's Rule (schema.ts): resolve secrets
// and paths in place, check DNs, addresses and host names.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import ipaddr from 'ipaddr.js';
import { closest, distance } from 'fastest-levenshtein';
import { parseDn } from '../core/dn.ts';
import { NAME_PATTERN, TENANT_ID_PATTERN } from '../core/ids.ts';
import { parseNet } from './net.ts';
import { EVENT_PATTERN, ruleOf, type Rule } from './schema.ts';
import type { ConfigProblem, PathSeg, SourceFile } from './source.ts';

export interface Validated {
  /** Defaults filled in, secrets and paths resolved where they could be. */
  value: unknown;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

/** `dir`: the absolute config directory, which relative paths are resolved against. */
export async function validate(schema: TSchema, source: SourceFile, dir: string): Promise<Validated> {
  // An empty file is an empty mapping: all defaults, or "missing key" problems that say which.
  const value = withDefaults(schema, source.value() ?? {});
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const reported = new Set<string>();
  for (const e of Value.Errors(schema, value)) {
    // TypeBox may report one node twice (a string that is also too short): keep the first.
    if (reported.has(e.path)) continue;
    reported.add(e.path);
    const path = e.path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const onKey = e.type === ValueErrorType.ObjectAdditionalProperties;
    problems.push(source.problem(path, explain(e, path), onKey));
  }
  const sites: Site[] = [];
  collectSites(schema, value, [], sites);
  for (const site of sites) {
    await applyRule(site, { source, dir, problems, warnings });
  }
  return { value, problems, warnings };
}

/** "; did you mean `x`?" for the nearest choice, if it is near (a few edits, or a prefix); else ''. */
export function suggest(word: string, choices: readonly string[]): string {
  if (choices.length === 0) return '';
  const best = closest(word, [...choices]);
  const near = distance(word, best) <= Math.max(2, Math.floor(word.length / 3)) || word.startsWith(best) || best.startsWith(word);
  return near ? `; did you mean \`${best}\`?` : '';
}

/**
 * A copy of `value` with every absent key that has a default filled in, recursively. (Not
 * TypeBox's Value.Default: it merges a default into a value of the wrong type, so `clients:
 * { name: x }` would become an array and pass.)
 */
function withDefaults(schema: TSchema, value: unknown): unknown {
  if (value === undefined) return schema.default === undefined ? undefined : withDefaults(schema, structuredClone(schema.default));
  const out = Array.isArray(value) ? [...value] : isRecord(value) ? { ...value } : undefined;
  if (!out) return value;
  // An absent key with a default becomes present, so the loop below visits and fills it.
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, TSchema>)) {
    if (!Array.isArray(out) && !(key in out) && sub.default !== undefined) out[key] = undefined;
  }
  for (const [key, sub] of children(schema, out)) {
    const v = withDefaults(sub, (out as Record<PathSeg, unknown>)[key]);
    if (v !== undefined) (out as Record<PathSeg, unknown>)[key] = v;
  }
  return out;
}

/** The schema of each child of `value`: of each list item, or of each mapping value by key. */
function* children(schema: TSchema, value: unknown): Generator<[PathSeg, TSchema]> {
  if (Array.isArray(value)) {
    if (schema.items) for (let i = 0; i < value.length; i++) yield [i, schema.items as TSchema];
    return;
  }
  if (!isRecord(value)) return;
  const fixed = (schema.properties ?? {}) as Record<string, TSchema>;
  const [pattern] = Object.values((schema.patternProperties ?? {}) as Record<string, TSchema>);
  for (const key of Object.keys(value)) {
    const sub = fixed[key] ?? pattern;
    if (sub) yield [key, sub];
  }
}

// ---------------------------------------------------------------- schema errors

const PATTERN_HINTS: Record<string, string> = {
  [TENANT_ID_PATTERN]: 'a tenant id is 1-63 lowercase letters, digits or -',
  [NAME_PATTERN]: 'a name is 1-64 letters, digits, ., _ or -, not starting with -',
  '^/': 'write an absolute path, starting with /',
  [EVENT_PATTERN]: 'write an audit action such as radius.auth, or a pattern such as user.* or *',
};

function explain(e: ValueError, path: string[]): string {
  const s = e.schema as Record<string, unknown>;
  const key = path.at(-1) ?? '';
  const got = ruleOf(e.schema)?.kind === 'secret' ? `, got ${kindOf(e.value)}` : `, got ${show(e.value)}`;
  switch (e.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const allowed = Object.keys((s.properties as object | undefined) ?? {});
      const hint = suggest(key, allowed);
      return hint ? `unknown key \`${key}\`${hint}` : `unknown key \`${key}\`: remove it (allowed here: ${allowed.join(', ')})`;
    }
    case ValueErrorType.ObjectRequiredProperty:
      return `missing required key \`${key}\`: add it (${String(s.description ?? '')})`;
    case ValueErrorType.Object:
      return path.length === 0 ? `expected a mapping of keys to values${got}` : `expected a mapping (key: value)${got}`;
    case ValueErrorType.Array:
      return `expected a list${got}`;
    case ValueErrorType.String:
      return `expected a string${got}`;
    case ValueErrorType.Boolean:
      return `expected true or false${got}`;
    case ValueErrorType.Integer:
      return `expected a whole number${got}`;
    case ValueErrorType.Number:
      return `expected a number${got}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
      return `${range(s)}${got}`;
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? 'must not be empty' : `must be at least ${String(s.minLength)} characters long`;
    case ValueErrorType.StringPattern:
      return `${show(e.value)} is not valid here: ${PATTERN_HINTS[String(s.pattern)] ?? `it must match ${String(s.pattern)}`}`;
    case ValueErrorType.ArrayMinItems:
      return `list at least ${String(s.minItems)} item(s) here`;
    case ValueErrorType.ArrayUniqueItems:
      return 'list each item once';
    case ValueErrorType.Union:
      return explainUnion(e, got);
    default:
      return e.message;
  }
}

function explainUnion(e: ValueError, got: string): string {
  const variants = (e.schema.anyOf ?? []) as { const?: unknown; type?: string }[];
  if (variants.every((v) => typeof v.const === 'string')) {
    const values = variants.map((v) => String(v.const));
    const hint = typeof e.value === 'string' ? suggest(e.value, values) : '';
    return `${show(e.value)} is not allowed here: use one of ${values.join(', ')}${hint}`;
  }
  if (e.value === '') return 'must not be empty';
  if (ruleOf(e.schema)?.kind === 'secret') {
    return `expected a secret: a string (\${ENV_VAR} is substituted) or { file: path }${got}`;
  }
  return `expected ${variants.map((v) => `a ${String(v.type)}`).join(' or ')}${got}`;
}

function range(s: Record<string, unknown>): string {
  const { minimum: min, maximum: max } = s;
  if (min !== undefined && max !== undefined) return `must be from ${String(min)} to ${String(max)}`;
  return min !== undefined ? `must be at least ${String(min)}` : `must be at most ${String(max)}`;
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return kindOf(v);
}

// ---------------------------------------------------------------- rules

interface Site {
  rule: Rule;
  path: PathSeg[];
  value: unknown;
  set(v: string): void;
}

/** Finds every node that carries a rule and already has the right type. */
function collectSites(schema: TSchema, value: unknown, path: PathSeg[], out: Site[], set?: (v: string) => void): void {
  const rule = ruleOf(schema);
  if (rule) {
    if (set && Value.Check(schema, value)) out.push({ rule, path, value, set });
    return;
  }
  for (const [key, sub] of children(schema, value)) {
    const parent = value as Record<PathSeg, unknown>;
    collectSites(sub, parent[key], [...path, key], out, (v) => { parent[key] = v; });
  }
}

interface RuleContext {
  source: SourceFile;
  dir: string;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

async function applyRule(site: Site, c: RuleContext): Promise<void> {
  const problem = (message: string, sub: PathSeg[] = []) => c.problems.push(c.source.problem([...site.path, ...sub], message));
  const { rule, value } = site;
  switch (rule.kind) {
    case 'secret': {
      const secret = typeof value === 'string' ? substituteEnv(value, problem) : await readSecretFile(value as { file: string }, c.dir, problem);
      if (secret === undefined) return;
      if (secret.length < rule.minLength) {
        problem(`this ${rule.what} is ${secret.length} characters long; use at least ${rule.minLength} (e.g. \`openssl rand -base64 ${rule.minLength + 8}\`)`);
      }
      site.set(secret);
      return;
    }
    case 'path': {
      const abs = resolve(c.dir, value as string);
      if (!existsSync(abs)) problem(`file ${JSON.stringify(value)} not found${where(value as string, abs)}; create it or correct the path`);
      site.set(abs);
      return;
    }
    case 'dn':
      try {
        if (parseDn(value as string).length === 0) problem('a DN must not be blank; write it like dc=acme,dc=example');
      } catch (err) {
        problem(`${(err as Error).message}; write it like dc=acme,dc=example`);
      }
      return;
    case 'address': {
      const net = parseNet(value as string);
      if (!net) problem(`${show(value)} is not an IP address or CIDR; write it like 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32`);
      else if (net.hostBitsSet) c.warnings.push(c.source.problem(site.path, `${show(value)} has host bits set; it means ${net.text}: write that`));
      return;
    }
    case 'host':
      if (!ipaddr.isValid(value as string) && !HOSTNAME_RE.test(value as string)) {
        problem(`${show(value)} is not an IP address or host name; use e.g. 0.0.0.0 (every IPv4 address), :: or 127.0.0.1`);
      }
      return;
    case 'https-url': {
      const why = httpsUrlProblem(value as string);
      if (why) problem(why);
      return;
    }
  }
}

/** What is wrong with a webhook URL, if anything: events are signed, but their content is not encrypted. */
function httpsUrlProblem(s: string): string | undefined {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return `${show(s)} is not a URL; write it like https://psa.example.com/hooks/tenantdir`;
  }
  if (url.username || url.password) return 'a URL with a user name or password in it: remove them; the receiver checks the signature instead';
  if (url.protocol === 'https:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback');
  if (url.protocol === 'http:' && loopback) return undefined;
  return url.protocol === 'http:'
    ? 'http:// is allowed only to a loopback address (127.0.0.1, ::1, localhost); events would cross the network in the clear: use https://'
    : `${url.protocol} URLs cannot receive webhooks; use https://`;
}

/** Replaces `${NAME}` by the environment variable; undefined (and a problem) when one is unset. */
function substituteEnv(s: string, problem: (m: string) => void): string | undefined {
  let ok = true;
  const out = s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = process.env[name];
    if (v === undefined) {
      problem(`environment variable ${name} is not set; set it for tenantdir, or use { file: path }`);
      ok = false;
    }
    return v ?? '';
  });
  return ok ? out : undefined;
}

async function readSecretFile(
  ref: { file: string }, dir: string, problem: (m: string, sub?: PathSeg[]) => void,
): Promise<string | undefined> {
  const abs = resolve(dir, ref.file);
  let text: string;
  try {
    text = (await readFile(abs, 'utf8')).trim();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `unreadable (${(err as Error).message})`;
    problem(`secret file ${JSON.stringify(ref.file)} ${why}${where(ref.file, abs)}; create it or correct the path`, ['file']);
    return undefined;
  }
  if (text === '') {
    problem(`secret file ${JSON.stringify(ref.file)} is empty; put the secret in it`, ['file']);
    return undefined;
  }
  return text;
}

function where(written: string, abs: string): string {
  return isAbsolute(written) ? '' : ` (looked for ${abs}; relative paths are relative to the config directory)`;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
