// The EAP seam: EAP-Message joined for the handler, State carried, replies split, the MSK sent as
// RFC 2548 keys, the user's VLAN on accept; without a handler, EAP is rejected with EAP-Failure.
import test from 'ava';
import { ATTR, CODE, encodeRequest, MS, VENDOR_MICROSOFT } from '../../src/radius/codec.ts';
import type { EapExchange, EapHandler, EapOutcome } from '../../src/radius/index.ts';
import { decryptMppeKey } from '../../src/radius/mppe.ts';
import { splitEapMessage } from '../../src/radius/eap-message.ts';
import { ANSWER_MS, exchange, identifier, NAS, startFront, until, vendorValues } from './helpers.ts';

function eapRequest(eap: Buffer, o: { state?: Buffer; ma?: boolean; user?: string } = {}): Buffer {
  return encodeRequest({
    code: CODE.AccessRequest, identifier: identifier(), secret: NAS.acme.secret, messageAuthenticator: o.ma ?? true,
    attributes: [
      { type: ATTR.UserName, value: Buffer.from(o.user ?? 'bob@acme') },
      ...splitEapMessage(eap).map((value) => ({ type: ATTR.EapMessage, value })),
      ...(o.state ? [{ type: ATTR.State, value: o.state }] : []),
    ],
  });
}

test('challenge then accept through the hook', async (t) => {
  const seen: EapExchange[] = [];
  const big = Buffer.alloc(600, 0x42); // a TLS flight: needs three EAP-Message attributes
  const msk = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
  const eap: EapHandler = {
    async handle(x): Promise<EapOutcome> {
      seen.push(x);
      if (!x.state) return { kind: 'challenge', eapMessage: big, state: Buffer.from('round-1') };
      const r = await x.authenticate('bob', { password: 'Battery-Staple-7' }, 'test/pap');
      return r.ok ? { kind: 'accept', eapMessage: Buffer.from([3, 2, 0, 4]), uid: r.user.uid, msk, method: 'test/pap', identity: 'bob' } : { kind: 'reject', eapMessage: Buffer.from([4, 2, 0, 4]), reason: r.reason };
    },
  };
  const h = await startFront({ eap });
  try {
    const identity = Buffer.concat([Buffer.from([2, 1, 0, 13, 1]), Buffer.from('bob@acme')]);
    const first = await exchange({ from: NAS.acme.address, port: h.ports.auth, packet: eapRequest(Buffer.concat([identity, Buffer.alloc(300, 1)])) });
    t.is(first?.code, CODE.AccessChallenge);
    t.is(first!.attributes[0]?.type, ATTR.MessageAuthenticator);
    t.deepEqual(first!.all(ATTR.EapMessage).map((p) => p.length), [253, 253, 94]);
    t.is(first!.string(ATTR.State), 'round-1');
    t.is(seen[0]?.eapMessage.length, identity.length + 300); // joined from two attributes
    t.deepEqual(seen[0]?.tenant, { id: 'acme', allowMschapv2: true, realms: ['acme.example'] });
    // Unique in the configuration, unlike the NAS's name.
    t.is(seen[0]?.nas.key, JSON.stringify(['tenant', 'acme', 'acme-ap']));
    const raw = eapRequest(Buffer.from([2, 2, 0, 6, 25, 0]), { state: Buffer.from('round-1') });
    const second = await exchange({ from: NAS.acme.address, port: h.ports.auth, packet: raw });
    t.is(second?.code, CODE.AccessAccept);
    t.deepEqual(second!.get(ATTR.EapMessage), Buffer.from([3, 2, 0, 4]));
    // The user as authenticated, not the outer bob@acme, and our Class for accounting.
    t.is(second!.string(ATTR.UserName), 'bob');
    t.regex(second!.all(ATTR.Class).map(String).join(' '), /tdc1:/);
    t.is(second!.get(ATTR.TunnelPrivateGroupId)?.toString('latin1'), '\x0120');
    const authenticator = raw.subarray(4, 20);
    t.deepEqual(decryptMppeKey(vendorValues(second!, VENDOR_MICROSOFT, MS.MppeRecvKey)[0]!, NAS.acme.secret, authenticator), msk.subarray(0, 32));
    t.deepEqual(decryptMppeKey(vendorValues(second!, VENDOR_MICROSOFT, MS.MppeSendKey)[0]!, NAS.acme.secret, authenticator), msk.subarray(32));
  } finally {
    await h.close();
  }
});

test('EAP needs Message-Authenticator even where the tenant would not; no handler → EAP-Failure', async (t) => {
  const h = await startFront();
  try {
    const msg = Buffer.from([2, 7, 0, 8, 1, 0x62, 0x6f, 0x62]);
    const reject = await exchange({ from: NAS.acme.address, port: h.ports.auth, packet: eapRequest(msg) });
    t.is(reject?.code, CODE.AccessReject);
    t.deepEqual(reject!.get(ATTR.EapMessage), Buffer.from([4, 7, 0, 4]));
    t.regex(reject!.string(ATTR.ReplyMessage) ?? '', /EAP\) is not enabled/);
    const noMa = encodeRequest({
      code: CODE.AccessRequest, identifier: identifier(), secret: NAS.globex.secret,
      attributes: [{ type: ATTR.UserName, value: Buffer.from('gina') }, { type: ATTR.EapMessage, value: msg }],
    });
    t.is(await exchange({ from: NAS.globex.address, port: h.ports.auth, packet: noMa, timeoutMs: 400 }), undefined);
    t.is(h.front.stats().dropped['missing-message-authenticator'], 1);
  } finally {
    await h.close();
  }
});

test('an EAP Accept that would pass 4,096 bytes is a Reject with EAP-Failure, audited as failed, never as a success', async (t) => {
  const msk = Buffer.alloc(64, 7);
  const eap: EapHandler = {
    handle: async () => ({ kind: 'accept', eapMessage: Buffer.from([3, 5, 0, 4]), uid: 'bob', msk, method: 'ttls/pap', identity: 'bob@acme' }),
  };
  const h = await startFront({ eap });
  try {
    // Proxy-State up to a 4,096-byte request: the Accept would add keys, VLAN, User-Name and Class.
    const proxyStates = Array.from({ length: 15 }, () => ({ type: ATTR.ProxyState, value: Buffer.alloc(253, 0x50) }));
    const request = () => encodeRequest({
      code: CODE.AccessRequest, identifier: identifier(), secret: NAS.acme.secret, messageAuthenticator: true,
      attributes: [{ type: ATTR.UserName, value: Buffer.from('bob@acme') }, { type: ATTR.EapMessage, value: Buffer.from([2, 5, 0, 6, 21, 0]) }, ...proxyStates],
    });
    proxyStates.push({ type: ATTR.ProxyState, value: Buffer.alloc(4096 - request().length - 2, 0x51) });
    const packet = request();
    t.is(packet.length, 4096);
    const reply = await exchange({ from: NAS.acme.address, port: h.ports.auth, packet, timeoutMs: ANSWER_MS });
    t.is(reply?.code, CODE.AccessReject);
    t.deepEqual(reply!.get(ATTR.EapMessage), Buffer.from([4, 5, 0, 4]));
    t.is(reply!.all(ATTR.ProxyState).length, 16);
    const events = await h.world.store.tenant('acme').audit.list({ action: 'radius.eap', limit: 10 });
    t.deepEqual(events.map((e) => [e.target, e.outcome, e.reason]), [['bob@acme', 'failed', 'reply-too-large']]);
  } finally {
    await h.close();
  }
});

test('an EAP step deferred by a throttled check is not answered; the retransmission goes on with the conversation', async (t) => {
  let calls = 0;
  const eap: EapHandler = {
    handle: async () => (++calls === 1 ? { kind: 'drop', reason: 'throttled' } : { kind: 'challenge', eapMessage: Buffer.from([1, 6, 0, 6, 21, 0]), state: Buffer.from('s') }),
  };
  const h = await startFront({ eap });
  try {
    const packet = eapRequest(Buffer.from([2, 5, 0, 6, 21, 0]), { state: Buffer.from('s') });
    t.is(await exchange({ from: NAS.acme.address, port: h.ports.auth, packet, timeoutMs: 400 }), undefined);
    await until(() => h.front.stats().dropped.throttled === 1, 'the throttled drop');
    t.is((await exchange({ from: NAS.acme.address, port: h.ports.auth, packet, timeoutMs: ANSWER_MS }))?.code, CODE.AccessChallenge);
    t.is(calls, 2);
  } finally {
    await h.close();
  }
});
