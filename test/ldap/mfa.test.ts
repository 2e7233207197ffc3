// MFA over LDAP (issue 10): with mfa.ldap append, a simple bind is the password followed by the
// TOTP code. ldapwhoami is the client. Service accounts are never asked for a code.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { generate } from 'otplib';
import { ACME, FIXTURES, GLOBEX, PASSWORDS, people, service, startLdap, type Harness } from './helpers.ts';

let h: Harness;
let secret: string;
test.before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-ldap-mfa-'));
  await cp(FIXTURES, dir, { recursive: true });
  const acme = join(dir, 'tenants/acme.yaml');
  await writeFile(acme, `${await readFile(acme, 'utf8')}\nmfa: { totp: required, ldap: append }\n`);
  h = await startLdap({ configDir: dir });
  const tenant = h.world.directory.tenant(h.world.registry.byId('acme')!);
  const admin = { name: 'test', protocol: 'admin' } as const;
  secret = (await tenant.enrollTotp('alice', admin)).secret;
  // Confirmed with the code of the previous step, so that the code of this step is still unused.
  await tenant.confirmTotp('alice', await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }), admin);
});
test.after.always(async () => { await h?.close(); });

function ldapwhoami(dn: string, password: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('ldapwhoami', ['-x', '-H', h.url, '-D', dn, '-w', password], { timeout: 8000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr });
    });
  });
}

test.serial('password followed by the code binds; the same code again does not; the password alone does not', async (t) => {
  const code = await generate({ secret });
  const ok = await ldapwhoami(people(ACME, 'alice'), `${PASSWORDS.alice}${code}`);
  t.is(ok.code, 0, ok.out);
  t.regex(ok.out, /dn:uid=alice,ou=people,dc=acme,dc=example/);
  t.is((await ldapwhoami(people(ACME, 'alice'), `${PASSWORDS.alice}${code}`)).code, 49, 'a replayed code');
  t.is((await ldapwhoami(people(ACME, 'alice'), PASSWORDS.alice)).code, 49, 'no code');
});

test('a user who has not enrolled is told how, only after the right password', async (t) => {
  const right = await ldapwhoami(people(ACME, 'bob'), PASSWORDS.bob);
  t.is(right.code, 49);
  t.regex(right.out, /second factor: enrol an authenticator/);
  const wrong = await ldapwhoami(people(ACME, 'bob'), 'Not-Bobs-Password-1');
  t.is(wrong.code, 49);
  t.notRegex(wrong.out, /second factor/);
});

test('service accounts and another tenant are not asked for a code', async (t) => {
  t.is((await ldapwhoami(service(ACME, 'reader'), PASSWORDS.reader)).code, 0);
  t.is((await ldapwhoami(people(GLOBEX, 'alice'), PASSWORDS.globexAlice)).code, 0);
});
