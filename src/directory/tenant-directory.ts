// One tenant's directory: the handle the fronts and the admin API hold. It joins the parts, each
// in its own file: users (users.ts), groups (groups.ts), authentication with smart lockout
// (authentication.ts, over the shared verifier.ts), credentials (credentials.ts), TOTP (totp.ts),
// app passwords (app-passwords.ts), and the audit trail (tenant-audit.ts). Only these parts touch the tenant-scoped store.
import type { AuditListener, TenantAuditor } from '../audit/index.ts';
import type { TenantConfig } from '../config/index.ts';
import type { KeyRing } from '../core/keyring.ts';
import type {
  AccountingRecord, AppPasswordScope, AuditEvent, AuditQuery, GroupQuery, Page, PageResult, TenantStore, UserQuery,
} from '../store/index.ts';
import { TenantAppPasswords, type AppPasswordInfo, type NewAppPassword } from './app-passwords.ts';
import { TenantAuthentication, type AuthResult, type Proof, type ServiceAccount, type ServiceAuthResult } from './authentication.ts';
import { TenantCredentials } from './credentials.ts';
import { TenantDevices, type Device, type DeviceAuthResult, type DeviceFields, type NewDeviceInput } from './devices.ts';
import { diagnose, type DoctorReport } from './doctor.ts';
import { TenantGroups, type Member } from './groups.ts';
import { importBatch, type ImportBatch, type ImportSummary } from './import.ts';
import type { Actor, NewGroupInput, NewUserInput, UserFields } from './inputs.ts';
import { PosixNumbers } from './posix.ts';
import { tenantReport, type ReportQuery, type TenantReport } from './report.ts';
import { listSessions, type Session, type SessionFilter } from './sessions.ts';
import { TenantAudit, type Outcome } from './tenant-audit.ts';
import type { CodeCarrier } from './second-factor.ts';
import { TenantTotp, type Enrolment, type TotpStatus } from './totp.ts';
import { TenantUsers } from './users.ts';
import type { CredentialVerifier } from './verifier.ts';
import type { Group, User } from './views.ts';

export type { Actor, NewGroupInput, NewUserInput, UserFields } from './inputs.ts';
export type { AuthFailure, AuthResult, Proof, ServiceAuthResult } from './authentication.ts';
export type { CodeCarrier } from './second-factor.ts';
export type { Enrolment, TotpStatus } from './totp.ts';
export type { Device, DeviceAuthResult, DeviceFields, NewDeviceInput } from './devices.ts';
export type { AppPasswordInfo, NewAppPassword } from './app-passwords.ts';
export type { Session, SessionFilter } from './sessions.ts';

export interface DirectoryOptions {
  bcryptCost: number;
  /** This tenant's audit trail. */
  auditor: TenantAuditor;
  /** The credential verifier every tenant shares (Directory makes it). */
  verifier: CredentialVerifier;
  /** Keys for TOTP seeds and app passwords. */
  keys: KeyRing;
  now?: () => Date;
}

export class TenantDirectory {
  private readonly users: TenantUsers;
  private readonly groups: TenantGroups;
  private readonly auth: TenantAuthentication;
  private readonly log: TenantAudit;
  private readonly numbers: PosixNumbers;
  private readonly credentials: TenantCredentials;
  private readonly totp: TenantTotp;
  private readonly devices: TenantDevices;
  private readonly appPasswords: TenantAppPasswords;
  private readonly now: () => Date;

  constructor(
    readonly tenant: TenantConfig,
    private readonly store: TenantStore,
    o: DirectoryOptions,
  ) {
    const now = o.now ?? (() => new Date());
    this.now = now;
    this.numbers = new PosixNumbers(store, tenant.posix);
    this.log = new TenantAudit(o.auditor, store);
    this.credentials = new TenantCredentials(tenant, o.verifier, o.bcryptCost);
    this.totp = new TenantTotp(tenant, store, o.keys, this.log, now);
    this.appPasswords = new TenantAppPasswords(tenant, store, o.keys, this.log, now);
    this.auth = new TenantAuthentication(tenant, store, o.verifier, this.credentials, this.log, this.totp, this.appPasswords, now);
    this.users = new TenantUsers(tenant, store, this.numbers, this.credentials, this.auth, this.log, now);
    this.groups = new TenantGroups(tenant, store, this.numbers, this.log, now);
    this.devices = new TenantDevices(tenant, store, this.groups, this.log, now);
  }

  // ------------------------------------------------------------ users

  getUser(uid: string): Promise<User | undefined> { return this.users.get(uid); }
  findUsers(q: UserQuery, page: Page): Promise<PageResult<User>> { return this.users.find(q, page); }
  countUsers(q?: UserQuery): Promise<number> { return this.users.count(q); }
  createUser(input: NewUserInput, actor: Actor): Promise<User> { return this.users.create(input, actor); }
  updateUser(uid: string, fields: UserFields, actor: Actor): Promise<User> { return this.users.update(uid, fields, actor); }
  setEnabled(uid: string, enabled: boolean, actor: Actor): Promise<User> { return this.users.setEnabled(uid, enabled, actor); }
  setPassword(uid: string, password: string, actor: Actor): Promise<void> { return this.users.setPassword(uid, password, actor); }
  unlock(uid: string, actor: Actor): Promise<boolean> { return this.users.unlock(uid, actor); }
  renumberUser(uid: string, actor: Actor, uidNumber?: number): Promise<User> { return this.users.renumber(uid, actor, uidNumber); }
  renameUser(uid: string, newUid: string, actor: Actor): Promise<User> { return this.users.rename(uid, newUid, actor); }
  deleteUser(uid: string, actor: Actor): Promise<void> { return this.users.delete(uid, actor); }

  /** POSIX numbers that collide in this tenant's stored data, and how to fix each. */
  doctor(): Promise<DoctorReport> { return diagnose(this.store); }

  // ------------------------------------------------------------ authentication

  /**
   * Checks a credential (authentication.ts); failures feed smart lockout, shared by every
   * protocol. `carrier`: how a TOTP code can travel on this login, if the tenant asks for one.
   */
  authenticate(uid: string, proof: Proof, actor: Actor, carrier?: CodeCarrier): Promise<AuthResult> { return this.auth.authenticate(uid, proof, actor, carrier); }
  /** The code that answers an mfa-challenge (RADIUS Access-Challenge). */
  completeChallenge(uid: string, code: string, actor: Actor): Promise<AuthResult> { return this.auth.completeChallenge(uid, code, actor); }

  // ------------------------------------------------------------ TOTP (totp.ts)

  enrollTotp(uid: string, actor: Actor): Promise<Enrolment> { return this.totp.enroll(uid, actor); }
  confirmTotp(uid: string, code: string, actor: Actor): Promise<void> { return this.totp.confirm(uid, code, actor); }
  totpStatus(uid: string): Promise<TotpStatus> { return this.totp.status(uid); }
  resetTotp(uid: string, actor: Actor): Promise<boolean> { return this.totp.reset(uid, actor); }
  resealTotp(actor: Actor): Promise<{ resealed: number; unreadable: string[] }> { return this.totp.reseal(actor); }

  // ------------------------------------------------------------ app passwords (app-passwords.ts)

  /** A generated app password for one device: the secret is in the answer, once. */
  addAppPassword(uid: string, o: { name: string; scopes?: AppPasswordScope[] }, actor: Actor): Promise<NewAppPassword> { return this.appPasswords.add(uid, o, actor); }
  listAppPasswords(uid: string): Promise<AppPasswordInfo[]> { return this.appPasswords.list(uid); }
  revokeAppPassword(uid: string, name: string, actor: Actor): Promise<void> { return this.appPasswords.revoke(uid, name, actor); }

  /** A YAML service account's bind, with the reason of a refusal ('throttled': answer busy). */
  authenticateService(name: string, password: string, actor: Actor): Promise<ServiceAuthResult> { return this.auth.authenticateService(name, password, actor); }

  /** Is the user locked out now (for sources it has not logged in from)? For display. */
  lockedUntil(uid: string): Promise<Date | undefined> { return this.auth.lockedUntil(uid); }
  lockedUntilMany(uids: string[]): Promise<Map<string, Date>> { return this.auth.lockedUntilMany(uids); }

  // ------------------------------------------------------------ groups

  getGroup(name: string): Promise<Group | undefined> { return this.groups.get(name); }
  findGroups(q: GroupQuery, page: Page): Promise<PageResult<Group>> { return this.groups.find(q, page); }
  createGroup(input: NewGroupInput, actor: Actor): Promise<Group> { return this.groups.create(input, actor); }
  updateGroup(name: string, fields: { description?: string | null }, actor: Actor): Promise<Group> { return this.groups.update(name, fields, actor); }
  deleteGroup(name: string, actor: Actor): Promise<void> { return this.groups.delete(name, actor); }
  renameGroup(name: string, newName: string, actor: Actor): Promise<Group> { return this.groups.rename(name, newName, actor); }
  renumberGroup(name: string, actor: Actor, gidNumber?: number): Promise<Group> { return this.groups.renumber(name, actor, gidNumber); }
  addMember(group: string, member: Member, actor: Actor): Promise<void> { return this.groups.addMember(group, member, actor); }
  removeMember(group: string, member: Member, actor: Actor): Promise<void> { return this.groups.removeMember(group, member, actor); }
  groupsOf(user: User): Promise<string[]> { return this.groups.groupsOf(user); }
  groupClosure(name: string): Promise<string[]> { return this.groups.closure(name); }

  /** Users in the group directly or through nested groups. */
  async membersOf(name: string, page: Page): Promise<PageResult<User>> {
    return this.users.find({ memberOf: await this.groups.closure(name) }, page);
  }

  // ------------------------------------------------------------ devices (MAC authentication bypass, devices.ts)

  getDevice(mac: string): Promise<Device | undefined> { return this.devices.get(mac); }
  listDevices(page: Page): Promise<PageResult<Device>> { return this.devices.list(page); }
  addDevice(input: NewDeviceInput, actor: Actor): Promise<Device> { return this.devices.add(input, actor); }
  updateDevice(mac: string, fields: DeviceFields, actor: Actor): Promise<Device> { return this.devices.update(mac, fields, actor); }
  deleteDevice(mac: string, actor: Actor): Promise<void> { return this.devices.delete(mac, actor); }
  /** A MAB login: the device and every group it is in (nested too), or unknown; audited `<protocol>.mab`. */
  authenticateDevice(mac: string, actor: Actor): Promise<DeviceAuthResult> { return this.devices.authenticate(mac, actor); }

  // ------------------------------------------------------------ import

  /**
   * Bulk provisioning, idempotent, bad rows reported while the rest import (import.ts). The
   * import gets this directory's own store handle and checks, never a tenant id.
   */
  importBatch(batch: ImportBatch, actor: Actor): Promise<ImportSummary> {
    return importBatch({
      store: this.store,
      numbers: this.numbers,
      userDraft: (input) => this.users.draft(input),
      newGroup: (input) => this.groups.newGroup(input),
      addMember: (group, member, by) => this.groups.addMember(group, member, by),
      samePassword: (password, stored) => this.credentials.isOneOf(password, [stored]),
      audit: (by, action, target, detail) => this.log.record(by, action, target, 'ok', detail),
      auditMany: (by, events) => this.log.recordMany(by, events),
    }, batch, actor);
  }

  // ------------------------------------------------------------ accounting and audit

  /** Stores a RADIUS accounting record; resolves only once the store has accepted it. */
  recordAccounting(r: AccountingRecord): Promise<void> { return this.store.accounting.append(r); }
  /** The tenant's activity report (report.ts) at this instant. */
  report(q: ReportQuery): Promise<TenantReport> { return tenantReport(this.tenant, this.store, q, this.now()); }
  /** A successful authentication the directory did not check itself (EAP-TLS): lastLoginAt, at most once a minute. */
  recordLogin(uid: string): Promise<void> { return this.store.users.recordLogin(uid, this.now()); }

  /** This tenant's audit events, newest first: for the admin API. */
  listAudit(q: AuditQuery): Promise<AuditEvent[]> { return this.log.list(q); }

  /** Each audit event of this tenant as it is stored (the live tail); call the result to stop. Must not block. */
  watchAudit(listener: AuditListener): () => void { return this.log.subscribe(listener); }

  /** RADIUS accounting as sessions, the most recently active first (sessions.ts). */
  listSessions(q: SessionFilter): Promise<Session[]> { return listSessions(this.store, q, this.now()); }

  audit(actor: Actor, action: string, target: string | undefined, outcome: Outcome, detail: Record<string, string> = {}): Promise<void> {
    return this.log.record(actor, action, target, outcome, detail);
  }
}
