// Per-tenant LDAP policy: ldap.requireTls, and the password policy response control that SSSD and
// ldapwhoami -e ppolicy read (locked, expired, expiring soon). ldapwhoami is the client. Also
// paging over service accounts whose names sort differently by locale and by code unit.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Client } from 'ldapts';
import { ACME, FIXTURES, GLOBEX, PASSWORDS, codeOf, people, service, startLdap, type Harness } from './helpers.ts';

let h: Harness;
test.before(async () => {
  // The fixture, with passwords that expire after 30 days in acme and TLS required in globex.
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-ldap-policy-'));
  await cp(FIXTURES, dir, { recursive: true });
  const acme = join(dir, 'tenants/acme.yaml');
  const reader = '{SSHA}10DQAou3SU1x6wOh/GVDkNVd1QxzYWx0c2FsdA==';
  await writeFile(acme, (await readFile(acme, 'utf8'))
    .replace('passwordPolicy:\n', 'passwordPolicy:\n  maxAgeDays: 30\n  expiryWarningDays: 7\n')
    .replace('  serviceAccounts:\n', `  serviceAccounts:\n${['a-x', 'a_x', 'a.x'].map((n) => `    - { name: ${n}, passwordHash: "${reader}" }\n`).join('')}`));
  const globex = join(dir, 'tenants/globex.yaml');
  await writeFile(globex, (await readFile(globex, 'utf8')).replace('ldap:\n', 'ldap:\n  requireTls: true\n'));
  h = await startLdap({ configDir: dir });
  await h.world.directory.tenant(h.world.registry.byId('acme')!).createUser({ uid: 'erin', password: 'Old-Secret-Word-5' }, { name: 'test', protocol: 'system' });
});
test.after.always(async () => { await h?.close(); });

const DAY = 86_400_000;

/** `from`: the local address ldapwhoami connects from (libldap's SOCKET_BIND_ADDRESSES). */
function ldapwhoami(args: string[], from = '127.0.0.1'): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('ldapwhoami', ['-x', ...args], {
      timeout: 8000, env: { ...process.env, LDAPTLS_CACERT: h.tls.certPath, LDAPTLS_REQCERT: 'demand', LDAPSOCKET_BIND_ADDRESSES: from },
    }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr });
    });
  });
}

/** Makes acme's `uid` have changed their password `daysAgo` days ago. */
async function passwordAge(uid: string, daysAgo: number): Promise<void> {
  await h.world.store.tenant('acme').users.update(uid, (u) => u.credentials
    ? { ...u, credentials: { ...u.credentials, passwordChangedAt: new Date(Date.now() - daysAgo * DAY) } } : u);
}

test.serial('a password that expires within expiryWarningDays: the bind succeeds with timeBeforeExpiration', async (t) => {
  await passwordAge('alice', 25);
  const r = await ldapwhoami(['-H', h.url, '-e', 'ppolicy', '-D', people(ACME, 'alice'), '-w', PASSWORDS.alice]);
  t.is(r.code, 0, r.out);
  const seconds = Number(/expires in (\d+) second/i.exec(r.out)?.[1]);
  t.true(seconds > 4 * DAY / 1000 && seconds <= 5 * DAY / 1000, r.out);
  // Without the request control there is no response control (and nothing else changes).
  const plain = await ldapwhoami(['-H', h.url, '-D', people(ACME, 'alice'), '-w', PASSWORDS.alice]);
  t.is(plain.code, 0);
  t.notRegex(plain.out, /expires/i);
});

test.serial('an expired password: 49 with passwordExpired, told only to whoever knows the password', async (t) => {
  await passwordAge('bob', 31);
  const right = await ldapwhoami(['-H', h.url, '-e', 'ppolicy', '-D', people(ACME, 'bob'), '-w', PASSWORDS.bob]);
  t.is(right.code, 49, right.out);
  t.regex(right.out, /Password expired/i);
  const wrong = await ldapwhoami(['-H', h.url, '-e', 'ppolicy', '-D', people(ACME, 'bob'), '-w', 'not-his-password']);
  t.is(wrong.code, 49);
  t.notRegex(wrong.out, /expired/i);
});

test.serial('an expired password is changed without a bind: ldappasswd with the DN and the old password', async (t) => {
  await passwordAge('erin', 40);
  const run = (args: string[]) => new Promise<{ code: number; out: string }>((resolve) => {
    execFile('ldappasswd', ['-x', '-H', h.url, ...args], { timeout: 8000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr });
    });
  });
  t.is((await ldapwhoami(['-H', h.url, '-D', people(ACME, 'erin'), '-w', 'Old-Secret-Word-5'])).code, 49, 'the bind is refused');
  const wrong = await run(['-a', 'Not-The-Secret-5', '-s', 'New-Secret-Word-6', people(ACME, 'erin')]);
  t.regex(wrong.out, /Invalid credentials \(49\)/);
  const nowhere = await run(['-a', 'Old-Secret-Word-5', '-s', 'New-Secret-Word-6', people('dc=nowhere,dc=example', 'erin')]);
  t.regex(nowhere.out, /Invalid credentials \(49\)/);
  const changed = await run(['-a', 'Old-Secret-Word-5', '-s', 'New-Secret-Word-6', people(ACME, 'erin')]);
  t.is(changed.code, 0, changed.out);
  t.is((await ldapwhoami(['-H', h.url, '-D', people(ACME, 'erin'), '-w', 'New-Secret-Word-6'])).code, 0, 'the new password binds');
});

test.serial('a locked account: accountLocked for the right password only; a guesser sees plain 49', async (t) => {
  await passwordAge('dave', 0);
  // Three guesses from one address lock dave for every address he has not logged in from.
  for (let i = 0; i < 3; i++) {
    t.is((await ldapwhoami(['-H', h.url, '-e', 'ppolicy', '-D', people(ACME, 'dave'), '-w', `guess-${i}`], '127.0.0.2')).code, 49);
  }
  const wrong = await ldapwhoami(['-H', h.url, '-e', 'ppolicy', '-D', people(ACME, 'dave'), '-w', 'guess-again'], '127.0.0.3');
  t.is(wrong.code, 49);
  t.notRegex(wrong.out, /locked/i);
  const right = await ldapwhoami(['-H', h.url, '-e', 'ppolicy', '-D', people(ACME, 'dave'), '-w', PASSWORDS.dave], '127.0.0.3');
  t.is(right.code, 49, right.out);
  t.regex(right.out, /Account locked/i);
});

test('requireTls: a simple bind over plaintext gets confidentialityRequired (13), before any password check', async (t) => {
  const r = await ldapwhoami(['-H', h.url, '-D', people(GLOBEX, 'alice'), '-w', PASSWORDS.globexAlice]);
  t.is(r.code, 13, r.out);
  t.regex(r.out, /Confidentiality required/i);
  // Other tests bind globex alice over TLS meanwhile: those succeed; none may have failed.
  const events = await h.world.store.tenant('globex').audit.list({ action: 'ldap.auth', target: 'alice', limit: 50 });
  t.deepEqual(events.filter((e) => e.outcome !== 'ok'), [], 'refused before authentication: no failure counted');
  // Another tenant without requireTls is unaffected.
  t.is((await ldapwhoami(['-H', h.url, '-D', people(ACME, 'alice'), '-w', PASSWORDS.alice])).code, 0);
});

test('requireTls: after StartTLS (-ZZ) and over LDAPS the same bind works', async (t) => {
  const tlsBind = await ldapwhoami(['-H', `ldap://127.0.0.1:${h.port}`, '-ZZ', '-D', people(GLOBEX, 'alice'), '-w', PASSWORDS.globexAlice]);
  t.is(tlsBind.code, 0, tlsBind.out);
  t.regex(tlsBind.out, /dn:uid=alice,ou=people,dc=globex,dc=example/);
  const ldaps = await ldapwhoami(['-H', h.ldapsUrl, '-D', people(GLOBEX, 'alice'), '-w', PASSWORDS.globexAlice]);
  t.is(ldaps.code, 0, ldaps.out);
});

test('requireTls: ldapts without TLS is refused 13; with startTLS it binds', async (t) => {
  const plain = h.client();
  t.is(await codeOf(plain.bind(people(GLOBEX, 'alice'), PASSWORDS.globexAlice)), 13);
  const c = new Client({ url: h.url, timeout: 5000 });
  t.teardown(() => c.unbind().catch(() => undefined));
  await c.startTLS({ ca: [h.tls.cert], servername: 'localhost' });
  await c.bind(people(GLOBEX, 'alice'), PASSWORDS.globexAlice);
  const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
  t.is(who.value, `dn:uid=alice,ou=people,${GLOBEX}`);
});

test('paging over service accounts returns each once, whatever their names sort like', async (t) => {
  const c = h.client();
  await c.bind(service(ACME, 'reader'), PASSWORDS.reader);
  const dns: string[] = [];
  for await (const page of c.searchPaginated(`ou=services,${ACME}`, { scope: 'one', attributes: ['1.1'], paged: { pageSize: 1 } })) {
    dns.push(...page.searchEntries.map((e) => e.dn));
    if (dns.length > 10) break;
  }
  t.deepEqual(dns.map((dn) => /^cn=([^,]+)/.exec(dn)?.[1]).sort(), ['a-x', 'a.x', 'a_x', 'reader', 'writer']);
});
