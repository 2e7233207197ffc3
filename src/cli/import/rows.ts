// Import rows as the API takes them, from attribute maps that CSV and LDIF both produce
// (lowercased attribute names → values). A row that cannot become one throws RowError.
import type { ImportGroupJson, ImportUserJson } from '../../admin/api.ts';

export type Fields = Map<string, string[]>;

export class RowError extends Error {}

/** A file's rows, plus the rows that could not be read (reported by line, never sent). */
export interface ParsedFile {
  users: ImportUserJson[];
  groups: ImportGroupJson[];
  errors: { line: number; message: string }[];
  /** Entries that are neither users nor groups (LDIF: the base DN, ou=...). */
  skipped: number;
}

export function emptyParsed(): ParsedFile {
  return { users: [], groups: [], errors: [], skipped: 0 };
}

const STRINGS = ['cn', 'sn', 'givenName', 'displayName', 'mail', 'telephoneNumber', 'title', 'homeDirectory', 'loginShell'] as const;
const NUMBERS = ['uidNumber', 'gidNumber'] as const;
const MAX_ID = 2_147_483_647;

/** Every user attribute a CSV header may name (case-insensitive). */
export const USER_COLUMNS = [
  'uid', ...STRINGS, ...NUMBERS, 'password', 'passwordHash', 'userPassword', 'groups', 'sshPublicKey', 'enabled', 'expiresAt',
] as const;

const first = (f: Fields, name: string): string | undefined => f.get(name.toLowerCase())?.find((v) => v !== '');

function integer(f: Fields, name: string): number | undefined {
  const v = first(f, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v) || Number(v) > MAX_ID) throw new RowError(`${name} "${v}" is not a whole number from 0 to ${MAX_ID}`);
  return Number(v);
}

function boolean(f: Fields, name: string): boolean | undefined {
  const v = first(f, name)?.toLowerCase();
  if (v === undefined) return undefined;
  if (['true', 'yes', '1'].includes(v)) return true;
  if (['false', 'no', '0'].includes(v)) return false;
  throw new RowError(`${name} "${v}" is not true or false`);
}

/**
 * userPassword as LDAP stores it: a {SCHEME} hash is migrated as is; anything else is a
 * plaintext password, checked against the tenant's policy and hashed by the server.
 */
function credential(f: Fields): Pick<ImportUserJson, 'password' | 'passwordHash'> {
  const password = first(f, 'password');
  const hash = first(f, 'passwordHash');
  const ldap = first(f, 'userPassword');
  if (password !== undefined) return { password };
  if (hash !== undefined) return { passwordHash: hash };
  if (ldap === undefined) return {};
  return /^\{[A-Za-z0-9.-]+\}/.test(ldap) || /^\$2[aby]\$/.test(ldap) ? { passwordHash: ldap } : { password: ldap };
}

export function importUser(f: Fields, line: number): ImportUserJson {
  const uid = first(f, 'uid');
  if (uid === undefined) throw new RowError('no uid');
  const row: ImportUserJson = { uid, line };
  for (const k of STRINGS) {
    const v = first(f, k);
    if (v !== undefined) row[k] = v;
  }
  for (const k of NUMBERS) {
    const v = integer(f, k);
    if (v !== undefined) row[k] = v;
  }
  const enabled = boolean(f, 'enabled');
  if (enabled !== undefined) row.enabled = enabled;
  const expires = first(f, 'expiresAt');
  if (expires !== undefined) {
    const d = new Date(expires);
    if (Number.isNaN(d.getTime())) throw new RowError(`expiresAt "${expires}" is not a date`);
    row.expiresAt = d.toISOString();
  }
  const keys = f.get('sshpublickey')?.filter((k) => k !== '');
  if (keys?.length) row.sshPublicKeys = keys;
  const groups = f.get('groups')?.filter((g) => g !== '');
  // An absent or empty groups column leaves memberships alone, so a re-import keeps them.
  if (groups?.length) row.groups = groups;
  return { ...row, ...credential(f) };
}

export function importGroup(name: string, line: number, f: Fields, members: { users: string[]; groups: string[] }): ImportGroupJson {
  const gid = integer(f, 'gidNumber');
  const description = first(f, 'description');
  return {
    name,
    line,
    ...(description === undefined ? {} : { description }),
    ...(gid === undefined ? {} : { gidNumber: gid }),
    ...(members.users.length ? { members: [...new Set(members.users)] } : {}),
    ...(members.groups.length ? { memberGroups: [...new Set(members.groups)] } : {}),
  };
}
