// The admin API's wire format, once: TypeBox schemas that fastify validates requests and
// serializes responses with, and their static types, which the CLI imports (types only).
// Response schemas are allow-lists: a field not named here never leaves the server.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { NAME_PATTERN } from '../core/ids.ts';
import { MAX_IMPORT_BATCH } from '../directory/index.ts';

const Name = Type.String({ pattern: NAME_PATTERN });
const Time = Type.String({ format: 'date-time' });
// Generous bounds: the directory applies the real limits (256 for names) with clearer messages,
// and per row in an import, where a schema error would refuse the whole batch.
const Str = (maxLength = 1024) => Type.String({ maxLength });
const Opt = <T extends TSchema>(t: T) => Type.Optional(t);
/** A patch value: null (or '') clears the field. */
const Clearable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));
const Int = Type.Integer({ minimum: 0, maximum: 2_147_483_647 });
const Count = Type.Integer({ minimum: 0 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const SshKeys = Type.Array(Type.String({ maxLength: 16_384 }), { maxItems: 64 });

// ---------------------------------------------------------------- errors, pages

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
export type ErrorBody = Static<typeof ErrorBody>;

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Opt(Type.String({ maxLength: 512 })),
  /** Case-insensitive prefix of the uid (users) or name (groups). */
  q: Opt(Type.String({ maxLength: 64 })),
}, { additionalProperties: false });
export type PageQuery = Static<typeof PageQuery>;

function Page<T extends TSchema>(item: T) {
  // `next` is the cursor for the following page; absent on the last one.
  return Type.Object({ items: Type.Array(item), next: Opt(Type.String()) });
}
export interface PageJson<T> {
  items: T[];
  next?: string;
}

// ---------------------------------------------------------------- tenants

export const TenantJson = Type.Object({
  id: Type.String(),
  name: Type.String(),
  baseDN: Type.String(),
  passwordPolicy: Type.Object({
    minLength: Type.Integer(), minClasses: Type.Integer(), maxAgeDays: Type.Integer(), history: Type.Integer(),
    lockout: Type.Object({ threshold: Type.Integer(), windowMinutes: Type.Integer(), durationMinutes: Type.Integer() }),
  }),
  mfa: Type.Object({ totp: Type.String() }),
});
export type TenantJson = Static<typeof TenantJson>;
export const TenantList = Type.Object({ items: Type.Array(TenantJson) });

// ---------------------------------------------------------------- users

const userFields = {
  cn: Opt(Str()),
  sn: Opt(Str()),
  givenName: Opt(Str()),
  displayName: Opt(Str()),
  mail: Opt(Str()),
  telephoneNumber: Opt(Str()),
  title: Opt(Str()),
  homeDirectory: Opt(Str()),
  loginShell: Opt(Str()),
  sshPublicKeys: Opt(SshKeys),
  enabled: Opt(Type.Boolean()),
  expiresAt: Opt(Time),
};

export const UserJson = Type.Object({
  uid: Type.String(),
  entryUUID: Type.String(),
  ...userFields,
  cn: Type.String(),
  sn: Type.String(),
  uidNumber: Type.Integer(),
  gidNumber: Type.Integer(),
  homeDirectory: Type.String(),
  loginShell: Type.String(),
  sshPublicKeys: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  /** Direct groups (name keys). */
  memberOf: Type.Array(Type.String()),
  hasPassword: Type.Boolean(),
  passwordChangedAt: Opt(Time),
  createdAt: Time,
  modifiedAt: Time,
  /** On user reads and listings (not group member lists): set while the account is locked out. */
  lockedUntil: Opt(Time),
});
export type UserJson = Static<typeof UserJson>;
export const UserPage = Page(UserJson);

const newUserFields = {
  uid: Name,
  ...userFields,
  uidNumber: Opt(Int),
  gidNumber: Opt(Int),
  groups: Opt(Type.Array(Name, { maxItems: 1000 })),
  password: Opt(Password),
  passwordHash: Opt(Type.String({ minLength: 1, maxLength: 1024 })),
};

export const NewUserBody = Type.Object(newUserFields, { additionalProperties: false });
export type NewUserBody = Static<typeof NewUserBody>;

export const UserPatchBody = Type.Object({
  ...userFields,
  givenName: Clearable(Str()),
  displayName: Clearable(Str()),
  mail: Clearable(Str()),
  telephoneNumber: Clearable(Str()),
  title: Clearable(Str()),
  expiresAt: Clearable(Time),
}, { additionalProperties: false, minProperties: 1 });
export type UserPatchBody = Static<typeof UserPatchBody>;

export const PasswordBody = Type.Object({ password: Password }, { additionalProperties: false });
export type PasswordBody = Static<typeof PasswordBody>;

/** `unlocked`: false when the user was not locked (nothing changed, nothing audited). */
export const UnlockResult = Type.Object({ uid: Type.String(), unlocked: Type.Boolean() });
export type UnlockResult = Static<typeof UnlockResult>;

/** Without a number, the tenant's next free one. */
export const RenumberUserBody = Type.Object({ uidNumber: Opt(Int) }, { additionalProperties: false });
export type RenumberUserBody = Static<typeof RenumberUserBody>;

// ---------------------------------------------------------------- MFA (TOTP)

/** The answer to an enrolment: the only time the seed leaves the server. */
export const TotpEnrolment = Type.Object({
  uid: Type.String(),
  /** otpauth://totp/... for an authenticator app. */
  uri: Type.String(),
  /** The seed in base32, to type into an app by hand. */
  secret: Type.String(),
  /** The URI as a QR code, SVG. */
  qrSvg: Type.String(),
});
export type TotpEnrolment = Static<typeof TotpEnrolment>;

export const TotpCodeBody = Type.Object({ code: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false });
export type TotpCodeBody = Static<typeof TotpCodeBody>;

export const TotpStatusJson = Type.Object({
  uid: Type.String(),
  enrolled: Type.Boolean(),
  confirmed: Type.Boolean(),
  createdAt: Opt(Time),
  confirmedAt: Opt(Time),
  /** The tenant's mfa.totp: whether the authenticator is asked for at all. */
  tenantMode: Type.String(),
});
export type TotpStatusJson = Static<typeof TotpStatusJson>;

export const TotpResetResult = Type.Object({ uid: Type.String(), reset: Type.Boolean() });
export type TotpResetResult = Static<typeof TotpResetResult>;

export const ResealResult = Type.Object({ tenant: Type.String(), resealed: Type.Integer(), unreadable: Type.Array(Type.String()) });
export type ResealResult = Static<typeof ResealResult>;

// ---------------------------------------------------------------- app passwords

const AppPasswordScope = Type.Union([Type.Literal('radius'), Type.Literal('ldap')]);

export const NewAppPasswordBody = Type.Object({
  name: Name,
  /** Where it may be used; default both. */
  scopes: Opt(Type.Array(AppPasswordScope, { minItems: 1, maxItems: 2, uniqueItems: true })),
}, { additionalProperties: false });
export type NewAppPasswordBody = Static<typeof NewAppPasswordBody>;

const appPasswordFields = {
  name: Type.String(),
  scopes: Type.Array(AppPasswordScope),
  createdAt: Time,
  lastUsedAt: Opt(Time),
  /** The secrets.keys id its digest was made with: keep that key configured while this exists. */
  keyId: Type.String(),
  /** It has an NT hash: PEAP-MSCHAPv2 works with it (the tenant had radius.allowMschapv2 when it was made). */
  mschapv2: Type.Boolean(),
};

export const AppPasswordJson = Type.Object(appPasswordFields);
export type AppPasswordJson = Static<typeof AppPasswordJson>;
export const AppPasswordList = Type.Object({ uid: Type.String(), items: Type.Array(AppPasswordJson) });
export type AppPasswordList = Static<typeof AppPasswordList>;

/** The answer to an add: the only time the secret leaves the server. */
export const NewAppPasswordJson = Type.Object({ uid: Type.String(), ...appPasswordFields, secret: Type.String() });
export type NewAppPasswordJson = Static<typeof NewAppPasswordJson>;

// ---------------------------------------------------------------- groups

export const GroupJson = Type.Object({
  name: Type.String(),
  entryUUID: Type.String(),
  description: Opt(Type.String()),
  gidNumber: Type.Integer(),
  /** Nested member groups (name keys). */
  memberGroups: Type.Array(Type.String()),
  createdAt: Time,
  modifiedAt: Time,
});
export type GroupJson = Static<typeof GroupJson>;
export const GroupPage = Page(GroupJson);

export const NewGroupBody = Type.Object({
  name: Name,
  description: Opt(Str()),
  gidNumber: Opt(Int),
}, { additionalProperties: false });
export type NewGroupBody = Static<typeof NewGroupBody>;

export const GroupPatchBody = Type.Object({
  description: Clearable(Str()),
}, { additionalProperties: false, minProperties: 1 });
export type GroupPatchBody = Static<typeof GroupPatchBody>;

export const RenumberGroupBody = Type.Object({ gidNumber: Opt(Int) }, { additionalProperties: false });
export type RenumberGroupBody = Static<typeof RenumberGroupBody>;

export const MembersQuery = Type.Object({
  ...PageQuery.properties,
  /** true: only direct members; default: members through nested groups too. */
  direct: Type.Boolean({ default: false }),
}, { additionalProperties: false });
export type MembersQuery = Static<typeof MembersQuery>;

// ---------------------------------------------------------------- devices

/** A MAC in any common spelling; the directory parses it (and names the field when it is none). */
const Mac = Type.String({ minLength: 1, maxLength: 64 });

export const DeviceJson = Type.Object({
  /** 12 lowercase hex digits. */
  mac: Type.String(),
  name: Opt(Type.String()),
  /** Groups (name keys) whose VLAN and reply attributes the device gets. */
  groups: Type.Array(Type.String()),
  createdAt: Time,
  modifiedAt: Time,
  /** The last MAB login, to the hour. */
  lastSeenAt: Opt(Time),
});
export type DeviceJson = Static<typeof DeviceJson>;
export const DevicePage = Page(DeviceJson);

export const DevicePageQuery = Type.Object({
  limit: PageQuery.properties.limit,
  cursor: PageQuery.properties.cursor,
}, { additionalProperties: false });
export type DevicePageQuery = Static<typeof DevicePageQuery>;

export const NewDeviceBody = Type.Object({
  mac: Mac,
  name: Opt(Str(256)),
  groups: Opt(Type.Array(Name, { maxItems: 100 })),
}, { additionalProperties: false });
export type NewDeviceBody = Static<typeof NewDeviceBody>;

/** `name: null` clears it; `groups` replaces the list. */
export const DevicePatchBody = Type.Object({
  name: Clearable(Str(256)),
  groups: Opt(Type.Array(Name, { maxItems: 100 })),
}, { additionalProperties: false, minProperties: 1 });
export type DevicePatchBody = Static<typeof DevicePatchBody>;

// ---------------------------------------------------------------- import

const Line = Opt(Type.Integer({ minimum: 1 }));
/** The DN of the LDIF entry the row came from: the row is refused unless it is in the tenant's subtree. */
const EntryDn = Opt(Type.String({ minLength: 1, maxLength: 4096 }));

/** A row's names are checked by the directory, so that a bad one fails that row only. */
const RowName = Type.String({ minLength: 1, maxLength: 1024 });
const RowNames = Type.Array(RowName, { maxItems: 10_000 });

export const ImportUserJson = Type.Object({
  ...newUserFields, uid: RowName, groups: Opt(RowNames), line: Line, dn: EntryDn,
}, { additionalProperties: false });
export type ImportUserJson = Static<typeof ImportUserJson>;

export const ImportGroupJson = Type.Object({
  name: RowName,
  description: Opt(Str()),
  gidNumber: Opt(Int),
  line: Line,
  dn: EntryDn,
  members: Opt(RowNames),
  memberGroups: Opt(RowNames),
}, { additionalProperties: false });
export type ImportGroupJson = Static<typeof ImportGroupJson>;

/** At most MAX_IMPORT_BATCH rows in all (checked by the route). */
export const ImportBody = Type.Object({
  users: Opt(Type.Array(ImportUserJson, { maxItems: MAX_IMPORT_BATCH })),
  groups: Opt(Type.Array(ImportGroupJson, { maxItems: MAX_IMPORT_BATCH })),
}, { additionalProperties: false });
export type ImportBody = Static<typeof ImportBody>;

export const ImportResult = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  failed: Type.Integer(),
  errors: Type.Array(Type.Object({ line: Opt(Type.Integer()), name: Type.String(), message: Type.String() })),
});
export type ImportResult = Static<typeof ImportResult>;

// ---------------------------------------------------------------- audit

const Outcome = Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('refused')]);
const auditFilters = {
  action: Opt(Type.String({ maxLength: 64 })),
  target: Opt(Type.String({ maxLength: 256 })),
  outcome: Opt(Outcome),
};

export const AuditQuery = Type.Object({
  since: Opt(Time),
  /** Events strictly before this time: pass the last event's `at` for the next page. */
  until: Opt(Time),
  ...auditFilters,
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
}, { additionalProperties: false });
export type AuditQuery = Static<typeof AuditQuery>;

/** The live stream (Server-Sent Events) takes the same filters, exact matches all. */
export const AuditStreamQuery = Type.Object({
  ...auditFilters,
  /** The newest stored events (matching) to send first; a resumed stream sends what it missed instead. */
  backlog: Type.Integer({ minimum: 0, maximum: 1000, default: 0 }),
  /** Resume after this event id, for clients that cannot send the Last-Event-ID header (which wins). */
  lastEventId: Opt(Type.String({ maxLength: 64 })),
}, { additionalProperties: false });
export type AuditStreamQuery = Static<typeof AuditStreamQuery>;

export const AuditEventJson = Type.Object({
  at: Time,
  actor: Type.String(),
  action: Type.String(),
  target: Opt(Type.String()),
  outcome: Type.String(),
  protocol: Opt(Type.String()),
  reason: Opt(Type.String()),
  detail: Opt(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
});
export type AuditEventJson = Static<typeof AuditEventJson>;
export const AuditList = Type.Object({ items: Type.Array(AuditEventJson) });

// ---------------------------------------------------------------- sessions

export const SessionQuery = Type.Object({
  /** The user as accounting names it (the inner identity from our Class); exact. */
  user: Opt(Type.String({ maxLength: 256 })),
  /** Only sessions without a stop whose NAS sent a record within `activeWithinHours`. */
  active: Type.Boolean({ default: false }),
  /** Only sessions with a record at or after this time. */
  since: Opt(Time),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
}, { additionalProperties: false });
export type SessionQuery = Static<typeof SessionQuery>;

export const SessionJson = Type.Object({
  user: Opt(Type.String()),
  nas: Type.String(),
  nasAddress: Type.String(),
  sessionId: Type.String(),
  callingStationId: Opt(Type.String()),
  calledStationId: Opt(Type.String()),
  framedAddress: Opt(Type.String()),
  startedAt: Time,
  /** The latest record (Start, Interim-Update or Stop). */
  lastAt: Time,
  stoppedAt: Opt(Time),
  /** Acct-Terminate-Cause; Accounting-On / Accounting-Off when the NAS restarted. */
  stopCause: Opt(Type.String()),
  active: Type.Boolean(),
  /** Seconds: to the stop, to now while active, to the last record for a session that went quiet. */
  duration: Count,
  inputOctets: Opt(Count),
  outputOctets: Opt(Count),
});
export type SessionJson = Static<typeof SessionJson>;
export const SessionList = Type.Object({
  items: Type.Array(SessionJson),
  /** What `active` means: a record within this many hours, and no stop. */
  activeWithinHours: Type.Integer(),
});
export type SessionList = Static<typeof SessionList>;

// ---------------------------------------------------------------- reports

/** How far back: `7d`, `24h`, `90m`, or an ISO date-time (at most 366 days). */
const Since = Type.String({ maxLength: 64, pattern: '^([0-9]{1,6}[dhm]|[0-9]{4}-[0-9]{2}-[0-9]{2}.*)$', default: '7d' });
const Days = (d: number) => Type.Integer({ minimum: 0, maximum: 3650, default: d });
const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);
const NullableTime = Type.Union([Time, Type.Null()]);
const DayTotals = Type.Object({ day: Type.String(), ok: Count, failed: Count });

export const ReportQuery = Type.Object({
  since: Since,
  inactiveDays: Days(30),
  expiringDays: Days(14),
  unusedDays: Days(90),
}, { additionalProperties: false });
export type ReportQuery = Static<typeof ReportQuery>;

export const MspReportQuery = Type.Object({ since: Since, inactiveDays: Days(30) }, { additionalProperties: false });
export type MspReportQuery = Static<typeof MspReportQuery>;

/** One tenant's activity and KPIs. Lists hold at most 100 entries (top lists 10); every count is exact. */
export const TenantReportJson = Type.Object({
  tenant: Type.String(),
  since: Time,
  until: Time,
  generatedAt: Time,
  lastActivity: NullableTime,
  authentications: Type.Object({
    ok: Count,
    failed: Count,
    successRate: Rate,
    byMethod: Type.Array(Type.Object({ protocol: Type.String(), method: Type.String(), ok: Count, failed: Count })),
    byDay: Type.Array(DayTotals),
  }),
  topFailingUsers: Type.Array(Type.Object({ user: Type.String(), failures: Count, lastAt: Time })),
  topFailingSources: Type.Array(Type.Object({ source: Type.String(), nas: Type.Union([Type.String(), Type.Null()]), failures: Count, lastAt: Time })),
  lockouts: Type.Object({ count: Count, users: Type.Array(Type.Object({ user: Type.String(), at: Time })) }),
  users: Type.Object({
    total: Count,
    enabled: Count,
    disabled: Count,
    expired: Count,
    active: Count,
    neverLoggedIn: Type.Object({ count: Count, users: Type.Array(Type.String()) }),
    inactive: Type.Object({ days: Count, count: Count, users: Type.Array(Type.Object({ user: Type.String(), lastLoginAt: Time })) }),
  }),
  mfa: Type.Object({ enrolled: Count, required: Count, exempt: Count, coverage: Rate }),
  passwordsExpiring: Type.Object({ days: Count, count: Count, users: Type.Array(Type.Object({ user: Type.String(), expiresAt: Time })) }),
  appPasswordsUnused: Type.Object({
    days: Count, count: Count,
    items: Type.Array(Type.Object({ user: Type.String(), name: Type.String(), lastUsedAt: NullableTime })),
  }),
  suspicious: Type.Array(Type.Object({
    kind: Type.String(),
    user: Type.Union([Type.String(), Type.Null()]),
    source: Type.Union([Type.String(), Type.Null()]),
    at: Time,
    detail: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  })),
});
export type TenantReportJson = Static<typeof TenantReportJson>;

/** One row per tenant the caller may see. */
export const MspReportJson = Type.Object({
  since: Time,
  until: Time,
  rows: Type.Array(Type.Object({
    tenant: Type.String(),
    users: Count,
    activeUsers: Count,
    authOk: Count,
    authFailed: Count,
    successRate: Rate,
    lockouts: Count,
    mfaCoverage: Rate,
    lastActivity: NullableTime,
    byDay: Type.Array(DayTotals),
  })),
});
export type MspReportJson = Static<typeof MspReportJson>;

// ---------------------------------------------------------------- doctor

export const DoctorJson = Type.Object({
  tenant: Type.String(),
  /** How many were examined. */
  users: Type.Integer(),
  groups: Type.Integer(),
  problems: Type.Array(Type.Object({
    kind: Type.Union([Type.Literal('private-group-is-a-group'), Type.Literal('uidNumber-shared'), Type.Literal('gidNumber-shared')]),
    number: Type.Integer(),
    users: Type.Array(Type.String()),
    groups: Type.Array(Type.String()),
    message: Type.String(),
    fix: Type.String(),
  })),
});
export type DoctorJson = Static<typeof DoctorJson>;

// ---------------------------------------------------------------- integrations

const DestinationScope = Type.Union([Type.Literal('tenant'), Type.Literal('msp')]);

export const WebhookStatusJson = Type.Object({
  name: Type.String(),
  scope: DestinationScope,
  /** Scheme, host and port: a URL's path and query may hold a token, and are never shown. */
  origin: Type.String(),
  events: Type.Array(Type.String()),
  outcomes: Opt(Type.Array(Type.String())),
  /** Waiting, retrying or in flight. */
  pending: Count,
  /** Given up on (after integrations.delivery.giveUpAfterMs), kept until retention. */
  dead: Count,
  oldestPendingAt: Opt(Time),
  lastSuccessAt: Opt(Time),
  lastFailure: Opt(Type.Object({ at: Time, status: Opt(Type.Integer()), error: Type.String() })),
  /** Since this daemon started. */
  delivered: Count,
  failedAttempts: Count,
  givenUp: Count,
  /** MSP-wide webhooks: tenants with items pending or dead. */
  byTenant: Opt(Type.Record(Type.String(), Type.Object({ pending: Count, dead: Count }))),
});

export const SyslogStatusJson = Type.Object({
  scope: DestinationScope,
  host: Type.String(),
  port: Type.Integer(),
  transport: Type.String(),
  format: Type.String(),
  events: Type.Array(Type.String()),
  /** Since this daemon started: handed to the socket, dropped from a full queue, failed connections and sends. */
  sent: Count,
  dropped: Count,
  errors: Count,
  queued: Count,
  connected: Type.Boolean(),
});

export const IntegrationsJson = Type.Object({
  webhooks: Type.Array(WebhookStatusJson),
  syslog: Type.Array(SyslogStatusJson),
});
export type IntegrationsJson = Static<typeof IntegrationsJson>;

// ---------------------------------------------------------------- health

export const Readiness = Type.Object({
  ready: Type.Boolean(),
  checks: Type.Record(Type.String(), Type.Union([Type.Boolean(), Type.String()])),
});

// ---------------------------------------------------------------- the caller, config health, RADIUS view

/** Who the token is: what the console shows and which buttons it offers. */
export const WhoamiJson = Type.Object({
  name: Type.String(),
  role: Type.String(),
  /** The tenants it may act on; `all` for msp-admin. */
  tenants: Type.Union([Type.Literal('all'), Type.Array(Type.String())]),
  /** What the role allows: changes (create, delete, edit), credential resets, MSP-wide views. */
  may: Type.Object({ write: Type.Boolean(), credential: Type.Boolean(), msp: Type.Boolean() }),
});
export type WhoamiJson = Static<typeof WhoamiJson>;

const Problem = Type.Object({ file: Type.String(), line: Type.Integer(), col: Type.Integer(), message: Type.String() });

/** The configuration in force and the last reload: a refused one names each problem by file:line:col. */
export const ConfigStatusJson = Type.Object({
  /** When the configuration in force was loaded. */
  loadedAt: Time,
  tenants: Count,
  lastReload: Opt(Type.Object({
    at: Time,
    reason: Type.String(),
    ok: Type.Boolean(),
    problems: Type.Array(Problem),
    warnings: Type.Array(Problem),
  })),
});
export type ConfigStatusJson = Static<typeof ConfigStatusJson>;

/** A tenant's NAS clients and VLANs, read-only (they live in YAML), each with the line to edit. Never a secret. */
export const RadiusViewJson = Type.Object({
  tenant: Type.String(),
  /** The tenant's file, relative to the config directory. */
  file: Type.String(),
  clients: Type.Array(Type.Object({ name: Type.String(), address: Type.String(), line: Opt(Type.Integer()) })),
  vlans: Type.Array(Type.Object({ group: Type.String(), vlan: Type.Integer(), line: Opt(Type.Integer()) })),
  realms: Type.Array(Type.String()),
  requireMessageAuthenticator: Type.Boolean(),
  allowMschapv2: Type.Boolean(),
  mab: Type.Object({ enabled: Type.Boolean(), unknownVlan: Opt(Type.Integer()) }),
});
export type RadiusViewJson = Static<typeof RadiusViewJson>;
