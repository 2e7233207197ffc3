// The one definition of every configuration file. From these TypeBox schemas come the TypeScript
// types (Static<>), runtime validation (load.ts), the JSON Schema files in config/schema/ and
// docs/configuration.md (jsonschema.ts). Defaults come from defaults.ts; every key has a
// description, because the docs are generated from it.
//
// Checks JSON Schema cannot express (a DN that parses, a CIDR, a secret's length after `${ENV}`
// substitution, a file that exists) are attached to their node as a `Rule` under a symbol key:
// it survives TypeBox's cloning and is dropped by JSON.stringify, so it never reaches the JSON
// Schema. load.ts applies each rule at the node's own position.
import {
  CloneType, Type,
  type Static, type TLiteral, type TObject, type TProperties, type TSchema, type TUnion,
} from '@sinclair/typebox';
import { NAME_PATTERN, REALM_PATTERN, TENANT_ID_PATTERN } from '../core/ids.ts';
import { DEFAULTS } from './defaults.ts';

const RULE = Symbol.for('tenantdir.config.rule');

export type Rule =
  /** Resolve `${ENV}` / `{ file }` to a string of at least `minLength` characters. */
  | { kind: 'secret'; minLength: number; what: string }
  /** A file path, relative to the config directory; must exist. */
  | { kind: 'path' }
  | { kind: 'dn' }
  /** An IP address or a CIDR, IPv4 or IPv6. */
  | { kind: 'address' }
  /** An address to bind: an IP address or a host name. */
  | { kind: 'host' }
  /** An https:// URL, or http:// to a loopback address; no user name or password in it. */
  | { kind: 'https-url' };

export function ruleOf(schema: TSchema): Rule | undefined {
  return (schema as { [RULE]?: Rule })[RULE];
}

function withRule<T extends TSchema>(schema: T, rule: Rule): T {
  return Object.assign(schema, { [RULE]: rule });
}

/** The loaded form of a file's static type: secrets resolved to strings, everything read-only. */
export type Resolved<T> =
  T extends { file: string } ? string // only a secret has this shape
  : T extends readonly (infer U)[] ? readonly Resolved<U>[]
  : T extends object ? { readonly [K in keyof T]: Resolved<T[K]> }
  : T;

/**
 * A key the operator may omit. At runtime it is optional, with a `default` (so the JSON Schema
 * does not demand it); load.ts fills defaults in before it validates, so the static type, which
 * describes the loaded value, has the key.
 */
function Def<T extends TSchema>(schema: T, value: Resolved<Static<T>>): T {
  return Type.Optional(CloneType(schema, { default: value })) as unknown as T;
}

function Obj<P extends TProperties>(properties: P, description: string): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, description });
}

function Enum<const V extends readonly [string, ...string[]]>(
  values: V, description: string,
): TUnion<TLiteral<V[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)), { description }) as TUnion<TLiteral<V[number]>[]>;
}

const Name = (description: string) => Type.String({ pattern: NAME_PATTERN, description });
const Realm = (description: string) => Type.String({ pattern: REALM_PATTERN, description });
const TenantId = (description: string) => Type.String({ pattern: TENANT_ID_PATTERN, description });
const Text = (description: string) => Type.String({ minLength: 1, description });
const Bool = (def: boolean, description: string) => Def(Type.Boolean({ description }), def);
const Int = (min: number, max: number, def: number, description: string) =>
  Def(Type.Integer({ minimum: min, maximum: max, description }), def);
const Port = (def: number, description: string) => Int(0, 65535, def, `${description} 0 = ephemeral.`);
const Host = (def: string, description: string) =>
  Def(withRule(Type.String({ description: `${description} An IP address or host name.` }), { kind: 'host' }), def);
const FilePath = (description: string) =>
  withRule(Text(`${description} Relative paths are relative to the config directory.`), { kind: 'path' });
const Dn = (description: string) => withRule(Text(description), { kind: 'dn' });
const Address = (description: string) =>
  withRule(Text(`${description} An IP address or a CIDR, IPv4 or IPv6 (10.0.0.0/8, 192.0.2.7, 2001:db8::/32).`),
    { kind: 'address' });

function Secret(what: string, description: string, minLength = 1) {
  const file = Obj({
    file: Text('Path of a file holding the secret, relative to the config directory; its content is trimmed.'),
  }, 'The secret, read from a file.');
  const atLeast = minLength > 1 ? ` At least ${minLength} characters.` : '';
  return withRule(
    Type.Union([Type.String({ minLength: 1 }), file], {
      description: `${description}${atLeast} A secret: inline, with \${ENV_VAR} substitution, or { file: path }.`,
    }),
    { kind: 'secret', minLength, what },
  );
}

// ---------------------------------------------------------------- integrations (both files)

const I = DEFAULTS.integrations;

/** An audit action (`radius.auth`) or a pattern over them, where `*` stands for any characters. */
export const EVENT_PATTERN = '^[a-z0-9*][a-z0-9.*-]{0,127}$';

const Events = (description: string) => Type.Array(
  Type.String({ pattern: EVENT_PATTERN, description: 'An audit action (radius.auth), or a pattern: * stands for any characters (user.*, *.auth, *).' }),
  { minItems: 1, uniqueItems: true, description },
);

const Outcomes = Type.Optional(Type.Array(Enum(['ok', 'failed', 'refused'], 'An outcome.'), {
  minItems: 1, uniqueItems: true, description: 'Only events with one of these outcomes; absent: every outcome.',
}));

const CaFile = (when: string) => Type.Optional(FilePath(`${when}PEM CA bundle the receiver's certificate must chain to; absent: the public CAs Node trusts.`));

const Webhook = Obj({
  name: Type.Optional(Name('Names the webhook in the status route and logs, and keeps its queue when the url changes; absent: derived from the url.')),
  url: withRule(Text('Where events are POSTed: https://, or http:// to a loopback address (127.0.0.1, ::1, localhost) only. Redirects are not followed.'), { kind: 'https-url' }),
  events: Events('Audit actions to send.'),
  outcomes: Outcomes,
  secret: Secret('webhook secret', 'Signs every delivery: Tenantdir-Signature: t=<unix time>,v1=<hex HMAC-SHA-256 of "<t>.<body>">.',
    DEFAULTS.minSecretLength.webhook),
  ca: CaFile('https: '),
}, 'A webhook: each matching audit event is POSTed as JSON, signed, from a durable outbox (at least once, retried with backoff).');

const Syslog = Obj({
  host: withRule(Text('The syslog receiver (SIEM): an IP address or host name.'), { kind: 'host' }),
  port: Type.Integer({ minimum: 1, maximum: 65535, description: 'Its port (514 is usual for udp and tcp, 6514 for tls).' }),
  transport: Enum(['udp', 'tcp', 'tls'], 'udp (RFC 5426), tcp with octet-counting framing (RFC 6587), or tls (RFC 5425).'),
  format: Def(Enum(['structured', 'json'], 'Both are RFC 5424 messages. structured: the fields as structured data [tenantdir@32473 ...] and a short text; '
    + 'json: the event as one JSON object in the message, for SIEMs that parse JSON.'), I.syslogFormat),
  events: Def(Events('Audit actions to send.'), I.syslogEvents),
  outcomes: Outcomes,
  ca: CaFile('tls: '),
}, 'A syslog destination: a stream with a bounded in-memory queue, not durable; what it cannot take is dropped and counted.');

const integrationLists = (whose: string) => ({
  webhooks: Def(Type.Array(Webhook, { description: `Webhooks that receive ${whose} audit events.` }), [] as const),
  syslog: Def(Type.Array(Syslog, { description: `Syslog destinations that receive ${whose} audit events.` }), [] as const),
});

const D = DEFAULTS.server.integrations.delivery;

const Delivery = Obj({
  timeoutMs: Int(100, 120_000, D.timeoutMs, 'Milliseconds a webhook receiver has to answer; no answer is a failed attempt.'),
  concurrency: Int(1, 64, D.concurrency, 'Deliveries in flight at once per webhook.'),
  firstRetryMs: Int(1, 86_400_000, D.firstRetryMs, 'Milliseconds before the first retry; each further failure doubles it (with jitter), up to maxRetryMs.'),
  maxRetryMs: Int(1, 86_400_000, D.maxRetryMs, 'Longest wait between two attempts, in milliseconds.'),
  giveUpAfterMs: Int(1, 2_592_000_000, D.giveUpAfterMs, 'Milliseconds after which an undelivered event is dead: kept for the status route until retention, not retried.'),
  leaseMs: Int(1000, 3_600_000, D.leaseMs, 'Milliseconds a claimed delivery stays with the worker that claimed it; more than timeoutMs.'),
  pollMs: Int(10, 600_000, D.pollMs, 'Milliseconds between looks at the outbox for due deliveries (new events are sent at once).'),
}, 'How webhooks are delivered, for every tenant.');

// ---------------------------------------------------------------- tenantdir.yaml

const S = DEFAULTS.server;

const Listener = (d: { port: number; host: string }, what: string) => Obj({
  port: Port(d.port, `${what} TCP port.`),
  host: Host(d.host, `Address the ${what} listener binds.`),
}, `The ${what} listener.`);

const Listen = Obj({
  ldap: Def(Listener(S.listen.ldap, 'LDAP (plain and StartTLS)'), S.listen.ldap),
  ldaps: Type.Optional(Listener(S.ldaps, 'LDAPS')),
  radius: Def(Obj({
    auth: Port(S.listen.radius.auth, 'RADIUS authentication UDP port.'),
    acct: Port(S.listen.radius.acct, 'RADIUS accounting UDP port.'),
    host: Host(S.listen.radius.host, 'Address the RADIUS listeners bind.'),
  }, 'The RADIUS listeners (UDP).'), S.listen.radius),
  http: Def(Obj({
    port: Port(S.listen.http.port, 'admin HTTP (admin API, /healthz, /readyz) TCP port.'),
    host: Host(S.listen.http.host, 'Address the admin HTTP listener binds; a non-loopback address without tls is warned about.'),
    tls: Bool(S.listen.http.tls, 'Serve the admin API over HTTPS with the server certificate (tls, or the development certificate).'),
  }, 'The admin HTTP listener (admin API, /healthz, /readyz).'), S.listen.http),
}, 'Where tenantdir listens. Changes take effect after a restart.');

const Tls = Obj({
  cert: FilePath('PEM certificate chain.'),
  key: FilePath('PEM private key.'),
  ca: Type.Optional(FilePath('PEM CA bundle sent with the certificate chain.')),
}, 'TLS for LDAPS, StartTLS, EAP and the admin API. Absent: a self-signed development certificate is made in the data directory.');

const Storage = Obj({
  uri: Type.Optional(Secret('storage URI', 'MongoDB connection URI. Absent: in-memory storage, lost on restart (development only).')),
  seed: Type.Optional(FilePath('Seed file: users and groups loaded into a tenant that has none yet.')),
  serverSelectionTimeoutMS: Int(1, 600_000, S.storage.serverSelectionTimeoutMS,
    'Milliseconds before a MongoDB call fails as unavailable.'),
}, 'Where the directory is stored. Changes take effect after a restart.');

const C = S.passwords.checks;

const TokenRate = (d: { burst: number; perSecond: number }, what: string) => Def(Obj({
  burst: Int(1, 1_000_000, d.burst, 'Checks allowed in a burst (tokens a full bucket holds).'),
  perSecond: Int(1, 1_000_000, d.perSecond, 'Checks per second, sustained (tokens added per second).'),
}, `Token bucket per ${what}: a check that finds it empty is refused as throttled before any hash; a successful login gives its token back.`), d);

const PasswordChecks = Obj({
  hashThreads: Int(0, 256, C.hashThreads, 'Worker threads that hash passwords (bcrypt, SHA-crypt, SSHA), off the event loop; 0 = one per CPU core.'),
  maxQueuedPerTenant: Int(1, 100_000, C.maxQueuedPerTenant,
    'Checks of one tenant that may wait for a hash thread; more are refused as throttled. Tenants take turns at the threads.'),
  perSource: TokenRate(C.perSource, 'source address (an IPv6 address counts by its /64), across tenants'),
  perTenant: TokenRate(C.perTenant, 'tenant'),
  sourceFreeFailures: Int(1, 1000, C.sourceFreeFailures,
    'Wrong passwords one source address may give for one account before it must wait (smart lockout, first stage).'),
  sourceBackoffMs: Int(1, 3_600_000, C.sourceBackoffMs,
    'Milliseconds of the first wait; each further failure doubles it, up to the tenant\'s lockout duration.'),
  familiarDays: Int(1, 3650, C.familiarDays,
    'Days an address the account logged in from stays familiar: the account lock neither counts its failures nor shuts it out.'),
  maxFamiliarSources: Int(1, 1000, C.maxFamiliarSources, 'Familiar addresses kept per account (the most recent).'),
}, 'The credential verifier in front of every password check (LDAP bind, RADIUS PAP, EAP inner methods, password modify).');

const Passwords = Obj({
  bcryptCost: Int(4, 15, S.passwords.bcryptCost, 'bcrypt cost (log2 rounds) of new password hashes.'),
  maxPasswordBytes: Int(128, 65_536, S.passwords.maxPasswordBytes,
    'UTF-8 bytes of a password a check accepts (LDAP bind, TTLS/PAP; RADIUS PAP is at most 128 by RFC 2865). A longer one is refused unhashed; a new password longer than this is refused by the policy.'),
  checks: Def(PasswordChecks, C),
}, 'Password hashing and checking.');

const Retention = Obj({
  auditDays: Int(1, 36_500, S.retention.auditDays, 'Days audit events are kept.'),
  accountingDays: Int(1, 36_500, S.retention.accountingDays, 'Days RADIUS accounting records are kept.'),
}, 'How long records are kept.');

const SecretKey = Obj({
  id: Name('Stored beside every record this key protects; never reuse an id for another key.'),
  key: Secret('secret key', 'The key: 32 bytes or more, as base64 or hex (make one with `tenantdir secrets new-key`).', 44),
}, 'A key for secrets at rest.');

const Secrets = Obj({
  keys: Type.Array(SecretKey, {
    minItems: 1,
    description: 'Keys for secrets at rest: TOTP seeds (AES-256-GCM) and app passwords (HMAC-SHA-256). The first protects new records; '
      + 'the others still open old ones. Rotate by putting a new key first, then `tenantdir mfa rotate-key`. '
      + 'Absent: a development key is made in the data directory (logged loudly).',
  }),
}, 'Keys for secrets at rest. Changes take effect after a restart.');

const Log = Obj({
  level: Def(Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], 'Lowest level logged.'), S.log.level),
}, 'Logging (JSON lines on stdout).');

export const ROLES = ['msp-admin', 'tenant-admin', 'helpdesk', 'metrics'] as const;
/** What an admin may do beyond its role: `reports` lets a helpdesk token read its tenants' reports. */
export const GRANTS = ['reports'] as const;

const Admin = Obj({
  name: Name('Who holds the token; appears in the audit log.'),
  token: Secret('admin token', 'Bearer token for the admin API.', DEFAULTS.minSecretLength.adminToken),
  role: Enum(ROLES, 'msp-admin: every tenant and the server; tenant-admin: manage its tenants; '
    + 'helpdesk: reset passwords and unlock users in its tenants; metrics: read /metrics only (a Prometheus scraper).'),
  tenants: Type.Optional(Type.Array(TenantId('A tenant id.'), {
    minItems: 1, description: 'Tenants a tenant-admin or helpdesk may act on (required for them; not allowed for msp-admin or metrics).',
  })),
  grants: Type.Optional(Type.Array(Enum(GRANTS, 'reports: read the activity reports of its tenants (GET .../report, /api/v1/report).'), {
    uniqueItems: true, description: 'Access beyond the role. helpdesk sees no report unless granted `reports`; msp-admin and tenant-admin read reports anyway.',
  })),
}, 'An admin API token and what it may do.');

const MspNasClient = Obj({
  name: Name('The NAS, for logs.'),
  address: Address('Source address of its requests.'),
  secret: Secret('RADIUS secret', 'Shared secret.', DEFAULTS.minSecretLength.radius),
  realms: Type.Array(TenantId('A tenant id.'), {
    minItems: 1, description: 'Tenants this NAS may authenticate for (tenant ids); the user\'s realm (a tenant\'s id or one of its radius.realms) picks one.',
  }),
}, 'A NAS shared by several tenants; the tenant is picked by the realm of the user name.');

const L = S.radius.limits;

const RadiusLimits = Obj({
  inFlight: Int(1, 1_000_000, L.inFlight,
    'Requests (authentication and accounting) worked on at once, all NAS together; more are dropped unanswered (the NAS retries) and counted as overloaded.'),
  inFlightPerTenant: Int(1, 1_000_000, L.inFlightPerTenant,
    'The same for the NAS of one tenant together (an MSP-wide NAS counts toward the tenant of the user\'s realm); more are dropped as overloaded-tenant, so one tenant cannot hold the others\' share.'),
  inFlightPerNas: Int(1, 1_000_000, L.inFlightPerNas,
    'The same for one NAS; more are dropped as overloaded-nas, so one flooding NAS cannot hold its tenant\'s share.'),
  duplicateCacheBytesPerTenant: Int(65_536, 1_073_741_824, L.duplicateCacheBytesPerTenant,
    'Bytes of replies kept per tenant for 30 s to answer retransmissions; a tenant\'s flood evicts only its own.'),
}, 'Limits of the RADIUS front, so that no NAS and no tenant can take what another needs. Apply from the next packet after a reload.');

const MspRadius = Obj({
  clients: Def(Type.Array(MspNasClient, { description: 'MSP-wide NAS clients.' }), S.radius.clients),
  realmFormat: Def(Enum(['suffix', 'prefix', 'both'],
    'How MSP-wide clients find the realm: suffix = user@realm, prefix = REALM\\user, both = either.'), S.radius.realmFormat),
  stripRealm: Bool(S.radius.stripRealm, 'Look the user up without the realm.'),
  limits: Def(RadiusLimits, L),
}, 'MSP-wide RADIUS settings, and the limits of the RADIUS front.');

const EapLimits = Obj({
  fragmentSize: Int(64, 3000, S.eap.fragmentSize,
    'Bytes of TLS per EAP packet sent (EAP-TLS, TTLS, PEAP); keep it under the access point\'s EAPOL path MTU.'),
  maxMessage: Int(4096, 1_048_576, S.eap.maxMessage, 'Largest TLS message, in bytes, a peer may send in fragments.'),
  idleTimeoutSeconds: Int(5, 3600, S.eap.idleTimeoutSeconds, 'Seconds an EAP conversation waits for the next request before it is dropped.'),
  maxConversations: Int(1, 1_000_000, S.eap.maxConversations, 'Open EAP conversations, all NAS together. When full, a tenant below its fair share '
    + '(the pool divided by the tenants holding conversations) takes the least recently used conversation of the tenant holding the most; others are refused.'),
  maxConversationsPerNas: Int(1, 1_000_000, S.eap.maxConversationsPerNas,
    'Open EAP conversations of one NAS (told apart by tenant and name), so one flooding NAS cannot take them all.'),
}, '802.1X (EAP) limits, for every tenant.');

export const ServerFile = Type.Object({
  listen: Def(Listen, S.listen),
  tls: Type.Optional(Tls),
  secrets: Type.Optional(Secrets),
  storage: Def(Storage, S.storage),
  passwords: Def(Passwords, S.passwords),
  retention: Def(Retention, S.retention),
  log: Def(Log, S.log),
  admins: Def(Type.Array(Admin, { description: 'Admin API tokens.' }), S.admins),
  radius: Def(MspRadius, S.radius),
  eap: Def(EapLimits, S.eap),
  integrations: Def(Obj({
    ...integrationLists('every tenant\'s'),
    delivery: Def(Delivery, D),
    syslogQueue: Int(1, 1_000_000, S.integrations.syslogQueue, 'Messages held per syslog destination while it is slow or down; beyond that the oldest are dropped (and counted).'),
  }, 'MSP-wide integrations: every tenant\'s audit events, each labelled with its tenant.'), S.integrations),
}, {
  additionalProperties: false,
  $id: 'https://tenantdir.dev/schema/tenantdir.schema.json',
  title: 'tenantdir.yaml',
  description: 'tenantdir server configuration: listeners, storage, TLS, logging, admin tokens, MSP-wide NAS clients.',
});

// ---------------------------------------------------------------- tenants/*.yaml

const T = DEFAULTS.tenant;

const ServiceAccount = Obj({
  name: Name('Its bind DN is cn=<name>,ou=services,<baseDN>.'),
  passwordHash: Secret('password hash', 'bcrypt ($2a$/$2b$/$2y$) or {SSHA} hash; make one with `tenantdir hash-password`.'),
  access: Def(Enum(['read', 'write'], 'read: search the tenant; write: also modify it.'), T.serviceAccountAccess),
}, 'An LDAP account for an application, defined here rather than in the directory.');

const NasClient = Obj({
  name: Name('The NAS, for logs.'),
  address: Address('Source address of its requests.'),
  secret: Secret('RADIUS secret', 'Shared secret.', DEFAULTS.minSecretLength.radius),
}, 'A NAS (access point, switch, VPN) of this tenant.');

const Vlan = Obj({
  group: Name('Members of this group get the VLAN.'),
  vlan: Type.Integer({ minimum: 1, maximum: 4094, description: 'IEEE 802.1Q VLAN id.' }),
}, 'A dynamic VLAN assignment (Tunnel-Type=VLAN, Tunnel-Medium-Type=IEEE-802, Tunnel-Private-Group-Id).');

const ReplyAttribute = Obj({
  group: Type.Optional(Name('Only for members of this group; absent: every user.')),
  attribute: Text('RADIUS attribute name, as in the dictionary (e.g. Filter-Id).'),
  value: Type.Union([Type.String(), Type.Number()], { description: 'Attribute value.' }),
}, 'An extra attribute in Access-Accept.');

const TenantRadius = Obj({
  clients: Def(Type.Array(NasClient, { description: 'NAS clients; a request is matched by source address, most specific CIDR first.' }), T.radius.clients),
  realms: Def(Type.Array(Realm('A realm (DNS-style, e.g. acme.example), case-insensitive.'), {
    uniqueItems: true,
    description: 'Realms of this tenant besides its id: user@realm or REALM\\user is looked up as user here; '
      + 'any other realm is refused. Also what MSP-wide NAS clients and EAP-TLS certificates are matched by.',
  }), T.radius.realms),
  requireMessageAuthenticator: Bool(T.radius.requireMessageAuthenticator,
    'Drop Access-Requests without a valid Message-Authenticator (RFC 3579; defends against Blast-RADIUS).'),
  vlans: Def(Type.Array(Vlan, { description: 'Dynamic VLANs by group; the first matching entry wins.' }), T.radius.vlans),
  allowMschapv2: Bool(T.radius.allowMschapv2, 'Allow PEAP-MSCHAPv2; keeps an NT hash of each password.'),
  sessionTimeout: Type.Optional(Type.Integer({ minimum: 1, description: 'Session-Timeout sent in Access-Accept, in seconds.' })),
  replyAttributes: Def(Type.Array(ReplyAttribute, { description: 'Extra Access-Accept attributes.' }), T.radius.replyAttributes),
  mab: Def(Obj({
    enabled: Bool(T.radius.mab.enabled, 'Accept registered devices (tenantdir device add) by MAC address: the NAS sends the MAC as User-Name.'),
    unknownVlan: Type.Optional(Type.Integer({ minimum: 1, maximum: 4094,
      description: 'VLAN for a MAC that is not registered (a quarantine network); absent: such a MAC is rejected.' })),
  }, 'MAC authentication bypass, for devices that cannot do 802.1X (printers, cameras, phones).'), T.radius.mab),
}, 'RADIUS for this tenant.');

const EapTls = Obj({
  cert: Type.Optional(FilePath('PEM certificate chain of this tenant\'s EAP server (with key); absent: tls.cert of tenantdir.yaml.')),
  key: Type.Optional(FilePath('PEM private key of cert.')),
  clientCa: Type.Optional(FilePath('PEM CA bundle that issues this tenant\'s client certificates; EAP-TLS is offered only with it.')),
  crl: Type.Optional(FilePath('PEM CRL(s) of clientCa: revoked client certificates fail EAP-TLS.')),
  identityFrom: Def(Enum(['cn', 'san-email', 'san-upn'],
    'Where EAP-TLS finds the uid in a client certificate: cn = subject CN, san-email = SAN e-mail, san-upn = '
    + 'Microsoft UPN (SAN otherName); the part after @ is dropped.'), T.eap.tls.identityFrom),
  maxVersion: Def(Enum(['1.2', '1.3'], 'Highest TLS version offered (at least 1.2); 1.2 for supplicants that fail with 1.3.'),
    T.eap.tls.maxVersion),
}, 'TLS of this tenant\'s EAP methods. Paths are read at start and on every reload.');

const TenantEap = Obj({
  methods: Def(Type.Array(Enum(['peap', 'ttls', 'tls'], 'An EAP method: peap (PEAPv0/MS-CHAPv2), ttls (TTLS/PAP, '
    + 'TTLS/MS-CHAPv2), tls (EAP-TLS).'), {
    minItems: 1, uniqueItems: true,
    description: 'Methods offered, the first proposed first; left out when they cannot work: peap without '
      + 'radius.allowMschapv2, tls without tls.clientCa.',
  }), T.eap.methods),
  tls: Def(EapTls, T.eap.tls),
}, '802.1X (EAP) for this tenant, through its RADIUS clients.');

const Lockout = Obj({
  threshold: Int(1, 1000, T.passwordPolicy.lockout.threshold, 'Failed attempts within the window that lock the account.'),
  windowMinutes: Int(1, 10_080, T.passwordPolicy.lockout.windowMinutes, 'Minutes over which failures are counted.'),
  durationMinutes: Int(1, 10_080, T.passwordPolicy.lockout.durationMinutes, 'Minutes the account stays locked.'),
}, 'Account lockout after failed logins.');

const PasswordPolicy = Obj({
  minLength: Int(1, 128, T.passwordPolicy.minLength, 'Minimum password length, in characters.'),
  minClasses: Int(0, 4, T.passwordPolicy.minClasses, 'Character classes (lowercase, uppercase, digits, other) a password needs.'),
  maxAgeDays: Int(0, 3650, T.passwordPolicy.maxAgeDays, 'Days before a password expires; 0 = never.'),
  history: Int(0, 24, T.passwordPolicy.history, 'Earlier passwords that may not be reused.'),
  expiryWarningDays: Int(0, 3650, T.passwordPolicy.expiryWarningDays,
    'Days before expiry (maxAgeDays) from which an LDAP bind that asks (password policy control, as SSSD does) is warned.'),
  lockout: Def(Lockout, T.passwordPolicy.lockout),
}, 'Password rules.');

const Mfa = Obj({
  totp: Def(Enum(['off', 'optional', 'required'],
    'TOTP second factor (RFC 6238). off: never asked; optional: users who enrolled must give a code; required: every user must, and one who has not enrolled is refused with how to enrol.'), T.mfa.totp),
  radius: Def(Enum(['challenge', 'append'],
    'How RADIUS PAP carries the code. challenge: a right password is answered Access-Challenge asking for it; append: the password followed by the 6 digits, in one request.'), T.mfa.radius),
  ldap: Def(Enum(['off', 'append'],
    'LDAP simple binds. off: the password alone (LDAP clients are applications); append: the password followed by the 6 digits. Service accounts never give a code.'), T.mfa.ldap),
  exemptGroups: Def(Type.Array(Name('A group name.'), { description: 'Groups (nested membership counts) whose members are never asked for a code: printers, scanners, shared kiosks.' }), T.mfa.exemptGroups),
  appPasswordsSatisfy: Bool(T.mfa.appPasswordsSatisfy,
    'An app password (generated, per device) counts as both factors over RADIUS and 802.1X, where no code can travel (PEAP-MSCHAPv2).'),
}, 'Multi-factor authentication.');

const SEC = T.security;
const Window = (def: number) => Int(1, 1440, def, 'The window, in minutes: the failures counted are those of the last this many minutes.');

const Security = Obj({
  userFailures: Def(Obj({
    enabled: Bool(SEC.userFailures.enabled, 'Raise security.failures-across-sources.'),
    count: Int(2, 1000, SEC.userFailures.count, 'Failed logins of one account within the window.'),
    sources: Int(1, 100, SEC.userFailures.sources,
      'Distinct sources among them (an LDAP client address; a RADIUS NAS with its Calling-Station-Id, or the NAS address without one); at most count.'),
    minutes: Window(SEC.userFailures.minutes),
  }, 'Many failed logins of one account from several sources (guessing from many places, or a stale password on many devices).'), SEC.userFailures),
  spraying: Def(Obj({
    enabled: Bool(SEC.spraying.enabled, 'Raise security.spraying.'),
    users: Int(2, 1000, SEC.spraying.users, 'Distinct accounts (existing or not) one source failed for within the window.'),
    minutes: Window(SEC.spraying.minutes),
  }, 'One source failing for many accounts (password spraying).'), SEC.spraying),
  newNas: Bool(SEC.newNas,
    'Raise security.new-nas when an account logs in through a RADIUS NAS it has never logged in through before (not on its first login through any).'),
}, 'Suspicious activity, each kind raised as a security.* audit event once per window and key (account or source), not per failure.');

const Posix = Obj({
  uidNumberStart: Int(1, 2_147_483_647, T.posix.uidNumberStart, 'Lowest uidNumber a new user gets; users and groups share one counter per tenant, which starts at max(uidNumberStart, gidNumberStart).'),
  gidNumberStart: Int(1, 2_147_483_647, T.posix.gidNumberStart, 'Lowest gidNumber a new group gets; see uidNumberStart.'),
  homeBase: Def(Type.String({ pattern: '^/', description: 'homeDirectory is <homeBase>/<uid>.' }), T.posix.homeBase),
  loginShell: Def(Type.String({ pattern: '^/', description: 'loginShell of new users.' }), T.posix.loginShell),
}, 'POSIX attributes (posixAccount, posixGroup).');

export const TenantFile = Type.Object({
  id: TenantId('The tenant\'s key and RADIUS realm: 1-63 lowercase letters, digits or -. Never change it.'),
  name: Text('Display name.'),
  baseDN: Dn('Base DN of the tenant\'s subtree, e.g. dc=acme,dc=example; must not overlap another tenant\'s.'),
  ldap: Def(Obj({
    anonymousBind: Bool(T.ldap.anonymousBind, 'Allow anonymous binds.'),
    anonymousSearch: Bool(T.ldap.anonymousSearch, 'Allow anonymous searches (needs anonymousBind).'),
    requireTls: Bool(T.ldap.requireTls, 'Refuse simple binds over plaintext LDAP with confidentialityRequired (13); LDAPS and StartTLS work.'),
    serviceAccounts: Def(Type.Array(ServiceAccount, { description: 'Service accounts, read-only in the directory.' }), T.ldap.serviceAccounts),
  }, 'LDAP for this tenant.'), T.ldap),
  radius: Def(TenantRadius, T.radius),
  eap: Def(TenantEap, T.eap),
  passwordPolicy: Def(PasswordPolicy, T.passwordPolicy),
  mfa: Def(Mfa, T.mfa),
  security: Def(Security, T.security),
  posix: Def(Posix, T.posix),
  integrations: Def(Obj(integrationLists('this tenant\'s'), 'Where this tenant\'s audit events are sent besides its audit trail.'), T.integrations),
}, {
  additionalProperties: false,
  $id: 'https://tenantdir.dev/schema/tenant.schema.json',
  title: 'tenants/*.yaml',
  description: 'One tenant: its LDAP subtree, RADIUS clients and policies.',
});

// ---------------------------------------------------------------- seed file

const SeedGroup = Obj({
  name: Name('Group name (cn).'),
  description: Type.Optional(Type.String({ description: 'Group description.' })),
  members: Type.Optional(Type.Array(Name('A group name.'), { description: 'Nested groups: groups whose members belong to this one.' })),
}, 'A group.');

const Attr = (description: string) => Type.Optional(Text(description));

const SeedUser = Obj({
  uid: Name('Login name.'),
  password: Attr('Plaintext password, hashed when loaded (demos and tests only).'),
  passwordHash: Attr('bcrypt or migrated {SSHA}, {SSHA512}, {CRYPT} hash; instead of password.'),
  cn: Text('Common name, e.g. Alice Smith.'),
  sn: Text('Surname.'),
  givenName: Attr('Given name.'),
  displayName: Attr('Display name.'),
  mail: Attr('Email address.'),
  telephoneNumber: Attr('Telephone number.'),
  title: Attr('Job title.'),
  sshPublicKeys: Type.Optional(Type.Array(Text('An OpenSSH public key line.'), { description: 'SSH public keys.' })),
  groups: Type.Optional(Type.Array(Name('A group name.'), { description: 'Groups the user is a direct member of.' })),
  enabled: Bool(DEFAULTS.seed.userEnabled, 'false: the account exists but cannot log in.'),
}, 'A user.');

const SeedTenant = Obj({
  groups: Def(Type.Array(SeedGroup, { description: 'Groups.' }), DEFAULTS.seed.tenant.groups),
  users: Def(Type.Array(SeedUser, { description: 'Users.' }), DEFAULTS.seed.tenant.users),
}, 'Users and groups of one tenant.');

export const SeedFile = Type.Object({
  tenants: Type.Record(Type.String(), SeedTenant, {
    description: 'Seed data by tenant id; loaded into a tenant that has no users yet.',
  }),
}, {
  additionalProperties: false,
  $id: 'https://tenantdir.dev/schema/seed.schema.json',
  title: 'seed.yaml',
  description: 'Users and groups loaded into empty tenants, for demos and tests.',
});
