// The crypto under MS-CHAPv2 and the RFC 2548 keys, against the RFCs' own test vectors, and the
// codec's framing checks and authenticators.
import test from 'ava';
import { ntHash } from '../../src/directory/index.ts';
import {
  ATTR, CODE, decryptUserPassword, encodeRequest, encodeResponse, encryptUserPassword, parsePacket, verifyMessageAuthenticator, verifyResponse,
} from '../../src/radius/codec.ts';
import { desEncryptBlock, expandDesKey } from '../../src/radius/des.ts';
import { joinEapMessage, splitEapMessage } from '../../src/radius/eap-message.ts';
import { decryptMppeKey, encryptMppeKey } from '../../src/radius/mppe.ts';
import {
  authenticatorResponse, challengeHash, checkNtResponse, generateNtResponse, hashNtPasswordHash, serverMppeKeys,
} from '../../src/radius/mschapv2.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('DES: FIPS and OpenSSL (legacy provider) vectors', (t) => {
  const vectors: [string, string, string][] = [
    ['133457799BBCDFF1', '0123456789ABCDEF', '85E813540F0AB405'],
    ['0123456789abcdef', '4e6f772069732074', '3fa40e8a984d4815'],
    ['fedcba9876543210', '0000000000000000', 'a68cdca90c9021f9'],
    ['ffffffffffffffff', 'ffffffffffffffff', '7359b2163e4edc58'],
  ];
  for (const [k, p, c] of vectors) t.is(desEncryptBlock(hex(k), hex(p)).toString('hex'), c.toLowerCase());
  t.deepEqual(expandDesKey(hex('ffffffffffffff')), hex('fefefefefefefefe'));
});

// RFC 2759 section 9.2 and RFC 3079 section 3.5.3.
const user = 'User';
const password = 'clientPass';
const authChallenge = hex('5B5D7C7D7B3F2F3E3C2C602132262628');
const peerChallenge = hex('21402324255E262A28295F2B3A337C7E');
const ntResponse = hex('82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF');

test('MS-CHAPv2: RFC 2759 test vectors', (t) => {
  const nt = hex(ntHash(password));
  t.deepEqual(nt, hex('44EBBA8D5312B8D611474411F56989AE'));
  t.deepEqual(hashNtPasswordHash(nt), hex('41C00C584BD2D91C4017A2A12FA59F3F'));
  t.deepEqual(challengeHash(peerChallenge, authChallenge, user), hex('D02E4386BCE91226'));
  t.deepEqual(generateNtResponse(authChallenge, peerChallenge, user, nt), ntResponse);
  t.is(authenticatorResponse(nt, ntResponse, peerChallenge, authChallenge, user), 'S=407A5589115FD0D6209F510FE9C04566932CDA56');
  t.deepEqual(checkNtResponse(nt, ntResponse, peerChallenge, authChallenge, user), { ok: true, authenticatorResponse: 'S=407A5589115FD0D6209F510FE9C04566932CDA56' });
  t.false(checkNtResponse(hex(ntHash('otherPass')), ntResponse, peerChallenge, authChallenge, user).ok);
  // Windows hashes the name without its domain.
  t.true(checkNtResponse(nt, ntResponse, peerChallenge, authChallenge, 'CORP\\User').ok);
});

test('MPPE keys: RFC 3079 master key and 128-bit start key', (t) => {
  const keys = serverMppeKeys(hex(ntHash(password)), ntResponse);
  t.deepEqual(keys.master, hex('FDECE3717A8C838CB388E527AE3CDD31'));
  t.deepEqual(keys.send, hex('8B7CDC149B993A1BA118CB153F56DCCB'));
  t.notDeepEqual(keys.recv, keys.send);
});

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
  const res = parsePacket(encodeResponse({ code: CODE.AccessAccept, request: req.packet, secret: 'sec-0123456789abcdef', attributes: [{ name: 'Reply-Message', value: 'hi' }] }));
  if (!res.ok) return t.fail();
  t.is(res.packet.identifier, 9);
  t.is(res.packet.attributes[0]?.type, ATTR.MessageAuthenticator);
  t.is(res.packet.string(ATTR.ProxyState), 'ps1');
  t.true(verifyResponse(res.packet, req.packet, 'sec-0123456789abcdef'));
  t.false(verifyResponse(res.packet, req.packet, 'other-0123456789abcdef'));
});
