// App passwords over LDAP (issue 10), with ldapwhoami and ldappasswd as the clients: a simple
// bind with an LDAP-scoped app password; a RADIUS-only one, a revoked one and another tenant's
// user of the same uid are refused; an app password never changes the password it stands beside.
import { execFile } from 'node:child_process';
import test from 'ava';
import type { TenantDirectory } from '../../src/directory/index.ts';
import { ACME, GLOBEX, PASSWORDS, people, startLdap, type Harness } from './helpers.ts';

const admin = { name: 'test', protocol: 'admin' } as const;

let h: Harness;
let acme: TenantDirectory;
test.before(async () => {
  h = await startLdap();
  acme = h.world.directory.tenant(h.world.registry.byId('acme')!);
});
test.after.always(async () => { await h?.close(); });

function ldap(cmd: 'ldapwhoami' | 'ldappasswd', args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, ['-x', '-H', h.url, ...args], { timeout: 8000 }, (err, stdout, stderr) => {
      if (err && typeof err.code === 'string') return reject(new Error(`${cmd} cannot run (${err.code}): run .ci/ldap-deps.sh`));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr });
    });
  });
}
const whoami = (dn: string, password: string) => ldap('ldapwhoami', ['-D', dn, '-w', password]);

test.serial('ldapwhoami binds with an LDAP app password; a RADIUS-only one and a revoked one are refused at once', async (t) => {
  const mail = await acme.addAppPassword('alice', { name: 'thunderbird', scopes: ['ldap'] }, admin);
  const wifi = await acme.addAppPassword('alice', { name: 'wifi', scopes: ['radius'] }, admin);
  const ok = await whoami(people(ACME, 'alice'), mail.secret);
  t.is(ok.code, 0, ok.out);
  t.regex(ok.out, /dn:uid=alice,ou=people,dc=acme,dc=example/);
  t.is((await whoami(people(ACME, 'alice'), wifi.secret)).code, 49);
  await acme.revokeAppPassword('alice', 'thunderbird', admin);
  t.is((await whoami(people(ACME, 'alice'), mail.secret)).code, 49);
  t.is((await whoami(people(ACME, 'alice'), PASSWORDS.alice)).code, 0, 'the password is untouched');
  const [event] = await acme.listAudit({ limit: 1, action: 'ldap.auth', outcome: 'ok', target: 'alice' });
  t.like(event, { detail: { method: 'simple', credential: 'password' } });
});

test.serial("isolation: acme's alice's app password does not bind globex's alice", async (t) => {
  const { secret } = await acme.addAppPassword('alice', { name: 'laptop' }, admin);
  t.is((await whoami(people(ACME, 'alice'), secret)).code, 0);
  t.is((await whoami(people(GLOBEX, 'alice'), secret)).code, 49);
  t.is((await whoami(people(ACME, 'bob'), secret)).code, 49);
});

test.serial('an app password cannot change the password: not as the bind, not as the old password', async (t) => {
  const { secret } = await acme.addAppPassword('bob', { name: 'scanner', scopes: ['ldap'] }, admin);
  const bound = await ldap('ldappasswd', ['-D', people(ACME, 'bob'), '-w', secret, '-s', 'Taken-Over-Pass-1']);
  t.regex(bound.out, /Server is unwilling to perform \(53\)/, bound.out);
  t.regex(bound.out, /app password cannot change the password/);
  const asOld = await ldap('ldappasswd', ['-D', people(ACME, 'bob'), '-w', secret, '-a', secret, '-s', 'Taken-Over-Pass-1']);
  t.regex(asOld.out, /Invalid credentials \(49\)/, asOld.out);
  const unbound = await ldap('ldappasswd', ['-a', secret, '-s', 'Taken-Over-Pass-1', people(ACME, 'bob')]);
  t.regex(unbound.out, /Invalid credentials \(49\)/, unbound.out);
  t.is((await whoami(people(ACME, 'bob'), PASSWORDS.bob)).code, 0, 'the password is unchanged');
  const changed = await ldap('ldappasswd', ['-D', people(ACME, 'bob'), '-w', secret, '-a', PASSWORDS.bob, '-s', 'Changed-Properly-2']);
  t.is(changed.code, 0, `with the real old password it works: ${changed.out}`);
  t.is((await whoami(people(ACME, 'bob'), secret)).code, 0, 'and the app password still binds');
});
