// One tenant's directory: users, groups (nested), passwords under the tenant's policy, and
// authentication with lockout. Protocol fronts and the admin API come here; only here touches
// the tenant-scoped store.
import type { AuditInput, TenantAuditor } from '../audit/index.ts';
import type { TenantConfig } from '../config/index.ts';

type ServiceAccount = TenantConfig['ldap']['serviceAccounts'][number];
import { Conflict, InvalidInput, NotFound, PasswordPolicyViolation } from '../core/errors.ts';
import { isValidName, nameKey, newEntryUUID } from '../core/ids.ts';
import type {
  AccountingRecord, AuditEvent, AuditQuery, GroupQuery, GroupRecord, NewGroup, NewUser, Page, PageResult, TenantStore, UserQuery, UserRecord,
} from '../store/index.ts';
import { diagnose, type DoctorReport } from './doctor.ts';
import { descendantGroups, ancestorGroups, wouldCycle } from './graph.ts';
import { importBatch, type ImportBatch, type ImportSummary } from './import.ts';
import type { Actor, NewGroupInput, NewUserInput, UserFields } from './inputs.ts';
import { PosixNumbers, withNumbers, type UserDraft } from './posix.ts';
import { hashPassword, hashScheme, inHistory, ntHash, policyViolation, verifyPassword } from './passwords.ts';
import { toGroup, toUser, type Group, type User } from './views.ts';

export type { Actor, NewGroupInput, NewUserInput, UserFields } from './inputs.ts';

export type AuthFailure =
  | 'no-such-user' | 'bad-password' | 'disabled' | 'expired' | 'locked' | 'password-expired'
  /** NT-hash proof (MS-CHAPv2) for a user without an NT hash (tenant lacks allowMschapv2). */
  | 'no-nt-hash';

/**
 * What a client proves: a plaintext password (LDAP bind, PAP, TTLS/PAP), or knowledge of the NT
 * hash (MS-CHAPv2), checked by the protocol's own `verify` against the stored NT hash.
 */
export type Proof = { password: string } | { verifyNtHash(ntHash: Buffer): boolean };

export type AuthResult =
  | { ok: true; user: User; passwordExpiresAt?: Date }
  /** `proven`: the credential itself was right and the account's state refused it (ppolicy may say so). */
  | { ok: false; reason: AuthFailure; proven?: boolean };

export interface DirectoryOptions {
  bcryptCost: number;
  /** This tenant's audit trail. */
  auditor: TenantAuditor;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

async function verifyProof(proof: Proof, user: UserRecord): Promise<{ ok: boolean; rehash: boolean } | 'no-nt-hash'> {
  if ('password' in proof) return verifyPassword(proof.password, user.credentials?.passwordHash);
  const nt = user.credentials?.ntHash;
  if (!nt) return 'no-nt-hash';
  return { ok: proof.verifyNtHash(Buffer.from(nt, 'hex')), rehash: false };
}
const MINUTE_MS = 60_000;

export class TenantDirectory {
  private readonly now: () => Date;
  private readonly numbers: PosixNumbers;

  constructor(
    readonly tenant: TenantConfig,
    private readonly store: TenantStore,
    private readonly o: DirectoryOptions,
  ) {
    this.now = o.now ?? (() => new Date());
    this.numbers = new PosixNumbers(store, tenant.posix);
  }

  // ------------------------------------------------------------ users

  async getUser(uid: string): Promise<User | undefined> {
    const r = await this.store.users.get(uid);
    return r && toUser(r);
  }

  async findUsers(q: UserQuery, page: Page): Promise<PageResult<User>> {
    const r = await this.store.users.find(q, page);
    return { items: r.items.map(toUser), ...(r.next === undefined ? {} : { next: r.next }) };
  }

  countUsers(q?: UserQuery): Promise<number> {
    return this.store.users.count(q);
  }

  /**
   * Every check comes before the uidNumber is allocated, so that a refused user (policy, a
   * missing group, a taken uid or number) consumes no number.
   */
  async createUser(input: NewUserInput, actor: Actor): Promise<User> {
    const draft = await this.userDraft(input);
    for (const g of input.groups ?? []) {
      if (!(await this.store.groups.get(g))) throw new NotFound(`group "${g}" does not exist in tenant ${this.tenant.id}`);
    }
    if (await this.store.users.get(input.uid)) throw new Conflict(`user "${input.uid}" already exists`);
    if (input.uidNumber !== undefined) {
      await this.numbers.checkUser({ uid: input.uid, uidNumber: input.uidNumber, gidNumber: input.gidNumber ?? input.uidNumber });
    }
    const created = await this.store.users.create(withNumbers(draft, input.uidNumber ?? (await this.numbers.allocate()), input.gidNumber));
    await this.reserveGiven(input);
    await this.audit(actor, 'user.create', created.uid, 'ok');
    return toUser(created);
  }

  /** Numbers given explicitly are never allocated later (a primary gidNumber too: it may be no group's yet). */
  private async reserveGiven(input: Pick<NewUserInput, 'uidNumber' | 'gidNumber'>): Promise<void> {
    const given = [input.uidNumber, input.gidNumber].filter((n) => n !== undefined);
    if (given.length > 0) await this.numbers.reserveThrough(Math.max(...given));
  }

  /** Validates input and makes the record a create or an import writes, all but its numbers. */
  private async userDraft(input: NewUserInput): Promise<UserDraft> {
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
      ...(await this.credentialsFor(input)),
    };
  }

  private async credentialsFor(input: NewUserInput): Promise<Pick<UserRecord, 'credentials'>> {
    const now = this.now();
    if (input.password !== undefined) {
      const why = policyViolation(input.password, input.uid, this.tenant.passwordPolicy);
      if (why) throw new PasswordPolicyViolation(why);
      return { credentials: await this.hashFor(input.password, [], now) };
    }
    if (input.passwordHash !== undefined) {
      if (!hashScheme(input.passwordHash)) {
        throw new InvalidInput('passwordHash must be bcrypt ($2a$/$2b$/$2y$), {SSHA}, {SSHA512}, {SHA} or {CRYPT}');
      }
      return { credentials: { passwordHash: input.passwordHash, passwordChangedAt: now, history: [] } };
    }
    return {};
  }

  private async hashFor(password: string, history: string[], now: Date): Promise<NonNullable<UserRecord['credentials']>> {
    return {
      passwordHash: await hashPassword(password, this.o.bcryptCost),
      ...(this.tenant.radius.allowMschapv2 ? { ntHash: ntHash(password) } : {}),
      passwordChangedAt: now,
      history,
    };
  }

  async updateUser(uid: string, fields: UserFields, actor: Actor): Promise<User> {
    validateFields(fields);
    const updated = await this.store.users.update(uid, (old) => applyFields(old, fields));
    await this.audit(actor, 'user.update', updated.uid, 'ok', { fields: Object.keys(fields).join(',') });
    return toUser(updated);
  }

  async setEnabled(uid: string, enabled: boolean, actor: Actor): Promise<User> {
    const updated = await this.store.users.update(uid, (old) => ({ ...old, enabled }));
    await this.audit(actor, enabled ? 'user.enable' : 'user.disable', updated.uid, 'ok');
    return toUser(updated);
  }

  /**
   * Sets a password under the tenant's policy (length, classes, not the uid, history). A refusal
   * says which rule failed. Lockout is cleared, since an admin reset is how a user gets back in.
   */
  async setPassword(uid: string, password: string, actor: Actor): Promise<void> {
    const user = await this.store.users.get(uid);
    if (!user) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    const why = policyViolation(password, user.uid, this.tenant.passwordPolicy);
    if (why) {
      await this.audit(actor, 'user.passwd', user.uid, 'refused', { reason: 'policy' });
      throw new PasswordPolicyViolation(why);
    }
    const keep = this.tenant.passwordPolicy.history;
    const previous = user.credentials ? [user.credentials.passwordHash, ...user.credentials.history] : [];
    if (keep > 0 && (await inHistory(password, previous.slice(0, keep)))) {
      await this.audit(actor, 'user.passwd', user.uid, 'refused', { reason: 'history' });
      throw new PasswordPolicyViolation(`the password must differ from the last ${keep} passwords`);
    }
    const credentials = await this.hashFor(password, previous.slice(0, Math.max(keep - 1, 0)), this.now());
    await this.store.users.update(uid, (old) => ({ ...old, credentials }));
    await this.store.lockouts.clear(uid);
    await this.audit(actor, 'user.passwd', user.uid, 'ok');
  }

  /**
   * Lifts a lockout. Returns false, changing and auditing nothing, when the user is not locked
   * (failures below the threshold keep counting in their window).
   */
  async unlock(uid: string, actor: Actor): Promise<boolean> {
    const user = await this.store.users.get(uid);
    if (!user) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    if (!(await this.lockedUntil(user.uid))) return false;
    await this.store.lockouts.clear(user.uid);
    await this.audit(actor, 'user.unlock', user.uid, 'ok');
    return true;
  }

  /** Is the user locked out now? For display; authenticate checks it itself. */
  async lockedUntil(uid: string): Promise<Date | undefined> {
    return this.lockEnd(await this.store.lockouts.get(uid));
  }

  /** lockedUntil for a page of users in one read: uid name key → end of the lock, for the locked ones. */
  async lockedUntilMany(uids: string[]): Promise<Map<string, Date>> {
    const out = new Map<string, Date>();
    for (const [key, state] of await this.store.lockouts.getMany(uids)) {
      const until = this.lockEnd(state);
      if (until) out.set(key, until);
    }
    return out;
  }

  private lockEnd(s: { lockedUntil?: Date } | undefined): Date | undefined {
    return s?.lockedUntil && s.lockedUntil > this.now() ? s.lockedUntil : undefined;
  }

  /**
   * Gives a user a new uidNumber, the next free one unless `uidNumber` is given (checked like a
   * new user's); a private group (gidNumber = uidNumber) moves with it. Files on disk keep the
   * old numbers: chown them. For collisions that `doctor` reports.
   */
  async renumberUser(uid: string, actor: Actor, uidNumber?: number): Promise<User> {
    const user = await this.store.users.get(uid);
    if (!user) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    const privateGroup = user.gidNumber === user.uidNumber;
    if (uidNumber !== undefined) {
      await this.numbers.checkUser({ uid: user.uid, uidNumber, gidNumber: privateGroup ? uidNumber : user.gidNumber });
      await this.numbers.reserveThrough(uidNumber);
    }
    const n = uidNumber ?? (await this.numbers.allocate());
    const updated = await this.store.users.update(uid, (old) => ({ ...old, uidNumber: n, gidNumber: old.gidNumber === old.uidNumber ? n : old.gidNumber }));
    await this.audit(actor, 'user.renumber', updated.uid, 'ok', { from: String(user.uidNumber), to: String(n) });
    return toUser(updated);
  }

  /**
   * Gives a group a new gidNumber, the next free one unless `gidNumber` is given (checked like a
   * new group's). Users whose primary gidNumber is the old number keep it. Files on disk keep
   * the old number: chgrp them.
   */
  async renumberGroup(name: string, actor: Actor, gidNumber?: number): Promise<Group> {
    const group = await this.requireGroup(name);
    if (gidNumber !== undefined) {
      await this.numbers.checkGroup(group.name, gidNumber);
      await this.numbers.reserveThrough(gidNumber);
    }
    const n = gidNumber ?? (await this.numbers.allocate());
    const updated = await this.store.groups.update(name, (old) => ({ ...old, gidNumber: n }));
    await this.audit(actor, 'group.renumber', updated.name, 'ok', { from: String(group.gidNumber), to: String(n) });
    return toGroup(updated);
  }

  /** POSIX numbers that collide in this tenant's stored data, and how to fix each. */
  doctor(): Promise<DoctorReport> {
    return diagnose(this.store);
  }

  /**
   * Gives a user a new uid (a case variant of the old one is fine). Nothing else holds uids:
   * memberships live on the user. homeDirectory is left as it is. The old name's lockout state
   * is cleared, so that it does not fall on a later user of that name.
   */
  async renameUser(uid: string, newUid: string, actor: Actor): Promise<User> {
    checkName('uid', newUid);
    const renamed = await this.store.users.rename(uid, newUid);
    if (nameKey(uid) !== nameKey(newUid)) await this.store.lockouts.clear(uid);
    await this.audit(actor, 'user.rename', renamed.uid, 'ok', { from: uid, to: renamed.uid });
    return toUser(renamed);
  }

  async deleteUser(uid: string, actor: Actor): Promise<void> {
    if (!(await this.store.users.delete(uid))) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    await this.store.lockouts.clear(uid);
    await this.audit(actor, 'user.delete', uid, 'ok');
  }

  // ------------------------------------------------------------ authentication

  /**
   * Checks a credential. A "no" is a verdict with a reason for the log and audit only (clients
   * see one answer for all of them); a store outage rejects with StoreUnavailable instead.
   * Failures feed the tenant's lockout, shared by every protocol.
   */
  async authenticate(uid: string, proof: Proof, actor: Actor): Promise<AuthResult> {
    const result = await this.check(uid, proof);
    await this.audit(actor, `${actor.protocol}.auth`, uid, result.ok ? 'ok' : 'failed', {
      ...(result.ok ? {} : { reason: result.reason }),
      method: 'password' in proof ? 'password' : 'nt-hash',
    });
    return result;
  }

  /**
   * A YAML service account's bind (cn=S,ou=services). Service accounts overlay the store
   * read-only; they have no lockout, so their passwords should be long and random.
   */
  async authenticateService(name: string, password: string, actor: Actor): Promise<ServiceAccount | undefined> {
    const account = this.tenant.ldap.serviceAccounts.find((s) => s.name.toLowerCase() === name.toLowerCase());
    const verdict = await verifyPassword(password, account?.passwordHash);
    const ok = account !== undefined && verdict.ok;
    await this.audit(actor, `${actor.protocol}.service-auth`, `service:${name}`, ok ? 'ok' : 'failed', ok ? {} : { reason: account ? 'bad-password' : 'no-such-account' });
    return ok ? account : undefined;
  }

  private async check(uid: string, proof: Proof): Promise<AuthResult> {
    const user = await this.store.users.get(uid);
    if (!user) {
      if ('password' in proof) await verifyPassword(proof.password, undefined);
      return { ok: false, reason: 'no-such-user' };
    }
    const now = this.now();
    const lock = await this.store.lockouts.get(user.uid);
    // The password is checked even for a locked user: the same work for every refusal, and a
    // right password may be told that the account is locked (a guesser learns nothing).
    const verdict = await verifyProof(proof, user);
    if (verdict === 'no-nt-hash') return { ok: false, reason: 'no-nt-hash' };
    if (lock?.lockedUntil && lock.lockedUntil > now) return { ok: false, reason: 'locked', proven: verdict.ok };
    if (!verdict.ok) {
      await this.registerFailure(user.uid, now);
      return { ok: false, reason: 'bad-password' };
    }
    // Checked after the password, so that these states are not revealed to a guesser's timing.
    if (!user.enabled) return { ok: false, reason: 'disabled', proven: true };
    if (user.expiresAt && user.expiresAt <= now) return { ok: false, reason: 'expired', proven: true };
    const maxAge = this.tenant.passwordPolicy.maxAgeDays;
    const expiresAt = maxAge > 0 && user.credentials ? new Date(user.credentials.passwordChangedAt.getTime() + maxAge * DAY_MS) : undefined;
    if (expiresAt && expiresAt < now) return { ok: false, reason: 'password-expired', proven: true };
    if (lock && lock.failures > 0) await this.store.lockouts.clear(user.uid);
    if (verdict.rehash && 'password' in proof) await this.rehash(user, proof.password);
    return { ok: true, user: toUser(user), ...(expiresAt ? { passwordExpiresAt: expiresAt } : {}) };
  }

  private async registerFailure(uid: string, now: Date): Promise<void> {
    const p = this.tenant.passwordPolicy.lockout;
    if (p.threshold <= 0) return;
    const state = await this.store.lockouts.registerFailure(uid, {
      now, windowMs: p.windowMinutes * MINUTE_MS, threshold: p.threshold, lockMs: p.durationMinutes * MINUTE_MS,
    });
    if (state.failures === p.threshold) {
      await this.audit({ name: 'system', protocol: 'system' }, 'user.lockout', uid, 'ok', {
        until: state.lockedUntil?.toISOString() ?? '',
      });
    }
  }

  /** A migrated hash is replaced by bcrypt on the first successful login (and an NT hash added). */
  private async rehash(user: UserRecord, password: string): Promise<void> {
    const credentials = await this.hashFor(password, user.credentials?.history ?? [], user.credentials?.passwordChangedAt ?? this.now());
    await this.store.users.update(user.uid, (old) => ({ ...old, credentials }));
    await this.audit({ name: 'system', protocol: 'system' }, 'user.rehash', user.uid, 'ok');
  }

  // ------------------------------------------------------------ groups

  async getGroup(name: string): Promise<Group | undefined> {
    const r = await this.store.groups.get(name);
    return r && toGroup(r);
  }

  async findGroups(q: GroupQuery, page: Page): Promise<PageResult<Group>> {
    const r = await this.store.groups.find(q, page);
    return { items: r.items.map(toGroup), ...(r.next === undefined ? {} : { next: r.next }) };
  }

  async createGroup(input: NewGroupInput, actor: Actor): Promise<Group> {
    const created = await this.store.groups.create(await this.newGroup(input));
    await this.audit(actor, 'group.create', created.name, 'ok');
    return toGroup(created);
  }

  /** Validates a new group and gives it its gidNumber: an explicit one is checked and reserved. */
  private async newGroup(input: NewGroupInput): Promise<NewGroup> {
    checkName('group name', input.name);
    if (await this.store.groups.get(input.name)) throw new Conflict(`group "${input.name}" already exists`);
    if (input.gidNumber !== undefined) {
      await this.numbers.checkGroup(input.name, input.gidNumber);
      await this.numbers.reserveThrough(input.gidNumber);
    }
    const now = this.now();
    return {
      name: input.name,
      entryUUID: newEntryUUID(),
      ...(input.description === undefined ? {} : { description: input.description }),
      gidNumber: input.gidNumber ?? (await this.numbers.allocate()),
      memberGroups: [],
      createdAt: now,
      modifiedAt: now,
    };
  }

  async updateGroup(name: string, fields: { description?: string | null }, actor: Actor): Promise<Group> {
    const updated = await this.store.groups.update(name, (old) => {
      const next = { ...old };
      if (fields.description === null) delete next.description;
      else if (fields.description !== undefined) next.description = fields.description;
      return next;
    });
    await this.audit(actor, 'group.update', updated.name, 'ok');
    return toGroup(updated);
  }

  async deleteGroup(name: string, actor: Actor): Promise<void> {
    const key = nameKey(name);
    if (!(await this.store.groups.delete(name))) throw new NotFound(`group "${name}" does not exist in tenant ${this.tenant.id}`);
    // No transactions: membership references are removed after the group; a reader in between
    // sees a dangling key, which every view skips.
    await this.store.users.removeGroupEverywhere(key);
    await this.store.groups.removeMemberGroupEverywhere(key);
    await this.audit(actor, 'group.delete', name, 'ok');
  }

  /** Gives a group a new name and moves every membership (of users and nested groups) with it. */
  async renameGroup(name: string, newName: string, actor: Actor): Promise<Group> {
    checkName('group name', newName);
    const renamed = await this.store.groups.rename(name, newName);
    const [from, to] = [nameKey(name), nameKey(newName)];
    if (from !== to) {
      // No transactions: the group is renamed first, so that until its references move they
      // hold a key that names no group (a membership missing for a moment, which every view
      // skips), never one of another group. Each move adds the new key before it removes the
      // old. (As with deleteGroup, a group created under the old name in that moment would
      // see the old references.)
      await this.store.users.replaceGroupEverywhere(from, to);
      await this.store.groups.replaceMemberGroupEverywhere(from, to);
    }
    await this.audit(actor, 'group.rename', renamed.name, 'ok', { from: name, to: renamed.name });
    return toGroup(renamed);
  }

  /** Adds a user or (nested) group to a group; cycles are refused. */
  async addMember(group: string, member: { user: string } | { group: string }, actor: Actor): Promise<void> {
    const parent = await this.requireGroup(group);
    if ('user' in member) {
      await this.store.users.addMemberOf(member.user, nameKey(parent.name));
    } else {
      const child = await this.requireGroup(member.group);
      if (await wouldCycle(this.store.groups, nameKey(parent.name), nameKey(child.name))) {
        throw new Conflict(`adding group "${child.name}" to "${parent.name}" would make a cycle`);
      }
      await this.store.groups.addMemberGroup(parent.name, nameKey(child.name));
    }
    await this.audit(actor, 'group.add-member', parent.name, 'ok', { member: 'user' in member ? member.user : `group:${member.group}` });
  }

  async removeMember(group: string, member: { user: string } | { group: string }, actor: Actor): Promise<void> {
    const parent = await this.requireGroup(group);
    if ('user' in member) await this.store.users.removeMemberOf(member.user, nameKey(parent.name));
    else await this.store.groups.removeMemberGroup(parent.name, nameKey(member.group));
    await this.audit(actor, 'group.remove-member', parent.name, 'ok', { member: 'user' in member ? member.user : `group:${member.group}` });
  }

  /** Every group the user is in, directly or through nested groups: name keys. */
  async groupsOf(user: User): Promise<string[]> {
    return ancestorGroups(this.store.groups, user.memberOf);
  }

  /** The group and every group nested in it, at any depth: name keys. */
  async groupClosure(name: string): Promise<string[]> {
    return descendantGroups(this.store.groups, nameKey(name));
  }

  /** Users in the group directly or through nested groups. */
  async membersOf(name: string, page: Page): Promise<PageResult<User>> {
    return this.findUsers({ memberOf: await this.groupClosure(name) }, page);
  }

  private async requireGroup(name: string): Promise<GroupRecord> {
    const g = await this.store.groups.get(name);
    if (!g) throw new NotFound(`group "${name}" does not exist in tenant ${this.tenant.id}`);
    return g;
  }

  // ------------------------------------------------------------ import

  /**
   * Bulk provisioning, idempotent, bad rows reported while the rest import (import.ts). The
   * import gets this directory's own store handle and checks, never a tenant id.
   */
  importBatch(batch: ImportBatch, actor: Actor): Promise<ImportSummary> {
    return importBatch({
      store: this.store,
      numbers: this.numbers,
      userDraft: (input) => this.userDraft(input),
      newGroup: (input) => this.newGroup(input),
      addMember: (group, member, by) => this.addMember(group, member, by),
      audit: (by, action, target, detail) => this.audit(by, action, target, 'ok', detail),
      auditMany: (actor, events) => this.o.auditor.recordMany(events.map((e) => this.event(actor, e.action, e.target, 'ok', e.detail))),
    }, batch, actor);
  }

  // ------------------------------------------------------------ accounting

  /** Stores a RADIUS accounting record; resolves only once the store has accepted it. */
  recordAccounting(r: AccountingRecord): Promise<void> {
    return this.store.accounting.append(r);
  }

  // ------------------------------------------------------------ audit

  /** This tenant's audit events, newest first: for the admin API (added for src/admin). */
  listAudit(q: AuditQuery): Promise<AuditEvent[]> {
    return this.store.audit.list(q);
  }

  async audit(actor: Actor, action: string, target: string | undefined, outcome: AuditEvent['outcome'], detail: Record<string, string> = {}): Promise<void> {
    await this.o.auditor.record(this.event(actor, action, target, outcome, detail));
  }

  private event(actor: Actor, action: string, target: string | undefined, outcome: AuditEvent['outcome'], detail: Record<string, string>): AuditInput {
    const { reason, ...rest } = detail;
    return {
      actor: actor.name,
      protocol: actor.protocol,
      action,
      ...(target === undefined ? {} : { target }),
      outcome,
      ...(reason === undefined ? {} : { reason }),
      detail: { ...rest, ...(actor.source ? { source: actor.source } : {}) },
    };
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

function checkName(what: 'uid' | 'group name', name: string): void {
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
