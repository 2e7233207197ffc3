// PEAPv0 (draft-kamath-pppext-peapv0, MS-PEAP) without crypto binding, as Windows, Android and
// iOS expect: inside the tunnel, EAP-Identity and then EAP-MSCHAPv2, sent without their EAP
// header; the outcome is an EAP-TLV Result (with header), and only then the outer EAP-Success.
import { EAP_CODE, EAP_TYPE, buildEap, parseEap } from './packet.ts';
import type { EapContext, EapMethod, EapUser } from './method.ts';
import { parseIdentity } from './identity.ts';
import { tunnelMethod, type InnerStep } from './tls-common.ts';

const TLV_RESULT = 3;
const TLV_MANDATORY = 0x8000;
const RESULT_SUCCESS = 1;
const RESULT_FAILURE = 2;

type PeapState =
  | { phase: 'identity'; id: number }
  | { phase: 'method'; id: number; identity: string; method: EapMethod<unknown>; state: unknown }
  | { phase: 'result'; id: number; user: EapUser | undefined; reason: string };

/** Inner requests in PEAPv0 are type and type-data only (MS-PEAP §3.1.5.5). */
const compressed = (type: number, data: Buffer = Buffer.alloc(0)): Buffer => Buffer.concat([Buffer.from([type]), data]);

/** An EAP-TLV Result request, sent whole (MS-PEAP §2.2.8). */
function resultTlv(id: number, ok: boolean): Buffer {
  const tlv = Buffer.alloc(6);
  tlv.writeUInt16BE(TLV_MANDATORY | TLV_RESULT, 0);
  tlv.writeUInt16BE(2, 2);
  tlv.writeUInt16BE(ok ? RESULT_SUCCESS : RESULT_FAILURE, 4);
  return buildEap(EAP_CODE.request, id, EAP_TYPE.tlv, tlv);
}

function toResult(id: number, user: EapUser | undefined, reason: string): InnerStep<PeapState> {
  return { send: resultTlv(id, user !== undefined), state: { phase: 'result', id, user, reason } };
}

/** The peer's Result TLV: success only if it says so too. */
function peerResult(data: Buffer): boolean {
  const p = parseEap(data);
  if (!p || p.code !== EAP_CODE.response || p.type !== EAP_TYPE.tlv) return false;
  for (let o = 0; o + 4 <= p.data.length;) {
    const type = p.data.readUInt16BE(o) & 0x3fff;
    const len = p.data.readUInt16BE(o + 2);
    if (type === TLV_RESULT && len === 2 && o + 6 <= p.data.length) return p.data.readUInt16BE(o + 4) === RESULT_SUCCESS;
    o += 4 + len;
  }
  return false;
}

async function phase2(p: PeapState | undefined, data: Buffer | null, _t: unknown, ctx: EapContext): Promise<InnerStep<PeapState>> {
  if (!p) return { send: compressed(EAP_TYPE.identity), state: { phase: 'identity', id: 0 } };
  if (data === null || data.length === 0) return { failure: 'peap: empty phase 2 response' };
  const id = (p.id + 1) & 0xff;
  switch (p.phase) {
    case 'identity': {
      const identity = data[0] === EAP_TYPE.identity ? parseIdentity(data.subarray(1)) : undefined;
      if (identity === undefined) return { failure: 'peap: no inner identity' };
      const method = ctx.method(EAP_TYPE.mschapv2);
      if (!method || !ctx.tenant.allowMschapv2) return { failure: 'peap: MS-CHAPv2 not allowed for this tenant' };
      const step = method.start({ ...ctx, identity });
      if (!('send' in step)) return { failure: `peap: ${'failure' in step ? step.failure : 'inner method ended at once'}` };
      return { send: compressed(method.type, step.send), state: { phase: 'method', id, identity, method, state: step.state } };
    }
    case 'method': {
      if (data[0] !== p.method.type) return toResult(id, undefined, `peap: inner response of type ${data[0]}`);
      const step = await p.method.next(p.state, data.subarray(1), { ...ctx, identity: p.identity });
      if ('deferred' in step) return step;
      if ('send' in step) return { send: compressed(p.method.type, step.send), state: { ...p, id, state: step.state } };
      return 'success' in step ? toResult(id, step.success.user, '') : toResult(id, undefined, step.failure);
    }
    case 'result':
      if (p.user && peerResult(data)) return { success: p.user };
      return { failure: p.user ? 'peap: peer did not confirm the result' : p.reason };
  }
}

export const peap = tunnelMethod<PeapState>({
  type: EAP_TYPE.peap,
  name: 'PEAP',
  keyLabel: 'client EAP encryption',
  context: (ctx) => ctx.tenant.tunnelContext,
  requestCert: false,
  inner: phase2,
});
