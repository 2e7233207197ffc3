// The import file readers, without a server: LDIF syntax and mapping, CSV line numbers.
import test from 'ava';
import { parseCsv } from '../../src/cli/import/csv.ts';
import { parseLdif, readLdif } from '../../src/cli/import/ldif.ts';
import { RowError } from '../../src/cli/import/rows.ts';

/** The scope of the older tests, whose entries are all under dc=x. */
const X = { tenant: 'x', baseDN: 'dc=x' };
const ACME = { tenant: 'acme', baseDN: 'dc=acme,dc=example' };

test('LDIF: folded lines, base64 values, comments (folded too), attribute options', (t) => {
  const text = [
    'version: 1',
    '# a comment',
    ' that is folded',
    'dn: uid=ann,ou=people,dc=x',
    'objectClass: posixAccount',
    'uid: ann',
    `cn:: ${Buffer.from('Änne Lee').toString('base64')}`,
    'description;lang-en: long',
    '  text',
    '',
  ].join('\r\n');
  const { entries, errors } = readLdif(text);
  t.deepEqual(errors, []);
  t.is(entries.length, 1);
  t.is(entries[0]?.line, 4);
  t.deepEqual(entries[0]?.attrs.get('cn'), ['Änne Lee']);
  t.deepEqual(entries[0]?.attrs.get('description'), ['long text']);
});

test('LDIF: change records, bad base64 and a missing dn are reported by line; the rest is read', (t) => {
  const text = [
    'dn: uid=a,dc=x', 'changetype: delete', '',
    'uid: b', '',
    'dn: uid=c,dc=x', 'cn:: @@@', '',
    'dn: uid=d,dc=x', 'objectClass: inetOrgPerson', 'uid: d', 'cn: D',
  ].join('\n');
  const { entries, errors } = readLdif(text);
  t.deepEqual(errors.map((e) => e.line), [1, 4, 6]);
  t.regex(errors[0]?.message ?? '', /changetype/);
  t.deepEqual(entries.map((e) => e.dn), ['uid=d,dc=x']);
});

test('LDIF: groups take members from memberUid, member and uniqueMember DNs; unknown members are reported', (t) => {
  const text = [
    'dn: uid=ann,ou=people,dc=x', 'objectClass: inetOrgPerson', 'uid: ann', 'cn: Ann', 'userPassword: plain-Text-Pass1', '',
    'dn: cn=sub,ou=groups,dc=x', 'objectClass: groupOfNames', 'cn: sub', 'member: UID=ann, ou=people, dc=x', '',
    'dn: cn=top,ou=groups,dc=x', 'objectClass: groupOfUniqueNames', 'cn: top',
    "uniqueMember: cn=sub,ou=groups,dc=x#'0101'B", 'uniqueMember: uid=zed,ou=people,dc=x', 'uniqueMember: cn=ghost,dc=elsewhere', '',
    'dn: cn=posix,ou=groups,dc=x', 'objectClass: posixGroup', 'cn: posix', 'gidNumber: 500', 'memberUid: ann', 'memberUid: ann',
  ].join('\n');
  const r = parseLdif(text, X);
  t.deepEqual(r.users, [{ uid: 'ann', cn: 'Ann', line: 1, password: 'plain-Text-Pass1', dn: 'uid=ann,ou=people,dc=x' }]);
  t.deepEqual(r.groups, [
    { name: 'sub', line: 7, members: ['ann'], dn: 'cn=sub,ou=groups,dc=x' },
    { name: 'top', line: 12, members: ['zed'], memberGroups: ['sub'], dn: 'cn=top,ou=groups,dc=x' },
    { name: 'posix', line: 19, gidNumber: 500, members: ['ann'], dn: 'cn=posix,ou=groups,dc=x' },
  ]);
  t.is(r.errors.length, 1);
  t.is(r.errors[0]?.line, 12);
  t.regex(r.errors[0]?.message ?? '', /cn=ghost,dc=elsewhere/);
});

test('LDIF: entries and member DNs outside the tenant\'s base are refused by line, whatever their case and spaces', (t) => {
  const text = [
    'dn: uid=ann,ou=people,dc=acme,dc=example', 'objectClass: inetOrgPerson', 'uid: ann', 'cn: Ann', '',
    // Another tenant's user, spelled as some exports do: refused, so its uid is not created in acme.
    'dn: uid=gil,ou=people,DC=Globex, dc=example', 'objectClass: inetOrgPerson', 'uid: gil', 'cn: Gil', '',
    // acme's own, in odd case and with spaces: the same subtree.
    'dn: UID=Ivy , OU=People, DC=ACME,  DC=Example', 'objectClass: posixAccount', 'uid: ivy', '',
    'dn: cn=staff,ou=groups,dc=globex,dc=example', 'objectClass: groupOfNames', 'cn: staff', 'member: uid=ann,ou=people,dc=acme,dc=example', '',
    'dn: cn=team,ou=groups,dc=acme,dc=example', 'objectClass: groupOfNames', 'cn: team',
    'member: uid=ann,ou=people,dc=acme,dc=example', 'member: uid=gil,ou=people,DC=Globex, dc=example',
    'member: uid=ivy,ou=people,dc=acme,dc=example,dc=evil', 'member: uid=zoe,ou=people,dc=notacme,dc=example', '',
    'dn: dc=globex,dc=example', 'objectClass: dcObject', 'dc: globex', '',
    'dn: not a dn', 'objectClass: inetOrgPerson', 'uid: odd',
  ].join('\n');
  const r = parseLdif(text, ACME);
  t.deepEqual(r.users.map((u) => [u.uid, u.line]), [['ann', 1], ['ivy', 11]]);
  t.deepEqual(r.groups.map((g) => [g.name, g.members]), [['team', ['ann']]]);
  t.is(r.skipped, 1, 'an entry that is neither a user nor a group imports nothing either way');
  t.deepEqual(r.errors.map((e) => e.line), [6, 15, 32, 20, 20, 20]);
  t.is(r.errors[0]?.message, 'dn uid=gil,ou=people,DC=Globex, dc=example is not under acme\'s base dc=acme,dc=example; not imported');
  t.regex(r.errors[1]?.message ?? '', /^dn cn=staff,ou=groups,dc=globex,dc=example is not under acme's base/);
  t.is(r.errors[2]?.message, 'dn "not a dn" is not a valid DN; not imported');
  t.regex(r.errors[3]?.message ?? '', /^cn=team,ou=groups,dc=acme,dc=example: member uid=gil,ou=people,DC=Globex, dc=example is not under acme's base dc=acme,dc=example; skipped$/);
  t.regex(r.errors[4]?.message ?? '', /member uid=ivy,ou=people,dc=acme,dc=example,dc=evil is not under/);
  t.regex(r.errors[5]?.message ?? '', /member uid=zoe,ou=people,dc=notacme,dc=example is not under/);
  t.true([...r.users, ...r.groups].every((row) => row.dn !== undefined), 'each row names its entry, for the server to check again');
});

test('LDIF: a {SCHEME} userPassword is migrated as a hash', (t) => {
  const r = parseLdif('dn: uid=a,dc=x\nobjectClass: posixAccount\nuid: a\nuserPassword: {SSHA}abcd\nuidNumber: x1\n\n'
    + 'dn: uid=b,dc=x\nobjectClass: posixAccount\nuid: b\nuserPassword: {CRYPT}$2b$10$abc\n', X);
  t.deepEqual(r.errors.map((e) => e.line), [1]);
  t.regex(r.errors[0]?.message ?? '', /uidNumber "x1"/);
  t.is(r.users[0]?.passwordHash, '{CRYPT}$2b$10$abc');
});

test('CSV: a quoted field over two lines keeps later line numbers right', (t) => {
  const r = parseCsv('uid,cn,groups,uidNumber\n"ann","Ann\nLee",a; b,\nbob,Bob,,12x\ncat,Cat,,\ndan,Dan\n');
  t.deepEqual(r.users.map((u) => [u.uid, u.line]), [['ann', 2], ['cat', 5]]);
  t.deepEqual(r.users[0]?.groups, ['a', 'b']);
  t.is(r.users[1]?.groups, undefined, 'an empty groups cell leaves memberships alone');
  t.deepEqual(r.errors.map((e) => e.line), [4, 6]);
});

test('CSV: an unknown column or no uid column refuses the file', (t) => {
  t.throws(() => parseCsv('uid,shoeSize\na,44\n'), { instanceOf: RowError, message: /unknown column "shoeSize"/ });
  t.throws(() => parseCsv('cn,mail\nA,a@x\n'), { instanceOf: RowError, message: /no uid column/ });
});
