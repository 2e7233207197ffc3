import test from 'ava';
import { escapeDnValue, isValidDn, isWithin, normalizeDn, parseDn } from '../../src/core/dn.ts';

test('normalizeDn folds case and the spaces LDAP ignores', (t) => {
  t.is(normalizeDn('UID=Alice , OU=People,dc=Acme, DC=Example'), 'uid=alice,ou=people,dc=acme,dc=example');
  t.is(normalizeDn('cn=A\\2C B,dc=x'), 'cn=a\\, b,dc=x');
  t.is(normalizeDn('cn=\\C3\\A9t\\C3\\A9,dc=x'), 'cn=été,dc=x');
});

test('parseDn keeps escaped separators inside values', (t) => {
  t.deepEqual(parseDn('cn=Smith\\, John,dc=x'), [{ type: 'cn', value: 'Smith, John' }, { type: 'dc', value: 'x' }]);
  t.is(escapeDnValue(' #a,b '), '\\ #a\\,b\\ ');
});

test('malformed DNs are refused', (t) => {
  for (const bad of ['uid', 'uid=a,', '=a', 'uid=a+cn=b,dc=x', 'uid=a,dc=', 'u id=a']) t.false(isValidDn(bad), bad);
  t.true(isValidDn('dc=example'));
});

test('isWithin matches whole RDNs only', (t) => {
  t.true(isWithin('uid=a,dc=acme,dc=example', 'dc=acme,dc=example'));
  t.true(isWithin('dc=acme,dc=example', 'dc=acme,dc=example'));
  t.false(isWithin('dc=notacme,dc=example', 'dc=acme,dc=example'));
  t.false(isWithin('uid=a,dc=xacme,dc=example', 'acme,dc=example'));
});
