// End-to-end harness: the real RADIUS front over the fixture world with an EapServer behind it,
// the test PKI, and eapol_test (Debian eapoltest) as the supplicant. Every wait is bounded.
// eapol_test's exit status counts: a missing or broken eapol_test fails every test, and a negative
// test asserts the Access-Reject and the reason the server logged (failedWith).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { createLogger, type Logger } from '../../src/core/log.ts';
import { EapServer, type EapServerOptions } from '../../src/eap/index.ts';
import { RadiusFront, type RadiusDirectory } from '../../src/radius/index.ts';
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
  acctPort: number;
  /** The server's log lines, parsed (empty when the caller gave its own logger). */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A debug logger that keeps every line, parsed, in `lines`. */
export function capturingLogger(lines: Record<string, unknown>[]): Logger {
  return createLogger({ level: 'debug', destination: { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } } });
}

export async function startHarness(o: {
  serverCert?: 'server' | 'long'; logger?: Logger; eap?: Partial<EapServerOptions>;
  /** A PKI to share (the caller removes it); default: a new one, removed on close. */
  pki?: Pki;
  /** Another configuration (a copy of FIXTURE with edits); default: FIXTURE. */
  configDir?: string;
  /** The directory the front uses, made over the world (default: the world's own). */
  directory?: (world: World) => RadiusDirectory;
} = {}): Promise<Harness> {
  const pki = o.pki ?? makePki();
  const logs: Record<string, unknown>[] = [];
  const logger = o.logger ?? capturingLogger(logs);
  const world = await makeWorld({ configDir: o.configDir ?? FIXTURE, logger });
  const cert = o.serverCert === 'long' ? 'long-chain.crt' : 'server.crt';
  const key = o.serverCert === 'long' ? 'long.key' : 'server.key';
  const eap = new EapServer({
    logger,
    tls: { cert: pki.read(cert), key: pki.read(key) },
    settings: (id) => (id === 'acme' ? { clientCa: pki.read('acme-ca.crt'), crl: pki.read('acme.crl') } : undefined),
    ...o.eap,
  });
  const front = new RadiusFront({ live: world.live, directory: o.directory?.(world) ?? world.directory, logger, eap });
  const { auth, acct } = await front.listen();
  return {
    pki, world, eap, port: auth, acctPort: acct, logs,
    close: async () => {
      await front.close();
      eap.close();
      await world.close();
      if (!o.pki) pki.remove();
    },
  };
}

export interface EapolResult {
  /** eapol_test's exit status: 0 only when authentication succeeded. */
  code: number;
  /** Exit status 0 and SUCCESS printed. */
  success: boolean;
  mppeOk: boolean;
  output: string;
  /** The outer identity of this run, made unique so the server's log lines can be told apart. */
  outer: string;
  /** The Access-Accept's attributes as eapol_test printed them, by number, as text (octets decoded). */
  accept: Map<number, string[]>;
}

let runCounter = 0;

/** `anonymous@acme` → `anonymous+7@acme`: the same realm, another label. */
function tagged(identity: string, n: number): string {
  const plain = unq(identity);
  const at = plain.lastIndexOf('@');
  return q(at < 0 ? `${plain}+${n}` : `${plain.slice(0, at)}+${n}${plain.slice(at)}`);
}

/** The attributes of the last Access-Accept in eapol_test's debug output. */
function acceptAttributes(out: string): Map<number, string[]> {
  const attrs = new Map<number, string[]>();
  const start = out.lastIndexOf('(Access-Accept)');
  if (start < 0) return attrs;
  const re = /^ {3}Attribute (\d+) \([^)]*\) length=\d+\n {6}Value: (.*)$/gm;
  re.lastIndex = start;
  for (let m = re.exec(out); m && !out.slice(start, m.index).includes('\nSTA '); m = re.exec(out)) {
    // Strings come quoted, octets (Class) as hex.
    const v = m[2]!.startsWith("'") ? m[2]!.slice(1, -1) : Buffer.from(m[2]!, 'hex').toString('latin1');
    attrs.set(Number(m[1]), [...(attrs.get(Number(m[1])) ?? []), v]);
  }
  return attrs;
}

/**
 * Runs eapol_test with the `network` block's lines; resolves when it exits (at most
 * `timeoutSeconds` + 2 s; a run that waits for a RADIUS retransmission, 3 s, may want more).
 * The outer identity (anonymous_identity, else identity) gets a unique tag. Rejects when
 * eapol_test cannot run at all (missing: run .ci/radius-deps.sh), so no test passes without it.
 */
export function eapol(
  h: Pick<Harness, 'pki' | 'port'>, network: Record<string, string>, nas: keyof typeof NAS = 'acme', secret: string = NAS[nas].secret, timeoutSeconds = 8,
): Promise<EapolResult> {
  const n = runCounter++;
  const outerKey = network['anonymous_identity'] ? 'anonymous_identity' : 'identity';
  const net = { ...network, [outerKey]: tagged(network[outerKey] ?? '"anonymous"', n) };
  const outer = unq(net[outerKey]!);
  const conf = h.pki.path(`eapol-${process.pid}-${n}.conf`);
  const lines = Object.entries(net).map(([k, v]) => `  ${k}=${v}`);
  writeFileSync(conf, `network={\n  ssid="tenantdir"\n  key_mgmt=WPA-EAP\n${lines.join('\n')}\n}\n`);
  const args = ['-c', conf, '-a', '127.0.0.1', '-p', String(h.port), '-s', secret, '-A', NAS[nas].address, '-t', String(timeoutSeconds), '-r', '0'];
  return new Promise((resolve, reject) => {
    execFile('eapol_test', args, { timeout: (timeoutSeconds + 2) * 1000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      const out = String(stdout);
      const code = err ? err.code : 0;
      if (typeof code !== 'number') {
        reject(new Error(`eapol_test did not run (${String(code ?? err?.signal)}): install it with .ci/radius-deps.sh\n${out.slice(-500)}`));
        return;
      }
      resolve({
        code, success: code === 0 && /\nSUCCESS\s*$/.test(out), mppeOk: /MPPE keys OK: 1 {2}mismatch: 0/.test(out), output: out, outer,
        accept: acceptAttributes(out),
      });
    });
  });
}

/** The server's log lines about one run: EAP's (by outer identity) and the front's refusals. */
export function serverLines(logs: readonly Record<string, unknown>[], r: EapolResult): Record<string, unknown>[] {
  return logs.filter((l) => l['outer'] === r.outer || (l['event'] === 'radius.auth' && l['user'] === r.outer));
}

/**
 * A negative run, proven: eapol_test exited non-zero after an Access-Reject from the server
 * (not a timeout), and the server logged a reason matching `reason` for this very run.
 */
export function failedWith(t: ExecutionContext, logs: readonly Record<string, unknown>[], r: EapolResult, reason: RegExp): void {
  t.not(r.code, 0, r.output.slice(-1500));
  t.regex(r.output, /code=3 \(Access-Reject\)/, 'the server answered with Access-Reject');
  t.regex(r.output, /\nFAILURE\s*$/);
  const reasons = serverLines(logs, r).map((l) => String(l['reason'] ?? '')).filter(Boolean);
  t.true(reasons.some((x) => reason.test(x)), `server reasons for ${r.outer}: ${JSON.stringify(reasons)}; expected ${String(reason)}`);
}

/** A quoted wpa_supplicant string: taken literally (a backslash is a backslash), so no quotes inside. */
export function q(s: string): string {
  if (/["\n]/.test(s)) throw new Error(`cannot quote ${s} for wpa_supplicant`);
  return `"${s}"`;
}

const unq = (v: string): string => v.replace(/^"|"$/g, '');

export function ttlsPap(h: Pick<Harness, 'pki'>, identity: string, password: string): Record<string, string> {
  return { eap: 'TTLS', identity: q(identity), anonymous_identity: q('anonymous@acme'), password: q(password), ca_cert: q(h.pki.path('server-ca.crt')), phase2: q('auth=PAP') };
}

export function peapMschapv2(h: Pick<Harness, 'pki'>, identity: string, password: string): Record<string, string> {
  return { eap: 'PEAP', identity: q(identity), anonymous_identity: q('anonymous@acme'), password: q(password), ca_cert: q(h.pki.path('server-ca.crt')), phase1: q('peapver=0'), phase2: q('auth=MSCHAPV2') };
}

export function eapTls(h: Pick<Harness, 'pki'>, identity: string, cert: string): Record<string, string> {
  return { eap: 'TLS', identity: q(identity), ca_cert: q(h.pki.path('server-ca.crt')), client_cert: q(h.pki.path(`${cert}.crt`)), private_key: q(h.pki.path(`${cert}.key`)) };
}
