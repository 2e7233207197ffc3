// Nested groups: walks over the group graph, bounded so a hostile or corrupt graph cannot make
// a request loop. Edges are stored on the parent (memberGroups = children).
import type { GroupRepo } from '../store/index.ts';

/** Depth and breadth bounds for every walk. */
const MAX_GROUPS = 10_000;
const BATCH = 500;

/** `start` and every group nested below it (children, grandchildren, ...): name keys. */
export async function descendantGroups(groups: GroupRepo, start: string): Promise<string[]> {
  return walk(start ? [start] : [], async (frontier) => {
    const found = await groups.find({ in: 'name', values: frontier }, { limit: MAX_GROUPS });
    return found.items.flatMap((g) => g.memberGroups);
  });
}

/** `direct` and every group that contains one of them, at any depth: name keys. */
export async function ancestorGroups(groups: GroupRepo, direct: readonly string[]): Promise<string[]> {
  return walk(direct, async (frontier) => {
    const found = await groups.find({ hasMemberGroup: frontier }, { limit: MAX_GROUPS });
    return found.items.map((g) => g.name.toLowerCase());
  });
}

/** Would making `child` a member of `parent` close a cycle (parent already below child)? */
export async function wouldCycle(groups: GroupRepo, parent: string, child: string): Promise<boolean> {
  if (parent === child) return true;
  return (await descendantGroups(groups, child)).includes(parent);
}

async function walk(start: readonly string[], next: (frontier: string[]) => Promise<string[]>): Promise<string[]> {
  const seen = new Set(start);
  let frontier = [...seen];
  while (frontier.length > 0 && seen.size < MAX_GROUPS) {
    const found: string[] = [];
    for (let i = 0; i < frontier.length; i += BATCH) found.push(...(await next(frontier.slice(i, i + BATCH))));
    frontier = found.filter((k) => !seen.has(k));
    for (const k of frontier) seen.add(k);
  }
  return [...seen];
}
