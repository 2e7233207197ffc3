// EAP-TTLSv0 (RFC 5281): a TLS tunnel carrying Diameter AVPs. Phase 2 is PAP (User-Name and
// User-Password) or, where the tenant keeps NT hashes, MS-CHAPv2 with the challenge the TLS
// keys imply (§11.2.4). Inner EAP is not offered.
import { EAP_TYPE } from './packet.ts';
import { withoutTrailingNuls } from './identity.ts';
import { THROTTLED, type EapContext, type EapUser } from './method.ts';
import { verifyMschapv2 } from './mschap.ts';
import { tunnelMethod, type InnerStep, type TlsTunnel } from './tls-common.ts';

const AVP_USER_NAME = 1;
const AVP_USER_PASSWORD = 2;
const MS_VENDOR = 311;
const MS_CHAP_CHALLENGE = 11;
const MS_CHAP2_RESPONSE = 25;
const MS_CHAP2_SUCCESS = 26;
const AVP_FLAG_VENDOR = 0x80;
const AVP_FLAG_MANDATORY = 0x40;
/**
 * The longest User-Password AVP checked, NUL padding included (RFC 5281 §11.2.5 pads to 16;
 * RADIUS's own PAP stops at 128): a longer one is refused before any other work.
 */
const MAX_PAP_AVP = 256;

interface Avp {
  code: number;
  vendor: number;
  mandatory: boolean;
  data: Buffer;
}

/** RFC 5281 §10.1; undefined for a malformed sequence. */
function parseAvps(buf: Buffer): Avp[] | undefined {
  const avps: Avp[] = [];
  let o = 0;
  while (o < buf.length) {
    if (buf.length - o < 8) return undefined;
    const code = buf.readUInt32BE(o);
    const flags = buf[o + 4] as number;
    const length = buf.readUIntBE(o + 5, 3);
    const vendor = flags & AVP_FLAG_VENDOR ? 12 : 8;
    if (length < vendor || o + length > buf.length) return undefined;
    avps.push({
      code,
      vendor: vendor === 12 ? buf.readUInt32BE(o + 8) : 0,
      mandatory: (flags & AVP_FLAG_MANDATORY) !== 0,
      data: buf.subarray(o + vendor, o + length),
    });
    o += (length + 3) & ~3; // AVPs are padded to four bytes
  }
  return avps;
}

function vendorAvp(code: number, data: Buffer): Buffer {
  const length = 12 + data.length;
  const out = Buffer.alloc((length + 3) & ~3);
  out.writeUInt32BE(code, 0);
  out[4] = AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY;
  out.writeUIntBE(length, 5, 3);
  out.writeUInt32BE(MS_VENDOR, 8);
  data.copy(out, 12);
  return out;
}

/** After MS-CHAP2-Success, the peer's empty answer ends phase 2. */
type TtlsState = { awaiting: 'mschapv2-ack'; user: EapUser };

const find = (avps: Avp[], code: number, vendor = 0): Avp | undefined => avps.find((a) => a.code === code && a.vendor === vendor);

const KNOWN = new Set([`0:${AVP_USER_NAME}`, `0:${AVP_USER_PASSWORD}`, `${MS_VENDOR}:${MS_CHAP_CHALLENGE}`, `${MS_VENDOR}:${MS_CHAP2_RESPONSE}`]);

async function phase2(p: TtlsState | undefined, data: Buffer | null, t: TlsTunnel, ctx: EapContext): Promise<InnerStep<TtlsState>> {
  if (p) return data === null || data.length === 0 ? { success: p.user } : { failure: 'ttls: data after MS-CHAP2-Success' };
  // Nothing yet (TLS 1.3 ends the handshake on the peer's side): ask it to go on.
  if (data === null) return { send: null, state: undefined };
  const avps = parseAvps(data);
  if (!avps) return { failure: 'ttls: malformed AVPs' };
  // RFC 5281 §10.1: an unknown AVP with M set must fail the session.
  const unknown = avps.find((a) => a.mandatory && !KNOWN.has(`${a.vendor}:${a.code}`));
  if (unknown) return { failure: `ttls: unsupported mandatory AVP ${unknown.vendor}:${unknown.code}` };
  const name = find(avps, AVP_USER_NAME);
  if (!name) return { failure: 'ttls: no User-Name' };
  const identity = name.data.toString('utf8');
  const child: EapContext = { ...ctx, identity };
  const password = find(avps, AVP_USER_PASSWORD);
  if (password) {
    if (password.data.length > MAX_PAP_AVP) return { failure: 'ttls/pap: too-long' };
    // Padded with NULs to a multiple of 16 (RFC 5281 §11.2.5).
    const verdict = await child.authenticate(identity, { password: withoutTrailingNuls(password.data).toString('utf8') }, 'ttls/pap');
    if (verdict.ok) return { success: verdict.user };
    return verdict.reason === THROTTLED ? { deferred: THROTTLED } : { failure: `ttls/pap: ${verdict.reason}` };
  }
  const challenge = find(avps, MS_CHAP_CHALLENGE, MS_VENDOR);
  const response = find(avps, MS_CHAP2_RESPONSE, MS_VENDOR);
  if (!challenge || !response) return { failure: 'ttls: neither PAP nor MS-CHAPv2 attributes' };
  if (!ctx.tenant.allowMschapv2) return { failure: 'ttls/mschapv2: not allowed for this tenant' };
  if (challenge.data.length !== 16 || response.data.length !== 50) return { failure: 'ttls/mschapv2: malformed' };
  // The challenge and ident come from the TLS keys, so a recorded exchange cannot be replayed.
  const implicit = t.exporter(17, 'ttls challenge');
  const ident = response.data[0] as number;
  if (!implicit.subarray(0, 16).equals(challenge.data) || implicit[16] !== ident) {
    return { failure: 'ttls/mschapv2: challenge does not match the tunnel' };
  }
  const r = await verifyMschapv2(child, {
    name: identity, authChallenge: challenge.data,
    peerChallenge: response.data.subarray(2, 18), ntResponse: response.data.subarray(26, 50),
  }, 'ttls/mschapv2');
  if (!r.ok) return r.reason === THROTTLED ? { deferred: THROTTLED } : { failure: `ttls/mschapv2: ${r.reason}` };
  return {
    send: vendorAvp(MS_CHAP2_SUCCESS, Buffer.concat([Buffer.from([ident]), Buffer.from(r.authResponse)])),
    state: { awaiting: 'mschapv2-ack', user: r.user },
  };
}

export const ttls = tunnelMethod<TtlsState>({
  type: EAP_TYPE.ttls,
  name: 'TTLS',
  keyLabel: 'ttls keying material',
  context: (ctx) => ctx.tenant.tunnelContext,
  requestCert: false,
  inner: phase2,
});
