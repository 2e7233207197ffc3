// Identities: the NUL some supplicants append, and which uid an inner identity names in a tenant.
import test from 'ava';
import { innerUid, parseIdentity, withoutTrailingNuls } from '../../src/eap/identity.ts';

test('withoutTrailingNuls: only the NULs at the end go, 64 KiB of them too, in one scan (no regular expression)', (t) => {
  t.deepEqual(withoutTrailingNuls(Buffer.from('secret\0\0\0')), Buffer.from('secret'));
  t.deepEqual(withoutTrailingNuls(Buffer.from('a\0b')), Buffer.from('a\0b'));
  t.is(withoutTrailingNuls(Buffer.alloc(65_536)).length, 0);
  // /\0+$/ backtracked over this one for seconds: NULs that do not end the input.
  const notAtTheEnd = Buffer.concat([Buffer.alloc(65_536), Buffer.from('x')]);
  t.is(withoutTrailingNuls(notAtTheEnd).length, 65_537);
  t.is(withoutTrailingNuls(Buffer.concat([notAtTheEnd, Buffer.alloc(65_536)])).length, 65_537);
});

test('parseIdentity drops trailing NULs and refuses embedded ones and oversized ones', (t) => {
  t.is(parseIdentity(Buffer.from('anonymous@acme\0')), 'anonymous@acme');
  t.is(parseIdentity(Buffer.from('a\0b')), undefined);
  t.is(parseIdentity(Buffer.alloc(300, 0x61)), undefined);
  t.is(parseIdentity(Buffer.from('zoë')), 'zoë');
});

const acme = { id: 'acme', realms: ['acme.example', 'Corp.Acme.Example'] };

test('innerUid: the tenant\'s id and its realms are stripped; any other realm is refused', (t) => {
  t.like(innerUid('alice', acme), { ok: true, uid: 'alice' });
  t.like(innerUid('alice@acme', acme), { ok: true, uid: 'alice' });
  t.like(innerUid('alice@ACME', acme), { ok: true, uid: 'alice' });
  t.like(innerUid('ACME\\alice', acme), { ok: true, uid: 'alice' });
  // Declared realms, case-insensitive either side.
  t.like(innerUid('alice@acme.example', acme), { ok: true, uid: 'alice' });
  t.like(innerUid('alice@corp.acme.example', acme), { ok: true, uid: 'alice' });
  t.like(innerUid('ACME.EXAMPLE\\alice', acme), { ok: true, uid: 'alice' });
  t.deepEqual(innerUid('alice@globex', acme), { ok: false, reason: 'realm-not-allowed (globex)' });
  t.deepEqual(innerUid('alice@globex.example', acme), { ok: false, reason: 'realm-not-allowed (globex.example)' });
  t.deepEqual(innerUid('GLOBEX\\alice', acme), { ok: false, reason: 'realm-not-allowed (globex)' });
  // A realm that merely ends like one of ours is another realm.
  t.like(innerUid('alice@evil-acme.example', acme), { ok: false });
  t.like(innerUid('alice@example', acme), { ok: false });
  t.like(innerUid('acme\\alice@acme', acme), { ok: false, reason: 'malformed-identity' });
  t.like(innerUid('@acme', acme), { ok: false, reason: 'malformed-identity' });
});
