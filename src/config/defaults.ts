// Every configuration default, in one place. The schemas in schema.ts take their `default`s from
// here, so the JSON Schema, docs/configuration.md and the loaded configuration cannot disagree.
// Change a default only together with CONTRACT.md where the contract names it.

export const DEFAULTS = {
  server: {
    listen: {
      ldap: { port: 3389, host: '0.0.0.0' }, // TCP port; 0 = ephemeral (the bound port is logged)
      radius: { auth: 1812, acct: 1813, host: '0.0.0.0' }, // UDP ports (RFC 2865, RFC 2866)
      http: { port: 9090, host: '127.0.0.1', tls: false }, // TCP port of the admin API; loopback only by default
    },
    ldaps: { port: 3636, host: '0.0.0.0' }, // TCP port; applies only when `listen.ldaps` is present
    storage: {
      serverSelectionTimeoutMS: 2000, // milliseconds before a MongoDB call fails as unavailable
    },
    passwords: {
      bcryptCost: 12, // log2 rounds; each step doubles the hashing time
      maxPasswordBytes: 1024, // UTF-8 bytes a password check accepts (LDAP, TTLS/PAP); RADIUS PAP is 128 by RFC
      checks: {
        hashThreads: 0, // worker threads hashing passwords; 0 = one per CPU core
        maxQueuedPerTenant: 32, // checks of one tenant waiting for a hash thread
        perSource: { burst: 30, perSecond: 10 }, // token bucket per source address (IPv6: per /64)
        perTenant: { burst: 60, perSecond: 20 }, // token bucket per tenant
        sourceFreeFailures: 3, // wrong passwords one source may give one account before it waits
        sourceBackoffMs: 1000, // the first wait; doubles with each further failure
        familiarDays: 30, // days an address the account logged in from stays familiar
        maxFamiliarSources: 8, // familiar addresses kept per account
      },
    },
    retention: {
      auditDays: 90, // days audit events are kept
      accountingDays: 90, // days RADIUS accounting records are kept
    },
    log: {
      level: 'info', // pino level
    },
    admins: [], // no admin API access until one is configured
    radius: {
      clients: [], // MSP-wide NAS clients
      realmFormat: 'both', // user@realm and REALM\user
      stripRealm: true, // look the user up without the realm
      limits: {
        inFlight: 1024, // requests being worked on at once, all NAS together; more are dropped (the NAS retries)
        inFlightPerTenant: 128, // the same for the NAS of one tenant together
        inFlightPerNas: 64, // the same for one NAS
        duplicateCacheBytesPerTenant: 4 * 1024 * 1024, // bytes of replies kept per tenant for retransmissions
      },
    },
    eap: {
      fragmentSize: 1024, // bytes of TLS per EAP packet we send (FreeRADIUS's fragment_size)
      maxMessage: 65_536, // bytes: largest TLS message a peer may send, reassembled
      idleTimeoutSeconds: 60, // seconds an unanswered EAP conversation is kept
      maxConversations: 10_000, // open EAP conversations, all NAS together
      maxConversationsPerNas: 2_000, // open EAP conversations of one NAS
    },
    integrations: {
      webhooks: [], // MSP-wide webhooks: every tenant's events
      syslog: [], // MSP-wide syslog destinations
      delivery: {
        timeoutMs: 10_000, // milliseconds a webhook receiver has to answer
        concurrency: 4, // deliveries in flight per webhook
        firstRetryMs: 10_000, // wait before the first retry; doubles with each failure
        maxRetryMs: 3_600_000, // longest wait between two attempts (1 h)
        giveUpAfterMs: 86_400_000, // an event still undelivered after this is dead (24 h)
        leaseMs: 60_000, // a claimed delivery is another worker's to retry after this
        pollMs: 5_000, // how often the outbox is looked at for due deliveries
      },
      syslogQueue: 10_000, // messages per syslog destination held while it is slow or down
    },
  },
  tenant: {
    ldap: {
      anonymousBind: false,
      anonymousSearch: false,
      requireTls: false, // true: simple binds need LDAPS or StartTLS
      serviceAccounts: [],
    },
    serviceAccountAccess: 'read',
    radius: {
      clients: [],
      realms: [], // realms besides the tenant id
      requireMessageAuthenticator: true, // RFC 3579; defends against Blast-RADIUS
      allowMschapv2: false, // true keeps an NT hash of each password
      vlans: [],
      replyAttributes: [],
      mab: { enabled: false }, // MAC authentication bypass for registered devices
    },
    eap: {
      methods: ['peap', 'ttls', 'tls'], // proposed in this order; those that cannot work are left out
      tls: {
        identityFrom: 'cn', // where EAP-TLS finds the uid in a client certificate
        maxVersion: '1.3', // highest TLS version (RFC 9190, RFC 9427); 1.2 for old supplicants
      },
    },
    passwordPolicy: {
      minLength: 12, // characters
      minClasses: 3, // of lowercase, uppercase, digits, other
      maxAgeDays: 0, // days; 0 = passwords never expire
      history: 5, // earlier passwords that may not be reused
      expiryWarningDays: 14, // days before expiry from which LDAP binds are warned (ppolicy)
      lockout: {
        threshold: 5, // failed attempts within the window that lock the account
        windowMinutes: 15, // minutes over which failures are counted
        durationMinutes: 15, // minutes the account stays locked
      },
    },
    mfa: {
      totp: 'off', // off | optional (enrolled users must give a code) | required (everyone)
      radius: 'challenge', // PAP: challenge (Access-Challenge asks for the code) | append (password then code)
      ldap: 'off', // off: LDAP binds need no code | append: password then code
      exemptGroups: [], // groups whose members need no code (printers, scanners)
      appPasswordsSatisfy: true, // an app password counts as both factors over RADIUS and 802.1X
    },
    security: {
      // security.failures-across-sources: one account failing this often from this many sources
      userFailures: { enabled: true, count: 10, sources: 3, minutes: 15 },
      // security.spraying: one source failing for this many accounts
      spraying: { enabled: true, users: 10, minutes: 15 },
      newNas: true, // security.new-nas: a login through a NAS the account never used before
    },
    integrations: {
      webhooks: [],
      syslog: [],
    },
    posix: {
      uidNumberStart: 10000, // first uidNumber given to a new user
      gidNumberStart: 10000, // first gidNumber given to a new group
      homeBase: '/home', // homeDirectory = <homeBase>/<uid>
      loginShell: '/bin/bash',
    },
  },
  integrations: {
    syslogFormat: 'structured', // RFC 5424 with the fields as structured data
    syslogEvents: ['*'], // every audit event
  },
  seed: {
    tenant: { groups: [], users: [] },
    userEnabled: true,
  },
  /** Minimum lengths, in characters, of resolved secrets. */
  minSecretLength: {
    radius: 16, // shared secrets; shorter ones are brute-forced from one captured packet
    adminToken: 24, // bearer tokens of the admin API
    webhook: 32, // webhook signing secrets (HMAC-SHA-256)
  },
} as const;
