// MS-CHAPv2 (RFC 2759), its MPPE keys (RFC 3079) and the DES under it, against the RFCs' own
// test vectors and FIPS/OpenSSL DES vectors.
import test from 'ava';
import { desEncryptBlock, expandDesKey } from '../../src/core/des.ts';
import {
  authenticatorResponse, challengeHash, checkNtResponse, generateNtResponse, hashNtPasswordHash, serverMppeKeys,
} from '../../src/core/mschapv2.ts';
import { ntHash } from '../../src/directory/index.ts';

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
  t.deepEqual(expandDesKey(hex('80000000000001')), hex('8000000000000002'));
  t.deepEqual(expandDesKey(hex('0123456789abcd')), hex('0090d0ac784cae9a'));
});

test('DES is OpenSSL\'s (des-ede3-ecb with K‖K‖K), not tables of our own', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const source = await readFile(new URL('../../src/core/des.ts', import.meta.url), 'utf8');
  t.regex(source, /createCipheriv\('des-ede3-ecb'/);
  t.notRegex(source, /\bPC1\b|\bSBOX|const S = \[/);
  // Weak keys prove nothing about a table; the parity bit must not matter.
  t.deepEqual(desEncryptBlock(hex('133457799BBCDFF0'), hex('0123456789ABCDEF')), hex('85E813540F0AB405'));
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
