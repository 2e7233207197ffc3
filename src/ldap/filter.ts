// Filters: evaluation against an entry with LDAP's matching rules and three-valued logic
// (RFC 4511 §4.5.1.7), and translation into the store's indexed queries. A translation is always
// a superset of the matches (the exact filter runs afterwards), so a filter the store cannot
// narrow costs a bounded scan, never a wrong answer.
import type { TenantConfig } from '../config/index.ts';
import { isWithin, parseDn, tryNormalizeDn } from '../core/dn.ts';
import { nameKey } from '../core/ids.ts';
import type { TenantDirectory } from '../directory/index.ts';
import type { GroupQuery, UserQuery } from '../directory/index.ts';
import { KIND_ATTRIBUTES, KIND_CLASSES, locate, type DirEntry, type EntryKind } from './entries.ts';
import type { Filter } from './protocol.ts';
import { BITWISE_RULES, MATCHING_RULES, SECRET_ATTRIBUTES, attributeType, type AttributeType, type Matching } from './schema.ts';

// ------------------------------------------------------------------ evaluation

/** true, false, or undefined (RFC 4511's Undefined: an unknown attribute, a malformed value). */
type Tri = boolean | undefined;

const TIME_RE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,]\d+)?(Z|[+-]\d{4})$/;

function parseTime(v: string): number | undefined {
  const m = TIME_RE.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi = '00', s = '00', zone = 'Z'] = m;
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A value in the form its matching rule compares; undefined when it is not a valid value. */
export function normalize(m: Matching, v: string): string | number | undefined {
  switch (m) {
    case 'caseIgnore':
      return nameKey(v);
    case 'caseExact':
      return v;
    case 'integer':
      return /^-?\d{1,15}$/.test(v.trim()) ? Number(v.trim()) : undefined;
    case 'dn':
      return tryNormalizeDn(v);
    case 'time':
      return parseTime(v);
    case 'boolean': {
      const b = v.trim().toUpperCase();
      return b === 'TRUE' || b === 'FALSE' ? b : undefined;
    }
  }
}

function served(name: string): AttributeType | undefined {
  return SECRET_ATTRIBUTES.has(name) ? undefined : attributeType(name);
}

function any(values: readonly string[], test: (v: string) => boolean): boolean {
  return values.some(test);
}

function compare(kind: 'eq' | 'ge' | 'le', m: Matching, values: readonly string[], assertion: string): Tri {
  const a = normalize(m, assertion);
  if (a === undefined) return undefined;
  if (kind !== 'eq' && (m === 'dn' || m === 'boolean')) return undefined;
  return any(values, (v) => {
    const x = normalize(m, v);
    if (x === undefined) return false;
    if (kind === 'eq') return x === a;
    return kind === 'ge' ? x >= a : x <= a;
  });
}

function substrings(m: Matching, values: readonly string[], f: Extract<Filter, { kind: 'substr' }>): Tri {
  if (m !== 'caseIgnore' && m !== 'caseExact') return undefined;
  const n = (s: string): string => (m === 'caseIgnore' ? s.toLowerCase() : s);
  const initial = f.initial === undefined ? '' : n(f.initial);
  const final = f.final === undefined ? '' : n(f.final);
  const parts = f.any.map(n);
  return any(values, (raw) => {
    const v = n(m === 'caseIgnore' ? raw.trim() : raw);
    if (!v.startsWith(initial)) return false;
    let pos = initial.length;
    for (const p of parts) {
      const i = v.indexOf(p, pos);
      if (i < 0) return false;
      pos = i + p.length;
    }
    return v.length - final.length >= pos && v.endsWith(final);
  });
}

/** RFC 4511 §4.5.1.7.7: match by an explicit rule, on one attribute, all of them, or the DN's RDNs. */
function extensible(e: DirEntry, f: Extract<Filter, { kind: 'ext' }>): Tri {
  const bitwise = f.rule ? BITWISE_RULES.get(f.rule) : undefined;
  const ruled = f.rule ? MATCHING_RULES.get(f.rule) : undefined;
  if (f.rule && !bitwise && !ruled) return undefined;
  const type = f.attr === undefined ? undefined : served(f.attr);
  if (f.attr !== undefined && !type) return undefined;
  const test = (a: AttributeType, values: readonly string[]): Tri => {
    if (bitwise) {
      if (a.matching !== 'integer') return undefined;
      const mask = normalize('integer', f.value);
      if (mask === undefined) return undefined;
      return any(values, (v) => {
        const x = normalize('integer', v);
        if (x === undefined) return false;
        const and = Number(BigInt(x) & BigInt(mask));
        return bitwise === 'and' ? and === mask : and !== 0;
      });
    }
    return compare('eq', ruled ?? a.matching, values, f.value);
  };
  const candidates: [AttributeType, readonly string[]][] = type
    ? [[type, e.attrs.get(type) ?? []]]
    : [...e.attrs.entries()];
  if (f.dnAttributes) {
    for (const r of parseDn(e.dn)) {
      const a = served(r.type);
      if (a && (!type || a === type)) candidates.push([a, [r.value]]);
    }
  }
  let result: Tri = false;
  for (const [a, values] of candidates) {
    const r = test(a, values);
    if (r) return true;
    if (r === undefined && type) result = undefined;
  }
  return result;
}

export function matches(f: Filter, e: DirEntry): Tri {
  switch (f.kind) {
    case 'and':
    case 'or': {
      // One false decides an and, one true an or; otherwise any Undefined makes it Undefined.
      const decisive = f.kind === 'or';
      let out: Tri = !decisive;
      for (const c of f.filters) {
        const r = matches(c, e);
        if (r === decisive) return decisive;
        if (r === undefined) out = undefined;
      }
      return out;
    }
    case 'not': {
      const r = matches(f.filter, e);
      return r === undefined ? undefined : !r;
    }
    case 'ext':
      return extensible(e, f);
    default:
      break;
  }
  const a = served(f.attr);
  if (!a) return undefined;
  const values = e.attrs.get(a);
  if (f.kind === 'present') return values !== undefined;
  if (!values) return false;
  if (f.kind === 'substr') return substrings(a.matching, values, f);
  return compare(f.kind === 'approx' ? 'eq' : f.kind, a.matching, values, f.value);
}

/** Every attribute a filter reads: what an entry must have computed before it is matched. */
export function filterAttributes(f: Filter, into = new Set<AttributeType>()): Set<AttributeType> {
  if (f.kind === 'and' || f.kind === 'or') for (const c of f.filters) filterAttributes(c, into);
  else if (f.kind === 'not') filterAttributes(f.filter, into);
  else if (f.attr !== undefined) {
    const a = served(f.attr);
    if (a) into.add(a);
  } else {
    // An extensible match on "any attribute" reads them all.
    for (const a of KIND_ATTRIBUTES.user) into.add(a);
    for (const a of KIND_ATTRIBUTES.group) into.add(a);
  }
  return into;
}

// ------------------------------------------------------------------ translation

/** A store query, or: every record of the kind may match, or none can. */
export type Plan<Q> = Q | 'all' | 'none';

interface PlanContext {
  tenant: TenantConfig;
  dir: TenantDirectory;
}

function combineAnd<Q>(parts: Plan<Q>[], and: (qs: Q[]) => Q): Plan<Q> {
  if (parts.includes('none')) return 'none';
  const qs = parts.filter((p): p is Q => p !== 'all');
  if (qs.length === 0) return 'all';
  return qs.length === 1 ? qs[0] as Q : and(qs);
}

function combineOr<Q>(parts: Plan<Q>[], or: (qs: Q[]) => Q): Plan<Q> {
  if (parts.includes('all')) return 'all';
  const qs = parts.filter((p): p is Q => p !== 'none');
  if (qs.length === 0) return 'none';
  return qs.length === 1 ? qs[0] as Q : or(qs);
}

/** What the kind's entries say for a leaf that no index serves: none can match, or any may. */
function unindexed(kind: EntryKind, f: Exclude<Filter, { kind: 'and' | 'or' | 'not' }>): Plan<never> {
  // An extensible match may also be met by the entry's own DN (dnAttributes).
  if (f.attr === undefined || (f.kind === 'ext' && f.dnAttributes)) return 'all';
  const a = served(f.attr);
  if (!a || !KIND_ATTRIBUTES[kind].has(a)) return 'none';
  if (a.name === 'objectClass' && (f.kind === 'eq' || f.kind === 'approx')) {
    return KIND_CLASSES[kind].some((c) => c.toLowerCase() === nameKey(f.value)) || (kind === 'user' && nameKey(f.value) === 'ldappublickey') ? 'all' : 'none';
  }
  return 'all';
}

/** The tenant position a DN-valued assertion names, or undefined when it names none of ours. */
function positionOf(ctx: PlanContext, dn: string): ReturnType<typeof locate> | undefined {
  const norm = tryNormalizeDn(dn);
  if (norm === undefined || !isWithin(norm, ctx.tenant.baseDNNorm)) return undefined;
  return locate(ctx.tenant, dn);
}

function integerOf(v: string): number | undefined {
  const n = normalize('integer', v);
  return typeof n === 'number' ? n : undefined;
}

async function userLeaf(ctx: PlanContext, f: Exclude<Filter, { kind: 'and' | 'or' | 'not' }>): Promise<Plan<UserQuery>> {
  const a = f.attr === undefined ? undefined : served(f.attr);
  const exact = f.kind === 'eq' || f.kind === 'approx';
  if (a && exact && 'value' in f) {
    switch (a.name) {
      case 'uid':
      case 'mail':
      case 'cn':
        return { eq: a.name, value: f.value };
      case 'entryUUID':
        return { eq: 'entryUUID', value: f.value };
      case 'uidNumber':
      case 'gidNumber': {
        const n = integerOf(f.value);
        return n === undefined ? 'none' : { eq: a.name, value: n };
      }
      case 'entryDN': {
        const p = positionOf(ctx, f.value);
        return p?.kind === 'user' ? { eq: 'uid', value: p.uid } : 'none';
      }
      case 'memberOf': {
        const p = positionOf(ctx, f.value);
        if (p?.kind !== 'group') return 'none';
        // memberOf is transitive: members of the group or of any group nested in it.
        return { memberOf: await ctx.dir.groupClosure(p.name) };
      }
      default:
        break;
    }
  }
  if (a && f.kind === 'substr' && f.initial && f.any.length === 0 && !f.final && (a.name === 'uid' || a.name === 'mail' || a.name === 'cn')) {
    return { prefix: a.name, value: f.initial };
  }
  return unindexed('user', f);
}

async function groupLeaf(ctx: PlanContext, f: Exclude<Filter, { kind: 'and' | 'or' | 'not' }>): Promise<Plan<GroupQuery>> {
  const a = f.attr === undefined ? undefined : served(f.attr);
  const exact = f.kind === 'eq' || f.kind === 'approx';
  if (a && exact && 'value' in f) {
    switch (a.name) {
      case 'cn':
        return { eq: 'name', value: f.value };
      case 'entryUUID':
        return { eq: 'entryUUID', value: f.value };
      case 'gidNumber': {
        const n = integerOf(f.value);
        return n === undefined ? 'none' : { eq: 'gidNumber', value: n };
      }
      case 'entryDN': {
        const p = positionOf(ctx, f.value);
        return p?.kind === 'group' ? { eq: 'name', value: p.name } : 'none';
      }
      case 'member': {
        // member lists direct members: a user's own groups, or the groups that nest a group.
        const p = positionOf(ctx, f.value);
        if (p?.kind === 'group') return { hasMemberGroup: [nameKey(p.name)] };
        if (p?.kind !== 'user') return 'none';
        const u = await ctx.dir.getUser(p.uid);
        return u && u.memberOf.length > 0 ? { in: 'name', values: u.memberOf } : 'none';
      }
      case 'memberUid': {
        // memberUid lists members at any depth: every group the user is in, nested ones resolved.
        const u = await ctx.dir.getUser(f.value);
        if (!u) return 'none';
        const groups = await ctx.dir.groupsOf(u);
        return groups.length > 0 ? { in: 'name', values: groups } : 'none';
      }
      default:
        break;
    }
  }
  if (a && a.name === 'cn' && f.kind === 'substr' && f.initial && f.any.length === 0 && !f.final) {
    return { prefix: 'name', value: f.initial };
  }
  return unindexed('group', f);
}

/** A plan, and whether its query matches exactly what the filter does (no re-check needed). */
export interface Planned<Q> {
  plan: Plan<Q>;
  exact: boolean;
}

type Leaf<Q> = (ctx: PlanContext, f: Exclude<Filter, { kind: 'and' | 'or' | 'not' }>) => Promise<Plan<Q>>;

/**
 * Index queries compare with the same normalisation as the matcher (store keys are nameKey),
 * so they are exact; so is "none", and "all" for an object class every entry of the kind has.
 */
function leafExact(kind: EntryKind, f: Exclude<Filter, { kind: 'and' | 'or' | 'not' }>, p: Plan<unknown>): boolean {
  if (p !== 'all') return true;
  return f.kind === 'eq' && f.attr === 'objectclass' && KIND_CLASSES[kind].some((c) => c.toLowerCase() === nameKey(f.value));
}

async function plan<Q>(f: Filter, ctx: PlanContext, kind: EntryKind, leaf: Leaf<Q>, and: (qs: Q[]) => Q, or: (qs: Q[]) => Q): Promise<Planned<Q>> {
  switch (f.kind) {
    case 'and':
    case 'or': {
      const parts = await Promise.all(f.filters.map((c) => plan(c, ctx, kind, leaf, and, or)));
      const plans = parts.map((x) => x.plan);
      return { plan: f.kind === 'and' ? combineAnd(plans, and) : combineOr(plans, or), exact: parts.every((x) => x.exact) };
    }
    case 'not':
      // A negation narrows nothing an index can serve.
      return { plan: 'all', exact: false };
    default: {
      const p = await leaf(ctx, f);
      return { plan: p, exact: leafExact(kind, f, p) };
    }
  }
}

export function planUsers(f: Filter, ctx: PlanContext): Promise<Planned<UserQuery>> {
  return plan<UserQuery>(f, ctx, 'user', userLeaf, (qs) => ({ and: qs }), (qs) => ({ or: qs }));
}

export function planGroups(f: Filter, ctx: PlanContext): Promise<Planned<GroupQuery>> {
  return plan<GroupQuery>(f, ctx, 'group', groupLeaf, (qs) => ({ and: qs }), (qs) => ({ or: qs }));
}
