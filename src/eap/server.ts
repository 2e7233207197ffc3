// The EAP server behind the RADIUS front (its EapHandler): one call per Access-Request that
// carries EAP-Message. It keeps each conversation under the State it hands out, drives the
// method (hostapd's EAP state machine in small), and answers with what the front puts in
// Access-Challenge, -Accept or -Reject. What goes wrong in one conversation ends that one only.
import { hasCode } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { Conversations, DEFAULT_CONVERSATION_LIMITS, type ConversationLimits, type Owner } from './conversations.ts';
import { innerUid, methodAfterNak, parseIdentity } from './identity.ts';
import type { EapContext, EapMethod, EapProof, EapUser, EapVerdict, Step } from './method.ts';
import { mschapv2 } from './mschapv2.ts';
import { EAP_CODE, EAP_TYPE, buildEap, eapFailure, eapSuccess, parseEap, type EapPacket } from './packet.ts';
import { peap } from './peap.ts';
import { EapTenant, type EapTenantSettings, type PemPair } from './tenant.ts';
import type { TlsLimits } from './method.ts';
import { DEFAULT_TLS_LIMITS } from './tls-common.ts';
import { tls } from './tls.ts';
import { ttls } from './ttls.ts';

export type EapLimits = TlsLimits & ConversationLimits;

export interface EapServerOptions {
  logger: Logger;
  /** The server's certificate chain and key (tls in tenantdir.yaml, or the development one). */
  tls: PemPair;
  /** A tenant's EAP settings; undefined or absent: the defaults (no EAP-TLS without a CA). */
  settings?: (tenantId: string) => EapTenantSettings | undefined;
  limits?: Partial<EapLimits>;
  now?: () => number;
}

/**
 * One Access-Request's EAP part, as the RADIUS front hands it over: the one declaration of the
 * seam (src/radius imports it). Users are reached only through `authenticate` and `getUser`.
 */
export interface EapExchange {
  /** Every EAP-Message attribute of the request, joined. */
  eapMessage: Buffer;
  /** The State attribute, absent on a conversation's first request. */
  state: Buffer | undefined;
  /** `realms`: those the tenant lists besides its id; an inner or certificate identity may carry only these. */
  tenant: { id: string; allowMschapv2: boolean; realms: readonly string[] };
  /**
   * Conversations are capped per NAS, and a State is valid only from the NAS it was given to.
   * `key` names the NAS uniquely in the configuration (a `name` is unique only within a tenant).
   */
  nas: { key: string; name: string; source: string };
  /** Checks a credential in this tenant (lockout and audit included); `method` (ttls/pap, peap/mschapv2, ...) labels the audit record. */
  authenticate(uid: string, proof: EapProof, method: string): Promise<EapVerdict>;
  /** Finds a user of this tenant: EAP-TLS needs it (there is no credential to check). */
  getUser(uid: string): Promise<EapUser | undefined>;
}

export type EapOutcome =
  /** Access-Challenge with this EAP-Message and State. */
  | { kind: 'challenge'; eapMessage: Buffer; state: Buffer }
  /**
   * Access-Accept with EAP-Success; MS-MPPE-Recv-Key = msk[0..31], MS-MPPE-Send-Key = msk[32..63].
   * `uid` is the authenticated user (its groups give the VLAN, it is the reply's User-Name);
   * `method` (ttls/pap, peap/mschapv2, tls, ...) and the inner `identity` are for the audit record.
   */
  | { kind: 'accept'; eapMessage: Buffer; uid: string; msk: Buffer; method: string; identity: string }
  /** Access-Reject with EAP-Failure; `reason` is for the log and audit only. */
  | { kind: 'reject'; eapMessage: Buffer; reason: string; method?: string; identity?: string }
  /**
   * No answer at all (the credential check was throttled): the conversation stays as it was, and
   * the NAS's retransmission of the same request runs the step again.
   */
  | { kind: 'drop'; reason: string };

interface Conversation {
  state: Buffer;
  outer: string;
  /** Identifier of the request we sent last: the next response must carry it. */
  id: number;
  method: EapMethod<unknown> | undefined;
  methodState: unknown;
  tried: Set<number>;
  /** The peer may still Nak: our last request was a method's first. */
  fresh: boolean;
  /** Who is being authenticated, and how: for the log and the audit record. */
  inner: { identity: string | undefined; method: string };
  /** The last request and its answer: a retransmission gets the same answer, not a second step. */
  last: { request: Buffer; reply: Promise<EapOutcome> } | undefined;
  busy: boolean;
}

const CAPPED_WARNING_INTERVAL_MS = 60_000;

const owner = (x: EapExchange): Owner => ({ tenant: x.tenant.id, nas: x.nas.key });

const METHODS: ReadonlyMap<number, EapMethod<unknown>> = new Map(
  ([ttls, peap, tls, mschapv2] as EapMethod<unknown>[]).map((m) => [m.type, m]),
);

export class EapServer {
  private readonly log: Logger;
  private readonly limits: EapLimits;
  private readonly conversations: Conversations<Conversation>;
  private readonly now: () => number;
  private tlsMaterial: PemPair;
  /** Resolved tenants; emptied when the certificate changes. Settings are read per tenant once. */
  private tenants = new Map<string, EapTenant>();
  private readonly cappedWarnings = new Map<string, number>();

  constructor(private readonly o: EapServerOptions) {
    this.log = o.logger.child({ component: 'eap' });
    this.limits = { ...DEFAULT_TLS_LIMITS, ...DEFAULT_CONVERSATION_LIMITS, ...o.limits };
    this.now = o.now ?? Date.now;
    this.tlsMaterial = o.tls;
    this.conversations = new Conversations<Conversation>(this.limits, (c) => this.disposeMethod(c), this.now);
  }

  /** Open conversations (for /metrics and tests). */
  get open(): number {
    return this.conversations.size;
  }

  /**
   * A new certificate or new tenant settings (configuration reload): new conversations use
   * them, open ones finish with what they started with.
   */
  setTls(material: PemPair): void {
    this.tlsMaterial = material;
    this.tenants = new Map();
  }

  /** Rejects only on a store outage (StoreUnavailable), after ending the conversation. */
  async handle(x: EapExchange): Promise<EapOutcome> {
    const pkt = parseEap(x.eapMessage);
    if (!pkt || pkt.code !== EAP_CODE.response) return this.refuse(x, pkt?.id ?? 0, 'malformed EAP packet');
    if (!x.state) return this.begin(x, pkt);
    const conv = this.conversations.get(x.state, owner(x));
    if (!conv) return this.refuse(x, pkt.id, 'unknown or expired State');
    if (conv.last?.request.equals(x.eapMessage)) return conv.last.reply;
    if (conv.busy || pkt.id !== conv.id) return this.end(conv, x, pkt.id, 'failed', 'out-of-sequence EAP response');
    const reply = this.step(conv, x, pkt);
    conv.last = { request: Buffer.from(x.eapMessage), reply };
    return reply;
  }

  /** Ends every conversation (daemon shutdown). */
  close(): void {
    this.conversations.shutdown();
  }

  private tenant(x: EapExchange): EapTenant {
    const key = JSON.stringify([x.tenant.id, x.tenant.allowMschapv2]);
    let t = this.tenants.get(key);
    if (!t) {
      t = new EapTenant(x.tenant.id, x.tenant.allowMschapv2, this.o.settings?.(x.tenant.id) ?? {}, this.tlsMaterial);
      this.tenants.set(key, t);
    }
    return t;
  }

  private async begin(x: EapExchange, pkt: EapPacket): Promise<EapOutcome> {
    const outer = pkt.type === EAP_TYPE.identity ? parseIdentity(pkt.data) : undefined;
    if (outer === undefined) return this.refuse(x, pkt.id, 'conversation must start with EAP-Response/Identity');
    let type: number | undefined;
    try {
      type = this.tenant(x).methods[0];
    } catch (err) {
      // A tenant's unusable certificate or CA fails its own conversations, not the server.
      this.log.error({ event: 'eap.tenant', tenant: x.tenant.id, err }, 'EAP is not usable for this tenant');
      return this.refuse(x, pkt.id, 'EAP is not usable for this tenant (certificate or CA)');
    }
    if (type === undefined) return this.refuse(x, pkt.id, 'no EAP method is set up for this tenant');
    const conv: Conversation = {
      state: Buffer.alloc(0), outer, id: pkt.id, method: undefined, methodState: undefined,
      tried: new Set(), fresh: false, inner: { identity: undefined, method: 'identity' }, last: undefined, busy: false,
    };
    const opened = this.conversations.open(owner(x), conv);
    if (!opened.ok) {
      this.warnCapped(x, opened.cap);
      return this.refuse(x, pkt.id, `too many open EAP conversations (${opened.cap === 'nas' ? 'this NAS' : 'this tenant\'s share'})`);
    }
    if (opened.evicted) this.warnCapped(x, 'evicted', opened.evicted.tenant);
    conv.state = opened.state;
    return this.guard(conv, x, pkt.id, async () => this.propose(conv, x, type));
  }

  private step(conv: Conversation, x: EapExchange, pkt: EapPacket): Promise<EapOutcome> {
    return this.guard(conv, x, pkt.id, async () => {
      if (pkt.type === EAP_TYPE.nak) {
        if (!conv.fresh) return this.end(conv, x, pkt.id, 'failed', 'Nak out of turn');
        this.disposeMethod(conv);
        const type = methodAfterNak(this.tenant(x), pkt.data, conv.tried);
        if (type === undefined) return this.end(conv, x, pkt.id, 'failed', `peer wants EAP types [${[...pkt.data].join(',')}], none offered`);
        return this.propose(conv, x, type);
      }
      const method = conv.method;
      if (!method || pkt.type !== method.type) return this.end(conv, x, pkt.id, 'failed', `response of type ${pkt.type ?? '-'} to a ${method?.name ?? 'no'} request`);
      conv.fresh = false;
      return this.apply(conv, x, pkt.id, await method.next(conv.methodState, pkt.data, this.context(conv, x)));
    });
  }

  /** Runs one step. An exception ends this conversation; only a store outage propagates. */
  private async guard(conv: Conversation, x: EapExchange, id: number, f: () => Promise<EapOutcome>): Promise<EapOutcome> {
    conv.busy = true;
    try {
      return await f();
    } catch (err) {
      if (hasCode(err, 'TD_STORE_UNAVAILABLE')) {
        this.conversations.close(conv.state);
        throw err;
      }
      this.log.error({ event: 'eap.error', tenant: x.tenant.id, nas: x.nas.name, err }, 'EAP conversation failed');
      return this.end(conv, x, id, 'failed', 'internal error');
    } finally {
      conv.busy = false;
    }
  }

  private propose(conv: Conversation, x: EapExchange, type: number): EapOutcome {
    const method = METHODS.get(type);
    if (!method) return this.end(conv, x, conv.id, 'failed', `EAP type ${type} is not implemented`);
    conv.tried.add(type);
    conv.method = method;
    conv.fresh = true;
    conv.inner = { identity: undefined, method: method.name.toLowerCase() };
    return this.apply(conv, x, conv.id, method.start(this.context(conv, x)));
  }

  private apply(conv: Conversation, x: EapExchange, id: number, step: Step<unknown>): EapOutcome {
    if ('deferred' in step) {
      // Forget the answer handle() keeps for retransmissions: the next one must run the step.
      conv.last = undefined;
      this.log.debug({ event: 'eap.deferred', tenant: x.tenant.id, nas: x.nas.name, method: conv.inner.method, reason: step.deferred }, 'EAP step deferred');
      return { kind: 'drop', reason: step.deferred };
    }
    if ('send' in step) {
      conv.methodState = step.state;
      conv.id = (conv.id + 1) & 0xff;
      return { kind: 'challenge', eapMessage: buildEap(EAP_CODE.request, conv.id, conv.method?.type, step.send), state: conv.state };
    }
    if ('failure' in step) return this.end(conv, x, id, 'failed', step.failure);
    const { user, msk } = step.success;
    if (!msk) return this.end(conv, x, id, 'failed', 'method ended without keys');
    this.end(conv, x, id, 'ok', '');
    return { kind: 'accept', eapMessage: eapSuccess(id), uid: user.uid, msk, method: conv.inner.method, identity: conv.inner.identity ?? conv.outer };
  }

  /** Closes the conversation and logs its outcome; the reject is what a failure answers. */
  private end(conv: Conversation, x: EapExchange, id: number, outcome: 'ok' | 'failed', reason: string): EapOutcome {
    this.conversations.close(conv.state);
    const identity = conv.inner.identity ?? conv.outer;
    this.log.info({
      event: 'eap.auth', tenant: x.tenant.id, nas: x.nas.name, method: conv.inner.method, user: identity, outer: conv.outer, outcome,
      ...(reason ? { reason } : {}),
    }, 'EAP conversation ended');
    return { kind: 'reject', eapMessage: eapFailure(id), reason, method: conv.inner.method, identity };
  }

  /** Once a minute per NAS and kind at most: a flood must not flood the log too. */
  private warnCapped(x: EapExchange, cap: 'nas' | 'tenant' | 'evicted', victim?: string): void {
    const now = this.now();
    const key = JSON.stringify([x.nas.key, cap]);
    if (now - (this.cappedWarnings.get(key) ?? -Infinity) < CAPPED_WARNING_INTERVAL_MS) return;
    if (this.cappedWarnings.size > 10_000) this.cappedWarnings.clear();
    this.cappedWarnings.set(key, now);
    const fields = { event: 'eap.capped', tenant: x.tenant.id, nas: x.nas.name, cap, open: this.conversations.size, outcome: cap === 'evicted' ? 'evicted' : 'refused' };
    if (cap === 'evicted') {
      this.log.warn({ ...fields, victim }, `the EAP conversation pool is full: tenant ${victim ?? '?'}, above its share, lost its least recently used conversation`);
    } else {
      this.log.warn(fields, cap === 'nas'
        ? 'too many open EAP conversations from this NAS: new ones are refused (eap.maxConversationsPerNas)'
        : 'the EAP conversation pool is full and this tenant holds its share: new ones are refused (eap.maxConversations)');
    }
  }

  private refuse(x: EapExchange, id: number, reason: string): EapOutcome {
    // Debug: unknown States are routine (a NAS retrying after a timeout) and can come in floods.
    this.log.debug({ event: 'eap.refused', tenant: x.tenant.id, nas: x.nas.name, reason }, 'EAP request refused');
    return { kind: 'reject', eapMessage: eapFailure(id), reason };
  }

  private context(conv: Conversation, x: EapExchange): EapContext {
    return {
      tenant: this.tenant(x),
      log: this.log,
      limits: this.limits,
      identity: conv.outer,
      authenticate: async (identity, proof, method) => {
        conv.inner = { identity, method };
        const inner = innerUid(identity, x.tenant);
        if (!inner.ok) return inner;
        return x.authenticate(inner.uid, proof, method);
      },
      lookupUser: async (identity, method) => {
        conv.inner = { identity, method };
        const inner = innerUid(identity, x.tenant);
        if (!inner.ok) return inner;
        const user = await x.getUser(inner.uid);
        if (!user) return { ok: false, reason: 'no-such-user' };
        if (!user.enabled) return { ok: false, reason: 'disabled' };
        if (user.expiresAt !== undefined && user.expiresAt.getTime() <= this.now()) return { ok: false, reason: 'expired' };
        return { ok: true, user };
      },
      method: (type) => METHODS.get(type),
    };
  }

  private disposeMethod(conv: Conversation): void {
    if (conv.method?.dispose && conv.methodState !== undefined) conv.method.dispose(conv.methodState);
    conv.methodState = undefined;
  }
}
