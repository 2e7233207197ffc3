// Bulk provisioning: one batch of users and groups, idempotent (re-importing the same rows
// changes nothing), with bad rows reported while the rest import. One read and one bulk write
// per batch, so a 100,000-user migration is a few hundred round trips.
import { InvalidInput, NotFound, isTenantdirError } from '../core/errors.ts';
import { nameKey } from '../core/ids.ts';
import type { NewUser, TenantStore, UserRecord } from '../store/index.ts';
import { hashScheme, verifyPassword } from './passwords.ts';
import type { Actor, NewGroupInput, NewUserInput, TenantDirectory } from './tenant-directory.ts';

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

/** At most this many rows per batch: the API refuses larger ones. */
export const MAX_IMPORT_BATCH = 2_000;
/** The store's page cap (MAX_PAGE). */
const LOOKUP_PAGE = 1_000;

export async function importBatch(dir: TenantDirectory, store: TenantStore, batch: ImportBatch, actor: Actor): Promise<ImportSummary> {
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, failed: 0, errors: [] };
  const fail = (row: { line?: number }, name: string, err: unknown): void => {
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
      const outcome = await upsertGroup(dir, store, g);
      if (explicit.has(g)) summary[outcome]++;
    } catch (err) {
      fail(g, g.name, err);
    }
  }
  await importUsers(dir, store, batch.users ?? [], summary, fail);
  for (const g of batch.groups ?? []) {
    try {
      await addMembers(store, g, fail);
    } catch (err) {
      fail(g, g.name, err);
    }
    for (const child of g.memberGroups ?? []) {
      try {
        await dir.addMember(g.name, { group: child }, actor);
      } catch (err) {
        fail(g, g.name, err);
      }
    }
  }
  await dir.audit(actor, 'import', undefined, summary.failed > 0 ? 'failed' : 'ok', {
    created: String(summary.created), updated: String(summary.updated), unchanged: String(summary.unchanged), failed: String(summary.failed),
  });
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
async function addMembers(store: TenantStore, g: ImportGroup, fail: (row: { line?: number }, name: string, err: unknown) => void): Promise<void> {
  const members = [...new Set((g.members ?? []).map(nameKey))];
  if (members.length === 0) return;
  const added = await store.users.addMemberOfMany(members, nameKey(g.name));
  if (added === members.length) return;
  const existing = await usersByKey(store, members);
  for (const uid of members.filter((m) => !existing.has(m))) {
    fail(g, g.name, new NotFound(`member "${uid}" of group "${g.name}" does not exist`));
  }
}

async function upsertGroup(dir: TenantDirectory, store: TenantStore, g: ImportGroup): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await store.groups.get(g.name);
  if (!existing) {
    await store.groups.create(await dir.buildGroup(g));
    return 'created';
  }
  if (g.description === undefined || g.description === existing.description) return 'unchanged';
  await store.groups.update(g.name, (old) => ({ ...old, description: g.description as string }));
  return 'updated';
}

async function importUsers(
  dir: TenantDirectory,
  store: TenantStore,
  rows: ImportUser[],
  summary: ImportSummary,
  fail: (row: { line?: number }, name: string, err: unknown) => void,
): Promise<void> {
  if (rows.length === 0) return;
  const existing = await usersByKey(store, rows.map((r) => r.uid));
  const fresh = rows.filter((r) => !existing.has(nameKey(r.uid)) && r.uidNumber === undefined).length;
  const given = rows.filter((r) => !existing.has(nameKey(r.uid)) && r.uidNumber !== undefined).map((r) => r.uidNumber as number);
  if (given.length > 0) await dir.reserveThrough('uidNumber', Math.max(...given));
  let nextNumber = fresh > 0 ? await store.sequences.next('uidNumber', dir.tenant.posix.uidNumberStart, fresh) : 0;
  const writes: NewUser[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const key = nameKey(row.uid);
    try {
      if (seen.has(key)) throw new InvalidInput(`uid "${row.uid}" appears twice in this batch`);
      seen.add(key);
      const old = existing.get(key);
      const number = old?.uidNumber ?? row.uidNumber ?? nextNumber++;
      const built = await dir.buildUser({ ...row, uidNumber: row.uidNumber ?? number }, number);
      const next = old ? await keepStable(built, old, row) : built;
      if (old && sameUser(old, next)) {
        summary.unchanged++;
        continue;
      }
      writes.push(next);
      summary[old ? 'updated' : 'created']++;
    } catch (err) {
      fail(row, row.uid, err);
    }
  }
  if (writes.length > 0) await store.users.upsertMany(writes);
}

/**
 * What a re-import keeps from the stored user: identity, and the stored credentials when the
 * row's password or hash is the one already in effect (a fresh bcrypt salt is not a change), or
 * when the row brings a migrated hash ({SSHA}, {CRYPT}, ...) for a user who has a password: the
 * first login re-hashes it to bcrypt, and re-importing the old dump must not downgrade that.
 */
async function keepStable(built: NewUser, old: UserRecord, row: ImportUser): Promise<NewUser> {
  const next: NewUser = { ...built, entryUUID: old.entryUUID, createdAt: old.createdAt, uidNumber: old.uidNumber };
  if (row.groups === undefined) next.memberOf = old.memberOf;
  const stored = old.credentials;
  if (!stored) return next;
  if (row.password === undefined && row.passwordHash === undefined) next.credentials = stored;
  else if (row.passwordHash !== undefined && (row.passwordHash === stored.passwordHash || hashScheme(row.passwordHash) !== 'bcrypt')) {
    next.credentials = stored;
  }
  else if (row.password !== undefined && (await verifyPassword(row.password, stored.passwordHash)).ok) next.credentials = stored;
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
