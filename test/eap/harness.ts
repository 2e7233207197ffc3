// End-to-end harness: the real RADIUS front over the fixture world with an EapServer behind it,
// the test PKI, and eapol_test (Debian eapoltest) as the supplicant. Every wait is bounded.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { silentLogger, type Logger } from '../../src/core/log.ts';
import { EapServer, type EapServerOptions } from '../../src/eap/index.ts';
import { RadiusFront } from '../../src/radius/index.ts';
import { makeWorld, type World } from '../helpers/world.ts';
import { makePki, type Pki } from './certs.ts';

export const FIXTURE = fileURLToPath(new URL('./fixtures/config', import.meta.url));

export const NAS = {
  acme: { address: '127.0.0.1', secret: 'acme-ap-secret-0123456789' },
  globex: { address: '127.0.0.2', secret: 'globex-ap-secret-0123456789' },
} as const;

export interface Harness {
  pki: Pki;
  world: World;
  eap: EapServer;
  port: number;
  close(): Promise<void>;
}

export async function startHarness(o: {
  serverCert?: 'server' | 'long'; logger?: Logger; eap?: Partial<EapServerOptions>;
  /** A PKI to share (the caller removes it); default: a new one, removed on close. */
  pki?: Pki;
} = {}): Promise<Harness> {
  const pki = o.pki ?? makePki();
  const logger = o.logger ?? silentLogger();
  const world = await makeWorld({ configDir: FIXTURE, logger });
  const cert = o.serverCert === 'long' ? 'long-chain.crt' : 'server.crt';
  const key = o.serverCert === 'long' ? 'long.key' : 'server.key';
  const eap = new EapServer({
    logger,
    tls: { cert: pki.read(cert), key: pki.read(key) },
    settings: (id) => (id === 'acme' ? { clientCa: pki.read('acme-ca.crt'), crl: pki.read('acme.crl') } : undefined),
    ...o.eap,
  });
  const front = new RadiusFront({ live: world.live, directory: world.directory, logger, eap });
  const { auth } = await front.listen();
  return {
    pki, world, eap, port: auth,
    close: async () => {
      await front.close();
      eap.close();
      await world.close();
      if (!o.pki) pki.remove();
    },
  };
}

export interface EapolResult {
  success: boolean;
  mppeOk: boolean;
  output: string;
}

let confCounter = 0;

/** Runs eapol_test with the `network` block's lines; resolves when it exits (at most ~10 s). */
export function eapol(h: Pick<Harness, 'pki' | 'port'>, network: Record<string, string>, nas: keyof typeof NAS = 'acme', secret: string = NAS[nas].secret): Promise<EapolResult> {
  const conf = h.pki.path(`eapol-${process.pid}-${confCounter++}.conf`);
  const lines = Object.entries(network).map(([k, v]) => `  ${k}=${v}`);
  writeFileSync(conf, `network={\n  ssid="tenantdir"\n  key_mgmt=WPA-EAP\n${lines.join('\n')}\n}\n`);
  const args = ['-c', conf, '-a', '127.0.0.1', '-p', String(h.port), '-s', secret, '-A', NAS[nas].address, '-t', '8', '-r', '0'];
  return new Promise((resolve) => {
    execFile('eapol_test', args, { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 }, (_err, stdout) => {
      const out = String(stdout);
      resolve({ success: /\nSUCCESS\s*$/.test(out), mppeOk: /MPPE keys OK: 1 {2}mismatch: 0/.test(out), output: out });
    });
  });
}

export const q = (s: string): string => JSON.stringify(s);

export function ttlsPap(h: Pick<Harness, 'pki'>, identity: string, password: string): Record<string, string> {
  return { eap: 'TTLS', identity: q(identity), anonymous_identity: q('anonymous@acme'), password: q(password), ca_cert: q(h.pki.path('server-ca.crt')), phase2: q('auth=PAP') };
}

export function peapMschapv2(h: Pick<Harness, 'pki'>, identity: string, password: string): Record<string, string> {
  return { eap: 'PEAP', identity: q(identity), anonymous_identity: q('anonymous@acme'), password: q(password), ca_cert: q(h.pki.path('server-ca.crt')), phase1: q('peapver=0'), phase2: q('auth=MSCHAPV2') };
}

export function eapTls(h: Pick<Harness, 'pki'>, identity: string, cert: string): Record<string, string> {
  return { eap: 'TLS', identity: q(identity), ca_cert: q(h.pki.path('server-ca.crt')), client_cert: q(h.pki.path(`${cert}.crt`)), private_key: q(h.pki.path(`${cert}.key`)) };
}
