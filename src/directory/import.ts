// Bulk provisioning: one batch of users and groups, idempotent (re-importing the same rows
// changes nothing), with bad rows reported while the rest import. One read and one bulk write
// per batch, so a 100,000-user migration is a few hundred round trips.
import { InvalidInput, NotFound, isTenantdirError } from '../core/errors.ts';
import { nameKey } from '../core/ids.ts';
import type { NewGroup, NewUser, TenantStore, UserRecord } from '../store/index.ts';
import { hashScheme } from './passwords.ts';
import { withNumbers, type PosixNumbers, type UserDraft } from './posix.ts';
import type { Actor, NewGroupInput, NewUserInput } from './inputs.ts';

export interface ImportUser extends NewUserInput {
  /** Where the row came from (file line), echoed in errors. */
  line?: number;
}

export interface ImportGroup extends NewGroupInput {
  line?: number;
  /** uids of direct members. */
  members?: string[];
  /** Names of nested member groups. */
  memberGroups?: string[];
}

export interface ImportBatch {
  users?: ImportUser[];
  groups?: ImportGroup[];
}

export interface ImportRowError {
  line?: number;
  /** The uid or group name of the row. */
  name: string;
  message: string;
}

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: ImportRowError[];
}

/**
 * What an import works with, handed over by TenantDirectory.importBatch only: the directory's
 * own tenant-scoped store and checks, so that an import cannot name a tenant.
 */
export interface ImportContext {
  store: TenantStore;
  numbers: PosixNumbers;
  userDraft(input: NewUserInput): Promise<UserDraft>;
  newGroup(input: NewGroupInput): Promise<NewGroup>;
  addMember(group: string, member: { group: string }, actor: Actor): Promise<void>;
  /** Is `password` the one `stored` hashes? (checked on the hash threads) */
  samePassword(password: string, stored: string): Promise<boolean>;
  audit(actor: Actor, action: string, target: string, detail: Record<string, string>): Promise<void>;
  /** Audits many changes by one actor in one store write. */
  auditMany(actor: Actor, events: { action: string; target: string; detail: Record<string, string> }[]): Promise<void>;
}

type Fail = (row: { line?: number }, name: string, err: unknown) => void;

/** At most this many rows per batch: the API refuses larger ones. */
export const MAX_IMPORT_BATCH = 2_000;
/** The store's page cap (MAX_PAGE). */
const LOOKUP_PAGE = 1_000;

/** One batch; every user and group it creates or changes is one audit event naming it. */
export async function importBatch(ctx: ImportContext, batch: ImportBatch, actor: Actor): Promise<ImportSummary> {
  const { store } = ctx;
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, failed: 0, errors: [] };
  const fail: Fail = (row, name, err) => {
    summary.failed++;
    summary.errors.push({
      ...(row.line === undefined ? {} : { line: row.line }),
      name,
      message: isTenantdirError(err) && err.expose ? err.message : 'internal error',
    });
    if (!isTenantdirError(err)) throw err;
  };
  // Groups named by user rows must exist before the users refer to them.
  const groups = [...(batch.groups ?? [])];
  const named = new Set(groups.map((g) => nameKey(g.name)));
  for (const u of batch.users ?? []) {
    for (const g of u.groups ?? []) {
      if (!named.has(nameKey(g))) {
        named.add(nameKey(g));
        groups.push({ name: g });
      }
    }
  }
  const explicit = new Set((batch.groups ?? []).map((g) => g));
  for (const g of groups) {
    try {
      const outcome = await upsertGroup(ctx, g);
      if (explicit.has(g)) summary[outcome]++;
      if (outcome !== 'unchanged') await ctx.audit(actor, outcome === 'created' ? 'group.create' : 'group.update', g.name, { via: 'import' });
    } catch (err) {
      fail(g, g.name, err);
    }
  }
  await importUsers(ctx, batch.users ?? [], summary, fail, actor);
  for (const g of batch.groups ?? []) {
    try {
      await addMembers(store, g, fail);
    } catch (err) {
      fail(g, g.name, err);
    }
    for (const child of g.memberGroups ?? []) {
      try {
        await ctx.addMember(g.name, { group: child }, actor);
      } catch (err) {
        fail(g, g.name, err);
      }
    }
  }
  return summary;
}

/** The stored users among `uids`, by name key, a store page at a time (a batch may be larger). */
async function usersByKey(store: TenantStore, uids: string[]): Promise<Map<string, UserRecord>> {
  const found = new Map<string, UserRecord>();
  for (let i = 0; i < uids.length; i += LOOKUP_PAGE) {
    const page = uids.slice(i, i + LOOKUP_PAGE);
    for (const u of (await store.users.find({ in: 'uid', values: page }, { limit: page.length })).items) found.set(nameKey(u.uid), u);
  }
  return found;
}

/**
 * A group row's members in one write; the members that do not exist are looked up (and
 * reported) only when the write says some are missing.
 */
async function addMembers(store: TenantStore, g: ImportGroup, fail: Fail): Promise<void> {
  const members = [...new Set((g.members ?? []).map(nameKey))];
  if (members.length === 0) return;
  const added = await store.users.addMemberOfMany(members, nameKey(g.name));
  if (added === members.length) return;
  const existing = await usersByKey(store, members);
  for (const uid of members.filter((m) => !existing.has(m))) {
    fail(g, g.name, new NotFound(`member "${uid}" of group "${g.name}" does not exist`));
  }
}

async function upsertGroup({ store, newGroup }: ImportContext, g: ImportGroup): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await store.groups.get(g.name);
  if (!existing) {
    await store.groups.create(await newGroup(g));
    return 'created';
  }
  if (g.description === undefined || g.description === existing.description) return 'unchanged';
  await store.groups.update(g.name, (old) => ({ ...old, description: g.description as string }));
  return 'updated';
}

/**
 * Validates every row first (hashing its password), then allocates one block of numbers for
 * the new rows that passed and checks the explicit numbers in a few reads: a refused row
 * consumes no number. One bulk write, and one audit event per user created or changed.
 */
async function importUsers(ctx: ImportContext, rows: ImportUser[], summary: ImportSummary, fail: Fail, actor: Actor): Promise<void> {
  if (rows.length === 0) return;
  const { store, numbers } = ctx;
  const existing = await usersByKey(store, rows.map((r) => r.uid));
  const drafts: { row: ImportUser; draft: UserDraft; old?: UserRecord }[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const key = nameKey(row.uid);
    try {
      if (seen.has(key)) throw new InvalidInput(`uid "${row.uid}" appears twice in this batch`);
      seen.add(key);
      const old = existing.get(key);
      drafts.push({ row, draft: await ctx.userDraft(row), ...(old ? { old } : {}) });
    } catch (err) {
      fail(row, row.uid, err);
    }
  }
  const given = drafts.filter((d) => !d.old && d.row.uidNumber !== undefined);
  const refused = await numbers.userConflicts(given.map(({ row }) => ({
    uid: row.uid, uidNumber: row.uidNumber as number, gidNumber: row.gidNumber ?? (row.uidNumber as number),
  })));
  const accepted = drafts.filter(({ row }) => {
    const why = refused.get(nameKey(row.uid));
    if (why) fail(row, row.uid, why);
    return why === undefined;
  });
  const fresh = accepted.filter((d) => !d.old && d.row.uidNumber === undefined).length;
  let next = fresh > 0 ? await numbers.allocate(fresh) : 0;
  let highest = 0;
  const writes: NewUser[] = [];
  const changes: { uid: string; created: boolean }[] = [];
  for (const { row, draft, old } of accepted) {
    // A re-import keeps the stored numbers unless the row gives a primary gidNumber.
    const built = withNumbers(draft, old?.uidNumber ?? row.uidNumber ?? next++, row.gidNumber ?? old?.gidNumber);
    const record = old ? await keepStable(ctx, built, old, row) : built;
    if (old && sameUser(old, record)) {
      summary.unchanged++;
      continue;
    }
    if (!old) highest = Math.max(highest, row.uidNumber ?? 0, row.gidNumber ?? 0);
    writes.push(record);
    changes.push({ uid: record.uid, created: !old });
    summary[old ? 'updated' : 'created']++;
  }
  if (writes.length === 0) return;
  await store.users.upsertMany(writes);
  // Numbers given explicitly are never allocated later (a primary gidNumber too: it may be no group's yet).
  if (highest > 0) await numbers.reserveThrough(highest);
  await ctx.auditMany(actor, changes.map((c) => ({ action: c.created ? 'user.create' : 'user.update', target: c.uid, detail: { via: 'import' } })));
}

/**
 * What a re-import keeps from the stored user: identity, TOTP and app passwords, and the stored credentials when the
 * row's password or hash is the one already in effect (a fresh bcrypt salt is not a change), or
 * when the row brings a migrated hash ({SSHA}, {CRYPT}, ...) for a user who has a password: the
 * first login re-hashes it to bcrypt, and re-importing the old dump must not downgrade that.
 */
async function keepStable(ctx: ImportContext, built: NewUser, old: UserRecord, row: ImportUser): Promise<NewUser> {
  const next: NewUser = { ...built, entryUUID: old.entryUUID, createdAt: old.createdAt, uidNumber: old.uidNumber };
  // An import never carries second factors or app passwords: those it finds stay as they are.
  if (old.totp) next.totp = old.totp;
  if (old.appPasswords) next.appPasswords = old.appPasswords;
  if (row.groups === undefined) next.memberOf = old.memberOf;
  const stored = old.credentials;
  if (!stored) return next;
  if (row.password === undefined && row.passwordHash === undefined) next.credentials = stored;
  else if (row.passwordHash !== undefined && (row.passwordHash === stored.passwordHash || hashScheme(row.passwordHash) !== 'bcrypt')) {
    next.credentials = stored;
  }
  else if (row.password !== undefined && (await ctx.samePassword(row.password, stored.passwordHash))) next.credentials = stored;
  return next;
}

const COMPARED = [
  'cn', 'sn', 'givenName', 'displayName', 'mail', 'telephoneNumber', 'title', 'uidNumber', 'gidNumber',
  'homeDirectory', 'loginShell', 'enabled',
] as const;

function sameUser(a: UserRecord, b: NewUser): boolean {
  if (COMPARED.some((k) => a[k] !== b[k])) return false;
  if (a.expiresAt?.getTime() !== b.expiresAt?.getTime()) return false;
  if (a.sshPublicKeys.join('\n') !== b.sshPublicKeys.join('\n')) return false;
  if ([...a.memberOf].sort().join(',') !== [...b.memberOf].sort().join(',')) return false;
  return a.credentials?.passwordHash === b.credentials?.passwordHash;
}
