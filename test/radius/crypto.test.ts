// The RFC 2548 key encryption, EAP-Message splitting, and the codec's framing checks,
// attribute encoding and authenticators. (MS-CHAPv2 and DES: test/core/mschapv2.test.ts.)
import test from 'ava';
import {
  ATTR, CODE, decryptUserPassword, encodeAttributes, encodeRequest, encodeResponse, encryptUserPassword, parsePacket, verifyMessageAuthenticator, verifyResponse,
} from '../../src/radius/codec.ts';
import { joinEapMessage, splitEapMessage } from '../../src/radius/eap-message.ts';
import { decryptMppeKey, encryptMppeKey } from '../../src/radius/mppe.ts';

test('RFC 2548 key encryption: salt with the high bit, padded, reversible only with the secret and authenticator', (t) => {
  const key = Buffer.alloc(32, 7);
  const auth = Buffer.alloc(16, 9);
  const v = encryptMppeKey(key, 'secret-0123456789', auth);
  t.is(v.length, 2 + 48); // 1 + 32 rounded up to 16
  t.true((v[0]! & 0x80) !== 0);
  t.false(v.includes(key.subarray(0, 8)));
  t.deepEqual(decryptMppeKey(v, 'secret-0123456789', auth), key);
  t.notDeepEqual(decryptMppeKey(v, 'other-secret-0123', auth), key);
  t.notDeepEqual(encryptMppeKey(key, 'secret-0123456789', auth), v); // a new salt each time
});

test('EAP-Message split into 253-byte attributes and joined back', (t) => {
  const eap = Buffer.alloc(1000, 0xab);
  const parts = splitEapMessage(eap);
  t.deepEqual(parts.map((p) => p.length), [253, 253, 253, 241]);
  t.deepEqual(joinEapMessage(parts), eap);
});

test('User-Password hiding round-trips, trailing NULs removed; bad sizes refused', (t) => {
  const auth = Buffer.alloc(16, 3);
  const long = 'x'.repeat(40);
  t.is(decryptUserPassword(encryptUserPassword(long, 's3cret-0123456789', auth), 's3cret-0123456789', auth), long);
  t.is(decryptUserPassword(encryptUserPassword('pw\0\0', 's3cret-0123456789', auth), 's3cret-0123456789', auth), 'pw');
  t.is(decryptUserPassword(Buffer.alloc(15), 's', auth), undefined);
  t.is(decryptUserPassword(Buffer.alloc(144), 's', auth), undefined);
});

test('framing: short, truncated, overlong and padded packets', (t) => {
  const good = encodeRequest({ code: CODE.AccessRequest, identifier: 1, secret: 's', attributes: [{ type: ATTR.UserName, value: Buffer.from('bob') }] });
  t.true(parsePacket(good).ok);
  t.deepEqual(parsePacket(good.subarray(0, 19)), { ok: false, reason: 'too-short' });
  t.deepEqual(parsePacket(good.subarray(0, good.length - 1)), { ok: false, reason: 'bad-length' });
  t.deepEqual(parsePacket(Buffer.alloc(4097)), { ok: false, reason: 'oversized' });
  const zeroLength = Buffer.from(good);
  zeroLength[21] = 1;
  t.deepEqual(parsePacket(zeroLength), { ok: false, reason: 'bad-attribute' });
  const past = Buffer.from(good);
  past[21] = 200;
  t.deepEqual(parsePacket(past), { ok: false, reason: 'bad-attribute' });
  // Octets after Length are padding (RFC 2865 3), ignored.
  const padded = parsePacket(Buffer.concat([good, Buffer.alloc(10)]));
  t.true(padded.ok && padded.packet.bytes.length === good.length);
  const shortMa = Buffer.concat([good, Buffer.from([ATTR.MessageAuthenticator, 4, 0, 0])]);
  shortMa.writeUInt16BE(shortMa.length, 2);
  t.deepEqual(parsePacket(shortMa), { ok: false, reason: 'bad-attribute' });
});

test('responses: Message-Authenticator first and verifiable, Response Authenticator right, Proxy-State echoed', (t) => {
  const raw = encodeRequest({
    code: CODE.AccessRequest, identifier: 9, secret: 'sec-0123456789abcdef', messageAuthenticator: true,
    attributes: [{ type: ATTR.UserName, value: Buffer.from('bob') }, { type: ATTR.ProxyState, value: Buffer.from('ps1') }],
  });
  const req = parsePacket(raw);
  if (!req.ok) return t.fail();
  t.true(verifyMessageAuthenticator(req.packet, 'sec-0123456789abcdef'));
  t.false(verifyMessageAuthenticator(req.packet, 'sec-0123456789abcdeF'));
  const res = parsePacket(encodeResponse({ code: CODE.AccessAccept, request: req.packet, secret: 'sec-0123456789abcdef', attributes: [{ name: 'Reply-Message', value: 'hi' }] })!);
  if (!res.ok) return t.fail();
  t.is(res.packet.identifier, 9);
  t.is(res.packet.attributes[0]?.type, ATTR.MessageAuthenticator);
  t.is(res.packet.string(ATTR.ProxyState), 'ps1');
  t.true(verifyResponse(res.packet, req.packet, 'sec-0123456789abcdef'));
  t.false(verifyResponse(res.packet, req.packet, 'other-0123456789abcdef'));
});

test('attributes after a tagged one keep their bytes, in any order (radius 1.1.4 leaked the tag)', (t) => {
  const eap = Buffer.from([3, 7, 0, 4]);
  const vlan = [
    { name: 'Tunnel-Type', tag: 1, value: 'VLAN' },
    { name: 'Tunnel-Private-Group-Id', tag: 1, value: '20' },
  ] as const;
  const raw = { type: ATTR.EapMessage, value: eap };
  const vsa = { type: 16, value: Buffer.from('key'), vendor: 311 };
  for (const order of [[...vlan, raw, vsa], [raw, ...vlan, vsa], [vlan[0], raw, vlan[1], vsa]]) {
    const bytes = encodeAttributes(order);
    const back = parsePacket(Buffer.concat([Buffer.from([2, 0, 0, 20 + bytes.length]), Buffer.alloc(16), bytes]));
    if (!back.ok) return t.fail(back.reason);
    t.deepEqual(back.packet.get(ATTR.EapMessage), eap);
    t.deepEqual(back.packet.get(ATTR.TunnelPrivateGroupId), Buffer.from([1, 0x32, 0x30]));
    t.deepEqual(back.packet.get(ATTR.TunnelType), Buffer.from([1, 0, 0, 13]));
    t.deepEqual(back.packet.vendor(311, 16), Buffer.from('key'));
  }
  t.throws(() => encodeAttributes([{ name: 'No-Such-Attribute', value: 1 }]), { message: /unknown RADIUS attribute/ });
});
