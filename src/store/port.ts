// The store port. The only way in is `store.tenant(id)`, and no TenantStore method takes a
// tenant id, so an unscoped query cannot be written. Adapters: memory.ts (development, tests)
// and mongo.ts (the system of record); test/store/conformance.ts holds both to one behaviour.
//
// Errors: a store call that cannot reach the database rejects with StoreUnavailable, fast.
// "Not found" is `undefined` (reads) or NotFound (updates); uniqueness is Conflict.

export interface Store {
  readonly kind: 'memory' | 'mongo';
  /** A handle scoped to one tenant. Cheap: call it per request. */
  tenant(id: string): TenantStore;
  /**
   * Reports over the tenants named, each row labelled with its tenant: one aggregation for all
   * of them, never one query per tenant (the MSP-wide report). Only these tenants are counted.
   */
  // One report's view: the daily rollup it reads for a range is read once and shared by its
  // calls (counts, lockouts, newest instants), so take a new one for every report.
  tenants(ids: readonly string[]): CrossTenantReports;
  /** Reachability, for /readyz. Never throws. */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

export interface StoreHealth {
  ok: boolean;
  detail?: string;
}

export interface TenantStore {
  readonly tenantId: string;
  readonly users: UserRepo;
  readonly groups: GroupRepo;
  readonly audit: AuditRepo;
  readonly accounting: AccountingRepo;
  readonly lockouts: LockoutRepo;
  readonly sources: SourceRepo;
  readonly sequences: SequenceRepo;
  readonly devices: DeviceRepo;
  readonly outbox: OutboxRepo;
  readonly nasHistory: NasHistoryRepo;
}

// ---------------------------------------------------------------- records

export interface Credentials {
  /** bcrypt, or a migrated `{SSHA}`, `{SSHA512}`, `{CRYPT}` hash until the next login. */
  passwordHash: string;
  /** MD4 of UTF-16LE password, hex; only where the tenant has allowMschapv2. */
  ntHash?: string;
  passwordChangedAt: Date;
  /** Earlier hashes, newest first, for the history rule. */
  history: string[];
}

export interface UserRecord {
  tenantId: string;
  uid: string;
  entryUUID: string;
  cn: string;
  sn: string;
  givenName?: string;
  displayName?: string;
  mail?: string;
  telephoneNumber?: string;
  title?: string;
  uidNumber: number;
  gidNumber: number;
  homeDirectory: string;
  loginShell: string;
  sshPublicKeys: string[];
  enabled: boolean;
  expiresAt?: Date;
  createdAt: Date;
  modifiedAt: Date;
  /** Direct group memberships: group name keys (lowercased names). */
  memberOf: string[];
  credentials?: Credentials;
  /** The user's TOTP enrolment, if any. */
  totp?: TotpRecord;
  /** Generated per-device credentials (directory/app-passwords.ts). */
  appPasswords?: AppPasswordRecord[];
  /**
   * The last successful authentication (LDAP bind, RADIUS, EAP), set by recordLogin: written at
   * most once a minute per user, so it is accurate to a minute. Kept by a replacing import.
   */
  lastLoginAt?: Date;
}

/** A TOTP enrolment (RFC 6238). */
export interface TotpRecord {
  /** The seed, sealed (core/keyring.ts) with the tenant id and entryUUID as its context (a rename keeps it). */
  seed: { keyId: string; box: string };
  createdAt: Date;
  /** Set by the first valid code (mfa confirm); until then the enrolment asks nothing of logins. */
  confirmedAt?: Date;
  /** Time step of the last accepted code: a code of this step or an earlier one is a replay. */
  lastStep?: number;
}

/** An app password: a generated secret for one device or application, named by the user. */
export interface AppPasswordRecord {
  name: string;
  /** The public first part of the secret, which finds this record without a scan. */
  lookupId: string;
  /** HMAC-SHA-256 of the whole secret under the key `keyId` (core/keyring.ts), base64. */
  digest: string;
  keyId: string;
  /** MD4 of the secret, hex: only where the tenant has allowMschapv2, for PEAP-MSCHAPv2. */
  ntHash?: string;
  /** Where it may be used. */
  scopes: AppPasswordScope[];
  createdAt: Date;
  /** Updated at most hourly, so that a device that re-authenticates often costs no write each time. */
  lastUsedAt?: Date;
}

export type AppPasswordScope = 'radius' | 'ldap';

export interface GroupRecord {
  tenantId: string;
  name: string;
  entryUUID: string;
  description?: string;
  gidNumber: number;
  /** Nested groups that are members of this one: group name keys. */
  memberGroups: string[];
  createdAt: Date;
  modifiedAt: Date;
}

/** A device admitted by MAC authentication bypass (a printer, a camera, a phone). */
export interface DeviceRecord {
  tenantId: string;
  /** 12 lowercase hex digits (core/mac.ts): unique per tenant. */
  mac: string;
  name?: string;
  /** Groups whose VLAN and reply attributes the device gets: group name keys. */
  groups: string[];
  createdAt: Date;
  modifiedAt: Date;
  /** The device's last MAB login; written at most hourly, so that re-authentications cost no write each time. */
  lastSeenAt?: Date;
}

/** A record as created: the store adds tenantId and checks uniqueness. */
export type NewUser = Omit<UserRecord, 'tenantId'>;
export type NewGroup = Omit<GroupRecord, 'tenantId'>;
export type NewDevice = Omit<DeviceRecord, 'tenantId'>;

// ---------------------------------------------------------------- queries

/**
 * A user query the store runs on its indexes. The directory translates LDAP filters and API
 * lookups into these; anything else is filtered afterwards on a bounded fetch.
 * String comparisons are case-insensitive.
 */
export type UserQuery =
  | { all: true }
  | { eq: 'uid' | 'mail' | 'cn' | 'entryUUID'; value: string }
  | { eq: 'uidNumber' | 'gidNumber'; value: number }
  | { prefix: 'uid' | 'mail' | 'cn'; value: string }
  /** Direct members of any of these groups (name keys). */
  | { memberOf: string[] }
  | { in: 'uid'; values: string[] }
  | { in: 'uidNumber' | 'gidNumber'; values: number[] }
  | { and: UserQuery[] }
  | { or: UserQuery[] };

export type GroupQuery =
  | { all: true }
  | { eq: 'name' | 'entryUUID'; value: string }
  | { eq: 'gidNumber'; value: number }
  | { prefix: 'name'; value: string }
  | { in: 'name'; values: string[] }
  | { in: 'gidNumber'; values: number[] }
  /** Groups that list any of these groups (name keys) as nested members. */
  | { hasMemberGroup: string[] }
  | { and: GroupQuery[] }
  | { or: GroupQuery[] };

/** Keyset pagination in name-key order (uid or group name, lowercased). */
export interface Page {
  limit: number;
  /** Return records whose key sorts after this one. */
  after?: string;
}

export interface PageResult<T> {
  items: T[];
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}

// ---------------------------------------------------------------- repositories

export interface UserRepo {
  get(uid: string): Promise<UserRecord | undefined>;
  find(q: UserQuery, page: Page): Promise<PageResult<UserRecord>>;
  count(q?: UserQuery): Promise<number>;
  /** Conflict if the uid (case-insensitive) exists. */
  create(u: NewUser): Promise<UserRecord>;
  /**
   * Read-modify-write with optimistic concurrency: `fn` may run more than once when another
   * writer got in between. tenantId, uid, entryUUID and createdAt cannot change; modifiedAt is
   * set by the store. NotFound if absent.
   */
  update(uid: string, fn: (old: UserRecord) => UserRecord): Promise<UserRecord>;
  /** Atomic membership edits ($addToSet / $pull). NotFound if the user is absent. */
  addMemberOf(uid: string, groupKey: string): Promise<void>;
  /** addMemberOf for many users in one write (imports); returns how many of them exist. */
  addMemberOfMany(uids: string[], groupKey: string): Promise<number>;
  removeMemberOf(uid: string, groupKey: string): Promise<void>;
  /** Removes a group key from every user (group deletion). Returns how many changed. */
  removeGroupEverywhere(groupKey: string): Promise<number>;
  /**
   * Moves a group key to a new one in every user that holds it (group rename); returns how many.
   * Not one atomic step: the new key is added before the old one is removed.
   */
  replaceGroupEverywhere(oldKey: string, newKey: string): Promise<number>;
  /**
   * Gives the user a new uid; entryUUID and createdAt are kept, modifiedAt moves forward.
   * NotFound if absent; Conflict if another user has `newUid` (case-insensitive). A case
   * variant of the same uid is allowed.
   */
  rename(uid: string, newUid: string): Promise<UserRecord>;
  /** true if deleted. */
  delete(uid: string): Promise<boolean>;
  /**
   * A successful authentication at `at`: sets lastLoginAt, unless it is within a minute of `at`
   * already (one conditional update, no write at all then). modifiedAt stays; an absent user is
   * left alone.
   */
  recordLogin(uid: string, at: Date): Promise<void>;
  /** The tenant's users summed up for the report, computed by the store (counts exact, lists capped). */
  summarize(q: UserSummaryQuery): Promise<UserSummary>;
  /**
   * Bulk insert-or-replace for imports: one round trip per batch. A record whose uid exists
   * replaces it wholesale (tenantId, entryUUID and createdAt are kept).
   * Returns counts; never partially applies one record.
   */
  upsertMany(users: NewUser[]): Promise<{ inserted: number; replaced: number }>;
}

export interface GroupRepo {
  get(name: string): Promise<GroupRecord | undefined>;
  find(q: GroupQuery, page: Page): Promise<PageResult<GroupRecord>>;
  count(q?: GroupQuery): Promise<number>;
  create(g: NewGroup): Promise<GroupRecord>;
  update(name: string, fn: (old: GroupRecord) => GroupRecord): Promise<GroupRecord>;
  addMemberGroup(name: string, childKey: string): Promise<void>;
  removeMemberGroup(name: string, childKey: string): Promise<void>;
  /** Removes a child key from every group's memberGroups (group deletion). */
  removeMemberGroupEverywhere(childKey: string): Promise<number>;
  /** Moves a child key to a new one in every group's memberGroups (group rename), like replaceGroupEverywhere. */
  replaceMemberGroupEverywhere(oldKey: string, newKey: string): Promise<number>;
  /** As UserRepo.rename, for a group's name. */
  rename(name: string, newName: string): Promise<GroupRecord>;
  delete(name: string): Promise<boolean>;
}

/**
 * Devices by MAC. Every method takes a MAC in any common spelling (core/mac.ts) and stores the
 * normalised form; anything else is InvalidInput.
 */
export interface DeviceRepo {
  get(mac: string): Promise<DeviceRecord | undefined>;
  /** Keyset pagination in MAC order. */
  list(page: Page): Promise<PageResult<DeviceRecord>>;
  /** Conflict if the MAC is registered already. */
  create(d: NewDevice): Promise<DeviceRecord>;
  /** As UserRepo.update: tenantId, mac and createdAt cannot change; modifiedAt is set. NotFound if absent. */
  update(mac: string, fn: (old: DeviceRecord) => DeviceRecord): Promise<DeviceRecord>;
  /** true if deleted. */
  delete(mac: string): Promise<boolean>;
  /** Sets lastSeenAt, and nothing else (modifiedAt stays); a MAC that is not registered is left alone. */
  touch(mac: string, at: Date): Promise<void>;
  /** Removes a group key from every device (group deletion). Returns how many changed. */
  removeGroupEverywhere(groupKey: string): Promise<number>;
  /** Moves a group key to a new one in every device that holds it (group rename), like UserRepo's. */
  replaceGroupEverywhere(oldKey: string, newKey: string): Promise<number>;
}

export interface AuditEvent {
  at: Date;
  // The store adds `day` (the UTC date of `at`, YYYY-MM-DD) to what it keeps, for grouping by
  // day on an index; listings never show it.
  /** Who: an admin name, `ldap:<dn>`, `radius:<nas>`, `system`. */
  actor: string;
  /** What, dotted: user.create, user.passwd, ldap.bind, radius.auth, ... */
  action: string;
  /** The object acted on (uid, group name), if any. */
  target?: string;
  outcome: 'ok' | 'failed' | 'refused';
  protocol?: 'admin' | 'ldap' | 'radius' | 'eap' | 'cli' | 'system';
  /** Short machine-readable reason or detail; never a secret. */
  reason?: string;
  /** Source address, NAS name, method: small flat values only. */
  detail?: Record<string, string | number | boolean>;
}

export interface AuditQuery {
  since?: Date;
  until?: Date;
  action?: string;
  target?: string;
  outcome?: AuditEvent['outcome'];
  /** Newest first, at most this many. */
  limit: number;
}

export interface AuditRepo {
  append(e: AuditEvent): Promise<void>;
  /** Many events in one write (an import's one per user), as if appended one by one in this order. */
  appendMany(events: AuditEvent[]): Promise<void>;
  list(q: AuditQuery): Promise<AuditEvent[]>;
  /**
   * Deletes events older than `before`; returns how many. Retention runs this periodically. The
   * daily rollup loses the UTC days wholly before `before`'s day.
   */
  purge(before: Date): Promise<number>;
  /**
   * Events of `actions` counted per UTC day, protocol, detail.method and outcome (the report's
   * authentications), over every UTC day [since, until) touches, each day whole (the edge days
   * are not cut at since and until). Rows in day, protocol, method, outcome order.
   *
   * Where every action asked is one of records.ts ROLLED_UP_ACTIONS (authentications, lockouts)
   * and there is no actionPrefix, the counts come from the daily rollup that append and
   * appendMany keep (one document per tenant and day), not from the events: the rollup starts
   * with the version that keeps it, so events stored by earlier versions are not counted there.
   */
  countByDay(q: AuditRangeQuery): Promise<AuditDayCount[]>;
  /**
   * The targets ('user') or detail.source values ('source', with detail.nas) of the most failed
   * or refused events of `actions` in [since, until): most first (ties by key, then NAS), at most `limit`.
   */
  topFailing(q: AuditRangeQuery & { by: 'user' | 'source'; limit: number }): Promise<AuditTop[]>;
  /** Events of `actions` (every action without it) in [since, until), newest first, capped: count exact. */
  recent(q: AuditRangeQuery & { limit: number }): Promise<{ count: number; items: AuditEvent[] }>;
  /** The instant of the newest event of `actions` (of any without it). */
  lastAt(q?: { actions?: readonly string[] }): Promise<Date | undefined>;
}

/** A time range of audit events of some actions. */
export interface AuditRangeQuery {
  since: Date;
  /** Exclusive. */
  until: Date;
  /** Only these actions; every action when absent. */
  actions?: readonly string[];
  /** Events with one of these reasons are left out (a RADIUS MFA challenge is a step, not a failure). */
  exceptReasons?: readonly string[];
  /** Only events with one of these action prefixes ('security.'); with `actions`, either matches. */
  actionPrefix?: string;
}

export interface AuditDayCount {
  /** UTC, YYYY-MM-DD. */
  day: string;
  /** '' where the event had none. */
  protocol: string;
  method: string;
  outcome: AuditEvent['outcome'];
  count: number;
}

export interface AuditTop {
  /** The uid (target) or the source address. */
  key: string;
  /** For sources: the NAS the events came through, when they name one. */
  nas?: string;
  failures: number;
  lastAt: Date;
}

/** What users.summarize counts, at `now`. */
export interface UserSummaryQuery {
  now: Date;
  /** Logged in within this many days: active; before: inactive. */
  inactiveDays: number;
  /** Passwords that expire (passwordPolicy.maxAgeDays after they were set) within this many days; none when maxAgeDays is 0. */
  expiringDays: number;
  passwordMaxAgeDays: number;
  /** App passwords not used (or, never used, created) within this many days. */
  unusedDays: number;
  /** Group keys whose direct members are exempt from MFA (the directory passes the nested closure). */
  exemptGroups: readonly string[];
  /** Lists are capped at this many (at most MAX_PAGE); counts are exact. */
  limit: number;
}

export interface UserSummary {
  total: number;
  enabled: number;
  disabled: number;
  /** expiresAt at or before now. */
  expired: number;
  /** Logged in within inactiveDays. */
  active: number;
  /** In uid order. */
  neverLoggedIn: { count: number; users: string[] };
  /** Logged in, but not within inactiveDays; the longest inactive first. */
  inactive: { count: number; users: { uid: string; lastLoginAt: Date }[] };
  /** Soonest first. */
  passwordsExpiring: { count: number; users: { uid: string; expiresAt: Date }[] };
  appPasswordsUnused: { count: number; items: { uid: string; name: string; lastUsedAt?: Date }[] };
  mfa: {
    /** Enabled users with a confirmed TOTP enrolment. */
    enrolled: number;
    /** Enabled users in an exempt group. */
    exempt: number;
    /** Enabled users not exempt, and those of them enrolled. */
    notExempt: number;
    enrolledNotExempt: number;
  };
}

/** The MSP-wide report's numbers, per tenant, each computed for all the tenants at once. */
export interface CrossTenantReports {
  /** As AuditRepo.countByDay (whole days; from the daily rollup for its actions), per tenant and day, over protocols and methods. */
  countByDay(q: AuditRangeQuery): Promise<{ tenantId: string; day: string; outcome: AuditEvent['outcome']; count: number }[]>;
  /**
   * The newest event of `actions` per tenant in [since, until); tenants without one are absent.
   * For rolled-up actions, from the rollup's newest instant per day; a tenant whose newest lies
   * outside the range (the edge days) is looked up in its events by one indexed find.
   */
  lastAt(q: AuditRangeQuery): Promise<Map<string, Date>>;
  /** Per tenant: users, enabled ones, logged in at or after `activeSince`, and enabled with a confirmed TOTP. */
  users(q: { activeSince: Date }): Promise<Map<string, { total: number; enabled: number; active: number; mfaEnrolled: number }>>;
}

export interface AccountingRecord {
  at: Date;
  sessionId: string;
  statusType: 'start' | 'interim' | 'stop' | 'on' | 'off';
  user?: string;
  nas: string;
  nasAddress: string;
  framedAddress?: string;
  callingStationId?: string;
  calledStationId?: string;
  inputOctets?: number;
  outputOctets?: number;
  sessionTime?: number;
  terminateCause?: string;
}

export interface AccountingRepo {
  /**
   * Stores the record and folds it into its session (see SessionRecord); an Accounting-On or
   * -Off ends the sessions of its NAS that were still open. Appending the same record again
   * (a NAS's retry) leaves the session as it was.
   */
  append(r: AccountingRecord): Promise<void>;
  list(q: { sessionId?: string; user?: string; since?: Date; limit: number }): Promise<AccountingRecord[]>;
  /** Sessions, the most recently active first (ties by NAS, then session id). */
  sessions(q: SessionQuery): Promise<SessionRecord[]>;
  /** Deletes records older than `before`, and sessions whose last record is; returns how many records. */
  purge(before: Date): Promise<number>;
}

/**
 * One accounting session (a NAS and its Acct-Session-Id), folded from its records as they
 * arrive: the earliest start, the latest counters (octets and Acct-Session-Time count up, so
 * the largest value is the latest), the last value given of each address.
 */
export interface SessionRecord {
  nas: string;
  sessionId: string;
  /** As the records name it: the uid from our Class, else User-Name. */
  user?: string;
  nasAddress: string;
  callingStationId?: string;
  calledStationId?: string;
  framedAddress?: string;
  /** The earliest record's instant less its Acct-Session-Time: the start, even when the Start was lost. */
  startedAt: Date;
  /** The latest record's instant (Start, Interim-Update or Stop). */
  lastAt: Date;
  /** Set by a Stop, or by an Accounting-On/Off of its NAS while the session was open. */
  stoppedAt?: Date;
  /** Acct-Terminate-Cause of the Stop; `Accounting-On` / `Accounting-Off` when the NAS restarted. */
  stopCause?: string;
  /** Seconds, the largest Acct-Session-Time reported. */
  sessionTime?: number;
  inputOctets?: number;
  outputOctets?: number;
}

export interface SessionQuery {
  /** Only this user's sessions (exact, as stored). */
  user?: string;
  /** Only sessions whose latest record is at or after this instant. */
  since?: Date;
  /** Only sessions without a stop (stoppedAt) whose latest record is at or after this instant. */
  activeSince?: Date;
  limit: number;
}

export interface LockoutState {
  /** Failures within the current window. */
  failures: number;
  windowStart: Date;
  lockedUntil?: Date;
}

/** Failure counters shared by every protocol (LDAP bind, RADIUS, EAP). Keyed by uid. */
export interface LockoutRepo {
  get(uid: string): Promise<LockoutState | undefined>;
  /** The states of those of `uids` that have one, by uid name key (lowercased): one read, for listings. */
  getMany(uids: string[]): Promise<Map<string, LockoutState>>;
  /**
   * Counts one failure atomically. If the current window started before `now - windowMs`, a
   * new window starts with this failure. If the count reaches `threshold`, sets
   * lockedUntil = now + lockMs. Returns the state after the update.
   */
  registerFailure(uid: string, o: { now: Date; windowMs: number; threshold: number; lockMs: number }): Promise<LockoutState>;
  /** Success or an admin unlock: forget the failures and any lock. */
  clear(uid: string): Promise<void>;
}

/** A source address a user (or service account) authenticated from, and when it last did. */
export interface FamiliarSource {
  source: string;
  at: Date;
}

/**
 * Where each account last authenticated successfully: smart lockout's familiar sources, which
 * an account lock does not shut out. Keyed by uid (name key), like lockouts.
 */
export interface SourceRepo {
  /** Sources `uid` authenticated from at or after `since`, newest first, at most `limit`. */
  list(uid: string, o: { since: Date; limit: number }): Promise<FamiliarSource[]>;
  /** Records a success from `source` at `at`, and drops this uid's entries older than `forgetBefore`. */
  remember(uid: string, source: string, o: { at: Date; forgetBefore: Date }): Promise<void>;
  /** Forgets every source of `uid` (a deleted or renamed account). */
  forget(uid: string): Promise<void>;
}

/**
 * The NAS each account has logged in through, for the security.new-nas event: one entry per
 * account and NAS, kept until the account is deleted or renamed. Keyed by uid (name key).
 */
export interface NasHistoryRepo {
  /**
   * Records a login of `uid` through `nas`. `first`: the first through this NAS; `others`: the
   * account had logged in through another NAS before.
   */
  note(uid: string, nas: string, at: Date): Promise<{ first: boolean; others: boolean }>;
  /** Forgets every NAS of `uid` (a deleted or renamed account). */
  forget(uid: string): Promise<void>;
}

/** An audit event waiting to be delivered to one destination (a webhook). */
export interface NewOutboxItem {
  /** The destination's id (integrations decides what it names). */
  destination: string;
  event: AuditEvent;
}

/** A claimed outbox item: the caller holds it until `lease` expires. */
export interface OutboxItem extends NewOutboxItem {
  /** Assigned by the store; the same on every attempt (receivers deduplicate on it). */
  id: string;
  createdAt: Date;
  /** Attempts made before this claim. */
  attempts: number;
  /** This claim's token: failed() and release() apply only while it still holds. */
  lease: string;
}

export interface OutboxStatus {
  /** Items waiting (due, retrying or claimed). */
  pending: number;
  /** Items given up on, kept until retention purges them. */
  dead: number;
  oldestPendingAt?: Date;
  lastSuccessAt?: Date;
  lastFailure?: { at: Date; status?: number; error: string };
}

/**
 * A durable queue of deliveries per destination: at-least-once. An item stays until delivered()
 * or until it is dead and purged. A claim leases items for `leaseMs`; an item whose lease ran out
 * (a crashed or stopped worker) is claimed again, so two workers never hold one item at once.
 */
export interface OutboxRepo {
  /** Many items in one write, each with its own id, created and due at `now`. */
  enqueue(items: NewOutboxItem[], now: Date): Promise<void>;
  /** Up to `limit` items of `destination` due at `now`, oldest due first, leased until now + leaseMs. */
  claim(destination: string, o: { now: Date; leaseMs: number; limit: number }): Promise<OutboxItem[]>;
  /** Delivered: the item is gone (whoever holds its lease), and the destination's last success is `at`. */
  delivered(item: Pick<OutboxItem, 'id' | 'destination'>, at: Date): Promise<void>;
  /**
   * A failed attempt: counted, recorded as the destination's last failure, and the item is due
   * again at `retryAt`, or dead without it. false (and nothing changed) if the lease was lost.
   */
  failed(item: OutboxItem, o: { at: Date; status?: number; error: string; retryAt?: Date }): Promise<boolean>;
  /** Hands a claimed item back, unattempted and due at `at` (a worker stopping). */
  release(item: OutboxItem, at: Date): Promise<void>;
  status(destination: string): Promise<OutboxStatus>;
  /** Deletes items (pending or dead) created before `before`; returns how many. */
  purge(before: Date): Promise<number>;
}

/** Monotonic counters per tenant (POSIX ids): never reused. */
export interface SequenceRepo {
  /**
   * Reserves `count` consecutive numbers and returns the first. The first number ever handed
   * out for `name` is `start`.
   */
  next(name: string, start: number, count?: number): Promise<number>;
  /** The number `next` would hand out now, without reserving it; undefined if `name` was never used. */
  peek(name: string): Promise<number | undefined>;
}
