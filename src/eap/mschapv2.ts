// EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2), PEAP's inner method. The server challenges,
// checks the peer's NT-Response, proves it knows the hash too (Success Request with the
// authenticator response) and succeeds once the peer acknowledges.
import { randomBytes } from 'node:crypto';
import { EAP_TYPE } from './packet.ts';
import { THROTTLED, type EapMethod, type EapUser } from './method.ts';
import { verifyMschapv2 } from './mschap.ts';

const OP_CHALLENGE = 1;
const OP_RESPONSE = 2;
const OP_SUCCESS = 3;
const OP_FAILURE = 4;
/** Our name in the challenge (only informative for the peer). */
const SERVER_NAME = Buffer.from('tenantdir');

type MschapState =
  | { phase: 'challenge'; msId: number; authChallenge: Buffer }
  | { phase: 'success'; user: EapUser }
  | { phase: 'failure'; reason: string };

/** OpCode, MS-CHAPv2-ID, MS-Length (the packet from OpCode on), then the value. */
function packet(opCode: number, msId: number, value: Buffer): Buffer {
  const out = Buffer.alloc(4 + value.length);
  out[0] = opCode;
  out[1] = msId;
  out.writeUInt16BE(out.length, 2);
  value.copy(out, 4);
  return out;
}

export const mschapv2: EapMethod<MschapState> = {
  type: EAP_TYPE.mschapv2,
  name: 'MSCHAPV2',
  start() {
    const authChallenge = randomBytes(16);
    const msId = randomBytes(1)[0] as number;
    return {
      send: packet(OP_CHALLENGE, msId, Buffer.concat([Buffer.from([16]), authChallenge, SERVER_NAME])),
      state: { phase: 'challenge', msId, authChallenge },
    };
  },
  async next(s, data, ctx) {
    const op = data[0];
    if (s.phase === 'success') return op === OP_SUCCESS ? { success: { user: s.user } } : { failure: 'mschapv2: peer rejected our authenticator response' };
    if (s.phase === 'failure') return { failure: s.reason };
    // Response: OpCode, ID, MS-Length, Value-Size 49, PeerChallenge 16, Reserved 8, NT-Response 24, Flags, Name.
    if (op !== OP_RESPONSE || data.length < 54 || data[1] !== s.msId || data[4] !== 49) {
      return { failure: 'mschapv2: not a response to our challenge' };
    }
    const r = await verifyMschapv2(ctx, {
      name: data.subarray(54).toString('utf8'), authChallenge: s.authChallenge,
      peerChallenge: data.subarray(5, 21), ntResponse: data.subarray(29, 53),
    }, 'peap/mschapv2');
    if (!r.ok && r.reason === THROTTLED) return { deferred: THROTTLED };
    if (!r.ok) {
      // E=691 (authentication failure), R=0: no retry; the peer answers and the method fails.
      const message = `E=691 R=0 C=${s.authChallenge.toString('hex').toUpperCase()} V=3 M=Authentication failed`;
      return { send: packet(OP_FAILURE, s.msId, Buffer.from(message)), state: { phase: 'failure', reason: `mschapv2: ${r.reason}` } };
    }
    return { send: packet(OP_SUCCESS, s.msId, Buffer.from(`${r.authResponse} M=OK`)), state: { phase: 'success', user: r.user } };
  },
};
