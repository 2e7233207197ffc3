// MFA over 802.1X (issue 10), with eapol_test: TTLS/PAP carries the code appended to the
// password; PEAP-MSCHAPv2 cannot carry one, so an enrolled user is refused; EAP-TLS's
// certificate is a factor of its own.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { generate } from 'otplib';
import { makePki, type Pki } from './certs.ts';
import { eapTls, eapol, failedWith, FIXTURE, peapMschapv2, startHarness, ttlsPap, type Harness } from './harness.ts';

let pki: Pki;
let h: Harness;
let dir: string;
let secret: string;

test.before(async () => {
  pki = makePki();
  dir = await mkdtemp(join(tmpdir(), 'tenantdir-eap-mfa-'));
  await cp(FIXTURE, dir, { recursive: true });
  const acme = join(dir, 'tenants/acme.yaml');
  await writeFile(acme, `${await readFile(acme, 'utf8')}\nmfa: { totp: required }\n`);
  h = await startHarness({ pki, configDir: dir });
  const tenant = h.world.directory.tenant(h.world.registry.byId('acme')!);
  const admin = { name: 'test', protocol: 'admin' } as const;
  secret = (await tenant.enrollTotp('alice', admin)).secret;
  await tenant.confirmTotp('alice', await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }), admin);
});
test.after.always(async () => {
  await h?.close();
  pki?.remove();
  await rm(dir, { recursive: true, force: true });
});

test.serial('TTLS/PAP: the password followed by the code succeeds; the password alone fails', async (t) => {
  const ok = await eapol(h, ttlsPap(h, 'alice', `Correct-Horse-9${await generate({ secret })}`));
  t.true(ok.success, ok.output.slice(-2000));
  t.true(ok.mppeOk);
  const bare = await eapol(h, ttlsPap(h, 'alice', 'Correct-Horse-9'));
  failedWith(t, h.logs, bare, /bad-password|bad-code/);
});

test('PEAP-MSCHAPv2 cannot carry a code: refused for an enrolled user', async (t) => {
  const r = await eapol(h, peapMschapv2(h, 'alice', 'Correct-Horse-9'));
  failedWith(t, h.logs, r, /mfa-unavailable/);
});

test('EAP-TLS: the certificate is a factor of its own', async (t) => {
  const r = await eapol(h, eapTls(h, 'alice', 'alice'));
  t.true(r.success, r.output.slice(-2000));
});
