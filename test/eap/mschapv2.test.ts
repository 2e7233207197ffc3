// EAP-MSCHAPv2 (PEAP's inner method) against the RFC 2759 §9.2 test vectors.
import test from 'ava';
import { silentLogger } from '../../src/core/log.ts';
import type { EapContext, EapProof } from '../../src/eap/method.ts';
import { mschapv2 } from '../../src/eap/mschapv2.ts';
import { DEFAULT_TLS_LIMITS } from '../../src/eap/tls-common.ts';
import type { EapTenant } from '../../src/eap/tenant.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
// RFC 2759 §9.2: UserName "User", Password "clientPass".
const NT_HASH = hex('44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE');
const AUTH_CHALLENGE = hex('5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28');
const PEER_CHALLENGE = hex('21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E');
const NT_RESPONSE = hex('82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF');
const AUTH_RESPONSE = 'S=407A5589115FD0D6209F510FE9C04566932CDA56';

function context(calls: string[]): EapContext {
  return {
    tenant: { id: 'acme', allowMschapv2: true } as EapTenant,
    log: silentLogger(),
    limits: DEFAULT_TLS_LIMITS,
    identity: 'User',
    authenticate: async (identity: string, proof: EapProof, method: string) => {
      calls.push(`${identity} ${method}`);
      const ok = 'verifyNtHash' in proof && proof.verifyNtHash(NT_HASH);
      return ok ? { ok: true, user: { uid: 'user', enabled: true } } : { ok: false, reason: 'bad-password' };
    },
    lookupUser: async () => ({ ok: false, reason: 'no-such-user' }),
    method: () => undefined,
  };
}

function response(msId: number, ntResponse: Buffer, name = 'User'): Buffer {
  const value = Buffer.concat([PEER_CHALLENGE, Buffer.alloc(8), ntResponse, Buffer.from([0])]);
  const out = Buffer.concat([Buffer.from([2, msId, 0, 0, 49]), value, Buffer.from(name)]);
  out.writeUInt16BE(out.length, 2);
  return out;
}

test('the RFC 2759 response succeeds, and the Success request carries the RFC\'s authenticator response', async (t) => {
  const calls: string[] = [];
  const ctx = context(calls);
  const start = mschapv2.start(ctx);
  if (!('send' in start)) return t.fail();
  t.is(start.send[0], 1); // Challenge
  t.is(start.send[4], 16); // Value-Size
  const state = { ...(start.state as { msId: number }), authChallenge: AUTH_CHALLENGE } as typeof start.state;
  const msId = start.send[1] as number;
  const step = await mschapv2.next(state, response(msId, NT_RESPONSE), ctx);
  if (!('send' in step)) return t.fail(JSON.stringify(step));
  t.is(step.send[0], 3);
  t.is(step.send.subarray(4).toString(), `${AUTH_RESPONSE} M=OK`);
  t.deepEqual(calls, ['User peap/mschapv2']);
  // The peer acknowledges our Success: the method succeeds (no keys: PEAP's tunnel has them).
  const done = await mschapv2.next(step.state, Buffer.from([3]), ctx);
  t.deepEqual(done, { success: { user: { uid: 'user', enabled: true } } });
});

test('a check refused as throttled defers the step: nothing is sent, and the same response later succeeds', async (t) => {
  const calls: string[] = [];
  const ctx = context(calls);
  const start = mschapv2.start(ctx);
  if (!('send' in start)) return t.fail();
  const state = { ...(start.state as { msId: number }), authChallenge: AUTH_CHALLENGE } as typeof start.state;
  const msId = start.send[1] as number;
  const throttled = { ...ctx, authenticate: async () => ({ ok: false as const, reason: 'throttled' }) };
  t.deepEqual(await mschapv2.next(state, response(msId, NT_RESPONSE), throttled), { deferred: 'throttled' });
  const step = await mschapv2.next(state, response(msId, NT_RESPONSE), ctx);
  if (!('send' in step)) return t.fail(JSON.stringify(step));
  t.is(step.send[0], 3, 'Success request');
});

test('a wrong NT-Response gets a Failure request (E=691) and the method fails on the peer\'s answer', async (t) => {
  const ctx = context([]);
  const start = mschapv2.start(ctx);
  if (!('send' in start)) return t.fail();
  const wrong = Buffer.from(NT_RESPONSE);
  wrong[0] = (wrong[0] as number) ^ 1;
  const step = await mschapv2.next(start.state, response(start.send[1] as number, wrong), ctx);
  if (!('send' in step)) return t.fail();
  t.is(step.send[0], 4);
  t.regex(step.send.subarray(4).toString(), /^E=691 R=0 C=[0-9A-F]{32} V=3/);
  t.deepEqual(await mschapv2.next(step.state, Buffer.from([4]), ctx), { failure: 'mschapv2: bad-password' });
});

test('a response to another challenge (wrong MS-CHAPv2-ID) or a short one fails at once', async (t) => {
  const ctx = context([]);
  const start = mschapv2.start(ctx);
  if (!('send' in start)) return t.fail();
  const other = ((start.send[1] as number) + 1) & 0xff;
  t.true('failure' in (await mschapv2.next(start.state, response(other, NT_RESPONSE), ctx)));
  t.true('failure' in (await mschapv2.next(start.state, Buffer.from([2, start.send[1] as number, 0, 5]), ctx)));
});
