// EAP benchmark: complete TTLS/PAP and PEAP/MSCHAPv2 authentications per second with concurrent
// eapol_test runs, against tenantdir (RADIUS front + EapServer, in this process) and FreeRADIUS
// (Debian's freeradius, default EAP config with the same certificate), on the same machine in
// the same run. Also the server CPU time per authentication, since the supplicants share the CPUs.
//
//   npx tsx bench/eap/run.ts [--seconds 10] [--concurrency 8]
//
// Needs: apt-get install eapoltest freeradius. tenantdir's users have bcrypt cost 4 (the test
// world); FreeRADIUS has the same password in cleartext in its users file.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { makePki, type Pki } from '../../test/eap/certs.ts';
import { NAS, eapol, peapMschapv2, q, ttlsPap } from '../../test/eap/harness.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '8' } } });
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const FREERADIUS_PORT = 18_612;
const FREERADIUS_SECRET = 'testing123';
const CLK_TCK = 100;

interface Target {
  name: string;
  port: number;
  secret: string;
  /** Server CPU time so far, in ms. */
  cpuMs(): number;
}

/** FreeRADIUS with Debian's default config, our certificate, alice in its users file. */
async function startFreeradius(pki: Pki): Promise<{ proc: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tenantdir-bench-freeradius-'));
  cpSync('/etc/freeradius/3.0', dir, { recursive: true, verbatimSymlinks: true });
  const edit = (file: string, f: (s: string) => string): void => writeFileSync(join(dir, file), f(readFileSync(join(dir, file), 'utf8')));
  edit('radiusd.conf', (s) => s.replace(/^\s*(user|group) = freerad$/gm, ''));
  edit('mods-available/eap', (s) => s
    .replace(/private_key_password = whatever/, '')
    .replace(/private_key_file = \S+/, `private_key_file = ${pki.path('server.key')}`)
    .replace(/certificate_file = \S+/, `certificate_file = ${pki.path('server.crt')}`)
    .replace(/ca_file = \/etc\/ssl\S+/, `ca_file = ${pki.path('server-ca.crt')}`));
  let n = 0;
  edit('sites-available/default', (s) => s.replace(/^(\s*)port = 0$/gm, (_m, indent: string) => `${indent}port = ${FREERADIUS_PORT + n++}`));
  edit('sites-available/inner-tunnel', (s) => s.replace(/port = 18120/, `port = ${FREERADIUS_PORT + 10}`));
  edit('mods-config/files/authorize', (s) => `alice Cleartext-Password := "Correct-Horse-9"\n${s}`);
  const proc = spawn('/usr/sbin/freeradius', ['-f', '-d', dir, '-l', 'stdout'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await started(proc, /Ready to process requests/, 'FreeRADIUS');
  return { proc, dir };
}

function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Starts a process and waits (bounded) for a line matching `ready` on its stdout. */
function started(proc: ChildProcess, ready: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 15 s`)), 15_000);
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}): ${out.slice(-2000)}`)); });
  });
}

/** tenantdir in its own process (bench/eap/tenantdir-server.ts). */
async function startTenantdir(pki: Pki): Promise<{ proc: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL('./tenantdir-server.ts', import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', script, pki.dir], { stdio: ['pipe', 'pipe', 'inherit'] });
  const m = await started(proc, /port (\d+)/, 'tenantdir');
  return { proc, port: Number(m[1]) };
}

async function measure(pki: Pki, target: Target, network: Record<string, string>): Promise<{ ok: number; failed: number; seconds: number; cpuMs: number; p50: number }> {
  let ok = 0;
  let failed = 0;
  const latencies: number[] = [];
  const cpu0 = target.cpuMs();
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const start = performance.now();
      const r = await eapol({ pki, port: target.port }, network, 'acme', target.secret);
      latencies.push(performance.now() - start);
      if (r.success && r.mppeOk) ok++;
      else failed++;
    }
  }));
  latencies.sort((a, b) => a - b);
  return { ok, failed, seconds: (performance.now() - t0) / 1000, cpuMs: target.cpuMs() - cpu0, p50: latencies[latencies.length >> 1] ?? 0 };
}

const pki = makePki();
const td = await startTenantdir(pki);
const fr = await startFreeradius(pki);
try {
  const targets: Target[] = [
    { name: 'tenantdir', port: td.port, secret: NAS.acme.secret, cpuMs: () => procCpuMs(td.proc.pid ?? 0) },
    { name: 'FreeRADIUS 3.2', port: FREERADIUS_PORT, secret: FREERADIUS_SECRET, cpuMs: () => procCpuMs(fr.proc.pid ?? 0) },
  ];
  // FreeRADIUS's default policy rejects a realm without a dot (filter_username): no realm here.
  const anonymous = { anonymous_identity: q('anonymous') };
  const methods: [string, Record<string, string>][] = [
    ['TTLS/PAP', { ...ttlsPap({ pki }, 'alice', 'Correct-Horse-9'), ...anonymous }],
    ['PEAP/MSCHAPv2', { ...peapMschapv2({ pki }, 'alice', 'Correct-Horse-9'), ...anonymous }],
  ];
  console.log(`${CONCURRENCY} concurrent eapol_test runs, ${SECONDS} s each; TLS 1.2 (eapol_test's default for TTLS/PEAP)\n`);
  console.log('| method | server | auths/s | failed | p50 ms per authentication | server CPU ms/auth |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const [method, network] of methods) {
    for (const target of targets) {
      const r = await measure(pki, target, network);
      const rate = r.ok / r.seconds;
      console.log(`| ${method} | ${target.name} | ${rate.toFixed(1)} | ${r.failed} | ${r.p50.toFixed(0)} | ${r.ok ? (r.cpuMs / r.ok).toFixed(2) : '-'} |`);
    }
  }
} finally {
  fr.proc.kill('SIGTERM');
  td.proc.stdin?.end();
  rmSync(fr.dir, { recursive: true, force: true });
  pki.remove();
}
