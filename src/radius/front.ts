// The RADIUS front: UDP listeners for authentication and accounting. Per datagram: framing,
// NAS by source address (through live.current(), so reloads apply to the next packet), the
// authenticators, duplicate detection, the in-flight limits (per NAS, per tenant, in total),
// then access.ts or accounting.ts. Anything not authentic or not well-formed, and anything over
// a limit, is dropped without an answer, counted by reason, and logged once a minute per NAS
// (or source) and reason.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { LiveRegistry, NasMatch, Registry, TenantConfig } from '../config/index.ts';
import { hasCode } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { TokenBuckets, type Actor, type Directory, type TenantDirectory, type TokenRate } from '../directory/index.ts';
import { isOwnRealm } from '../eap/index.ts';
import { handleAccess, outcomeOf, refusalAttributes, unroutedPassword, type AccessDirectory } from './access.ts';
import { accountingRecord, statusType } from './accounting.ts';
import {
  ATTR, CODE, encodeResponse, parsePacket, verifyAccountingAuthenticator, verifyMessageAuthenticator, type Packet,
} from './codec.ts';
import { DuplicateCache } from './dedup.ts';
import { MfaChallenges } from './mfa-challenges.ts';
import type { EapHandler } from './eap-hook.ts';
import { InFlight } from './limits.ts';
import { joinRealm, splitRealm } from './realm.ts';
import { ourClass, readClass } from './session-class.ts';
import { replyProblems } from './replies.ts';
import { emptyStats, type DropReason, type RadiusStats } from './stats.ts';
import { LogThrottle } from '../core/log-throttle.ts';

/** What the front needs of the directory: Directory, or a test's double. */
export interface RadiusDirectory extends Pick<Directory, 'refuseWithoutTenant'> {
  tenant(t: TenantConfig): AccessDirectory & Pick<TenantDirectory, 'recordAccounting'>;
}

export interface RadiusFrontOptions {
  live: LiveRegistry;
  directory: RadiusDirectory;
  logger: Logger;
  /** 802.1X: Access-Requests with EAP-Message go here; without it they are rejected. */
  eap?: EapHandler;
  /** Told of each request worked on: access or accounting, the reply's code name or the drop's reason, seconds (metrics). */
  onRequest?: (operation: string, outcome: string, seconds: number) => void;
  /** How long a reply is kept for retransmissions, in ms (RFC 5080 suggests seconds to tens). */
  duplicateWindowMs?: number;
  /** MAC authentication bypass requests per NAS; past it they are rejected (reason throttled). */
  mabRate?: TokenRate;
}

type Port = 'auth' | 'acct';
type Outcome = { reply: Buffer } | { drop: DropReason };

const ZERO_AUTHENTICATOR = Buffer.alloc(16);
const DEFAULT_DUPLICATE_WINDOW_MS = 30_000;
const DROP_LOG_INTERVAL_MS = 60_000;
/** A stack of switches re-checks every port's device at once after a reboot: a wide burst, a modest rate. */
const DEFAULT_MAB_RATE: TokenRate = { burst: 2000, perSecond: 200 };
const MAX_MAB_NAS = 10_000;

/** A response to send, or the drop when it could not be encoded within 4,096 bytes. */
const answer = (bytes: Buffer | undefined): Outcome => (bytes ? { reply: bytes } : { drop: 'reply-too-large' });

/**
 * `uid`: the name to look up. `replyName`: the User-Name an Access-Accept gives back for the
 * authenticated user: the uid, with the realm an MSP-wide NAS routed by (its accounting names it).
 */
type Target =
  | { ok: true; tenant: TenantConfig; uid: string; replyName(uid: string): string }
  | { ok: false; reason: string; realm?: string; tenant?: TenantConfig };

/**
 * The tenant a request is for. A tenant's NAS serves only its tenant: a realm in the name must be
 * the tenant's id or one of its `radius.realms` (then stripped as configured), or the request is
 * refused; it is never looked up. An MSP-wide NAS picks the tenant by realm, among those it may serve.
 */
function resolveTarget(registry: Registry, match: NasMatch, userName: string): Target {
  const { realmFormat, stripRealm } = registry.server.radius;
  const split = splitRealm(userName, realmFormat);
  const uid = stripRealm ? split.user : userName;
  if (match.kind === 'tenant') {
    const tenant = match.tenant;
    if (split.realm === undefined) return { ok: true, tenant, uid: userName, replyName: (u) => u };
    if (!isOwnRealm(split.realm, { id: tenant.id, realms: tenant.radius.realms })) return { ok: false, reason: 'realm-not-allowed', realm: split.realm, tenant };
    return { ok: true, tenant, uid, replyName: (u) => u };
  }
  const { realm, form } = split;
  if (realm === undefined || form === undefined) return { ok: false, reason: 'no-realm' };
  const tenant = registry.byRealm(realm);
  if (!tenant) return { ok: false, reason: 'unknown-realm', realm };
  if (!match.client.realms.includes(tenant.id)) return { ok: false, reason: 'realm-not-allowed', realm, tenant };
  return { ok: true, tenant, uid, replyName: (u) => joinRealm(u, realm, form) };
}

/** A NAS's name is unique only within its tenant (or among the MSP-wide ones): this is unique. */
function nasKey(match: NasMatch): string {
  return JSON.stringify(match.kind === 'tenant' ? ['tenant', match.tenant.id, match.client.name] : ['msp', match.client.name]);
}

/**
 * The tenant whose in-flight share and duplicate cache a request counts in: the NAS's own, or for
 * an MSP-wide NAS the tenant of the user's realm; undefined when it names none (then the NAS
 * counts as a tenant of its own).
 */
function admissionTenant(registry: Registry, match: NasMatch, packet: Packet): TenantConfig | undefined {
  if (match.kind === 'tenant') return match.tenant;
  const userName = packet.string(ATTR.UserName);
  const target = userName ? resolveTarget(registry, match, userName) : undefined;
  return target?.ok ? target.tenant : undefined;
}

/** The tenants a NAS may account for: its own, or those an MSP-wide one may serve. */
function servedTenants(registry: Registry, match: NasMatch): TenantConfig[] {
  return match.kind === 'tenant' ? [match.tenant] : match.client.realms.flatMap((id) => registry.byId(id) ?? []);
}

export class RadiusFront {
  private readonly log: Logger;
  private readonly counters = emptyStats();
  private readonly inFlight = new InFlight();
  private readonly challenges = new MfaChallenges();
  private readonly throttle = new LogThrottle({ intervalMs: DROP_LOG_INTERVAL_MS, maxKeys: 10_000 });
  private readonly sockets: Socket[] = [];
  private readonly warnedTenants = new WeakSet<TenantConfig>();
  private readonly mabBudget: TokenBuckets;
  private registry: Registry;
  private duplicates: DuplicateCache;

  constructor(private readonly o: RadiusFrontOptions) {
    this.log = o.logger.child({ component: 'radius' });
    this.registry = o.live.current();
    this.duplicates = this.duplicateCache(this.registry);
    this.mabBudget = new TokenBuckets(o.mabRate ?? DEFAULT_MAB_RATE, MAX_MAB_NAS, Date.now);
  }

  /** Binds server.listen.radius (UDP); `::` gives one dual-stack socket per port. */
  async listen(): Promise<{ auth: number; acct: number }> {
    const { auth, acct, host } = this.o.live.current().server.listen.radius;
    return { auth: await this.bind('auth', host, auth), acct: await this.bind('acct', host, acct) };
  }

  private bind(port: Port, host: string, number: number): Promise<number> {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    this.sockets.push(socket);
    socket.on('message', (msg, rinfo) => this.onMessage(port, socket, msg, rinfo));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(number, host, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.log.error({ event: 'radius.socket', port, outcome: 'error', err }, 'RADIUS socket error'));
        const bound = socket.address().port;
        this.log.info({ event: 'radius.listen', port, host, bound }, `RADIUS ${port} listening on ${host}:${bound}/udp`);
        resolve(bound);
      });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.duplicates.clear();
    this.challenges.clear();
  }

  stats(): RadiusStats {
    return { ...this.counters, dropped: { ...this.counters.dropped }, inFlight: this.inFlight.size };
  }

  // ------------------------------------------------------------ per datagram

  private onMessage(port: Port, socket: Socket, msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.received++;
    const source = rinfo.address;
    const parsed = parsePacket(msg);
    if (!parsed.ok) return this.drop(parsed.reason, source);
    const packet = parsed.packet;
    const registry = this.o.live.current();
    if (registry !== this.registry) {
      // Replies in the cache were signed with the old secrets and built from the old settings.
      this.registry = registry;
      this.duplicates.clear();
      this.duplicates = this.duplicateCache(registry);
    }
    const match = registry.byNas(source);
    if (!match) return this.drop('unknown-client', source);
    const expected = port === 'auth' ? CODE.AccessRequest : CODE.AccountingRequest;
    if (packet.code !== expected && packet.code !== CODE.StatusServer) return this.drop('unknown-code', source, match);
    const rejected = this.authenticity(packet, match);
    if (rejected) return this.drop(rejected, source, match);

    if (packet.code === CODE.StatusServer) {
      // RFC 5997: answered at once, never cached; Access-Accept on auth, Accounting-Response on acct.
      this.counters.statusServer++;
      const code = port === 'auth' ? CODE.AccessAccept : CODE.AccountingResponse;
      const status = answer(encodeResponse({ code, request: packet, secret: match.client.secret, attributes: [] }));
      return 'reply' in status ? this.send(socket, rinfo, status.reply) : this.drop(status.drop, source, match);
    }

    const tenant = admissionTenant(registry, match, packet);
    const owner = tenant?.id ?? nasKey(match);
    // A reload replaces the cache: this request's answer belongs in the one it began in.
    const duplicates = this.duplicates;
    const key = `${port}|${DuplicateCache.key(source, rinfo.port, packet.identifier, packet.authenticator)}`;
    const seen = duplicates.begin(owner, key);
    if (seen.kind === 'done') {
      this.counters.duplicates++;
      return this.send(socket, rinfo, seen.reply);
    }
    if (seen.kind === 'pending') return this.drop('duplicate-in-flight', source, match, tenant);
    const slot = this.inFlight.enter(nasKey(match), owner, registry.server.radius.limits);
    if (!slot.ok) {
      duplicates.abandon(owner, key);
      return this.drop(slot.reason, source, match, tenant);
    }
    const started = performance.now();
    const work = port === 'auth' ? this.access(packet, match, registry, source) : this.accounting(packet, match, registry, source);
    work
      .catch((err: unknown): Outcome => {
        if (hasCode(err, 'TD_STORE_UNAVAILABLE')) return { drop: 'store-unavailable' };
        this.log.error({ event: 'radius.request', nas: match.client.name, outcome: 'error', err }, 'RADIUS request failed');
        return { drop: 'internal-error' };
      })
      .then((outcome) => {
        const operation = port === 'auth' ? 'access' : 'accounting';
        this.o.onRequest?.(operation, 'reply' in outcome ? replyName(outcome.reply) : outcome.drop, (performance.now() - started) / 1000);
        if ('reply' in outcome) {
          duplicates.finish(owner, key, outcome.reply);
          this.send(socket, rinfo, outcome.reply);
        } else {
          // Nothing was sent: the NAS's retransmission is worked on afresh.
          duplicates.abandon(owner, key);
          this.drop(outcome.drop, source, match, tenant);
        }
      })
      .finally(slot.release);
  }

  private duplicateCache(registry: Registry): DuplicateCache {
    return new DuplicateCache({
      windowMs: this.o.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
      bytesPerOwner: registry.server.radius.limits.duplicateCacheBytesPerTenant,
    });
  }

  /** Why the packet is not authentic, or undefined when it is. */
  private authenticity(packet: Packet, match: NasMatch): DropReason | undefined {
    const secret = match.client.secret;
    const hasMa = packet.has(ATTR.MessageAuthenticator);
    if (packet.code === CODE.AccountingRequest) {
      if (!verifyAccountingAuthenticator(packet, secret)) return 'bad-authenticator';
      // RFC 5080 2.2.1: in accounting the MAC is computed over a zero authenticator.
      return hasMa && !verifyMessageAuthenticator(packet, secret, ZERO_AUTHENTICATOR) ? 'bad-message-authenticator' : undefined;
    }
    if (hasMa) return verifyMessageAuthenticator(packet, secret) ? undefined : 'bad-message-authenticator';
    // Blast-RADIUS: without the MAC a forged reply cannot be told apart, so require it. Status-
    // Server (RFC 5997) and EAP (RFC 3579) always need it; MSP-wide NAS always (the tenant, whose
    // setting would apply, is picked from the unauthenticated user name).
    const required = packet.code === CODE.StatusServer || packet.has(ATTR.EapMessage)
      || match.kind === 'msp' || match.tenant.radius.requireMessageAuthenticator;
    return required ? 'missing-message-authenticator' : undefined;
  }

  /**
   * The source smart lockout and the buckets count by: the NAS and the station behind it
   * (Calling-Station-Id: a MAC on Wi-Fi and wired, the client's address on a VPN). One station
   * guessing slows that station, not every user of the access point; without the attribute, the NAS.
   */
  private actor(match: NasMatch, source: string, packet?: Packet): Actor {
    const station = packet?.string(ATTR.CallingStationId)?.trim().toLowerCase().slice(0, 64);
    return { name: `radius:${match.client.name}`, protocol: 'radius', source: station ? `${nasKey(match)}|${station}` : source, nas: match.client.name };
  }

  private async access(packet: Packet, match: NasMatch, registry: Registry, source: string): Promise<Outcome> {
    const secret = match.client.secret;
    const nas = match.client.name;
    const userName = packet.string(ATTR.UserName) ?? '';
    const target = userName ? resolveTarget(registry, match, userName) : { ok: false as const, reason: 'no-user-name' };
    if (!target.ok) {
      // A tenant's NAS refuses every realm but its own, whether another tenant has it or not: that
      // tells nothing. At an MSP-wide NAS a realm of no tenant, or of one it may not serve, takes
      // the work of a wrong password, so timing does not say which realms exist.
      const password = match.kind === 'msp' ? unroutedPassword(packet, secret) : undefined;
      const refusal = password === undefined ? 'refused' : await this.o.directory.refuseWithoutTenant(userName, password, this.actor(match, source, packet));
      if (refusal === 'throttled') return { drop: 'throttled' };
      this.counters.rejected++;
      const realm: Record<string, string> = target.realm === undefined ? {} : { realm: target.realm };
      this.log.info({ event: 'radius.auth', tenant: target.tenant?.id, nas, user: userName, outcome: 'reject', reason: target.reason, ...realm }, 'RADIUS request refused');
      if (target.tenant) {
        await this.o.directory.tenant(target.tenant).audit(this.actor(match, source, packet), 'radius.auth', userName, 'refused', { reason: target.reason, ...realm });
      }
      return answer(encodeResponse({ code: CODE.AccessReject, request: packet, secret, attributes: refusalAttributes(packet) }));
    }
    this.warnReplyProblems(target.tenant);
    const reply = await handleAccess({
      packet,
      secret,
      tenant: target.tenant,
      directory: this.o.directory.tenant(target.tenant),
      userName,
      uid: target.uid,
      replyName: target.replyName,
      actor: this.actor(match, source, packet),
      nas: { key: nasKey(match), name: nas, source },
      eap: this.o.eap,
      challenges: this.challenges,
      admitMab: () => this.mabBudget.take(nasKey(match)),
    });
    if ('drop' in reply) return { drop: reply.drop };
    const outcome = outcomeOf(reply.code);
    this.counters[outcome === 'accept' ? 'accepted' : outcome === 'challenge' ? 'challenged' : 'rejected']++;
    this.log[outcome === 'challenge' ? 'debug' : 'info'](
      { event: 'radius.auth', tenant: target.tenant.id, nas, user: target.uid, method: reply.method, outcome, reason: reply.reason },
      `RADIUS ${reply.method} ${outcome}`,
    );
    return { reply: reply.reply };
  }

  private async accounting(packet: Packet, match: NasMatch, registry: Registry, source: string): Promise<Outcome> {
    const secret = match.client.secret;
    const nas = match.client.name;
    // An Accounting-Response carries a MAC only if the request did (RFC 3579 3.2 applies to access).
    const ack = answer(encodeResponse({ code: CODE.AccountingResponse, request: packet, secret, attributes: [], messageAuthenticator: packet.has(ATTR.MessageAuthenticator) }));
    const status = statusType(packet);
    if (!status) {
      this.log.debug({ event: 'radius.acct', nas, outcome: 'ignored', status: packet.integer(ATTR.AcctStatusType) }, 'accounting record of a type not kept');
      return ack;
    }
    const userName = packet.string(ATTR.UserName);
    // The Class of our Access-Accept names the user who authenticated, whatever User-Name says
    // (the outer anonymous identity of 802.1X); it opens only for a tenant this NAS serves.
    const sealed = ourClass(packet.all(ATTR.Class));
    const byClass = sealed && this.classOwner(sealed, match, registry);
    const target = !byClass && userName ? resolveTarget(registry, match, userName) : undefined;
    let tenants: readonly TenantConfig[];
    let user: string | undefined;
    if (byClass) [tenants, user] = [[byClass.tenant], byClass.uid];
    else if (target?.ok) [tenants, user] = [[target.tenant], target.uid];
    else if (match.kind === 'tenant') [tenants, user] = [[match.tenant], userName];
    // A shared NAS's Accounting-On/Off (reboot) ends sessions in every tenant it serves.
    else if (status === 'on' || status === 'off') tenants = servedTenants(registry, match);
    else return { drop: 'unknown-realm' };
    const record = accountingRecord(packet, { status, user, nas, source, now: new Date() });
    await Promise.all(tenants.map((t) => this.o.directory.tenant(t).recordAccounting(record)));
    this.counters.accounting++;
    this.log.info({
      event: 'radius.acct', tenant: tenants.map((t) => t.id).join(','), nas, user: record.user, status, outcome: 'stored',
      by: byClass ? 'class' : 'user-name', ...(sealed && !byClass ? { class: 'not-verified' } : {}),
      ...(target && !target.ok ? { reason: target.reason } : {}),
    }, 'RADIUS accounting stored');
    return ack;
  }

  /** The tenant and uid our Class names, if it opens for one of the tenants this NAS serves. */
  private classOwner(sealed: Buffer, match: NasMatch, registry: Registry): { tenant: TenantConfig; uid: string } | undefined {
    for (const tenant of servedTenants(registry, match)) {
      const uid = readClass(sealed, match.client.secret, tenant.id);
      if (uid !== undefined) return { tenant, uid };
    }
    return undefined;
  }

  private warnReplyProblems(tenant: TenantConfig): void {
    if (this.warnedTenants.has(tenant)) return;
    this.warnedTenants.add(tenant);
    for (const problem of replyProblems(tenant)) {
      this.log.warn({ event: 'radius.config', tenant: tenant.id, outcome: 'skipped' }, `${tenant.file}: ${problem}`);
    }
  }

  private send(socket: Socket, rinfo: RemoteInfo, reply: Buffer): void {
    try {
      socket.send(reply, rinfo.port, rinfo.address, (err) => {
        if (err) this.log.warn({ event: 'radius.send', source: rinfo.address, outcome: 'error', err }, 'RADIUS reply not sent');
      });
    } catch (err) {
      // The socket closed while the request was being worked on (shutdown).
      this.log.debug({ event: 'radius.send', source: rinfo.address, outcome: 'error', err }, 'RADIUS reply not sent');
    }
  }

  /** Counted always; logged once an interval per NAS and reason (per source and reason before a NAS is known). */
  private drop(reason: DropReason, source: string, match?: NasMatch, tenant?: TenantConfig): void {
    this.counters.dropped[reason] = (this.counters.dropped[reason] ?? 0) + 1;
    const t = this.throttle.shouldLog(JSON.stringify([match ? nasKey(match) : source, reason]));
    if (t.log) {
      this.log.warn({
        event: 'radius.drop', reason, source, tenant: tenant?.id, nas: match?.client.name, suppressed: t.suppressed, outcome: 'dropped',
      }, `RADIUS packet dropped: ${reason}`);
    }
  }
}

const REPLY_NAMES: Record<number, string> = { [CODE.AccessAccept]: 'accept', [CODE.AccessReject]: 'reject', [CODE.AccessChallenge]: 'challenge', [CODE.AccountingResponse]: 'accounting-response' };

/** A reply's code as a metrics outcome. */
function replyName(reply: Buffer): string {
  return REPLY_NAMES[reply[0] ?? 0] ?? 'other';
}
