// App passwords over 802.1X (issue 10), with eapol_test as the supplicant: PEAP-MSCHAPv2 and
// TTLS/PAP succeed with an app password (with MPPE keys that match), where acme requires TOTP and
// nobody is enrolled, so that the password alone is refused — the app password stands for both
// factors (mfa.appPasswordsSatisfy). A revoked one fails at once; globex's alice is not acme's.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { TenantDirectory } from '../../src/directory/index.ts';
import { eapol, failedWith, FIXTURE, peapMschapv2, q, startHarness, ttlsPap, type Harness } from './harness.ts';

const admin = { name: 'test', protocol: 'admin' } as const;

let h: Harness;
let dir: string;
let acme: TenantDirectory;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tenantdir-eap-app-'));
  await cp(FIXTURE, dir, { recursive: true });
  const file = join(dir, 'tenants/acme.yaml');
  await writeFile(file, `${await readFile(file, 'utf8')}\nmfa: { totp: required }\n`);
  h = await startHarness({ configDir: dir });
  acme = h.world.directory.tenant(h.world.registry.byId('acme')!);
});
test.after.always(async () => {
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('PEAP-MSCHAPv2 and TTLS/PAP with an app password, under required MFA; the password alone is refused', async (t) => {
  const { secret } = await acme.addAppPassword('alice', { name: 'android', scopes: ['radius'] }, admin);
  const [peap, ttls, password] = [
    await eapol(h, peapMschapv2(h, 'alice', secret)),
    await eapol(h, ttlsPap(h, 'alice', secret)),
    await eapol(h, peapMschapv2(h, 'alice', 'Correct-Horse-9')),
  ];
  t.true(peap.success, peap.output.slice(-2000));
  t.true(peap.mppeOk, 'the MPPE keys come from the app password\'s NT hash');
  t.deepEqual(peap.accept.get(1), ['alice']);
  t.true(ttls.success, ttls.output.slice(-2000));
  t.true(ttls.mppeOk);
  failedWith(t, h.logs, password, /^mschapv2: mfa-not-enrolled$/);
  const events = await acme.listAudit({ limit: 20, action: 'radius.auth', outcome: 'ok', target: 'alice' });
  t.true(events.length >= 2 && events.every((e) => e.detail?.credential === 'app-password' && e.detail.appPassword === 'android'), JSON.stringify(events));
});

test.serial('a revoked app password fails at once; another tenant\'s alice does not have it', async (t) => {
  const { secret } = await acme.addAppPassword('alice', { name: 'tablet', scopes: ['radius'] }, admin);
  t.true((await eapol(h, peapMschapv2(h, 'alice', secret))).success);
  // globex's NAS, so globex's alice (globex offers no PEAP: TTLS/PAP).
  failedWith(t, h.logs, await eapol(h, { ...ttlsPap(h, 'alice', secret), anonymous_identity: q('anonymous@globex') }, 'globex'), /^ttls\/pap: bad-password$/);
  await acme.revokeAppPassword('alice', 'tablet', admin);
  failedWith(t, h.logs, await eapol(h, peapMschapv2(h, 'alice', secret)), /^mschapv2: bad-password$/);
  failedWith(t, h.logs, await eapol(h, ttlsPap(h, 'alice', secret)), /^ttls\/pap: bad-password$/);
});
