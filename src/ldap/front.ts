// The LDAP protocol logic, once, over the directory: who a connection is bound as, which tenant
// it may see, and each operation's answer. server.ts drives one LdapSession per connection.
//
// Isolation: every target DN is resolved through the live registry; a DN in a tenant the client
// may not see gets exactly the answer of a DN that does not exist (noSuchObject, no matchedDN,
// the same text), so tenants cannot be told apart from nothing.
import { randomBytes, randomInt } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { LiveRegistry, TenantConfig } from '../config/index.ts';
import { hasCode } from '../core/errors.ts';
import { isWithin, tryNormalizeDn } from '../core/dn.ts';
import { nameKey } from '../core/ids.ts';
import type { Logger } from '../core/log.ts';
import type { Actor, AuthFailure, Directory, Group, TenantDirectory, User } from '../directory/index.ts';
import { passwordModifyResponse, ppolicyResponseValue } from './ber.ts';
import { entryAt, locate, serviceDn, userDn, type Position } from './entries.ts';
import { matches } from './filter.ts';
import type { LdapLimits } from './limits.ts';
import {
  OID, RC, type ConnectionInfo, type Control, type ExtendedResult, type Message, type Reply, type Request, type Result, type SearchDone,
  type SearchRequest, type SearchSink, type Session, type SessionFactory,
} from './protocol.ts';
import { rootDse, subschemaEntry, SUBSCHEMA_NORM } from './rootdse.ts';
import { attributeType, SECRET_ATTRIBUTES } from './schema.ts';
import { search, selection, toWire, type Cursor } from './search.ts';
import { applyWrite, type WriteRequest } from './writes.ts';

export interface FrontOptions {
  live: LiveRegistry;
  directory: Directory;
  logger: Logger;
  limits: LdapLimits;
  /** Told of each operation answered: its name, its result code, its time in seconds (metrics). */
  onRequest?: (operation: string, outcome: string, seconds: number) => void;
}

type Identity =
  | { kind: 'anonymous' }
  /** `appPassword`: bound with one of the user's app passwords, which cannot change the password. */
  | { kind: 'user'; tenantId: string; uid: string; dn: string; appPassword?: boolean }
  | { kind: 'service'; tenantId: string; name: string; dn: string };

const ANONYMOUS: Identity = { kind: 'anonymous' };

/** The one answer for "not there" and "not yours". */
const NO_SUCH_OBJECT: Result = { code: RC.noSuchObject, message: 'no such object' };
const INVALID_CREDENTIALS: Result = { code: RC.invalidCredentials, message: 'invalid credentials' };
const MFA_NOT_ENROLLED = 'this directory requires a second factor: enrol an authenticator app (ask your IT team for an enrolment), then bind with the password followed by the 6-digit code';
const BUSY: Result = { code: RC.busy, message: 'too many attempts from this address or for this directory: try again later' };

export class Front implements SessionFactory {
  constructor(readonly o: FrontOptions) {}

  open(conn: ConnectionInfo): Session {
    return new LdapSession(this.o, conn);
  }
}

/** What an operation may act on: a tenant the client can see, and where the DN lies in it. */
interface Target {
  tenant: TenantConfig;
  dir: TenantDirectory;
  pos: Exclude<Position, { kind: 'none' }>;
}

interface PagedState {
  key: string;
  cursor: Cursor;
  sent: number;
}

class LdapSession implements Session {
  private identity: Identity = ANONYMOUS;
  /** Paged-results cookies of this connection: the least recently made go beyond the limit, and every one expires. */
  private readonly paged: LRUCache<string, PagedState>;
  private readonly log: Logger;

  constructor(private readonly o: FrontOptions, private readonly conn: ConnectionInfo) {
    this.log = o.logger.child({ component: 'ldap', conn: conn.id });
    this.paged = new LRUCache({ max: o.limits.maxPagedSearches, ttl: o.limits.pagedCookieTtlMs });
  }

  get authenticated(): boolean {
    return this.identity.kind !== 'anonymous';
  }

  close(): void {
    this.paged.clear();
  }

  async handle(msg: Message, sink: SearchSink): Promise<Reply> {
    const started = performance.now();
    let reply: Reply | undefined;
    try {
      reply = await this.dispatch(msg, sink);
      return reply;
    } catch (err) {
      if (hasCode(err, 'TD_STORE_UNAVAILABLE')) {
        // Expected while a tenant is being seeded or the store is down: one line, no stack.
        this.log.warn({ event: `ldap.${msg.request.op}`, outcome: 'failed', reason: 'store-unavailable', err: (err as Error).message }, 'store unavailable');
        reply = { code: RC.unavailable, message: 'the directory is temporarily unavailable; try again' };
        return reply;
      }
      throw err;
    } finally {
      // In finally rather than after an await: no extra turn that would reorder pipelined answers.
      if (reply) this.o.onRequest?.(msg.request.op, String(reply.code), (performance.now() - started) / 1000);
    }
  }

  private dispatch(msg: Message, sink: SearchSink): Promise<Reply> | Reply {
    const r = msg.request;
    switch (r.op) {
      case 'bind':
        return this.bind(r, msg.controls.some((c) => c.oid === OID.passwordPolicy));
      case 'saslBind':
        return { code: RC.authMethodNotSupported, message: 'SASL is not supported; use a simple bind' };
      case 'search':
        return this.search(r, sink);
      case 'compare':
        return this.compare(r.dn, r.attr, r.value);
      case 'whoami':
        return this.whoami();
      case 'passwordModify':
        return this.passwordModify(r);
      case 'add':
      case 'delete':
      case 'modify':
      case 'modrdn':
        return this.write(r);
      case 'extended':
        return { code: RC.protocolError, message: `extended operation ${r.oid} is not supported` };
      default:
        // unbind, abandon and StartTLS are the transport's (server.ts).
        return { code: RC.protocolError, message: `unexpected ${r.op}` };
    }
  }

  // ---------------------------------------------------------------- who, and what they may see

  private actor(): Actor {
    const name = this.identity.kind === 'anonymous' ? 'ldap:anonymous' : `ldap:${this.identity.dn}`;
    return { name, protocol: 'ldap', source: this.conn.remoteAddress };
  }

  /**
   * The bound identity's tenant as the live configuration has it now. A tenant or service account
   * that a reload removed ends the binding: the connection is anonymous from then on.
   */
  private ownTenant(): TenantConfig | undefined {
    const id = this.identity;
    if (id.kind === 'anonymous') return undefined;
    const t = this.o.live.current().byId(id.tenantId);
    const stillThere = t && (id.kind === 'user' || t.ldap.serviceAccounts.some((s) => nameKey(s.name) === nameKey(id.name)));
    if (!stillThere) {
      this.log.info({ event: 'ldap.unbound', tenant: id.tenantId, outcome: 'refused', reason: 'removed-by-reload' }, 'binding ended by a configuration reload');
      this.identity = ANONYMOUS;
      return undefined;
    }
    return t;
  }

  private canWrite(t: TenantConfig): boolean {
    const id = this.identity;
    return id.kind === 'service' && t.ldap.serviceAccounts.some((s) => nameKey(s.name) === nameKey(id.name) && s.access === 'write');
  }

  /** The tenant holding `dn`, if the client may see it: its own, or one open to anonymous search. */
  private visible(dn: string, normalized?: string): { tenant: TenantConfig; norm: string } | Result {
    const norm = normalized ?? tryNormalizeDn(dn);
    if (norm === undefined) return { code: RC.invalidDNSyntax, message: 'invalid DN' };
    const own = this.ownTenant();
    const t = this.o.live.current().byDn(dn);
    const open = this.identity.kind === 'anonymous' && t?.ldap.anonymousBind === true && t.ldap.anonymousSearch;
    if (!t || !isWithin(norm, t.baseDNNorm) || (t !== own && !open)) return NO_SUCH_OBJECT;
    return { tenant: t, norm };
  }

  /** Resolves a DN to an existing entry's position (and record) in a visible tenant. */
  private async target(dn: string, normalized?: string): Promise<(Target & { record?: User | Group }) | Result> {
    const v = this.visible(dn, normalized);
    if ('code' in v) return v;
    const dir = this.o.directory.tenant(v.tenant);
    const pos = locate(v.tenant, dn);
    const missing = (matchedDN: string): Result => ({ ...NO_SUCH_OBJECT, matchedDN });
    switch (pos.kind) {
      case 'none':
        return missing(pos.matched);
      case 'user': {
        const record = await dir.getUser(pos.uid);
        return record ? { tenant: v.tenant, dir, pos, record } : missing(`ou=people,${v.tenant.baseDN}`);
      }
      case 'group': {
        const record = await dir.getGroup(pos.name);
        return record ? { tenant: v.tenant, dir, pos, record } : missing(`ou=groups,${v.tenant.baseDN}`);
      }
      case 'service':
        return v.tenant.ldap.serviceAccounts.some((s) => nameKey(s.name) === nameKey(pos.name))
          ? { tenant: v.tenant, dir, pos } : missing(`ou=services,${v.tenant.baseDN}`);
      default:
        return { tenant: v.tenant, dir, pos };
    }
  }

  // ---------------------------------------------------------------- bind

  private async bind(r: Extract<Request, { op: 'bind' }>, ppolicy: boolean): Promise<Result> {
    const { name, password } = r;
    // A failed bind leaves the connection anonymous (RFC 4513 §5.1).
    this.identity = ANONYMOUS;
    if (r.version !== 3) return { code: RC.protocolError, message: 'only LDAPv3 is supported' };
    if (name === '' && password === '') return { code: RC.success };
    if (password === '') {
      // RFC 4513 §5.1.2: a name without a password is an "unauthenticated" bind; it must not look like success.
      this.log.info({ event: 'ldap.bind', outcome: 'refused', reason: 'unauthenticated-bind' }, 'unauthenticated bind refused');
      return { code: RC.unwillingToPerform, message: 'unauthenticated bind (a DN with an empty password) is not allowed' };
    }
    const t = this.o.live.current().byDn(name);
    const actor: Actor = { name: `ldap:${name}`, protocol: 'ldap', source: this.conn.remoteAddress, method: 'simple' };
    if (!t) {
      // The same work as any refusal, so that timing does not tell which tenants exist.
      const refusal = await this.o.directory.refuseWithoutTenant(name, password, actor);
      this.log.info({ event: 'ldap.bind', outcome: 'failed', reason: 'no-such-tenant' }, 'bind failed');
      return refusal === 'throttled' ? BUSY : INVALID_CREDENTIALS;
    }
    if (t.ldap.requireTls && !this.conn.secure) {
      this.log.info({ event: 'ldap.bind', tenant: t.id, outcome: 'refused', reason: 'tls-required' }, 'simple bind over plaintext refused');
      return { code: RC.confidentialityRequired, message: 'this directory requires TLS: use LDAPS or StartTLS before binding' };
    }
    const dir = this.o.directory.tenant(t);
    const pos = locate(t, name);
    let expiresAt: Date | undefined;
    if (pos.kind === 'user') {
      const result = await dir.authenticate(pos.uid, { password }, actor, t.mfa.ldap === 'append' ? 'append' : 'not-asked');
      if (!result.ok) {
        const failed = { ...this.bindFailed(t, result.reason), ...(ppolicy && result.proven ? ppolicyError(result.reason) : {}) };
        // Only to a client that proved the password: how to get past the second factor.
        return result.proven && result.reason === 'mfa-not-enrolled' ? { ...failed, message: MFA_NOT_ENROLLED } : failed;
      }
      this.identity = { kind: 'user', tenantId: t.id, uid: result.user.uid, dn: userDn(t, result.user.uid), ...(result.factor === 'app-password' ? { appPassword: true } : {}) };
      expiresAt = result.passwordExpiresAt;
    } else if (pos.kind === 'service') {
      const result = await dir.authenticateService(pos.name, password, actor);
      if (!result.ok) return this.bindFailed(t, result.reason);
      this.identity = { kind: 'service', tenantId: t.id, name: result.account.name, dn: serviceDn(t, result.account.name) };
    } else {
      const refusal = await this.o.directory.refuseWithoutTenant(name, password, actor);
      await dir.audit(actor, 'ldap.auth', undefined, 'failed', { reason: 'not-a-bindable-entry' });
      return this.bindFailed(t, refusal === 'throttled' ? 'throttled' : 'not-a-bindable-entry');
    }
    this.log.debug({ event: 'ldap.bind', tenant: t.id, outcome: 'ok', kind: this.identity.kind }, 'bound');
    const warnFrom = t.passwordPolicy.expiryWarningDays * DAY_MS;
    const left = expiresAt ? expiresAt.getTime() - Date.now() : Infinity;
    if (ppolicy && left <= warnFrom) {
      return { code: RC.success, controls: [ppolicyControl({ timeBeforeExpiration: Math.max(0, Math.floor(left / 1000)) })] };
    }
    return { code: RC.success };
  }

  /**
   * The reason goes to the log and the audit trail (written by the directory), never to the
   * client; only a throttled check says busy, so that the client backs off instead of giving up.
   */
  private bindFailed(t: TenantConfig, reason: string): Result {
    this.log.info({ event: 'ldap.bind', tenant: t.id, outcome: 'failed', reason }, 'bind failed');
    return reason === 'throttled' ? BUSY : INVALID_CREDENTIALS;
  }

  private whoami(): ExtendedResult {
    this.ownTenant();
    const id = this.identity;
    return { code: RC.success, responseValue: Buffer.from(id.kind === 'anonymous' ? '' : `dn:${id.dn}`) };
  }

  // ---------------------------------------------------------------- search

  private async search(r: SearchRequest, sink: SearchSink): Promise<SearchDone> {
    const limits = this.o.limits;
    const baseNorm = tryNormalizeDn(r.base);
    if (baseNorm === undefined) return { code: RC.invalidDNSyntax, message: 'invalid base DN' };
    // The root DSE and the subschema entry: all their attributes for "*" too, as clients expect.
    const special = baseNorm === '' ? rootDse(this.ownTenant()?.baseDN) : baseNorm === SUBSCHEMA_NORM ? subschemaEntry() : undefined;
    if (special) {
      if (r.scope !== 'base') return NO_SUCH_OBJECT;
      const all = r.attributes.length === 0 || r.attributes.includes('*');
      if (matches(r.filter, special) === true) sink.entry(toWire(special, selection(all ? ['*', '+', ...r.attributes] : r.attributes)));
      return { code: RC.success, ...(r.paged ? { pagedCookie: Buffer.alloc(0) } : {}) };
    }
    const target = await this.target(r.base, baseNorm);
    if ('code' in target) return target;

    // A cookie is good only for the search that made it.
    const key = r.paged ? JSON.stringify([baseNorm, r.scope, r.filter, r.attributes, r.typesOnly]) : '';
    let from: Cursor | undefined;
    let before = 0;
    if (r.paged) {
      const cookie = r.paged.cookie.toString('hex');
      if (cookie !== '') {
        const state = this.paged.get(cookie);
        this.paged.delete(cookie);
        if (!state || state.key !== key) {
          return { code: RC.unwillingToPerform, message: 'the paged results cookie is invalid or expired; start the search again', pagedCookie: Buffer.alloc(0) };
        }
        from = state.cursor;
        before = state.sent;
      }
      // RFC 2696 §3: a page size of 0 abandons the paged search.
      if (r.paged.size === 0) return { code: RC.success, pagedCookie: Buffer.alloc(0) };
    }
    const cap = limits.maxSizeLimit;
    const clientLimit = r.sizeLimit > 0 ? r.sizeLimit - before : 0;
    if (r.sizeLimit > 0 && clientLimit <= 0) {
      return { code: RC.sizeLimitExceeded, message: `size limit of ${r.sizeLimit} entries reached`, pagedCookie: Buffer.alloc(0) };
    }
    const seconds = Math.min(r.timeLimit > 0 ? r.timeLimit : limits.maxTimeLimitSeconds, limits.maxTimeLimitSeconds);
    const outcome = await search({
      tenant: target.tenant, dir: target.dir, limits, base: target.pos,
      ...(target.record ? { record: target.record } : {}),
      scope: r.scope, filter: r.filter, attributes: r.attributes,
      sizeLimit: r.paged ? Math.max(clientLimit, 0) : Math.min(clientLimit > 0 ? clientLimit : cap, cap),
      ...(r.paged ? { pageSize: Math.min(r.paged.size, cap) } : {}),
      deadline: Date.now() + seconds * 1000,
      ...(from ? { from } : {}),
    }, sink);
    this.log.debug({ event: 'ldap.search', tenant: target.tenant.id, outcome: outcome.code === RC.success ? 'ok' : 'failed', code: outcome.code, entries: outcome.sent, scope: r.scope }, 'search');
    const done: SearchDone = { code: outcome.code, ...(outcome.message ? { message: outcome.message } : {}) };
    if (!r.paged) return done;
    return { ...done, pagedCookie: outcome.next ? this.keep({ key, cursor: outcome.next, sent: before + outcome.sent }) : Buffer.alloc(0) };
  }

  /** Stores a paged search's state under a fresh random cookie. */
  private keep(state: PagedState): Buffer {
    const cookie = randomBytes(16);
    this.paged.set(cookie.toString('hex'), state);
    return cookie;
  }

  // ---------------------------------------------------------------- compare

  private async compare(dn: string, attr: string, value: string): Promise<Result> {
    const target = await this.target(dn);
    if ('code' in target) return target;
    const a = SECRET_ATTRIBUTES.has(attr) ? undefined : attributeType(attr);
    if (!a) return { code: RC.undefinedAttributeType, message: `attribute ${attr} is not served` };
    const entry = await entryAt(target.tenant, target.dir, target.pos, target.record, { [a.name]: true });
    if (!entry.attrs.has(a)) return { code: RC.noSuchAttribute, message: `the entry has no ${a.name}` };
    const r = matches({ kind: 'eq', attr, value }, entry);
    if (r === undefined) return { code: RC.invalidAttributeSyntax, message: `"${value}" is not a valid ${a.name} value` };
    return { code: r ? RC.compareTrue : RC.compareFalse };
  }

  // ---------------------------------------------------------------- password modify (RFC 3062)

  private async passwordModify(r: Extract<Request, { op: 'passwordModify' }>): Promise<ExtendedResult> {
    const own = this.ownTenant();
    const id = this.identity;
    if (!own || id.kind === 'anonymous') return this.passwordModifyByOldPassword(r);
    if (own.ldap.requireTls && !this.conn.secure) {
      return { code: RC.confidentialityRequired, message: 'this directory requires TLS: use LDAPS or StartTLS to change a password' };
    }
    let uid: string;
    let tenant = own;
    if (r.userIdentity === undefined || r.userIdentity === '') {
      if (id.kind !== 'user') return { code: RC.unwillingToPerform, message: "a service account's password is set in the tenant's YAML, not over LDAP" };
      uid = id.uid;
    } else {
      const who = r.userIdentity.replace(/^dn:/i, '');
      const byUid = /^u:/i.test(who) ? userDn(own, who.slice(2)) : who;
      const target = await this.target(byUid);
      if ('code' in target) return target;
      if (target.pos.kind !== 'user') return { code: RC.unwillingToPerform, message: 'only users have passwords that can be changed over LDAP' };
      uid = target.pos.uid;
      tenant = target.tenant;
    }
    const dir = this.o.directory.tenant(tenant);
    const self = id.kind === 'user' && nameKey(id.uid) === nameKey(uid);
    if (!self && !this.canWrite(tenant)) {
      return { code: RC.insufficientAccessRights, message: "changing another user's password needs a service account with access: write" };
    }
    // An app password is a device's credential: it never proves the password, which it could otherwise replace.
    if (self && r.oldPassword === undefined && id.kind === 'user' && id.appPassword) {
      return { code: RC.unwillingToPerform, message: 'a bind with an app password cannot change the password: give the old password' };
    }
    if (r.oldPassword !== undefined && self) {
      const check = await dir.authenticate(uid, { password: r.oldPassword }, { ...this.actor(), method: 'password-modify' });
      if (!check.ok && check.reason === 'throttled') return BUSY;
      if (!check.ok || check.factor === 'app-password') return { code: RC.invalidCredentials, message: 'the old password is not correct' };
    }
    return this.setPassword(dir, tenant, uid, r.newPassword);
  }

  /**
   * RFC 3062 without a bind: the user's DN and old password prove who asks. This is how a user
   * whose password has expired (a bind is refused) sets a new one: `ldappasswd -a OLD -s NEW DN`.
   * Every refusal is the same invalidCredentials, as for a bind.
   */
  private async passwordModifyByOldPassword(r: Extract<Request, { op: 'passwordModify' }>): Promise<ExtendedResult> {
    const dn = r.userIdentity?.replace(/^dn:/i, '') ?? '';
    if (dn === '' || r.oldPassword === undefined || r.oldPassword === '') {
      return { code: RC.unwillingToPerform, message: 'bind first, or give the user\'s DN and old password' };
    }
    const t = this.o.live.current().byDn(dn);
    const pos = t && locate(t, dn);
    const actor: Actor = { name: `ldap:${dn}`, protocol: 'ldap', source: this.conn.remoteAddress };
    if (!t || pos?.kind !== 'user') {
      const refusal = await this.o.directory.refuseWithoutTenant(dn, r.oldPassword, actor);
      return refusal === 'throttled' ? BUSY : { code: RC.invalidCredentials, message: 'the old password is not correct' };
    }
    if (t.ldap.requireTls && !this.conn.secure) {
      return { code: RC.confidentialityRequired, message: 'this directory requires TLS: use LDAPS or StartTLS to change a password' };
    }
    const dir = this.o.directory.tenant(t);
    const check = await dir.authenticate(pos.uid, { password: r.oldPassword }, { ...actor, method: 'password-modify' });
    if (!check.ok && check.reason === 'throttled') return BUSY;
    // An expired password still proves who asks: changing it is what it is good for.
    if (check.ok ? check.factor === 'app-password' : !(check.reason === 'password-expired' && check.proven)) {
      return { code: RC.invalidCredentials, message: 'the old password is not correct' };
    }
    return this.setPassword(dir, t, pos.uid, r.newPassword, actor);
  }

  private async setPassword(dir: TenantDirectory, tenant: TenantConfig, uid: string, requested: string | undefined, actor = this.actor()): Promise<ExtendedResult> {
    const generated = requested === undefined || requested === '' ? generatePassword(tenant) : undefined;
    try {
      await dir.setPassword(uid, generated ?? requested ?? '', actor);
    } catch (err) {
      if (hasCode(err, 'TD_PASSWORD_POLICY')) return { code: RC.constraintViolation, message: (err as Error).message };
      if (hasCode(err, 'TD_NOT_FOUND')) return NO_SUCH_OBJECT;
      throw err;
    }
    return { code: RC.success, ...(generated ? { responseValue: passwordModifyResponse(generated) } : {}) };
  }

  // ---------------------------------------------------------------- writes

  private async write(r: WriteRequest): Promise<Result> {
    const v = this.visible(r.dn);
    if ('code' in v) return v;
    if (!this.canWrite(v.tenant)) {
      return { code: RC.insufficientAccessRights, message: 'writes need a service account with access: write' };
    }
    return applyWrite(this.o.directory.tenant(v.tenant), v.tenant, r, this.actor(), (dn) => this.visible(dn));
  }
}

const DAY_MS = 86_400_000;

/** draft-behera-ldap-password-policy §6.2 error codes we send. */
const PPOLICY_ERROR: Partial<Record<AuthFailure, number>> = {
  'password-expired': 0, // passwordExpired
  locked: 1, // accountLocked
  disabled: 1,
};

function ppolicyControl(value: Parameters<typeof ppolicyResponseValue>[0]): Control {
  return { oid: OID.passwordPolicy, critical: false, value: ppolicyResponseValue(value) };
}

/**
 * Told only to a client that proved the password (and asked, with the request control): then the
 * state of the account is the user's own business — SSSD says "account locked" or asks for a
 * new password instead of "wrong password".
 */
function ppolicyError(reason: AuthFailure): Pick<Result, 'controls'> {
  const error = PPOLICY_ERROR[reason];
  return error === undefined ? {} : { controls: [ppolicyControl({ error })] };
}

const CLASSES = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '-_.+=@#%'];

/** A random password that meets any sane policy: at least 20 characters of all four classes. */
function generatePassword(t: TenantConfig): string {
  const length = Math.max(20, t.passwordPolicy.minLength);
  const chars = Array.from({ length }, (_, i) => {
    const set = CLASSES[i % CLASSES.length] as string;
    return set[randomInt(set.length)] as string;
  });
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}
