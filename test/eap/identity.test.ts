// Identities: the NUL some supplicants append, and which uid an inner identity names in a tenant.
import test from 'ava';
import { innerUid, parseIdentity } from '../../src/eap/identity.ts';

test('parseIdentity drops trailing NULs and refuses embedded ones and oversized ones', (t) => {
  t.is(parseIdentity(Buffer.from('anonymous@acme\0')), 'anonymous@acme');
  t.is(parseIdentity(Buffer.from('a\0b')), undefined);
  t.is(parseIdentity(Buffer.alloc(300, 0x61)), undefined);
  t.is(parseIdentity(Buffer.from('zoë')), 'zoë');
});

test('innerUid: the tenant\'s own realm is stripped; another tenant\'s realm is refused', (t) => {
  t.is(innerUid('alice', 'acme'), 'alice');
  t.is(innerUid('alice@acme', 'acme'), 'alice');
  t.is(innerUid('alice@ACME', 'acme'), 'alice');
  t.is(innerUid('ACME\\alice', 'acme'), 'alice');
  t.is(innerUid('alice@globex', 'acme'), undefined);
  t.is(innerUid('GLOBEX\\alice', 'acme'), undefined);
  t.is(innerUid('acme\\alice@acme', 'acme'), undefined);
  t.is(innerUid('@acme', 'acme'), undefined);
});
