// Add, modify, delete and rename (modrdn) of users and groups, for service accounts with `access: write`. Every
// change is checked against what we serve (unknown attributes and object classes are refused
// with a clear error) and applied through the directory, which validates and audits it.
import type { TenantConfig } from '../config/index.ts';
import { normalizeDn, parseDn, tryNormalizeDn, type Rdn } from '../core/dn.ts';
import { hasCode, isTenantdirError } from '../core/errors.ts';
import { nameKey } from '../core/ids.ts';
import type { Actor, NewUserInput, TenantDirectory, User, UserFields } from '../directory/index.ts';
import { KIND_CLASSES, collectUsers, locate, type Position } from './entries.ts';
import { RC, type AttributeValues, type Modification, type Request, type Result } from './protocol.ts';
import { SECRET_ATTRIBUTES, attributeType } from './schema.ts';

export type WriteRequest = Extract<Request, { op: 'add' | 'delete' | 'modify' | 'modrdn' }>;

/** Resolves a DN value (member) to a tenant the client may see, as the front does for targets. */
type Visible = (dn: string) => { tenant: TenantConfig } | Result;

class Refusal extends Error {
  constructor(readonly result: Result) {
    super(result.message);
  }
}

const refuse = (code: Result['code'], message: string): never => {
  throw new Refusal({ code, message });
};

/** User attributes a client may write, by schema name → the directory's field. */
const USER_FIELDS: Record<string, keyof UserFields | 'uidNumber' | 'gidNumber' | 'uid'> = {
  cn: 'cn', sn: 'sn', givenName: 'givenName', displayName: 'displayName', mail: 'mail',
  telephoneNumber: 'telephoneNumber', title: 'title', homeDirectory: 'homeDirectory', loginShell: 'loginShell',
  sshPublicKey: 'sshPublicKeys', uidNumber: 'uidNumber', gidNumber: 'gidNumber', uid: 'uid',
};
const GROUP_ATTRIBUTES = new Set(['cn', 'description', 'gidNumber', 'member', 'memberUid']);

/** The schema name of a requested attribute, or a refusal that says why it cannot be written. */
function writable(type: string, allowed: (name: string) => boolean): string {
  const lower = type.toLowerCase();
  if (lower === 'userpassword') return 'userPassword';
  if (SECRET_ATTRIBUTES.has(lower)) refuse(RC.unwillingToPerform, `${type} cannot be written over LDAP`);
  const a = attributeType(type);
  if (!a) return refuse(RC.undefinedAttributeType, `attribute ${type} is not served by this directory`);
  if (a.name === 'objectClass') return a.name;
  if (a.operational) refuse(RC.constraintViolation, `${a.name} is operational and cannot be written`);
  if (!allowed(a.name)) refuse(RC.unwillingToPerform, `${a.name} cannot be written on this entry${a.name === 'memberOf' ? ": change the group's member attribute instead" : ''}`);
  return a.name;
}

function checkClasses(values: string[], kind: 'user' | 'group'): void {
  const served = new Set([...KIND_CLASSES[kind], ...(kind === 'user' ? ['ldapPublicKey'] : [])].map((c) => c.toLowerCase()));
  const unknown = values.find((v) => !served.has(v.toLowerCase()));
  if (unknown) refuse(RC.objectClassViolation, `object class ${unknown} is not served for ${kind}s; use ${[...served].join(', ')}`);
}

function single(name: string, values: string[]): string {
  if (values.length !== 1) refuse(RC.constraintViolation, `${name} takes exactly one value`);
  return values[0] as string;
}

function integer(name: string, values: string[]): number {
  const v = single(name, values);
  if (!/^\d{1,10}$/.test(v)) refuse(RC.invalidAttributeSyntax, `${name} must be a non-negative integer`);
  return Number(v);
}

/** The directory's typed errors as LDAP results; anything else is a bug and propagates. */
function fromError(err: unknown, op: WriteRequest['op']): Result {
  if (err instanceof Refusal) return err.result;
  if (!isTenantdirError(err) || !err.expose) throw err;
  if (hasCode(err, 'TD_NOT_FOUND')) return { code: RC.noSuchObject, message: 'no such object' };
  if (hasCode(err, 'TD_CONFLICT') && (op === 'add' || op === 'modrdn')) return { code: RC.entryAlreadyExists, message: err.message };
  if (hasCode(err, 'TD_STORE_UNAVAILABLE')) throw err;
  return { code: RC.constraintViolation, message: err.message };
}

export async function applyWrite(dir: TenantDirectory, t: TenantConfig, r: WriteRequest, actor: Actor, visible: Visible): Promise<Result> {
  try {
    const pos = locate(t, r.dn);
    if (pos.kind !== 'user' && pos.kind !== 'group') {
      return refuse(pos.kind === 'none' ? RC.namingViolation : RC.unwillingToPerform,
        `only users (uid=...,ou=people,${t.baseDN}) and groups (cn=...,ou=groups,${t.baseDN}) can be written`);
    }
    const member = memberResolver(t, visible);
    switch (r.op) {
      case 'add':
        if (pos.kind === 'user') await addUser(dir, pos.uid, r.attributes, actor);
        else await addGroup(dir, pos.name, r.attributes, actor, member);
        break;
      case 'delete':
        if (pos.kind === 'user') await dir.deleteUser(pos.uid, actor);
        else await dir.deleteGroup(pos.name, actor);
        break;
      case 'modify':
        if (pos.kind === 'user') await modifyUser(dir, pos.uid, r.changes, actor);
        else await modifyGroup(dir, pos.name, r.changes, actor, member);
        break;
      case 'modrdn':
        await rename(dir, t, pos, r, actor);
        break;
    }
    return { code: RC.success };
  } catch (err) {
    const result = fromError(err, r.op);
    await dir.audit(actor, `ldap.${r.op}`, r.dn, 'refused', { reason: result.message ?? String(result.code) });
    return result;
  }
}

type Member = { user: string } | { group: string };

/** A member DN → a user or group of this tenant; anything else is refused alike (it may be another tenant's). */
function memberResolver(t: TenantConfig, visible: Visible): (dn: string) => Member {
  return (dn) => {
    const v = visible(dn);
    const pos = 'code' in v || v.tenant !== t ? undefined : locate(t, dn);
    if (pos?.kind === 'user') return { user: pos.uid };
    if (pos?.kind === 'group') return { group: pos.name };
    return refuse(RC.constraintViolation, `member ${dn} is not a user or group of this directory`);
  };
}

async function addUser(dir: TenantDirectory, uid: string, attributes: AttributeValues[], actor: Actor): Promise<void> {
  const input: NewUserInput = { uid };
  for (const { type, values } of attributes) {
    const name = writable(type, (n) => n in USER_FIELDS);
    if (name === 'objectClass') checkClasses(values, 'user');
    else if (name === 'userPassword') input.password = single(name, values);
    else if (name === 'uid') {
      if (nameKey(single(name, values)) !== nameKey(uid)) refuse(RC.namingViolation, 'uid must equal the uid in the DN');
    } else if (name === 'uidNumber' || name === 'gidNumber') input[name] = integer(name, values);
    else if (name === 'sshPublicKey') input.sshPublicKeys = values;
    else (input as unknown as Record<string, unknown>)[USER_FIELDS[name] as string] = single(name, values);
  }
  if (!input.cn || !input.sn) refuse(RC.objectClassViolation, 'a user needs cn and sn (inetOrgPerson)');
  if (input.password && /^\{[A-Za-z0-9]+\}|^\$2[aby]\$/.test(input.password)) {
    input.passwordHash = input.password;
    delete input.password;
  }
  await dir.createUser(input, actor);
}

async function addGroup(dir: TenantDirectory, name: string, attributes: AttributeValues[], actor: Actor, member: (dn: string) => Member): Promise<void> {
  let description: string | undefined;
  let gidNumber: number | undefined;
  const members: Member[] = [];
  for (const { type, values } of attributes) {
    const attr = writable(type, (n) => GROUP_ATTRIBUTES.has(n));
    if (attr === 'objectClass') checkClasses(values, 'group');
    else if (attr === 'cn') {
      if (nameKey(single(attr, values)) !== nameKey(name)) refuse(RC.namingViolation, 'cn must equal the cn in the DN');
    } else if (attr === 'description') description = single(attr, values);
    else if (attr === 'gidNumber') gidNumber = integer(attr, values);
    else if (attr === 'member') members.push(...values.map(member));
    else if (attr === 'memberUid') members.push(...values.map((uid) => ({ user: uid })));
    else refuse(RC.unwillingToPerform, `${attr} cannot be written on a group`);
  }
  await dir.createGroup({ name, ...(description === undefined ? {} : { description }), ...(gidNumber === undefined ? {} : { gidNumber }) }, actor);
  for (const m of members) await dir.addMember(name, m, actor);
}

/**
 * ModifyDN (RFC 4511 §4.9) within the entry's own ou: the new RDN gives the new uid or cn.
 * deleteOldRDN makes no difference, since the naming attribute holds one value here.
 */
async function rename(dir: TenantDirectory, t: TenantConfig, pos: Extract<Position, { kind: 'user' | 'group' }>, r: Extract<WriteRequest, { op: 'modrdn' }>, actor: Actor): Promise<void> {
  const [type, parent] = pos.kind === 'user' ? ['uid', `ou=people,${t.baseDN}`] : ['cn', `ou=groups,${t.baseDN}`];
  if (r.newSuperior !== undefined && tryNormalizeDn(r.newSuperior) !== normalizeDn(parent)) {
    refuse(RC.unwillingToPerform, `entries cannot move to another parent: give no newSuperior, or ${parent}`);
  }
  let rdns: Rdn[] = [];
  try {
    rdns = parseDn(r.newRdn);
  } catch {
    refuse(RC.invalidDNSyntax, `invalid new RDN ${r.newRdn}`);
  }
  const [rdn, ...more] = rdns;
  if (!rdn || more.length > 0 || attributeType(rdn.type)?.name !== type) {
    return refuse(RC.namingViolation, `the new RDN of a ${pos.kind} is ${type}=<new name>`);
  }
  if (pos.kind === 'user') await dir.renameUser(pos.uid, rdn.value, actor);
  else await dir.renameGroup(pos.name, rdn.value, actor);
}

/** Applies add/delete/replace (RFC 4511 §4.6) to one single-valued field. */
function singleValued(name: string, current: string | undefined, m: Modification, required: boolean): string | null | undefined {
  const [value, ...more] = m.values;
  if (more.length > 0) refuse(RC.constraintViolation, `${name} is single-valued here`);
  switch (m.operation) {
    case 'replace':
      if (value === undefined && required) refuse(RC.objectClassViolation, `${name} is required`);
      return value ?? null;
    case 'add':
      if (value === undefined) refuse(RC.protocolError, `add of ${name} without a value`);
      if (current !== undefined) refuse(RC.attributeOrValueExists, `${name} already has a value; use replace`);
      return value;
    case 'delete':
      if (current === undefined || (value !== undefined && nameKey(value) !== nameKey(current))) refuse(RC.noSuchAttribute, `${name} does not have that value`);
      if (required) refuse(RC.objectClassViolation, `${name} is required`);
      return null;
  }
}

/** add/delete/replace on a set of values compared by `key`. */
function multiValued(current: readonly string[], m: Modification, key: (v: string) => string, name: string): string[] {
  const have = new Map(current.map((v) => [key(v), v]));
  switch (m.operation) {
    case 'replace':
      return [...m.values];
    case 'add':
      for (const v of m.values) {
        if (have.has(key(v))) refuse(RC.attributeOrValueExists, `${name} already has the value ${v}`);
        have.set(key(v), v);
      }
      return [...have.values()];
    case 'delete':
      if (m.values.length === 0) return [];
      for (const v of m.values) if (!have.delete(key(v))) refuse(RC.noSuchAttribute, `${name} does not have the value ${v}`);
      return [...have.values()];
  }
}

async function modifyUser(dir: TenantDirectory, uid: string, changes: Modification[], actor: Actor): Promise<void> {
  const user = await dir.getUser(uid);
  if (!user) return refuse(RC.noSuchObject, 'no such object');
  const fields: UserFields = {};
  let password: string | undefined;
  let keys = [...user.sshPublicKeys];
  for (const m of changes) {
    const name = writable(m.type, (n) => n in USER_FIELDS);
    if (name === 'uid') refuse(RC.notAllowedOnRDN, 'uid names the entry: rename it with modrdn');
    if (name === 'objectClass') refuse(RC.objectClassViolation, 'the object classes of users are fixed');
    if (name === 'uidNumber' || name === 'gidNumber') refuse(RC.unwillingToPerform, `${name} cannot be changed once assigned`);
    if (name === 'userPassword') {
      if (m.operation === 'delete') refuse(RC.unwillingToPerform, 'a password cannot be removed over LDAP; disable the user instead');
      password = single(name, m.values);
      continue;
    }
    if (name === 'sshPublicKey') {
      keys = multiValued(keys, m, (k) => k, name);
      fields.sshPublicKeys = keys;
      continue;
    }
    const field = USER_FIELDS[name] as Exclude<keyof UserFields, 'sshPublicKeys' | 'enabled' | 'expiresAt'>;
    const current = (fields[field] === undefined ? user[field as keyof User] : fields[field]) as string | undefined;
    const next = singleValued(name, current ?? undefined, m, field === 'cn' || field === 'sn' || field === 'homeDirectory' || field === 'loginShell');
    (fields as Record<string, unknown>)[field] = next;
  }
  if (Object.keys(fields).length > 0) await dir.updateUser(uid, fields, actor);
  if (password !== undefined) await dir.setPassword(uid, password, actor);
}

async function modifyGroup(dir: TenantDirectory, name: string, changes: Modification[], actor: Actor, member: (dn: string) => Member): Promise<void> {
  const group = await dir.getGroup(name);
  if (!group) return refuse(RC.noSuchObject, 'no such object');
  for (const m of changes) {
    const attr = writable(m.type, (n) => GROUP_ATTRIBUTES.has(n));
    if (attr === 'cn') refuse(RC.notAllowedOnRDN, 'cn names the group: rename it with modrdn');
    if (attr === 'objectClass') refuse(RC.objectClassViolation, 'the object classes of groups are fixed');
    if (attr === 'gidNumber') refuse(RC.unwillingToPerform, 'gidNumber cannot be changed once assigned');
    if (attr === 'description') {
      const next = singleValued(attr, group.description, m, false);
      await dir.updateGroup(name, { description: next ?? null }, actor);
      continue;
    }
    const direct = await collectUsers((after) => dir.findUsers({ memberOf: [nameKey(name)] }, { limit: 1000, ...(after ? { after } : {}) }));
    const current: Member[] = [...direct.map((u) => ({ user: u.uid })), ...group.memberGroups.map((g) => ({ group: g }))];
    const wanted = attr === 'member' ? m.values.map(member) : m.values.map((uid) => ({ user: uid }));
    const key = (x: Member): string => ('user' in x ? `u:${nameKey(x.user)}` : `g:${nameKey(x.group)}`);
    // memberUid speaks of users only; member of users and nested groups.
    const scope = attr === 'memberUid' ? current.filter((x) => 'user' in x) : current;
    const have = new Set(scope.map(key));
    let remove: Member[] = [];
    let add: Member[] = [];
    switch (m.operation) {
      case 'add':
        if (wanted.some((w) => have.has(key(w)))) refuse(RC.attributeOrValueExists, `${attr} already has that value`);
        add = wanted;
        break;
      case 'delete':
        if (wanted.some((w) => !have.has(key(w)))) refuse(RC.noSuchAttribute, `${attr} does not have that value`);
        remove = wanted.length === 0 ? scope : wanted;
        break;
      case 'replace': {
        const keep = new Set(wanted.map(key));
        remove = scope.filter((x) => !keep.has(key(x)));
        add = wanted.filter((w) => !have.has(key(w)));
        break;
      }
    }
    for (const x of remove) await dir.removeMember(name, x, actor);
    for (const x of add) await dir.addMember(name, x, actor);
  }
}
