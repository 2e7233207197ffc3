// The real clients legacy apps use: OpenLDAP's ldap-utils (Debian), python3-ldap3, over plain
// LDAP, StartTLS (-ZZ) and LDAPS, against the front on an ephemeral port.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import test from 'ava';
import { ACME, PASSWORDS, people, service, startLdap, type Harness } from './helpers.ts';

let h: Harness;
test.before(async () => { h = await startLdap(); });
test.after.always(async () => { await h?.close(); });

const HAVE_LDAP_UTILS = existsSync('/usr/bin/ldapsearch');
const run = test.macro(async (t, fn: (t: import('ava').ExecutionContext) => Promise<void>) => {
  if (!HAVE_LDAP_UTILS) return t.fail('ldap-utils is missing: run .ci/ldap-deps.sh');
  await fn(t);
});

interface Out { code: number; stdout: string; stderr: string }

function tool(cmd: string, args: string[], input?: string): Promise<Out> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, {
      timeout: 8000,
      env: { ...process.env, LDAPTLS_CACERT: h.tls.certPath, LDAPTLS_REQCERT: 'demand' },
    }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

const reader = (): string[] => ['-x', '-D', service(ACME, 'reader'), '-w', PASSWORDS.reader];
const writer = (): string[] => ['-x', '-D', service(ACME, 'writer'), '-w', PASSWORDS.writer];

test('ldapsearch over plain LDAP finds a user with memberOf', run, async (t) => {
  const r = await tool('ldapsearch', ['-H', h.url, ...reader(), '-b', ACME, '-LLL', '(uid=alice)', 'cn', 'memberOf']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^dn: uid=alice,ou=people,dc=acme,dc=example$/m);
  t.regex(r.stdout, /^memberOf: cn=staff,ou=groups,dc=acme,dc=example$/m);
});

test('ldapsearch -ZZ (StartTLS, certificate verified) and over ldaps://', run, async (t) => {
  const starttls = await tool('ldapsearch', ['-H', h.url, '-ZZ', ...reader(), '-b', ACME, '-LLL', '(mail=bob@acme.example)', 'uid']);
  t.is(starttls.code, 0, starttls.stderr);
  t.regex(starttls.stdout, /^uid: bob$/m);
  const ldaps = await tool('ldapsearch', ['-H', h.ldapsUrl, ...reader(), '-b', ACME, '-LLL', '(uid=bob)', 'uid']);
  t.is(ldaps.code, 0, ldaps.stderr);
  t.regex(ldaps.stdout, /^uid: bob$/m);
});

test('ldapsearch reads the root DSE anonymously', run, async (t) => {
  const r = await tool('ldapsearch', ['-H', h.url, '-x', '-b', '', '-s', 'base', '-LLL', '+']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^supportedExtension: 1\.3\.6\.1\.4\.1\.1466\.20037$/m);
  t.notRegex(r.stdout, /namingContexts/);
});

test('ldapsearch -E pr= pages through ou=people', run, async (t) => {
  const r = await tool('ldapsearch', ['-H', h.url, ...reader(), '-b', `ou=people,${ACME}`, '-s', 'one', '-E', 'pr=2/noprompt', '-LLL', '(objectClass=posixAccount)', 'uid']);
  t.is(r.code, 0, r.stderr);
  const uids = [...r.stdout.matchAll(/^uid: (\S+)$/gm)].map((m) => m[1]);
  t.true(uids.length >= 4);
  t.is(new Set(uids).size, uids.length, 'no entry twice across pages');
});

test('ldapsearch -z reports sizeLimitExceeded', run, async (t) => {
  const r = await tool('ldapsearch', ['-H', h.url, ...reader(), '-b', ACME, '-z', '1', '(objectClass=posixAccount)', 'uid']);
  t.is(r.code, 4);
  t.regex(r.stdout + r.stderr, /Size limit exceeded/);
});

test('ldapwhoami with and without -ZZ', run, async (t) => {
  const plain = await tool('ldapwhoami', ['-H', h.url, '-x', '-D', people(ACME, 'bob'), '-w', PASSWORDS.bob]);
  t.is(plain.stdout.trim(), `dn:${people(ACME, 'bob')}`);
  const tls = await tool('ldapwhoami', ['-H', h.url, '-ZZ', '-x', '-D', people(ACME, 'bob'), '-w', PASSWORDS.bob]);
  t.is(tls.stdout.trim(), `dn:${people(ACME, 'bob')}`, tls.stderr);
  const anon = await tool('ldapwhoami', ['-H', h.url, '-x']);
  t.is(anon.stdout.trim(), 'anonymous');
});

test('ldappasswd: a user changes their own password under the policy; a weak one is refused with the rule', run, async (t) => {
  const acme = h.world.registry.byId('acme');
  if (!acme) throw new Error('fixture');
  await h.world.directory.tenant(acme).createUser({ uid: 'pwuser', cn: 'Pw User', password: 'First-Secret-11' }, { name: 'test', protocol: 'system' });
  const dn = people(ACME, 'pwuser');
  const weak = await tool('ldappasswd', ['-H', h.url, '-ZZ', '-x', '-D', dn, '-w', 'First-Secret-11', '-s', 'short']);
  t.not(weak.code, 0);
  t.regex(weak.stderr + weak.stdout, /at least 12 characters/);
  const ok = await tool('ldappasswd', ['-H', h.url, '-ZZ', '-x', '-D', dn, '-w', 'First-Secret-11', '-a', 'First-Secret-11', '-s', 'Second-Secret-22']);
  t.is(ok.code, 0, ok.stderr);
  const who = await tool('ldapwhoami', ['-H', h.url, '-x', '-D', dn, '-w', 'Second-Secret-22']);
  t.is(who.stdout.trim(), `dn:${dn}`);
  const old = await tool('ldapwhoami', ['-H', h.url, '-x', '-D', dn, '-w', 'First-Secret-11']);
  t.is(old.code, 49);
});

test('ldappasswd by a write service account sets another user\'s password, or generates one', run, async (t) => {
  const acme = h.world.registry.byId('acme');
  if (!acme) throw new Error('fixture');
  await h.world.directory.tenant(acme).createUser({ uid: 'target', cn: 'Tar Get', password: 'Original-Pass-33' }, { name: 'test', protocol: 'system' });
  const dn = people(ACME, 'target');
  const denied = await tool('ldappasswd', ['-H', h.url, ...reader(), '-s', 'Reader-Tried-44x', dn]);
  t.not(denied.code, 0);
  t.regex(denied.stderr + denied.stdout, /Insufficient access \(50\)/);
  const gen = await tool('ldappasswd', ['-H', h.url, ...writer(), dn]);
  t.is(gen.code, 0, gen.stderr);
  const m = /New password: (\S+)/.exec(gen.stdout);
  t.truthy(m, gen.stdout);
  const who = await tool('ldapwhoami', ['-H', h.url, '-x', '-D', dn, '-w', m?.[1] ?? '']);
  t.is(who.stdout.trim(), `dn:${dn}`);
});

test('ldapcompare answers TRUE/FALSE (exit 6/5), case-ignore where the schema says so', run, async (t) => {
  const yes = await tool('ldapcompare', ['-H', h.url, ...reader(), people(ACME, 'alice'), 'mail:ALICE@acme.example']);
  t.is(yes.code, 6, yes.stderr);
  t.regex(yes.stdout, /TRUE/);
  const no = await tool('ldapcompare', ['-H', h.url, ...reader(), people(ACME, 'alice'), 'uid:bob']);
  t.is(no.code, 5);
  const member = await tool('ldapcompare', ['-H', h.url, '-ZZ', ...reader(), `cn=staff,ou=groups,${ACME}`, `member:UID=BOB,ou=people,${ACME}`]);
  t.is(member.code, 6, member.stderr);
});

test('ldapmodify: a write service account adds, modifies and deletes; a read one gets 50', run, async (t) => {
  const ldif = `dn: uid=newbie,ou=people,${ACME}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: newbie\ncn: New Bie\nsn: Bie\nmail: newbie@acme.example\nuserPassword: Fresh-Start-Secret-55\n`;
  const refused = await tool('ldapmodify', ['-H', h.url, ...reader(), '-a'], ldif);
  t.is(refused.code, 50);
  const added = await tool('ldapmodify', ['-H', h.url, '-ZZ', ...writer(), '-a'], ldif);
  t.is(added.code, 0, added.stderr);
  const bound = await tool('ldapwhoami', ['-H', h.url, '-x', '-D', people(ACME, 'newbie'), '-w', 'Fresh-Start-Secret-55']);
  t.is(bound.stdout.trim(), `dn:${people(ACME, 'newbie')}`);
  const mod = await tool('ldapmodify', ['-H', h.url, ...writer()],
    `dn: uid=newbie,ou=people,${ACME}\nchangetype: modify\nreplace: title\ntitle: Intern\n-\n\ndn: cn=devs,ou=groups,${ACME}\nchangetype: modify\nadd: member\nmember: uid=newbie,ou=people,${ACME}\n`);
  t.is(mod.code, 0, mod.stderr);
  const check = await tool('ldapsearch', ['-H', h.url, ...reader(), '-b', people(ACME, 'newbie'), '-s', 'base', '-LLL', 'title', 'memberOf']);
  t.regex(check.stdout, /^title: Intern$/m);
  t.regex(check.stdout, /^memberOf: cn=devs,ou=groups,dc=acme,dc=example$/m);
  t.regex(check.stdout, /^memberOf: cn=staff,ou=groups,dc=acme,dc=example$/m);
  const unknown = await tool('ldapmodify', ['-H', h.url, ...writer()], `dn: uid=newbie,ou=people,${ACME}\nchangetype: modify\nreplace: favouriteColour\nfavouriteColour: blue\n`);
  t.is(unknown.code, 17);
  t.regex(unknown.stderr, /favouriteColour is not served/);
  const badClass = await tool('ldapmodify', ['-H', h.url, ...writer(), '-a'], `dn: uid=weird,ou=people,${ACME}\nobjectClass: sambaSamAccount\ncn: W\nsn: W\n`);
  t.is(badClass.code, 65);
  const del = await tool('ldapdelete', ['-H', h.url, ...writer(), people(ACME, 'newbie')]);
  t.is(del.code, 0, del.stderr);
  const gone = await tool('ldapsearch', ['-H', h.url, ...reader(), '-b', people(ACME, 'newbie'), '-s', 'base']);
  t.is(gone.code, 32);
});

test('ldapmodrdn: a write service account renames a user (with -r); a read one gets 50', run, async (t) => {
  const acme = h.world.registry.byId('acme');
  if (!acme) throw new Error('fixture');
  await h.world.directory.tenant(acme).createUser({ uid: 'oldname', cn: 'Old Name', password: 'Renamed-Secret-66' }, { name: 'test', protocol: 'system' });
  const refused = await tool('ldapmodrdn', ['-H', h.url, ...reader(), people(ACME, 'oldname'), 'uid=newname']);
  t.is(refused.code, 50);
  const renamed = await tool('ldapmodrdn', ['-H', h.url, '-ZZ', ...writer(), '-r', people(ACME, 'oldname'), 'uid=newname']);
  t.is(renamed.code, 0, renamed.stderr);
  const who = await tool('ldapwhoami', ['-H', h.url, '-x', '-D', people(ACME, 'newname'), '-w', 'Renamed-Secret-66']);
  t.is(who.stdout.trim(), `dn:${people(ACME, 'newname')}`, who.stderr);
  const gone = await tool('ldapsearch', ['-H', h.url, ...reader(), '-b', people(ACME, 'oldname'), '-s', 'base']);
  t.is(gone.code, 32);
  const taken = await tool('ldapmodrdn', ['-H', h.url, ...writer(), people(ACME, 'newname'), 'uid=alice']);
  t.is(taken.code, 68);
  t.regex(taken.stdout + taken.stderr, /Already exists/);
});

test('python3-ldap3 paged search returns every user once', async (t) => {
  const script = `
import ldap3, sys
s = ldap3.Server('127.0.0.1', port=${h.port})
c = ldap3.Connection(s, '${service(ACME, 'reader')}', '${PASSWORDS.reader}', auto_bind=True)
got = list(c.extend.standard.paged_search('${ACME}', '(objectClass=posixAccount)', attributes=['uid'], paged_size=2, generator=True))
uids = sorted(e['attributes']['uid'][0] for e in got if e['type'] == 'searchResEntry')
print(','.join(uids))
`;
  const r = await new Promise<Out>((resolve) => execFile('/usr/bin/python3', ['-c', script], { timeout: 8000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })));
  t.is(r.code, 0, r.stderr);
  const uids = r.stdout.trim().split(',');
  t.true(['alice', 'bob', 'carol', 'dave'].every((u) => uids.includes(u)), r.stdout);
  t.is(new Set(uids).size, uids.length);
});
