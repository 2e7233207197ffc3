// Access-Request, once the packet is authentic and its tenant known: MAC authentication bypass
// (mab.ts) before anything else, PAP (with MFA challenges), MS-CHAPv2 (RFC 2759 over RADIUS, RFC
// 2548 attributes), EAP through the hook, and the refusals for CHAP and MS-CHAPv1. Returns the
// encoded reply, or a drop: a credential check refused as throttled is not answered (the NAS
// retries later). A store outage rejects (StoreUnavailable) instead, and the front sends nothing.
import { randomBytes } from 'node:crypto';
import type { TenantConfig } from '../config/index.ts';
import { checkNtResponse, serverMppeKeys } from '../core/mschapv2.ts';
import type { Actor, AuthFailure, AuthResult, TenantDirectory, User } from '../directory/index.ts';
import {
  ATTR, CODE, decryptUserPassword, encodeResponse, MS, VENDOR_MICROSOFT, type OutAttribute, type Packet,
} from './codec.ts';
import type { EapHandler } from './eap-hook.ts';
import { joinEapMessage, splitEapMessage } from './eap-message.ts';
import { MfaChallenges } from './mfa-challenges.ts';
import { decideMab, mabRequest, type MabAdmission, type MabRequest } from './mab.ts';
import { encryptMppeKey } from './mppe.ts';
import { acceptAttributes, quarantineAttributes } from './replies.ts';
import { issueClass } from './session-class.ts';

export type Method = 'pap' | 'mschapv2' | 'chap' | 'mschapv1' | 'eap' | 'mab' | 'none';

/** What Access-Requests need of a tenant's directory (a test may hand in a double). */
export type AccessDirectory = Pick<TenantDirectory, 'authenticate' | 'completeChallenge' | 'authenticateDevice' | 'audit' | 'getUser' | 'groupsOf' | 'recordLogin'>;

/** RFC 2865 5.2: a User-Password is at most 128 bytes; a longer one is refused before any work. */
const MAX_PAP_BYTES = 128;
const REPLY_TOO_LARGE = 'reply-too-large';

export interface AccessContext {
  packet: Packet;
  secret: string;
  tenant: TenantConfig;
  directory: AccessDirectory;
  /** User-Name as sent. */
  userName: string;
  /** The name looked up in the tenant (realm stripped as configured). */
  uid: string;
  /** The User-Name an Access-Accept gives back for the authenticated user (front.ts says which). */
  replyName(uid: string): string;
  actor: Actor;
  /** `key` is unique in the configuration; `name` only within the tenant. */
  nas: { key: string; name: string; source: string };
  eap: EapHandler | undefined;
  /** Open MFA challenges (mfa.radius: challenge), shared by the front. */
  challenges: MfaChallenges;
  /** A take from this NAS's budget for MAB requests (front.ts). */
  admitMab(): MabAdmission;
}

/** The reply decided, before it is encoded. */
interface AccessReply {
  code: number;
  attributes: OutAttribute[];
  method: Method;
  /** Why a request was rejected (or a device quarantined), for the log (clients learn only what Reply-Message says). */
  reason?: string;
  /**
   * The success this layer audits itself (EAP; the directory audits PAP and MS-CHAPv2): written
   * only once the reply is known to fit, so an Accept that is never sent is never audited as one.
   */
  success?: { action: string; target: string; detail: Record<string, string> };
}

/** How the log and audit name a reply code. */
export function outcomeOf(code: number): 'accept' | 'challenge' | 'reject' {
  return code === CODE.AccessAccept ? 'accept' : code === CODE.AccessChallenge ? 'challenge' : 'reject';
}

/** Nothing is sent: the NAS retries (a throttled check), or not even an Access-Reject fits. */
type AccessDrop = { drop: 'throttled' | typeof REPLY_TOO_LARGE; method: Method };

export type AccessOutcome = { reply: Buffer; code: number; method: Method; reason?: string } | AccessDrop;

const ms = (type: number, value: Buffer): OutAttribute => ({ type, value, vendor: VENDOR_MICROSOFT });

export async function handleAccess(ctx: AccessContext): Promise<AccessOutcome> {
  const decided = await decide(ctx);
  return 'drop' in decided ? decided : encode(ctx, decided);
}

/**
 * The reply's bytes. One that would be longer than a RADIUS packet may be (4,096 bytes: a proxy's
 * many Proxy-State with a long Access-Accept) becomes an Access-Reject, audited as failed
 * 'reply-too-large'; when not even that fits, nothing is sent.
 */
async function encode(ctx: AccessContext, r: AccessReply): Promise<AccessOutcome> {
  const encodeWith = (code: number, attributes: readonly OutAttribute[]) => encodeResponse({ code, request: ctx.packet, secret: ctx.secret, attributes });
  const bytes = encodeWith(r.code, r.attributes);
  if (bytes) {
    if (r.success) await ctx.directory.audit(ctx.actor, r.success.action, r.success.target, 'ok', r.success.detail);
    return { reply: bytes, code: r.code, method: r.method, ...(r.reason === undefined ? {} : { reason: r.reason }) };
  }
  await ctx.directory.audit(ctx.actor, r.success?.action ?? 'radius.auth', r.success?.target ?? ctx.uid, 'failed', {
    ...r.success?.detail, reason: REPLY_TOO_LARGE, method: r.method, reply: outcomeOf(r.code),
  });
  const reject = encodeWith(CODE.AccessReject, refusalAttributes(ctx.packet));
  return reject ? { reply: reject, code: CODE.AccessReject, method: r.method, reason: REPLY_TOO_LARGE } : { drop: REPLY_TOO_LARGE, method: r.method };
}

async function decide(ctx: AccessContext): Promise<AccessReply | AccessDrop> {
  const p = ctx.packet;
  // First: a request shaped as MAB never reaches a user's password check.
  const device = mabRequest(p, ctx.uid, ctx.secret);
  if (device) return mab(ctx, device);
  if (p.has(ATTR.EapMessage)) return eap(ctx);
  if (p.has(ATTR.ChapPassword)) {
    return refuse(ctx, 'chap', 'chap-unsupported', 'CHAP is not supported: tenantdir keeps no plaintext passwords; use PAP or MS-CHAPv2');
  }
  if (p.vendor(VENDOR_MICROSOFT, MS.ChapResponse)) {
    return refuse(ctx, 'mschapv1', 'mschapv1-unsupported', 'MS-CHAPv1 is not supported (obsolete and weak); use MS-CHAPv2 or PAP');
  }
  if (p.vendor(VENDOR_MICROSOFT, MS.Chap2Response)) return mschapv2(ctx);
  const hidden = p.get(ATTR.UserPassword);
  if (hidden) return pap(ctx, hidden);
  return refuse(ctx, 'none', 'no-credentials', 'the request carries no User-Password, MS-CHAPv2 or EAP');
}

/** Refused before any password check, so no lockout counting; audited like the rest. */
async function refuse(ctx: AccessContext, method: Method, reason: string, message: string, extra: OutAttribute[] = []): Promise<AccessReply> {
  await ctx.directory.audit(ctx.actor, 'radius.auth', ctx.uid, 'refused', { reason, method });
  return { code: CODE.AccessReject, attributes: [{ name: 'Reply-Message', value: message }, ...extra], method, reason };
}

/**
 * Every Access-Accept names the user as authenticated (User-Name: the NAS accounts under it, not
 * under an anonymous outer identity) and carries our Class, which the NAS echoes in accounting.
 */
async function accept(ctx: AccessContext, user: User, method: Method, extra: OutAttribute[]): Promise<AccessReply> {
  const groups = await ctx.directory.groupsOf(user);
  const attributes = [...acceptAttributes(ctx.tenant, groups), ...session(ctx, ctx.replyName(user.uid), user.uid), ...extra];
  return { code: CODE.AccessAccept, attributes, method };
}

/** The User-Name the NAS accounts the session under, and our Class naming who it is. */
function session(ctx: AccessContext, userName: string, owner: string): OutAttribute[] {
  return [
    { type: ATTR.UserName, value: Buffer.from(userName, 'utf8') },
    { type: ATTR.Class, value: issueClass(ctx.secret, ctx.tenant.id, owner) },
  ];
}

/**
 * A device gets its groups' VLAN and reply attributes as a user does; User-Name stays as the NAS
 * spelled the MAC, and the Class names the normalised MAC, which accounting then records.
 */
async function mab(ctx: AccessContext, request: MabRequest): Promise<AccessReply | AccessDrop> {
  const v = await decideMab({ request, packet: ctx.packet, tenant: ctx.tenant, directory: ctx.directory, actor: ctx.actor, admit: () => ctx.admitMab() });
  // Over the NAS's MAB budget: dropped like any throttled check, so the switch retries soon.
  if (v.kind === 'rejected' && v.reason === 'throttled') return { drop: 'throttled', method: 'mab' };
  switch (v.kind) {
    case 'device':
      return { code: CODE.AccessAccept, attributes: [...acceptAttributes(ctx.tenant, v.groups), ...session(ctx, ctx.uid, v.mac)], method: 'mab' };
    case 'quarantine':
      return { code: CODE.AccessAccept, attributes: [...quarantineAttributes(ctx.tenant, v.vlan), ...session(ctx, ctx.uid, v.mac)], method: 'mab', reason: 'quarantined' };
    case 'rejected':
      return {
        code: CODE.AccessReject,
        attributes: [...(v.message ? [{ name: 'Reply-Message', value: v.message }] : []), ...refusalAttributes(ctx.packet)],
        method: 'mab',
        reason: v.reason,
      };
  }
}

async function pap(ctx: AccessContext, hidden: Buffer): Promise<AccessReply | AccessDrop> {
  if (hidden.length > MAX_PAP_BYTES) return refuse(ctx, 'pap', 'too-long', `the User-Password attribute is longer than ${MAX_PAP_BYTES} bytes`);
  const password = decryptUserPassword(hidden, ctx.secret, ctx.packet.authenticator);
  if (password === undefined) return refuse(ctx, 'pap', 'malformed-password', 'the User-Password attribute is malformed');
  const state = ctx.packet.get(ATTR.State);
  if (state && MfaChallenges.isOurs(state)) return answerChallenge(ctx, state, password);
  const r = await ctx.directory.authenticate(ctx.uid, { password }, { ...ctx.actor, method: 'pap' }, ctx.tenant.mfa.radius);
  if (r.ok) return accept(ctx, r.user, 'pap', []);
  if (r.reason === 'throttled') return { drop: 'throttled', method: 'pap' };
  if (r.reason === 'mfa-challenge') {
    const issued = ctx.challenges.issue({ tenantId: ctx.tenant.id, nasKey: ctx.nas.key, uid: ctx.uid });
    return {
      code: CODE.AccessChallenge,
      attributes: [{ type: ATTR.State, value: issued }, { name: 'Reply-Message', value: CODE_PROMPT }],
      method: 'pap',
      reason: r.reason,
    };
  }
  return { code: CODE.AccessReject, attributes: provenRefusal(r), method: 'pap', reason: r.reason };
}

const CODE_PROMPT = 'Enter the 6-digit code from your authenticator app';
/** Told only to a client that proved the password: what the user must do. */
const PROVEN_REPLY: Partial<Record<AuthFailure, string>> = {
  'password-expired': 'Your password has expired: set a new one (your IT team can tell you where), then sign in again',
  'mfa-not-enrolled': 'This organisation requires a second factor: ask your IT team to enrol an authenticator app for you',
  'mfa-unavailable': 'This organisation requires a second factor, which this sign-in method cannot carry: use an app password or a certificate',
};

/** A Reply-Message for a refusal the user can act on (MFA, an expired password), only to a client that proved the password. */
function provenRefusal(r: Extract<AuthResult, { ok: false }>): OutAttribute[] {
  const text = r.proven ? PROVEN_REPLY[r.reason] : undefined;
  return text ? [{ name: 'Reply-Message', value: text }] : [];
}

/** The second round: the State we issued, for this tenant, NAS and user, and the code as User-Password. */
async function answerChallenge(ctx: AccessContext, state: Buffer, code: string): Promise<AccessReply | AccessDrop> {
  if (!ctx.challenges.take(state, { tenantId: ctx.tenant.id, nasKey: ctx.nas.key, uid: ctx.uid })) {
    return refuse(ctx, 'pap', 'unknown-challenge', 'the sign-in took too long or was already answered: start again with the password');
  }
  const r = await ctx.directory.completeChallenge(ctx.uid, code, { ...ctx.actor, method: 'pap' });
  if (r.ok) return accept(ctx, r.user, 'pap', []);
  return r.reason === 'throttled' ? { drop: 'throttled', method: 'pap' } : { code: CODE.AccessReject, attributes: [], method: 'pap', reason: r.reason };
}

/** RFC 2759 section 6 failure codes by our reasons; 691 ("authentication failure") otherwise. */
const MSCHAP_ERROR: Partial<Record<AuthFailure, number>> = {
  disabled: 647,
  expired: 647,
  locked: 647,
  'password-expired': 648,
};

function mschapError(ident: number, code: number): OutAttribute {
  const challenge = randomBytes(16).toString('hex').toUpperCase();
  return ms(MS.ChapError, Buffer.concat([Buffer.from([ident]), Buffer.from(`E=${code} R=0 C=${challenge} V=3 M=Authentication failed`, 'ascii')]));
}

async function mschapv2(ctx: AccessContext): Promise<AccessReply | AccessDrop> {
  const p = ctx.packet;
  const challenge = p.vendor(VENDOR_MICROSOFT, MS.ChapChallenge);
  const response = p.vendor(VENDOR_MICROSOFT, MS.Chap2Response);
  // MS-CHAP2-Response (RFC 2548 2.3.2): Ident, Flags, Peer-Challenge(16), Reserved(8), Response(24).
  if (challenge?.length !== 16 || response?.length !== 50) {
    return refuse(ctx, 'mschapv2', 'malformed-mschapv2', 'the MS-CHAPv2 attributes are malformed');
  }
  const ident = response[0]!;
  if (!ctx.tenant.radius.allowMschapv2) {
    return refuse(ctx, 'mschapv2', 'mschapv2-disabled', 'MS-CHAPv2 is not enabled for this organisation', [mschapError(ident, 691)]);
  }
  const peerChallenge = response.subarray(2, 18);
  const ntResponse = response.subarray(26, 50);
  let success: OutAttribute[] = [];
  const r: AuthResult = await ctx.directory.authenticate(ctx.uid, {
    verifyNtHash: (ntHash) => {
      const check = checkNtResponse(ntHash, ntResponse, peerChallenge, challenge, ctx.userName);
      if (check.ok && check.authenticatorResponse) {
        const keys = serverMppeKeys(ntHash, ntResponse);
        success = [
          ms(MS.Chap2Success, Buffer.concat([Buffer.from([ident]), Buffer.from(check.authenticatorResponse, 'ascii')])),
          ms(MS.MppeRecvKey, encryptMppeKey(keys.recv, ctx.secret, p.authenticator)),
          ms(MS.MppeSendKey, encryptMppeKey(keys.send, ctx.secret, p.authenticator)),
          { name: 'MS-MPPE-Encryption-Policy', value: 1 }, // encryption allowed
          { name: 'MS-MPPE-Encryption-Types', value: 6 }, // RC4 40 or 128 bit
        ];
      }
      return check.ok;
    },
  }, { ...ctx.actor, method: 'mschapv2' }, 'none');
  if (r.ok) return accept(ctx, r.user, 'mschapv2', success);
  if (r.reason === 'throttled') return { drop: 'throttled', method: 'mschapv2' };
  const attributes = [mschapError(ident, MSCHAP_ERROR[r.reason] ?? 691), ...provenRefusal(r)];
  if (r.reason === 'no-nt-hash') attributes.push({ name: 'Reply-Message', value: 'no MS-CHAPv2 credential is stored for this user: set the password again' });
  return { code: CODE.AccessReject, attributes, method: 'mschapv2', reason: r.reason };
}

function eapAttributes(eapMessage: Buffer): OutAttribute[] {
  return splitEapMessage(eapMessage).map((value) => ({ type: ATTR.EapMessage, value }));
}

/** EAP-Failure (RFC 3748 4.2) answering the EAP packet `request`. */
function eapFailure(request: Buffer): Buffer {
  return Buffer.from([4, request[1] ?? 0, 0, 4]);
}

/**
 * The PAP password of a request refused before it reached a tenant (a realm of none, or not this
 * NAS's): what the directory checks against the dummy hash, so that such a refusal takes as long
 * as any other. Undefined when there is no password to spend work on.
 */
export function unroutedPassword(p: Packet, secret: string): string | undefined {
  const hidden = p.get(ATTR.UserPassword);
  return hidden && hidden.length <= MAX_PAP_BYTES ? decryptUserPassword(hidden, secret, p.authenticator) : undefined;
}

/** What a request refused before any method ran gets: EAP-Failure when it carried EAP (supplicants wait for one). */
export function refusalAttributes(p: Packet): OutAttribute[] {
  return p.has(ATTR.EapMessage) ? eapAttributes(eapFailure(joinEapMessage(p.all(ATTR.EapMessage)))) : [];
}

async function eap(ctx: AccessContext): Promise<AccessReply | AccessDrop> {
  const message = joinEapMessage(ctx.packet.all(ATTR.EapMessage));
  if (!ctx.eap) {
    return refuse(ctx, 'eap', 'eap-disabled', '802.1X (EAP) is not enabled on this server', eapAttributes(eapFailure(message)));
  }
  const outcome = await ctx.eap.handle({
    eapMessage: message,
    state: ctx.packet.get(ATTR.State),
    tenant: { id: ctx.tenant.id, allowMschapv2: ctx.tenant.radius.allowMschapv2, realms: ctx.tenant.radius.realms },
    nas: ctx.nas,
    // A password inside EAP (TTLS/PAP) can carry an appended code; an NT-hash proof (PEAP) cannot.
    authenticate: (uid, proof, method) => ctx.directory.authenticate(uid, proof, { ...ctx.actor, method }, 'password' in proof ? 'append' : 'none'),
    getUser: (uid) => ctx.directory.getUser(uid),
  });
  switch (outcome.kind) {
    case 'drop':
      // The conversation stays: the NAS's retransmission runs the throttled step again.
      return { drop: 'throttled', method: 'eap' };
    case 'challenge':
      return { code: CODE.AccessChallenge, attributes: [...eapAttributes(outcome.eapMessage), { type: ATTR.State, value: outcome.state }], method: 'eap' };
    case 'reject':
      // The inner identity when the conversation got that far; the outer one is only a label.
      await ctx.directory.audit(ctx.actor, 'radius.eap', outcome.identity ?? ctx.uid, 'failed', { reason: outcome.reason, method: outcome.method ?? 'eap' });
      // EAP-TLS checks no password (so the directory records no radius.auth): its authentication is recorded here.
      if (outcome.method === 'tls') await ctx.directory.audit(ctx.actor, 'radius.auth', outcome.identity ?? ctx.uid, 'failed', { reason: outcome.reason, method: 'tls', credential: 'certificate' });
      return { code: CODE.AccessReject, attributes: eapAttributes(outcome.eapMessage), method: 'eap', reason: outcome.reason };
    case 'accept': {
      const user = await ctx.directory.getUser(outcome.uid);
      if (!user) return { code: CODE.AccessReject, attributes: eapAttributes(eapFailure(message)), method: 'eap', reason: 'no-such-user' };
      if (outcome.method === 'tls') {
        await ctx.directory.recordLogin(user.uid);
        await ctx.directory.audit(ctx.actor, 'radius.auth', user.uid, 'ok', { method: 'tls', credential: 'certificate' });
      }
      const reply = await accept(ctx, user, 'eap', [
        ...eapAttributes(outcome.eapMessage),
        ms(MS.MppeRecvKey, encryptMppeKey(outcome.msk.subarray(0, 32), ctx.secret, ctx.packet.authenticator)),
        ms(MS.MppeSendKey, encryptMppeKey(outcome.msk.subarray(32, 64), ctx.secret, ctx.packet.authenticator)),
      ]);
      return { ...reply, success: { action: 'radius.eap', target: outcome.identity, detail: { method: outcome.method, uid: user.uid } } };
    }
  }
}
