// eapol_test (wpa_supplicant's test supplicant) against the RADIUS front with the EAP server
// behind it: each method succeeds with the right credentials, eapol_test finds the MPPE keys it
// derived itself in the Access-Accept, and the Accept names the inner user (User-Name, Class);
// wrong credentials, bad certificates, foreign realms and users of another tenant fail, each with
// eapol_test's exit status, an Access-Reject and the server's reason checked.
import { execFile } from 'node:child_process';
import test from 'ava';
import { makePki, type Pki } from './certs.ts';
import { directoryWith } from '../radius/helpers.ts';
import { eapTls, eapol, failedWith, NAS, peapMschapv2, q, startHarness, ttlsPap, type Harness, type EapolResult } from './harness.ts';

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

/** radclient sends one Accounting-Request from `from` with these attributes; rejects if it cannot run. */
function radclientAcct(from: string, secret: string, attrs: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('radclient', ['-x', '-r', '1', '-t', '2', `127.0.0.1:${h.acctPort}`, 'acct', secret], { timeout: 8000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`radclient cannot run (${String(err.code)}): run .ci/radius-deps.sh`));
      resolve(`${stdout}${stderr}`);
    });
    child.stdin?.end(`${attrs}, Packet-Src-IP-Address = ${from}\n`);
  });
}

const classHex = (r: EapolResult): string => `0x${Buffer.from(r.accept.get(25)?.find((c) => c.startsWith('tdc1:')) ?? '', 'latin1').toString('hex')}`;

const TLS12 = 'tls_disable_tlsv1_3=1';
const TLS13 = 'tls_disable_tlsv1_3=0';

for (const [version, phase1] of [['TLS 1.2', TLS12], ['TLS 1.3', TLS13]] as const) {
  test(`TTLS/PAP succeeds with matching MPPE keys (${version})`, async (t) => {
    const r = await eapol(h, { ...ttlsPap(h, 'alice', 'Correct-Horse-9'), phase1: q(phase1) });
    t.true(r.success, r.output.slice(-2000));
    t.true(r.mppeOk);
    t.regex(r.output, new RegExp(`Using TLS version ${version.replace('TLS ', 'TLSv')}`));
    // The user as authenticated, not the anonymous outer identity; and our Class.
    t.deepEqual(r.accept.get(1), ['alice']);
    t.regex(r.accept.get(25)?.join() ?? '', /^tdc1:/);
  });

  test(`PEAPv0/MSCHAPv2 succeeds with matching MPPE keys (${version})`, async (t) => {
    const r = await eapol(h, { ...peapMschapv2(h, 'alice', 'Correct-Horse-9'), phase1: q(`peapver=0 ${phase1}`) });
    t.true(r.success, r.output.slice(-2000));
    t.true(r.mppeOk);
    t.deepEqual(r.accept.get(1), ['alice']);
    t.regex(r.accept.get(25)?.join() ?? '', /^tdc1:/);
  });

  test(`EAP-TLS succeeds with matching MPPE keys (${version})`, async (t) => {
    const r = await eapol(h, { ...eapTls(h, 'alice', 'alice'), phase1: q(phase1) });
    t.true(r.success, r.output.slice(-2000));
    t.true(r.mppeOk);
    t.deepEqual(r.accept.get(1), ['alice']);
    t.regex(r.accept.get(25)?.join() ?? '', /^tdc1:/);
  });
}

test('TTLS with inner MS-CHAPv2 succeeds where the tenant allows it', async (t) => {
  const r = await eapol(h, { ...ttlsPap(h, 'alice', 'Correct-Horse-9'), phase2: q('autheap=MSCHAPV2') });
  const mschap = await eapol(h, { ...ttlsPap(h, 'alice', 'Correct-Horse-9'), phase2: q('auth=MSCHAPV2') });
  failedWith(t, h.logs, r, /ttls: unsupported mandatory AVP 0:79/); // inner EAP in TTLS is not offered
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

test('accounting: the NAS echoes the Class and the session is stored under the inner user, not anonymous@acme', async (t) => {
  const [peap, tls] = await Promise.all([
    eapol(h, peapMschapv2(h, 'alice', 'Correct-Horse-9')),
    eapol(h, { ...eapTls(h, 'anonymous@acme', 'alice') }),
  ]);
  t.true(peap.success && tls.success, peap.output.slice(-1000));
  t.regex(peap.outer, /^anonymous\+\d+@acme$/);
  for (const [session, r] of [['eapol-peap-1', peap], ['eapol-tls-1', tls]] as const) {
    const out = await radclientAcct(NAS.acme.address, NAS.acme.secret,
      `User-Name = "${r.outer}", Acct-Status-Type = Start, Acct-Session-Id = ${session}, Class = ${classHex(r)}`);
    t.regex(out, /Received Accounting-Response/);
  }
  const records = await h.world.store.tenant('acme').accounting.list({ limit: 10, user: 'alice' });
  t.deepEqual(records.map((r) => r.sessionId).sort(), ['eapol-peap-1', 'eapol-tls-1']);
  // The same Class from globex's NAS names nobody: globex keeps the record under its own claim.
  const out = await radclientAcct(NAS.globex.address, NAS.globex.secret,
    `User-Name = "${peap.outer}", Acct-Status-Type = Start, Acct-Session-Id = eapol-cross-1, Class = ${classHex(peap)}`);
  t.regex(out, /Received Accounting-Response/);
  t.deepEqual(await h.world.store.tenant('acme').accounting.list({ limit: 10, sessionId: 'eapol-cross-1' }), []);
  const [cross] = await h.world.store.tenant('globex').accounting.list({ limit: 10, sessionId: 'eapol-cross-1' });
  t.is(cross?.user, peap.outer);
});

test('a check the directory throttles drops the packet; eapol_test\'s RADIUS retransmission completes PEAP/MSCHAPv2 and TTLS/PAP', async (t) => {
  // Each user's first check is refused as throttled; the conversation must survive it.
  const throttled: string[] = [];
  const th = await startHarness({
    pki,
    directory: (w) => directoryWith(w, async (_tenant, real, uid) => {
      if (throttled.includes(uid)) return real();
      throttled.push(uid);
      return { ok: false, reason: 'throttled' };
    }),
  });
  try {
    // Each run waits once for eapol_test's retransmission (3 s): more time than the default 8 s.
    const [peap, ttls] = await Promise.all([
      eapol(th, peapMschapv2(th, 'alice', 'Correct-Horse-9'), 'acme', NAS.acme.secret, 20),
      eapol(th, ttlsPap(th, 'vince', 'Vlan-Twenty-20'), 'acme', NAS.acme.secret, 20),
    ]);
    t.true(peap.success, peap.output.slice(-2000));
    t.true(ttls.success, ttls.output.slice(-2000));
    t.true(peap.mppeOk && ttls.mppeOk);
    t.deepEqual(throttled.sort(), ['alice', 'vince']);
    // eapol_test saw no answer to the throttled request and sent it again.
    for (const r of [peap, ttls]) t.regex(r.output, /Resending RADIUS message/);
  } finally {
    await th.close();
  }
});

test('wrong passwords fail (TTLS/PAP, PEAP/MSCHAPv2)', async (t) => {
  const [ttls, peap] = await Promise.all([
    eapol(h, ttlsPap(h, 'alice', 'wrong-password-1')),
    eapol(h, peapMschapv2(h, 'alice', 'wrong-password-1')),
  ]);
  failedWith(t, h.logs, ttls, /^ttls\/pap: bad-password$/);
  failedWith(t, h.logs, peap, /^mschapv2: bad-password$/);
  t.regex(peap.output, /E=691/);
});

test('a disabled user fails', async (t) => {
  const r = await eapol(h, ttlsPap(h, 'carol', 'Switched-Off-55'));
  failedWith(t, h.logs, r, /^ttls\/pap: disabled$/);
});

test('a user of another tenant fails at this tenant\'s NAS, by name or by realm', async (t) => {
  const [byName, byRealm, home] = await Promise.all([
    eapol(h, ttlsPap(h, 'gina', 'Engineer-Pass-77')),
    eapol(h, ttlsPap(h, 'gina@globex', 'Engineer-Pass-77')),
    eapol(h, { ...ttlsPap(h, 'gina', 'Engineer-Pass-77'), anonymous_identity: q('anonymous@globex') }, 'globex'),
  ]);
  failedWith(t, h.logs, byName, /^ttls\/pap: no-such-user$/);
  failedWith(t, h.logs, byRealm, /^ttls\/pap: realm-not-allowed \(globex\)$/);
  t.true(home.success, home.output.slice(-2000));
});

test('realms: the tenant\'s declared realm works inside and outside; a foreign outer realm is refused before EAP', async (t) => {
  const [inner, outer, foreignOuter, foreignInner] = await Promise.all([
    eapol(h, ttlsPap(h, 'alice@acme.example', 'Correct-Horse-9')),
    eapol(h, { ...peapMschapv2(h, 'ACME.EXAMPLE\\alice', 'Correct-Horse-9'), anonymous_identity: q('anonymous@acme.example') }),
    eapol(h, { ...ttlsPap(h, 'alice', 'Correct-Horse-9'), anonymous_identity: q('anonymous@globex.example') }),
    eapol(h, ttlsPap(h, 'gina@globex.example', 'Engineer-Pass-77')),
  ]);
  t.true(inner.success, inner.output.slice(-2000));
  t.deepEqual(inner.accept.get(1), ['alice']);
  t.true(outer.success, JSON.stringify(h.logs.filter((l) => l['outer'] === outer.outer)));
  failedWith(t, h.logs, foreignOuter, /^realm-not-allowed$/);
  t.regex(foreignOuter.output, /EAP Failure|EAP-Failure/i, 'the refusal carries EAP-Failure');
  failedWith(t, h.logs, foreignInner, /^ttls\/pap: realm-not-allowed \(globex\.example\)$/);
  const audit = await h.world.store.tenant('acme').audit.list({ limit: 100, action: 'radius.auth' });
  t.true(audit.some((e) => e.outcome === 'refused' && e.reason === 'realm-not-allowed' && e.target === foreignOuter.outer), JSON.stringify(audit.slice(0, 5)));
});

test('a tenant without MS-CHAPv2 does not offer PEAP: the peer\'s Nak ends it', async (t) => {
  const r = await eapol(h, { ...peapMschapv2(h, 'gina', 'Engineer-Pass-77'), anonymous_identity: q('anonymous@globex') }, 'globex');
  failedWith(t, h.logs, r, /^peer wants EAP types \[25\], none offered$/);
  t.regex(r.output, /method=21/); // TTLS was proposed
});

test('EAP-TLS: a revoked certificate, a foreign CA and a certificate of no user fail', async (t) => {
  const [revoked, foreign, nobody] = await Promise.all([
    eapol(h, eapTls(h, 'alice', 'revoked')),
    eapol(h, eapTls(h, 'alice', 'evil-alice')),
    eapol(h, eapTls(h, 'nobody', 'nobody')),
  ]);
  failedWith(t, h.logs, revoked, /^tls: client certificate: CERT_REVOKED$/);
  failedWith(t, h.logs, foreign, /^tls: client certificate: UNABLE_TO_VERIFY_LEAF_SIGNATURE$/);
  failedWith(t, h.logs, nobody, /^tls: no-such-user$/);
});

test('EAP-TLS with the supplicant fragmenting its own messages at 100 bytes', async (t) => {
  const r = await eapol(h, { ...eapTls(h, 'alice', 'alice'), fragment_size: '100' });
  t.true(r.success, r.output.slice(-2000));
  t.true(r.mppeOk);
  t.regex(r.output, /SSL: sending \d+ bytes, more fragments will follow/);
});

test('EAP-TLS is not offered to a tenant without a client CA', async (t) => {
  const r = await eapol(h, eapTls(h, 'gina@globex', 'alice'), 'globex');
  failedWith(t, h.logs, r, /^peer wants EAP types \[13\], none offered$/);
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
