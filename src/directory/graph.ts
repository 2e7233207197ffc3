// Nested groups: walks over the group graph, bounded so a hostile or corrupt graph cannot make
// a request loop. Edges are stored on the parent (memberGroups = children).
import type { GroupQuery, GroupRecord, GroupRepo } from '../store/index.ts';

/** Depth and breadth bounds for every walk. */
const MAX_GROUPS = 10_000;
const BATCH = 500;

/** `start` and every group nested below it (children, grandchildren, ...): name keys. */
export async function descendantGroups(groups: GroupRepo, start: string): Promise<string[]> {
  return walk(start ? [start] : [], async (frontier) => {
    const found = await findAll(groups, { in: 'name', values: frontier });
    return found.flatMap((g) => g.memberGroups);
  });
}

/** `direct` and every group that contains one of them, at any depth: name keys. */
export async function ancestorGroups(groups: GroupRepo, direct: readonly string[]): Promise<string[]> {
  return walk(direct, async (frontier) => {
    const found = await findAll(groups, { hasMemberGroup: frontier });
    return found.map((g) => g.name.toLowerCase());
  });
}

/** Would making `child` a member of `parent` close a cycle (parent already below child)? */
export async function wouldCycle(groups: GroupRepo, parent: string, child: string): Promise<boolean> {
  if (parent === child) return true;
  return (await descendantGroups(groups, child)).includes(parent);
}

/** Every group a query finds, page by page: the store caps a page below MAX_GROUPS. */
async function findAll(groups: GroupRepo, q: GroupQuery): Promise<GroupRecord[]> {
  const out: GroupRecord[] = [];
  let after: string | undefined;
  do {
    const page = await groups.find(q, { limit: BATCH, ...(after === undefined ? {} : { after }) });
    for (const g of page.items) out.push(g);
    after = page.next;
  } while (after !== undefined && out.length < MAX_GROUPS);
  return out;
}

async function walk(start: readonly string[], next: (frontier: string[]) => Promise<string[]>): Promise<string[]> {
  const seen = new Set(start);
  let frontier = [...seen];
  while (frontier.length > 0 && seen.size < MAX_GROUPS) {
    const found: string[] = [];
    for (let i = 0; i < frontier.length; i += BATCH) for (const k of await next(frontier.slice(i, i + BATCH))) found.push(k);
    frontier = found.filter((k) => !seen.has(k));
    for (const k of frontier) seen.add(k);
  }
  return [...seen];
}
