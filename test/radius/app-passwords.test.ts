// App passwords over RADIUS (issue 10) with real clients: PAP through radclient and pyrad, and
// MS-CHAPv2 through pyrad (its own MD4/DES); under mfa.totp required an app password is let in
// where the password alone is refused; one user's app password is nobody else's, in either
// tenant; a revoked one fails at once.
import test from 'ava';
import type { TenantDirectory } from '../../src/directory/index.ts';
import { fixtureCopy, NAS, pyrad as pyradClient, runClient, startFront, type Harness } from './helpers.ts';

const admin = { name: 'test', protocol: 'admin' } as const;

let h: Harness;
let acme: TenantDirectory;
let copy: { dir: string; remove(): Promise<void> } | undefined;
test.before(async () => {
  // MFA required and nobody enrolled: the password alone is refused, an app password is not (mfa.appPasswordsSatisfy).
  copy = await fixtureCopy({ 'tenants/acme.yaml': (s) => `${s}\nmfa: { totp: required, radius: append }\n` });
  h = await startFront({ configDir: copy.dir });
  acme = h.world.directory.tenant(h.world.registry.byId('acme')!);
});
test.after.always(async () => {
  await h?.close();
  await copy?.remove();
});

const radclient = (attrs: string) => runClient('radclient', ['-x', '-r', '1', '-t', '2', `127.0.0.1:${h.ports.auth}`, 'auth', NAS.acme.secret], `${attrs}, Message-Authenticator = 0x00\n`);
const pyrad = (args: Record<string, unknown>) => pyradClient({ ma: true, secret: NAS.acme.secret, port: h.ports.auth, ...args });

test.serial('radclient PAP: an app password gets Access-Accept with the VLAN; the password alone is refused under required MFA', async (t) => {
  const { secret } = await acme.addAppPassword('alice', { name: 'iphone', scopes: ['radius'] }, admin);
  const ok = await radclient(`User-Name = alice, User-Password = "${secret}"`);
  t.regex(ok.out, /Received Access-Accept/, ok.out);
  t.regex(ok.out, /Tunnel-Private-Group-Id:1 = "99"/);
  const password = await radclient('User-Name = alice, User-Password = Correct-Horse-9');
  t.regex(password.out, /Received Access-Reject/);
  t.regex(password.out, /requires a second factor/);
  const events = await acme.listAudit({ limit: 10, action: 'radius.auth', outcome: 'ok' });
  t.like(events[0], { target: 'alice', detail: { method: 'pap', credential: 'app-password', appPassword: 'iphone' } });
  t.false(h.logText().includes(secret.slice(5)), 'the secret is never logged');
});

test.serial('pyrad: PAP and MS-CHAPv2 with an app password; an LDAP-only one is refused over RADIUS; revoked, it fails at once', async (t) => {
  const wifi = await acme.addAppPassword('bob', { name: 'wifi' }, admin);
  const mail = await acme.addAppPassword('bob', { name: 'mail', scopes: ['ldap'] }, admin);
  t.like(await pyrad({ mode: 'pap', user: 'bob', password: wifi.secret }), { code: 2 });
  const mschap = await pyrad({ mode: 'mschapv2', user: 'bob', password: wifi.secret });
  t.is(mschap.code, 2, JSON.stringify(mschap));
  t.like(await pyrad({ mode: 'pap', user: 'bob', password: mail.secret }), { code: 3 });
  await acme.revokeAppPassword('bob', 'wifi', admin);
  t.like(await pyrad({ mode: 'pap', user: 'bob', password: wifi.secret }), { code: 3 });
  t.like(await pyrad({ mode: 'mschapv2', user: 'bob', password: wifi.secret }), { code: 3 });
});

test.serial("isolation: acme's alice's app password is not globex's alice's, nor acme's bob's", async (t) => {
  const { secret } = await acme.addAppPassword('alice', { name: 'laptop' }, admin);
  t.like(await pyrad({ mode: 'pap', user: 'alice', password: secret }), { code: 2 });
  // Refused: a Reject, or no answer at all when earlier wrong tries made this NAS wait (a throttled check is dropped).
  const refused = (r: Record<string, unknown>) => r.code === 3 || r.code === null;
  t.true(refused(await pyrad({ mode: 'pap', user: 'alice', password: secret, secret: NAS.globex.secret, bind: NAS.globex.address })));
  t.true(refused(await pyrad({ mode: 'pap', user: 'bob', password: secret })));
  t.like(await pyrad({ mode: 'pap', user: 'alice', password: 'Second-Tenant-3', secret: NAS.globex.secret, bind: NAS.globex.address }), { code: 2 },
    "globex's alice is unaffected");
});
