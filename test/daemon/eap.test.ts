// 802.1X through the real daemon: startDaemon on a config directory whose tenant has eap.tls
// (a client CA and CRL from the test PKI), then eapol_test for each method with a user whose
// group carries a VLAN. Checks what the access point gets: SUCCESS, the MPPE keys eapol_test
// derived itself, and the VLAN; and that an unreadable tenant file on reload turns EAP-TLS off
// without stopping anything else.
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { Logger } from '../../src/core/log.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.ts';
import { makePki, type Pki } from '../eap/certs.ts';
import { capturingLogger, eapTls, eapol, failedWith, peapMschapv2, ttlsPap } from '../eap/harness.ts';
import { until } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/eap', import.meta.url));
const PKI_FILES = ['server.crt', 'server.key', 'acme-ca.crt', 'acme.crl'];

let pki: Pki;
const dirs: string[] = [];

test.before(() => {
  pki = makePki();
});

/** A daemon on a temp copy of the fixture with the PKI in pki/; `h` is what eapol() needs. */
async function daemon(logs: Record<string, unknown>[] = [], logger: Logger = capturingLogger(logs)): Promise<{ d: RunningDaemon; dir: string; h: { pki: Pki; port: number }; logs: Record<string, unknown>[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-daemon-eap-'));
  dirs.push(dir);
  await cp(FIXTURE, dir, { recursive: true });
  await mkdir(join(dir, 'pki'));
  await Promise.all(PKI_FILES.map((f) => cp(pki.path(f), join(dir, 'pki', f))));
  const d = await startDaemon({ configDir: dir, logger });
  return { d, dir, h: { pki, port: d.ports.radiusAuth }, logs };
}

let shared: Promise<Awaited<ReturnType<typeof daemon>>> | undefined;
const one = () => (shared ??= daemon());
// The daemon first: it watches its directory, which goes next.
test.after.always(async () => {
  await (await shared)?.d.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  pki?.remove();
});

const VLAN = /Attribute 81 \(Tunnel-Private-Group-Id\)/;

const METHODS = [
  ['TTLS/PAP', (h: { pki: Pki }) => ttlsPap(h, 'alice', 'Correct-Horse-9'), 'ttls/pap'],
  ['PEAP/MSCHAPv2', (h: { pki: Pki }) => peapMschapv2(h, 'alice', 'Correct-Horse-9'), 'peap/mschapv2'],
  ['EAP-TLS (a certificate of the tenant\'s client CA)', (h: { pki: Pki }) => eapTls(h, 'alice', 'alice'), 'tls'],
] as const;

for (const [name, network, method] of METHODS) {
  test(`${name}: SUCCESS, matching MPPE keys, the VLAN of the user's group, audited as the inner identity`, async (t) => {
    const { d, h } = await one();
    const r = await eapol(h, network(h));
    t.true(r.success, r.output.slice(-2000));
    t.true(r.mppeOk);
    t.regex(r.output, VLAN);
    // The Accept names the inner user and carries the Class accounting is tied by.
    t.deepEqual(r.accept.get(1), ['alice']);
    t.regex(r.accept.get(25)?.join() ?? '', /^tdc1:/);
    const events = await d.store.tenant('acme').audit.list({ limit: 50, target: 'alice' });
    t.true(events.some((e) => e.action === 'radius.eap' && e.outcome === 'ok' && e.detail?.method === method), JSON.stringify(events));
  });
}

test('a wrong password fails', async (t) => {
  const { h, logs } = await one();
  const r = await eapol(h, ttlsPap(h, 'alice', 'Wrong-Horse-99'));
  failedWith(t, logs, r, /^ttls\/pap: bad-password$/);
});

test('an unreadable tenant EAP file on reload: an error line, EAP-TLS off, TTLS still served', async (t) => {
  const { d, dir, h, logs } = await daemon();
  const errors = () => logs.filter((l) => l['event'] === 'eap.tenant_files');
  try {
    t.true((await eapol(h, eapTls(h, 'alice', 'alice'))).success);
    // Still there for the config check, but no longer a readable file.
    await rm(join(dir, 'pki', 'acme.crl'));
    await mkdir(join(dir, 'pki', 'acme.crl'));
    t.true(await d.reload('test'));
    // Registry listeners run after reload() resolves: wait for this one's log line, then a moment for setTls.
    await until('the eap.tenant_files error', () => errors().length > 0);
    await new Promise((r) => setTimeout(r, 300));
    const [tls, ttls] = await Promise.all([eapol(h, eapTls(h, 'alice', 'alice')), eapol(h, ttlsPap(h, 'alice', 'Correct-Horse-9'))]);
    // EAP-TLS is no longer proposed, so eapol_test's Nak for it finds nothing on offer.
    failedWith(t, logs, tls, /^peer wants EAP types \[13\], none offered$/);
    t.true(ttls.success, ttls.output.slice(-2000));
    t.like(errors(), [{ tenant: 'acme', level: 50 }]);
    t.is(errors().length, 1);
  } finally {
    await d.close();
  }
});
