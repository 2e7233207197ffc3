// One search over one tenant's tree: the entries in scope, in a fixed order (base, ou=people,
// users, ou=groups, groups, ou=services, services), each kind fetched through the store query its
// filter translates to, matched exactly, selected, and streamed. A cursor says where to resume,
// which is what a paged-results cookie stands for.
import type { TenantConfig } from '../config/index.ts';
import { nameKey } from '../core/ids.ts';
import type { Group, TenantDirectory, User } from '../directory/index.ts';
import type { GroupQuery, PageResult, UserQuery } from '../directory/index.ts';
import {
  baseEntry, entryAt, groupEntry, ouEntry, serviceEntry, userEntry, type DirEntry, type Expansion, type Ou, type Position,
} from './entries.ts';
import { filterAttributes, matches, planGroups, planUsers, type Planned } from './filter.ts';
import type { LdapLimits } from './limits.ts';
import { RC, type Entry, type Filter, type ResultCode, type Scope, type SearchSink } from './protocol.ts';
import { attributeType, at, type AttributeType } from './schema.ts';

/** Where a search stopped: the phase, and the last record key examined in it. */
export interface Cursor {
  phase: number;
  after?: string;
}

// ------------------------------------------------------------------ attribute selection

export interface Selection {
  has(a: AttributeType): boolean;
}

/** RFC 4511 §4.5.1.8 with RFC 3673 (`+`) and `1.1`; names in any case, aliases and OIDs. */
export function selection(requested: readonly string[]): Selection {
  const named = new Set<AttributeType>();
  let user = requested.length === 0;
  let operational = false;
  for (const r of requested) {
    if (r === '*') user = true;
    else if (r === '+') operational = true;
    else if (r !== '1.1') {
      const a = attributeType(r);
      if (a) named.add(a);
    }
  }
  return { has: (a) => named.has(a) || (a.operational ? operational : user) };
}

export function toWire(e: DirEntry, sel: Selection): Entry {
  const attributes: [string, string[]][] = [];
  for (const [a, values] of e.attrs) if (sel.has(a)) attributes.push([a.name, values]);
  return { dn: e.dn, attributes };
}

// ------------------------------------------------------------------ the search

type Phase =
  | { kind: 'entry'; entry: (need: Expansion) => Promise<DirEntry> }
  | { kind: 'users' | 'groups' | 'services' };

/** The phases a base position and scope cover, in output order. */
function phases(t: TenantConfig, dir: TenantDirectory, base: Exclude<Position, { kind: 'none' }>, scope: Scope, record?: User | Group): Phase[] {
  const fixed = (e: DirEntry): Phase => ({ kind: 'entry', entry: async () => e });
  const children: Record<Ou, Phase> = { people: { kind: 'users' }, groups: { kind: 'groups' }, services: { kind: 'services' } };
  const ous: Ou[] = ['people', 'groups', 'services'];
  switch (base.kind) {
    case 'base':
      if (scope === 'base') return [fixed(baseEntry(t))];
      if (scope === 'one') return ous.map((o) => fixed(ouEntry(t, o)));
      return [fixed(baseEntry(t)), ...ous.flatMap((o) => [fixed(ouEntry(t, o)), children[o]])];
    case 'ou':
      if (scope === 'base') return [fixed(ouEntry(t, base.ou))];
      if (scope === 'one') return [children[base.ou]];
      return [fixed(ouEntry(t, base.ou)), children[base.ou]];
    default:
      return scope === 'one' ? [] : [{ kind: 'entry', entry: (need) => entryAt(t, dir, base, record, need) }];
  }
}

export interface SearchInput {
  tenant: TenantConfig;
  dir: TenantDirectory;
  limits: LdapLimits;
  base: Exclude<Position, { kind: 'none' }>;
  /** The user or group record at the base, when the base is one. */
  record?: User | Group;
  scope: Scope;
  filter: Filter;
  attributes: readonly string[];
  /** Entries to send before stopping with `sizeLimitExceeded` (0 = no limit of its own). */
  sizeLimit: number;
  /** Entries to send before stopping with a cursor (a paged search's page). */
  pageSize?: number;
  deadline: number;
  from?: Cursor;
}

export interface SearchOutcome {
  code: ResultCode;
  message?: string;
  sent: number;
  /** Set when the page filled before the end. */
  next?: Cursor;
}

/** Records examined and materialised at a time. */
const BATCH = 100;

class Stop {
  constructor(readonly outcome: Omit<SearchOutcome, 'sent'>) {}
}

/**
 * `(uid=x)` / `(cn=g)` on groups: the record's own key, so a direct get (the cheapest lookup in
 * every store) instead of a query. undefined when the query is anything else.
 */
function byKey<R>(q: UserQuery | GroupQuery, field: 'uid' | 'name', after: string | undefined, get: (key: string) => Promise<R | undefined>): Promise<PageResult<R>> | undefined {
  if (!('eq' in q) || q.eq !== field || typeof q.value !== 'string') return undefined;
  if (after !== undefined) return Promise.resolve({ items: [] });
  return get(q.value).then((r) => ({ items: r ? [r] : [] }));
}

export async function search(i: SearchInput, sink: SearchSink): Promise<SearchOutcome> {
  const sel = selection(i.attributes);
  const reads = filterAttributes(i.filter);
  const expand = (filtered: boolean): Expansion => {
    const keep = (a: AttributeType): boolean => (filtered && reads.has(a)) || sel.has(a);
    return { memberOf: keep(at('memberOf')), member: keep(at('member')), memberUid: keep(at('memberUid')), keep };
  };
  const expansion = expand(true);
  /** When the store query was exact, the filter is not run again, nor its attributes computed. */
  const exactExpansion = expand(false);
  let sent = 0;
  let examined = 0;

  const emit = (e: DirEntry, next: Cursor, exact = false): void => {
    if (!exact && matches(i.filter, e) !== true) return;
    if (i.sizeLimit > 0 && sent >= i.sizeLimit) throw new Stop({ code: RC.sizeLimitExceeded, message: `size limit of ${i.sizeLimit} entries reached` });
    sink.entry(toWire(e, sel));
    sent++;
    // The cursor resumes after this entry; a page that ends the search may leave the next one empty.
    if (i.pageSize !== undefined && sent >= i.pageSize) throw new Stop({ code: RC.success, next });
  };
  const check = (unindexed: boolean, n: number): void => {
    examined += n;
    if (sink.signal.aborted) throw new Stop({ code: RC.other, message: 'abandoned' });
    if (Date.now() > i.deadline) throw new Stop({ code: RC.timeLimitExceeded, message: 'time limit reached' });
    if (unindexed && examined > i.limits.maxCandidates) {
      throw new Stop({ code: RC.adminLimitExceeded, message: `the filter needs an index: more than ${i.limits.maxCandidates} entries would be examined; narrow it (uid, mail, cn, memberOf, member, uidNumber)` });
    }
  };

  /** Walks one record kind in key order from `after`, `BATCH` at a time. */
  const walk = async <R, Q>(
    phase: number, after: string | undefined, planned: Planned<Q>,
    fetch: (q: Q | { all: true }, after: string | undefined) => Promise<PageResult<R>>,
    key: (r: R) => string, entry: (r: R, need: Expansion) => Promise<DirEntry>,
  ): Promise<void> => {
    const { plan, exact } = planned;
    if (plan === 'none') return;
    const q = plan === 'all' ? { all: true as const } : plan;
    const need = exact ? exactExpansion : expansion;
    // A function of its own: a suspended async function keeps every local it ever held, so a
    // batch fetched in the loop below would stay alive while the search waits for its next turn.
    const batch = async (from: string | undefined): Promise<string | undefined> => {
      const r = await fetch(q, from);
      // Materialise the batch concurrently (virtual attributes are store queries), emit in order.
      const entries = await Promise.all(r.items.map((x) => entry(x, need)));
      check(plan === 'all', r.items.length);
      entries.forEach((e, n) => emit(e, { phase, after: key(r.items[n] as R) }, exact));
      return r.next;
    };
    let from = after;
    for (;;) {
      // The batch is fetched only in this search's turn, so a search waiting for a client that
      // does not read holds no entries.
      const release = await sink.turn();
      let next: string | undefined;
      try {
        next = await batch(from);
      } finally {
        release();
      }
      if (next === undefined) return;
      from = next;
    }
  };

  const page = (after: string | undefined): { limit: number; after?: string } => ({ limit: BATCH, ...(after ? { after } : {}) });
  const list = phases(i.tenant, i.dir, i.base, i.scope, i.record);
  const ctx = { tenant: i.tenant, dir: i.dir };
  try {
    for (let p = i.from?.phase ?? 0; p < list.length; p++) {
      const phase = list[p] as Phase;
      const after = p === i.from?.phase ? i.from.after : undefined;
      switch (phase.kind) {
        case 'entry':
          // In a turn too: 14,000 pipelined tree searches would otherwise send their base and ou
          // entries all at once, before any of them waits.
          if (after === undefined) {
            const release = await sink.turn();
            try {
              emit(await phase.entry(expansion), { phase: p, after: '' });
            } finally {
              release();
            }
          }
          break;
        case 'users':
          await walk(p, after, await planUsers(i.filter, ctx), (q, a) => byKey(q, 'uid', a, (v) => i.dir.getUser(v)) ?? i.dir.findUsers(q, page(a)),
            (u) => nameKey(u.uid), (u, need) => userEntry(i.tenant, i.dir, u, need));
          break;
        case 'groups':
          await walk(p, after, await planGroups(i.filter, ctx), (q, a) => byKey(q, 'name', a, (v) => i.dir.getGroup(v)) ?? i.dir.findGroups(q, page(a)),
            (g) => nameKey(g.name), (g, need) => groupEntry(i.tenant, i.dir, g, need));
          break;
        case 'services': {
          // Sorted and resumed by the same comparison (code units), or a page could skip names.
          const keys = i.tenant.ldap.serviceAccounts.map((s) => [nameKey(s.name), s.name] as const)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          for (const [key, name] of keys) {
            if (after === undefined || key > after) emit(serviceEntry(i.tenant, name), { phase: p, after: key });
          }
          break;
        }
      }
    }
  } catch (e) {
    if (e instanceof Stop) return { ...e.outcome, sent };
    throw e;
  }
  return { code: RC.success, sent };
}
