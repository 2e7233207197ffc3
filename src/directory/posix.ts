// POSIX numbers. uidNumbers and gidNumbers come from ONE counter per tenant ('posixId'), so a
// user's private group (gidNumber = uidNumber, the default) can never be the number of a real
// group: before, both counters started at 10000 and user 10001's primary group was group
// 10001's (`id bob` said gid=10001(admins)). Numbers given explicitly (a migration, the API,
// LDAP add) are checked against the stored ones and refused when they would collide.
//
// The counter starts at max(uidNumberStart, gidNumberStart), so that no user is numbered below
// uidNumberStart and no group below gidNumberStart. A tenant that used the two counters of
// earlier versions continues past both of them.
import type { TenantConfig } from '../config/index.ts';
import { Conflict } from '../core/errors.ts';
import { nameKey } from '../core/ids.ts';
import type { GroupRecord, NewUser, PageResult, TenantStore, UserRecord } from '../store/index.ts';

export const POSIX_COUNTER = 'posixId';
/** The counters of earlier versions: one for users, one for groups. */
const LEGACY_COUNTERS = ['uidNumber', 'gidNumber'] as const;
/** The store's page cap: `in` queries go in chunks of this many values. */
const CHUNK = 1000;

/** A new user's record before it gets its numbers (allocated only once every check passed). */
export type UserDraft = Omit<NewUser, 'uidNumber' | 'gidNumber'>;

/** A draft with its numbers: the primary group is the user's private group unless one is given. */
export function withNumbers(draft: UserDraft, uidNumber: number, gidNumber?: number): NewUser {
  return { ...draft, uidNumber, gidNumber: gidNumber ?? uidNumber };
}

export interface UserNumbers {
  uid: string;
  uidNumber: number;
  gidNumber: number;
}

/** Every record a query matches, page by page (queries here match few records). */
export async function everyPage<T>(find: (after: string | undefined) => Promise<PageResult<T>>): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  do {
    const page = await find(after);
    for (const item of page.items) out.push(item);
    after = page.next;
  } while (after !== undefined);
  return out;
}

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

const isPrivate = (u: Pick<UserRecord, 'uidNumber' | 'gidNumber'>): boolean => u.uidNumber === u.gidNumber;

export class PosixNumbers {
  /** The counter's first number; only read while the counter does not exist yet. */
  private start: Promise<number> | undefined;

  constructor(
    private readonly store: TenantStore,
    private readonly posix: TenantConfig['posix'],
  ) {}

  /** Reserves `count` consecutive numbers for new users or groups and returns the first. */
  async allocate(count = 1): Promise<number> {
    return this.store.sequences.next(POSIX_COUNTER, await this.first(), count);
  }

  /**
   * Moves the counter past a number given explicitly, so that no later allocation hands it out
   * again (a user's private group included). Gaps are fine; reuse is not.
   */
  async reserveThrough(highest: number): Promise<void> {
    const start = await this.first();
    const next = (await this.store.sequences.peek(POSIX_COUNTER)) ?? start;
    if (highest < next) return;
    // Another allocation in between only moves our block further up: still past `highest`.
    await this.store.sequences.next(POSIX_COUNTER, start, highest - next + 1);
  }

  /**
   * Refuses a new user's explicit numbers when its uidNumber is another user's, or when its
   * private group (gidNumber = uidNumber) is a group's gidNumber.
   */
  async checkUser(u: UserNumbers): Promise<void> {
    const conflict = (await this.userConflicts([u])).get(nameKey(u.uid));
    if (conflict) throw conflict;
  }

  /** The same for many new users (an import batch) in a few reads: uid key → why it is refused. */
  async userConflicts(rows: UserNumbers[]): Promise<Map<string, Conflict>> {
    const out = new Map<string, Conflict>();
    if (rows.length === 0) return out;
    const users = new Map<number, UserRecord>();
    for (const values of chunks([...new Set(rows.map((r) => r.uidNumber))])) {
      for (const u of await everyPage((after) => this.store.users.find({ in: 'uidNumber', values }, { limit: CHUNK, ...(after === undefined ? {} : { after }) }))) {
        if (!users.has(u.uidNumber)) users.set(u.uidNumber, u);
      }
    }
    const groups = await this.groupsWith(rows.filter(isPrivate).map((r) => r.uidNumber));
    const taken = new Map<number, string>();
    for (const r of rows) {
      const key = nameKey(r.uid);
      const user = users.get(r.uidNumber);
      const group = isPrivate(r) ? groups.get(r.uidNumber) : undefined;
      const earlier = taken.get(r.uidNumber);
      if (user && nameKey(user.uid) !== key) out.set(key, uidTaken(r.uidNumber, user.uid));
      else if (earlier !== undefined) out.set(key, uidTaken(r.uidNumber, earlier));
      else if (group) {
        out.set(key, new Conflict(
          `uidNumber ${r.uidNumber} is the gidNumber of group "${group.name}": the private group of "${r.uid}" would be "${group.name}"`,
          { hint: 'leave uidNumber out to get the next free number, or give a gidNumber for the primary group' },
        ));
      } else taken.set(r.uidNumber, r.uid);
    }
    return out;
  }

  /**
   * Refuses a new group's explicit gidNumber when it is another group's, or a user's private
   * group: that user's files would belong to the group.
   */
  async checkGroup(name: string, gidNumber: number): Promise<void> {
    const group = (await this.groupsWith([gidNumber])).get(gidNumber);
    if (group && nameKey(group.name) !== nameKey(name)) {
      throw new Conflict(`gidNumber ${gidNumber} is taken by group "${group.name}"`, {
        hint: 'leave gidNumber out to get the next free number',
      });
    }
    const [owner] = (await this.store.users.find({ and: [{ eq: 'uidNumber', value: gidNumber }, { eq: 'gidNumber', value: gidNumber }] }, { limit: 1 })).items;
    if (owner) {
      throw new Conflict(`gidNumber ${gidNumber} is the private group of user "${owner.uid}" (uidNumber ${gidNumber})`, {
        hint: 'leave gidNumber out to get the next free number',
      });
    }
  }

  private async groupsWith(numbers: number[]): Promise<Map<number, GroupRecord>> {
    const out = new Map<number, GroupRecord>();
    for (const values of chunks([...new Set(numbers)])) {
      for (const g of await everyPage((after) => this.store.groups.find({ in: 'gidNumber', values }, { limit: CHUNK, ...(after === undefined ? {} : { after }) }))) {
        if (!out.has(g.gidNumber)) out.set(g.gidNumber, g);
      }
    }
    return out;
  }

  /** max(uidNumberStart, gidNumberStart), and past the counters of earlier versions. */
  private first(): Promise<number> {
    this.start ??= (async () => {
      const floor = Math.max(this.posix.uidNumberStart, this.posix.gidNumberStart);
      if ((await this.store.sequences.peek(POSIX_COUNTER)) !== undefined) return floor;
      const legacy = await Promise.all(LEGACY_COUNTERS.map((c) => this.store.sequences.peek(c)));
      return Math.max(floor, ...legacy.map((n) => n ?? 0));
    })().catch((err: unknown) => {
      this.start = undefined;
      throw err;
    });
    return this.start;
  }
}

function uidTaken(n: number, uid: string): Conflict {
  return new Conflict(`uidNumber ${n} is taken by user "${uid}"`, { hint: 'leave uidNumber out to get the next free number' });
}
