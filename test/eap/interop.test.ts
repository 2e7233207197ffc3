// eapol_test (wpa_supplicant's test supplicant) against the RADIUS front with the EAP server
// behind it: each method succeeds with the right credentials and eapol_test finds the MPPE keys
// it derived itself in the Access-Accept; wrong credentials, bad certificates and users of
// another tenant fail.
import test from 'ava';
import { makePki, type Pki } from './certs.ts';
import { eapTls, eapol, peapMschapv2, q, startHarness, ttlsPap, type Harness } from './harness.ts';

let pki: Pki;
let h: Harness;
let long: Harness;

test.before(async () => {
  pki = makePki();
  h = await startHarness({ pki });
  long = await startHarness({ pki, serverCert: 'long' });
});
test.after.always(async () => {
  await h?.close();
  await long?.close();
  pki?.remove();
});

const TLS12 = 'tls_disable_tlsv1_3=1';
const TLS13 = 'tls_disable_tlsv1_3=0';

for (const [version, phase1] of [['TLS 1.2', TLS12], ['TLS 1.3', TLS13]] as const) {
  test(`TTLS/PAP succeeds with matching MPPE keys (${version})`, async (t) => {
    const r = await eapol(h, { ...ttlsPap(h, 'alice', 'Correct-Horse-9'), phase1: q(phase1) });
    t.true(r.success, r.output.slice(-2000));
    t.true(r.mppeOk);
    t.regex(r.output, new RegExp(`Using TLS version ${version.replace('TLS ', 'TLSv')}`));
  });

  test(`PEAPv0/MSCHAPv2 succeeds with matching MPPE keys (${version})`, async (t) => {
    const r = await eapol(h, { ...peapMschapv2(h, 'alice', 'Correct-Horse-9'), phase1: q(`peapver=0 ${phase1}`) });
    t.true(r.success, r.output.slice(-2000));
    t.true(r.mppeOk);
  });

  test(`EAP-TLS succeeds with matching MPPE keys (${version})`, async (t) => {
    const r = await eapol(h, { ...eapTls(h, 'alice', 'alice'), phase1: q(phase1) });
    t.true(r.success, r.output.slice(-2000));
    t.true(r.mppeOk);
  });
}

test('TTLS with inner MS-CHAPv2 succeeds where the tenant allows it', async (t) => {
  const r = await eapol(h, { ...ttlsPap(h, 'alice', 'Correct-Horse-9'), phase2: q('autheap=MSCHAPV2') });
  const mschap = await eapol(h, { ...ttlsPap(h, 'alice', 'Correct-Horse-9'), phase2: q('auth=MSCHAPV2') });
  t.false(r.success, 'inner EAP in TTLS is not offered');
  t.true(mschap.success, mschap.output.slice(-2000));
  t.true(mschap.mppeOk);
});

test('the outer identity is only a label: anonymous@acme outside, the inner identity decides', async (t) => {
  const r = await eapol(h, { ...peapMschapv2(h, 'alice@acme', 'Correct-Horse-9'), anonymous_identity: q('whoever@acme') });
  t.true(r.success, r.output.slice(-2000));
  const events = await h.world.store.tenant('acme').audit.list({ limit: 50, target: 'alice' });
  t.true(events.some((e) => e.outcome === 'ok' && e.action.endsWith('.auth')), JSON.stringify(events));
  // The EAP record names the inner identity and method, never the anonymous outer one.
  const eapEvents = await h.world.store.tenant('acme').audit.list({ limit: 50, target: 'alice@acme' });
  t.true(eapEvents.some((e) => e.action === 'radius.eap' && e.outcome === 'ok' && e.detail?.method === 'peap/mschapv2'), JSON.stringify(eapEvents));
});

test('wrong passwords fail (TTLS/PAP, PEAP/MSCHAPv2)', async (t) => {
  const [ttls, peap] = await Promise.all([
    eapol(h, ttlsPap(h, 'alice', 'wrong-password-1')),
    eapol(h, peapMschapv2(h, 'alice', 'wrong-password-1')),
  ]);
  t.false(ttls.success);
  t.false(peap.success);
  t.regex(peap.output, /E=691/);
});

test('a disabled user fails', async (t) => {
  const r = await eapol(h, ttlsPap(h, 'carol', 'Switched-Off-55'));
  t.false(r.success);
});

test('a user of another tenant fails at this tenant\'s NAS, by name or by realm', async (t) => {
  const [byName, byRealm, home] = await Promise.all([
    eapol(h, ttlsPap(h, 'gina', 'Engineer-Pass-77')),
    eapol(h, ttlsPap(h, 'gina@globex', 'Engineer-Pass-77')),
    eapol(h, { ...ttlsPap(h, 'gina', 'Engineer-Pass-77'), anonymous_identity: q('anonymous@globex') }, 'globex'),
  ]);
  t.false(byName.success);
  t.false(byRealm.success);
  t.true(home.success, home.output.slice(-2000));
});

test('a tenant without MS-CHAPv2 does not offer PEAP: the peer\'s Nak ends it', async (t) => {
  const r = await eapol(h, peapMschapv2(h, 'gina', 'Engineer-Pass-77'), 'globex');
  t.false(r.success);
  t.regex(r.output, /method=21/); // TTLS was proposed
});

test('EAP-TLS: a revoked certificate, a foreign CA and a certificate of no user fail', async (t) => {
  const [revoked, foreign, nobody] = await Promise.all([
    eapol(h, eapTls(h, 'alice', 'revoked')),
    eapol(h, eapTls(h, 'alice', 'evil-alice')),
    eapol(h, eapTls(h, 'nobody', 'nobody')),
  ]);
  t.false(revoked.success);
  t.false(foreign.success);
  t.false(nobody.success);
});

test('EAP-TLS with the supplicant fragmenting its own messages at 100 bytes', async (t) => {
  const r = await eapol(h, { ...eapTls(h, 'alice', 'alice'), fragment_size: '100' });
  t.true(r.success, r.output.slice(-2000));
  t.true(r.mppeOk);
  t.regex(r.output, /SSL: sending \d+ bytes, more fragments will follow/);
});

test('EAP-TLS is not offered to a tenant without a client CA', async (t) => {
  const r = await eapol(h, eapTls(h, 'gina', 'alice'), 'globex');
  t.false(r.success);
});

test('a server certificate chain over 6 KB still works (fragmentation), for TTLS and PEAP', async (t) => {
  const [ttls, peap] = await Promise.all([
    eapol(long, ttlsPap(long, 'alice', 'Correct-Horse-9')),
    eapol(long, peapMschapv2(long, 'alice', 'Correct-Horse-9')),
  ]);
  t.true(ttls.success, ttls.output.slice(-2000));
  t.true(ttls.mppeOk);
  t.true(peap.success, peap.output.slice(-2000));
  t.regex(ttls.output, /TLS Message Length: \d{4}/);
});

// radius 1.1.4 wrote a tag byte before a Buffer attribute that followed a tagged one
// (Tunnel-Private-Group-Id), corrupting the EAP-Success after the VLAN attributes.
test('the VLAN of the user\'s group rides along with EAP-Success, as for PAP', async (t) => {
  const r = await eapol(h, ttlsPap(h, 'vince', 'Vlan-Twenty-20'));
  t.regex(r.output, /Attribute 81 \(Tunnel-Private-Group-Id\)/);
  t.true(r.success);
});
