// A tenant's tree as LDAP entries (CONTRACT.md "Directory layout"): where a DN lies in it, and the
// entry for each position. Virtual attributes that need the store (memberOf, member, memberUid)
// are computed only when a filter or the requested attributes need them.
import { createHash } from 'node:crypto';
import type { TenantConfig } from '../config/index.ts';
import { escapeDnValue, parseDn } from '../core/dn.ts';
import { nameKey } from '../core/ids.ts';
import type { Group, TenantDirectory, User } from '../directory/index.ts';
import { at, type AttributeType } from './schema.ts';

const OUS = ['people', 'groups', 'services'] as const;
export type Ou = (typeof OUS)[number];

/** Where a DN inside a tenant lies in its tree. `none`: no entry can be there. */
export type Position =
  | { kind: 'base' }
  | { kind: 'ou'; ou: Ou }
  | { kind: 'user'; uid: string }
  | { kind: 'group'; name: string }
  | { kind: 'service'; name: string }
  | { kind: 'none'; matched: string };

const CHILD: Record<Ou, { type: string; kind: 'user' | 'group' | 'service' }> = {
  people: { type: 'uid', kind: 'user' },
  groups: { type: 'cn', kind: 'group' },
  services: { type: 'cn', kind: 'service' },
};

/** `dn` must be within the tenant's base (checked by the caller on the normal form). */
const baseDepths = new WeakMap<TenantConfig, number>();

/** How many RDNs the tenant's base has (parsed once per loaded config). */
function baseDepth(t: TenantConfig): number {
  let n = baseDepths.get(t);
  if (n === undefined) baseDepths.set(t, (n = parseDn(t.baseDN).length));
  return n;
}

export function locate(t: TenantConfig, dn: string): Position {
  const rdns = parseDn(dn);
  const below = rdns.slice(0, rdns.length - baseDepth(t));
  const top = below[below.length - 1];
  if (!top) return { kind: 'base' };
  const ou = top.type === 'ou' ? OUS.find((o) => o === top.value.toLowerCase()) : undefined;
  if (!ou) return { kind: 'none', matched: t.baseDN };
  if (below.length === 1) return { kind: 'ou', ou };
  const leaf = below[0];
  const child = CHILD[ou];
  if (below.length === 2 && leaf && leaf.type === child.type) {
    return child.kind === 'user' ? { kind: 'user', uid: leaf.value } : { kind: child.kind, name: leaf.value };
  }
  return { kind: 'none', matched: ouDn(t, ou) };
}

const ouDn = (t: TenantConfig, ou: Ou): string => `ou=${ou},${t.baseDN}`;
export const userDn = (t: TenantConfig, uid: string): string => `uid=${escapeDnValue(uid)},ou=people,${t.baseDN}`;
export const groupDn = (t: TenantConfig, name: string): string => `cn=${escapeDnValue(name)},ou=groups,${t.baseDN}`;
export const serviceDn = (t: TenantConfig, name: string): string => `cn=${escapeDnValue(name)},ou=services,${t.baseDN}`;

/** The normal form of a DN we built ourselves: cheaper than normalizeDn, and equal to it. */
function normOf(t: TenantConfig, type: string, value: string, parent?: Ou): string {
  return `${type}=${escapeDnValue(value.toLowerCase())},${parent ? `ou=${parent},` : ''}${t.baseDNNorm}`;
}

export type EntryKind = 'base' | 'ou' | 'user' | 'group' | 'service';

export interface DirEntry {
  kind: EntryKind;
  dn: string;
  /** Normal form of dn. */
  norm: string;
  attrs: Map<AttributeType, string[]>;
}

const A = {
  objectClass: at('objectClass'), cn: at('cn'), sn: at('sn'), givenName: at('givenName'), displayName: at('displayName'),
  mail: at('mail'), telephoneNumber: at('telephoneNumber'), title: at('title'), description: at('description'),
  uid: at('uid'), uidNumber: at('uidNumber'), gidNumber: at('gidNumber'), gecos: at('gecos'),
  homeDirectory: at('homeDirectory'), loginShell: at('loginShell'), shadowLastChange: at('shadowLastChange'),
  shadowMax: at('shadowMax'), shadowExpire: at('shadowExpire'), memberUid: at('memberUid'), sshPublicKey: at('sshPublicKey'),
  member: at('member'), memberOf: at('memberOf'), dc: at('dc'), o: at('o'), ou: at('ou'),
  entryUUID: at('entryUUID'), createTimestamp: at('createTimestamp'), modifyTimestamp: at('modifyTimestamp'),
  entryDN: at('entryDN'), hasSubordinates: at('hasSubordinates'), subschemaSubentry: at('subschemaSubentry'),
  structuralObjectClass: at('structuralObjectClass'),
};

export const SUBSCHEMA_DN = 'cn=Subschema';

/** Which attributes each kind of entry can have: a filter on any other cannot match it. */
export const KIND_ATTRIBUTES: Record<EntryKind, ReadonlySet<AttributeType>> = (() => {
  const common = [A.objectClass, A.entryUUID, A.entryDN, A.hasSubordinates, A.subschemaSubentry, A.structuralObjectClass];
  const stamped = [...common, A.createTimestamp, A.modifyTimestamp];
  return {
    base: new Set([...common, A.dc, A.o]),
    ou: new Set([...common, A.ou]),
    service: new Set([...common, A.cn]),
    user: new Set([...stamped, A.uid, A.cn, A.sn, A.givenName, A.displayName, A.mail, A.telephoneNumber, A.title,
      A.uidNumber, A.gidNumber, A.gecos, A.homeDirectory, A.loginShell, A.shadowLastChange, A.shadowMax, A.shadowExpire,
      A.sshPublicKey, A.memberOf]),
    group: new Set([...stamped, A.cn, A.description, A.gidNumber, A.member, A.memberUid]),
  };
})();

export const KIND_CLASSES: Record<EntryKind, readonly string[]> = {
  base: ['top', 'dcObject', 'organization'],
  ou: ['top', 'organizationalUnit'],
  service: ['top', 'applicationProcess'],
  user: ['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'posixAccount', 'shadowAccount'],
  group: ['top', 'groupOfNames', 'posixGroup'],
};

const DAY_MS = 86_400_000;

function generalizedTime(d: Date): string {
  const iso = d.toISOString(); // 2024-05-06T07:08:09.123Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** A stable entryUUID for the entries that have no record (base, ous, services): name-based. */
function nameUuid(norm: string): string {
  const h = createHash('sha1').update(`tenantdir:${norm}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

function entry(kind: EntryKind, dn: string, norm: string, pairs: [AttributeType, (string | number | undefined)[]][], children: boolean, structural: string, keep?: (a: AttributeType) => boolean): DirEntry {
  const attrs = new Map<AttributeType, string[]>();
  for (const [a, vs] of pairs) {
    if (keep && !keep(a)) continue;
    const values = vs.filter((v): v is string | number => v !== undefined && v !== '').map(String);
    if (values.length > 0) attrs.set(a, values);
  }
  attrs.set(A.entryDN, [dn]);
  attrs.set(A.hasSubordinates, [children ? 'TRUE' : 'FALSE']);
  attrs.set(A.subschemaSubentry, [SUBSCHEMA_DN]);
  attrs.set(A.structuralObjectClass, [structural]);
  if (!attrs.has(A.entryUUID)) attrs.set(A.entryUUID, [nameUuid(norm)]);
  return { kind, dn, norm, attrs };
}

/**
 * Entries made from the configuration alone (base, ous, services), built once per loaded
 * TenantConfig: a reload makes new config objects, and these go with the old ones.
 */
const fixedEntries = new WeakMap<TenantConfig, Map<string, DirEntry>>();

function fixedEntry(t: TenantConfig, key: string, make: () => DirEntry): DirEntry {
  let m = fixedEntries.get(t);
  if (!m) fixedEntries.set(t, (m = new Map()));
  let e = m.get(key);
  if (!e) m.set(key, (e = make()));
  return e;
}

export function baseEntry(t: TenantConfig): DirEntry {
  return fixedEntry(t, '', () => {
    const dc = parseDn(t.baseDN)[0];
    return entry('base', t.baseDN, t.baseDNNorm, [
      [A.objectClass, [...KIND_CLASSES.base]],
      [A.dc, [dc?.type === 'dc' ? dc.value : t.id]],
      [A.o, [t.name]],
    ], true, 'organization');
  });
}

export function ouEntry(t: TenantConfig, ou: Ou): DirEntry {
  return fixedEntry(t, `ou=${ou}`, () =>
    entry('ou', ouDn(t, ou), normOf(t, 'ou', ou), [[A.objectClass, [...KIND_CLASSES.ou]], [A.ou, [ou]]], true, 'organizationalUnit'));
}

export function serviceEntry(t: TenantConfig, name: string): DirEntry {
  return fixedEntry(t, `cn=${nameKey(name)}`, () => entry('service', serviceDn(t, name), normOf(t, 'cn', name, 'services'), [
    [A.objectClass, [...KIND_CLASSES.service]], [A.cn, [name]],
  ], false, 'applicationProcess'));
}

/** What a user or group entry needs from the store beyond its record. */
export interface Expansion {
  memberOf?: boolean;
  member?: boolean;
  memberUid?: boolean;
  /** The attributes the caller will read (filter and selection); absent: all of them. */
  keep?: (a: AttributeType) => boolean;
}

export async function userEntry(t: TenantConfig, dir: TenantDirectory, u: User, need: Expansion): Promise<DirEntry> {
  const maxAge = t.passwordPolicy.maxAgeDays;
  // A disabled account shows as expired since 1970, so shadow-aware clients (pam_unix, SSSD) refuse it too.
  const shadowExpire = !u.enabled ? 1 : u.expiresAt ? Math.floor(u.expiresAt.getTime() / DAY_MS) : undefined;
  const classes = [...KIND_CLASSES.user, ...(u.sshPublicKeys.length > 0 ? ['ldapPublicKey'] : [])];
  const groups = need.memberOf ? await dir.groupsOf(u) : [];
  return entry('user', userDn(t, u.uid), normOf(t, 'uid', u.uid, 'people'), [
    [A.objectClass, classes],
    [A.uid, [u.uid]], [A.cn, [u.cn]], [A.sn, [u.sn]], [A.givenName, [u.givenName]], [A.displayName, [u.displayName]],
    [A.mail, [u.mail]], [A.telephoneNumber, [u.telephoneNumber]], [A.title, [u.title]],
    [A.uidNumber, [u.uidNumber]], [A.gidNumber, [u.gidNumber]], [A.gecos, [u.cn]],
    [A.homeDirectory, [u.homeDirectory]], [A.loginShell, [u.loginShell]],
    [A.shadowLastChange, [u.passwordChangedAt ? Math.floor(u.passwordChangedAt.getTime() / DAY_MS) : undefined]],
    [A.shadowMax, [maxAge > 0 ? maxAge : undefined]],
    [A.shadowExpire, [shadowExpire]],
    [A.sshPublicKey, u.sshPublicKeys],
    [A.memberOf, groups.map((g) => groupDn(t, g))],
    [A.entryUUID, [u.entryUUID]],
    [A.createTimestamp, [generalizedTime(u.createdAt)]],
    [A.modifyTimestamp, [generalizedTime(u.modifiedAt)]],
  ], false, 'inetOrgPerson', need.keep);
}

/** Upper bound on members listed in one group entry; larger groups are cut here (and logged). */
const MAX_MEMBERS = 10_000;

/** Pages through users until the end or MAX_MEMBERS. */
export async function collectUsers(page: (after: string | undefined) => Promise<{ items: User[]; next?: string }>): Promise<User[]> {
  const out: User[] = [];
  let after: string | undefined;
  do {
    const r = await page(after);
    out.push(...r.items);
    after = r.next;
  } while (after !== undefined && out.length < MAX_MEMBERS);
  return out;
}

export async function groupEntry(t: TenantConfig, dir: TenantDirectory, g: Group, need: Expansion): Promise<DirEntry> {
  const key = nameKey(g.name);
  const page = (after: string | undefined): { limit: number; after?: string } => ({ limit: 1000, ...(after ? { after } : {}) });
  const direct = need.member ? await collectUsers((after) => dir.findUsers({ memberOf: [key] }, page(after))) : [];
  const all = need.memberUid ? await collectUsers((after) => dir.membersOf(key, page(after))) : [];
  return entry('group', groupDn(t, g.name), normOf(t, 'cn', g.name, 'groups'), [
    [A.objectClass, [...KIND_CLASSES.group]],
    [A.cn, [g.name]], [A.description, [g.description]], [A.gidNumber, [g.gidNumber]],
    [A.member, [...direct.map((u) => userDn(t, u.uid)), ...g.memberGroups.map((c) => groupDn(t, c))]],
    [A.memberUid, all.map((u) => u.uid)],
    [A.entryUUID, [g.entryUUID]],
    [A.createTimestamp, [generalizedTime(g.createdAt)]],
    [A.modifyTimestamp, [generalizedTime(g.modifiedAt)]],
  ], false, 'groupOfNames', need.keep);
}

/** The entry at an existing position; users and groups need their record. */
export function entryAt(t: TenantConfig, dir: TenantDirectory, pos: Exclude<Position, { kind: 'none' }>, record: User | Group | undefined, need: Expansion): Promise<DirEntry> {
  switch (pos.kind) {
    case 'base':
      return Promise.resolve(baseEntry(t));
    case 'ou':
      return Promise.resolve(ouEntry(t, pos.ou));
    case 'service':
      return Promise.resolve(serviceEntry(t, pos.name));
    default:
      if (!record) throw new Error(`no record for ${pos.kind} entry`);
      return 'uid' in record ? userEntry(t, dir, record, need) : groupEntry(t, dir, record, need);
  }
}
