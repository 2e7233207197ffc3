// EAP-TLS with one device CA trusted by two tenants (an MSP's Intune or AD CS CA): the realm in
// the certificate's identity must be the NAS tenant's id or one of its `radius.realms`, so a
// certificate for alice@globex.example is never acme's alice. eapol_test with certificates made
// here; acme reads the SAN UPN, globex the CN.
import test from 'ava';
import { makePki, type Pki } from './certs.ts';
import { eapTls, eapol, failedWith, startHarness, type Harness } from './harness.ts';

let pki: Pki;
let h: Harness;

test.before(async () => {
  pki = makePki();
  const clientCa = pki.read('device-ca.crt');
  h = await startHarness({
    pki,
    eap: { settings: (id) => ({ clientCa, identityFrom: id === 'acme' ? 'san-upn' : 'cn', methods: ['tls'] }) },
  });
});
test.after.always(async () => {
  await h?.close();
  pki?.remove();
});

test('each tenant\'s NAS accepts the certificate of its own realm, as its own alice', async (t) => {
  const [acme, globex] = await Promise.all([
    eapol(h, eapTls(h, 'device', 'device-alice-acme'), 'acme'),
    eapol(h, eapTls(h, 'device', 'device-alice-globex'), 'globex'),
  ]);
  t.true(acme.success, JSON.stringify(h.logs.filter((l) => l['outer'] === acme.outer)));
  t.true(acme.mppeOk);
  t.deepEqual(acme.accept.get(1), ['alice']);
  t.true(globex.success, JSON.stringify(h.logs.filter((l) => l['outer'] === globex.outer)));
  t.true(globex.mppeOk);
  const audit = await h.world.store.tenant('globex').audit.list({ limit: 20, action: 'radius.eap' });
  t.true(audit.some((e) => e.outcome === 'ok' && e.target === 'alice@globex.example'), JSON.stringify(audit));
});

test('the other tenant\'s certificate fails at each NAS (SAN UPN and CN alike), audited with the realm', async (t) => {
  const [atAcme, atGlobex] = await Promise.all([
    eapol(h, eapTls(h, 'device', 'device-alice-globex'), 'acme'),
    eapol(h, eapTls(h, 'device', 'device-alice-acme'), 'globex'),
  ]);
  failedWith(t, h.logs, atAcme, /^tls: realm-not-allowed \(globex\.example\)$/);
  failedWith(t, h.logs, atGlobex, /^tls: realm-not-allowed \(acme\.example\)$/);
  const audit = await h.world.store.tenant('acme').audit.list({ limit: 20, action: 'radius.eap', target: 'alice@globex.example' });
  t.deepEqual(audit.map((e) => [e.outcome, e.reason]), [['failed', 'tls: realm-not-allowed (globex.example)']]);
});
