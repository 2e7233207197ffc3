// One tenant's users: create, change, rename, renumber, delete, and passwords set under the
// tenant's policy. Authentication is authentication.ts; a user's lock and sources go with it.
import type { TenantConfig } from '../config/index.ts';
import { Conflict, InvalidInput, NotFound, PasswordPolicyViolation } from '../core/errors.ts';
import { isValidName, nameKey, newEntryUUID } from '../core/ids.ts';
import type { Page, PageResult, TenantStore, UserQuery, UserRecord } from '../store/index.ts';
import type { TenantAuthentication } from './authentication.ts';
import type { TenantCredentials } from './credentials.ts';
import type { Actor, NewUserInput, UserFields } from './inputs.ts';
import { withNumbers, type PosixNumbers, type UserDraft } from './posix.ts';
import { changeDetail, type TenantAudit } from './tenant-audit.ts';
import { toUser, type User } from './views.ts';

export class TenantUsers {
  constructor(
    private readonly tenant: TenantConfig,
    private readonly store: TenantStore,
    private readonly numbers: PosixNumbers,
    private readonly credentials: TenantCredentials,
    private readonly auth: TenantAuthentication,
    private readonly audit: TenantAudit,
    private readonly now: () => Date,
  ) {}

  async get(uid: string): Promise<User | undefined> {
    const r = await this.store.users.get(uid);
    return r && toUser(r);
  }

  async find(q: UserQuery, page: Page): Promise<PageResult<User>> {
    const r = await this.store.users.find(q, page);
    return { items: r.items.map(toUser), ...(r.next === undefined ? {} : { next: r.next }) };
  }

  count(q?: UserQuery): Promise<number> {
    return this.store.users.count(q);
  }

  /**
   * Every check comes before the uidNumber is allocated, so that a refused user (policy, a
   * missing group, a taken uid or number) consumes no number.
   */
  async create(input: NewUserInput, actor: Actor): Promise<User> {
    const draft = await this.draft(input);
    for (const g of input.groups ?? []) {
      if (!(await this.store.groups.get(g))) throw new NotFound(`group "${g}" does not exist in tenant ${this.tenant.id}`);
    }
    if (await this.store.users.get(input.uid)) throw new Conflict(`user "${input.uid}" already exists`);
    if (input.uidNumber !== undefined) {
      await this.numbers.checkUser({ uid: input.uid, uidNumber: input.uidNumber, gidNumber: input.gidNumber ?? input.uidNumber });
    }
    const created = await this.store.users.create(withNumbers(draft, input.uidNumber ?? (await this.numbers.allocate()), input.gidNumber));
    await this.reserveGiven(input);
    await this.audit.record(actor, 'user.create', created.uid, 'ok');
    return toUser(created);
  }

  /** Numbers given explicitly are never allocated later (a primary gidNumber too: it may be no group's yet). */
  private async reserveGiven(input: Pick<NewUserInput, 'uidNumber' | 'gidNumber'>): Promise<void> {
    const given = [input.uidNumber, input.gidNumber].filter((n) => n !== undefined);
    if (given.length > 0) await this.numbers.reserveThrough(Math.max(...given));
  }

  /** Validates input and makes the record a create or an import writes, all but its numbers. */
  async draft(input: NewUserInput): Promise<UserDraft> {
    checkName('uid', input.uid);
    validateFields(input);
    if (input.password !== undefined && input.passwordHash !== undefined) {
      throw new InvalidInput('give either a password or a passwordHash, not both');
    }
    const now = this.now();
    const cn = input.cn ?? input.uid;
    return {
      uid: input.uid,
      entryUUID: newEntryUUID(),
      cn,
      sn: input.sn ?? lastWord(cn),
      ...optionalFields(input),
      homeDirectory: input.homeDirectory ?? `${this.tenant.posix.homeBase}/${input.uid}`,
      loginShell: input.loginShell ?? this.tenant.posix.loginShell,
      sshPublicKeys: input.sshPublicKeys ?? [],
      enabled: input.enabled ?? true,
      ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
      createdAt: now,
      modifiedAt: now,
      memberOf: [...new Set((input.groups ?? []).map(nameKey))],
      ...(await this.credentials.forNewUser(input, now)),
    };
  }

  async update(uid: string, fields: UserFields, actor: Actor): Promise<User> {
    validateFields(fields);
    let before: object = {};
    const updated = await this.store.users.update(uid, (old) => {
      before = old;
      return applyFields(old, fields);
    });
    await this.audit.record(actor, 'user.update', updated.uid, 'ok', { fields: Object.keys(fields).join(','), ...changeDetail(before, updated, Object.keys(fields)) });
    return toUser(updated);
  }

  async setEnabled(uid: string, enabled: boolean, actor: Actor): Promise<User> {
    let before: object = {};
    const updated = await this.store.users.update(uid, (old) => {
      before = old;
      return { ...old, enabled };
    });
    await this.audit.record(actor, enabled ? 'user.enable' : 'user.disable', updated.uid, 'ok', changeDetail(before, updated, ['enabled']));
    return toUser(updated);
  }

  /**
   * Sets a password under the tenant's policy (length, classes, not the uid, history). A refusal
   * says which rule failed. Lockout is cleared, since an admin reset is how a user gets back in.
   */
  async setPassword(uid: string, password: string, actor: Actor): Promise<void> {
    const user = await this.store.users.get(uid);
    if (!user) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    const why = this.credentials.policyViolation(password, user.uid);
    if (why) {
      await this.audit.record(actor, 'user.passwd', user.uid, 'refused', { reason: 'policy' });
      throw new PasswordPolicyViolation(why);
    }
    const keep = this.tenant.passwordPolicy.history;
    const previous = user.credentials ? [user.credentials.passwordHash, ...user.credentials.history] : [];
    if (keep > 0 && (await this.credentials.isOneOf(password, previous.slice(0, keep)))) {
      await this.audit.record(actor, 'user.passwd', user.uid, 'refused', { reason: 'history' });
      throw new PasswordPolicyViolation(`the password must differ from the last ${keep} passwords`);
    }
    const credentials = await this.credentials.hash(password, previous.slice(0, Math.max(keep - 1, 0)), this.now());
    await this.store.users.update(uid, (old) => ({ ...old, credentials }));
    await this.auth.reset(uid);
    await this.audit.record(actor, 'user.passwd', user.uid, 'ok');
  }

  /**
   * Lifts a lockout (and every source's wait). Returns false, auditing nothing, when the user is
   * not locked (failures below the threshold keep counting in their window).
   */
  async unlock(uid: string, actor: Actor): Promise<boolean> {
    const user = await this.store.users.get(uid);
    if (!user) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    if (!(await this.auth.lockedUntil(user.uid))) return false;
    await this.auth.reset(user.uid);
    await this.audit.record(actor, 'user.unlock', user.uid, 'ok');
    return true;
  }

  /**
   * Gives a user a new uidNumber, the next free one unless `uidNumber` is given (checked like a
   * new user's); a private group (gidNumber = uidNumber) moves with it. Files on disk keep the
   * old numbers: chown them. For collisions that `doctor` reports.
   */
  async renumber(uid: string, actor: Actor, uidNumber?: number): Promise<User> {
    const user = await this.store.users.get(uid);
    if (!user) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    const privateGroup = user.gidNumber === user.uidNumber;
    if (uidNumber !== undefined) {
      await this.numbers.checkUser({ uid: user.uid, uidNumber, gidNumber: privateGroup ? uidNumber : user.gidNumber });
      await this.numbers.reserveThrough(uidNumber);
    }
    const n = uidNumber ?? (await this.numbers.allocate());
    const updated = await this.store.users.update(uid, (old) => ({ ...old, uidNumber: n, gidNumber: old.gidNumber === old.uidNumber ? n : old.gidNumber }));
    await this.audit.record(actor, 'user.renumber', updated.uid, 'ok', { from: String(user.uidNumber), to: String(n) });
    return toUser(updated);
  }

  /**
   * Gives a user a new uid (a case variant of the old one is fine). Nothing else holds uids:
   * memberships live on the user. homeDirectory is left as it is. The old name's lockout state
   * and familiar sources are forgotten, so that they do not fall on a later user of that name.
   */
  async rename(uid: string, newUid: string, actor: Actor): Promise<User> {
    checkName('uid', newUid);
    const renamed = await this.store.users.rename(uid, newUid);
    if (nameKey(uid) !== nameKey(newUid)) await this.auth.forget(uid);
    await this.audit.record(actor, 'user.rename', renamed.uid, 'ok', { from: uid, to: renamed.uid });
    return toUser(renamed);
  }

  async delete(uid: string, actor: Actor): Promise<void> {
    if (!(await this.store.users.delete(uid))) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    await this.auth.forget(uid);
    await this.audit.record(actor, 'user.delete', uid, 'ok');
  }
}

const OPTIONAL_STRINGS = ['givenName', 'displayName', 'mail', 'telephoneNumber', 'title'] as const;

function optionalFields(input: UserFields): Partial<Pick<UserRecord, (typeof OPTIONAL_STRINGS)[number]>> {
  const out: Partial<Record<(typeof OPTIONAL_STRINGS)[number], string>> = {};
  for (const k of OPTIONAL_STRINGS) if (input[k]) out[k] = input[k];
  return out;
}

/** Applies a patch: undefined keeps a field, null (or '') clears an optional one. */
function applyFields(old: UserRecord, f: UserFields): UserRecord {
  const next: UserRecord = { ...old };
  for (const k of OPTIONAL_STRINGS) {
    const v = f[k];
    if (v === undefined) continue;
    if (v === null || v === '') delete next[k];
    else next[k] = v;
  }
  if (f.cn) next.cn = f.cn;
  if (f.sn) next.sn = f.sn;
  if (f.homeDirectory) next.homeDirectory = f.homeDirectory;
  if (f.loginShell) next.loginShell = f.loginShell;
  if (f.sshPublicKeys) next.sshPublicKeys = [...f.sshPublicKeys];
  if (f.enabled !== undefined) next.enabled = f.enabled;
  if (f.expiresAt === null) delete next.expiresAt;
  else if (f.expiresAt) next.expiresAt = f.expiresAt;
  return next;
}

export function checkName(what: 'uid' | 'group name', name: string): void {
  if (!isValidName(name)) {
    throw new InvalidInput(`${what} "${name}" is not valid: use letters, digits, ".", "_" and "-" (at most 64)`);
  }
}

const MAIL_RE = /^[^\s@]+@[^\s@]+$/;
const SSH_KEY_RE = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?$/;

function validateFields(f: UserFields): void {
  if (f.mail && !MAIL_RE.test(f.mail)) throw new InvalidInput(`mail "${f.mail}" is not an e-mail address`);
  for (const k of f.sshPublicKeys ?? []) {
    if (!SSH_KEY_RE.test(k)) throw new InvalidInput('sshPublicKeys: each key must be one OpenSSH public key line ("ssh-ed25519 AAAA... comment")');
  }
  if (f.loginShell && !f.loginShell.startsWith('/')) throw new InvalidInput('loginShell must be an absolute path');
  if (f.homeDirectory && !f.homeDirectory.startsWith('/')) throw new InvalidInput('homeDirectory must be an absolute path');
  for (const k of ['cn', 'sn', ...OPTIONAL_STRINGS] as const) {
    const v = f[k];
    if (typeof v === 'string' && v.length > 256) throw new InvalidInput(`${k} is longer than 256 characters`);
  }
}

function lastWord(s: string): string {
  const words = s.trim().split(/\s+/);
  return words[words.length - 1] || s;
}
