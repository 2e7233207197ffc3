// The daemon under probe: a two-tenant config (acme, globex; memory store; every listener on
// 127.0.0.1, port 0) written in the config format that both the tree before issue 9 (ab8d4ec) and
// main read, and `node TREE/bin/tenantdir.js serve --config DIR` started from the given tree,
// with its RSS sampled from /proc/PID/status.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';

export const PASSWORD = 'Correct-Horse-Battery-9';
export const TOKENS = { ops: 'dosbench-ops-token-0123456789abcdef', acmeAdmin: 'dosbench-acme-admin-token-0123456789' };
/** Where each client of the probes sits: every NAS is one loopback address. */
export const NAS = {
  /** globex's access point: the victim's PAP comes from here. */
  globex: { address: '127.0.0.1', secret: 'globex-radius-secret-0123456789' },
  /** A second globex NAS: the RADIUS flood comes from globex's own NAS. */
  globexFlood: { address: '127.0.0.3', secret: 'globex-flood-secret-0123456789' },
  /** acme's access point: its valid requests during the flood, the attacker's wrong PAPs. */
  acme: { address: '127.0.0.2', secret: 'acme-radius-secret-0123456789' },
  /** acme's other NAS: the locked-out user's own one. */
  acmeOwn: { address: '127.0.0.4', secret: 'acme-own-secret-0123456789' },
} as const;
/** Five more acme NAS entries (127.0.0.10–14) for the EAP flood. */
export const EAP_FLOOD_NAS = [10, 11, 12, 13, 14].map((n) => ({ address: `127.0.0.${n}`, secret: `acme-eap-${n}-secret-0123456789` }));
export const WRONG_PASSWORD_USERS = Array.from({ length: 30 }, (_, i) => `k${String(i + 1).padStart(2, '0')}`);
/** Users with no role in a probe but to make acme's whole-tree search answers large. */
const FILLER_USERS = 100;

export const dn = (uid: string, tenant = 'acme') => `uid=${uid},ou=people,dc=${tenant},dc=example`;

const nasYaml = (list: readonly { address: string; secret: string }[], name: string) =>
  list.map((n, i) => `    - { name: ${name}-${i}, address: ${n.address}/32, secret: ${n.secret} }`).join('\n');

/** Writes the config into a new directory (the dev certificate for LDAPS is made there at first start). */
export async function writeConfig(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-dosbench-'));
  await mkdir(join(dir, 'tenants'));
  // One hash at the default cost (12), shared by every user: the daemon hashes nothing at start.
  const hash = await bcrypt.hash(PASSWORD, 12);
  const user = (uid: string) => `      - { uid: ${uid}, cn: ${uid}, sn: ${uid}, passwordHash: "${hash}" }`;
  const acmeUsers = ['alice', 'carol', 'erin', ...WRONG_PASSWORD_USERS, ...Array.from({ length: FILLER_USERS }, (_, i) => `filler${i}`)];
  await writeFile(join(dir, 'tenantdir.yaml'), `listen:
  ldap: { port: 0, host: 127.0.0.1 }
  ldaps: { port: 0, host: 127.0.0.1 }
  radius: { auth: 0, acct: 0, host: 127.0.0.1 }
  http: { port: 0, host: 127.0.0.1 }
storage:
  seed: seed.yaml
log:
  level: info
admins:
  - { name: ops, token: ${TOKENS.ops}, role: msp-admin }
  - { name: acme-it, token: ${TOKENS.acmeAdmin}, role: tenant-admin, tenants: [acme] }
`);
  const lockout = 'passwordPolicy:\n  lockout: { threshold: 5, windowMinutes: 15, durationMinutes: 15 }\n';
  await writeFile(join(dir, 'tenants', 'acme.yaml'), `id: acme
name: Acme Corp
baseDN: dc=acme,dc=example
radius:
  clients:
${nasYaml([NAS.acme, NAS.acmeOwn, ...EAP_FLOOD_NAS], 'acme')}
${lockout}`);
  await writeFile(join(dir, 'tenants', 'globex.yaml'), `id: globex
name: Globex
baseDN: dc=globex,dc=example
radius:
  clients:
${nasYaml([NAS.globex, NAS.globexFlood], 'globex')}
  # What an MS-CHAPv2 Accept adds (MS-CHAP2-Success, MPPE keys), as one long attribute: with
  # enough Proxy-State in the request, the reply-too-large probe's Access-Accept passes 4,096 bytes.
  replyAttributes: [ { attribute: Filter-Id, value: ${'f'.repeat(200)} } ]
${lockout}`);
  await writeFile(join(dir, 'seed.yaml'), `tenants:
  acme:
    users:
${acmeUsers.map(user).join('\n')}
  globex:
    users:
${user('gina')}
`);
  return dir;
}

export interface Ports {
  ldap: number;
  ldaps?: number;
  radiusAuth: number;
  http: number;
}

export interface Daemon {
  pid: number;
  ports: Ports;
  alive(): boolean;
  /** How it ended, once it has: exit code or signal, and the last of its stderr. */
  death(): string | undefined;
  stop(): Promise<void>;
}

/** Starts `tenantdir serve` from `tree` and resolves once it has logged daemon.start (bounded). */
export async function startDaemon(tree: string, configDir: string, startMs = 60_000): Promise<Daemon> {
  const child: ChildProcess = spawn(process.execPath, [join(tree, 'bin/tenantdir.js'), 'serve', '--config', configDir], {
    cwd: tree, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TENANTDIR_DATA: configDir },
  });
  let exited: string | undefined;
  let stderrTail = '';
  child.stderr!.on('data', (b: Buffer) => (stderrTail = (stderrTail + b.toString()).slice(-2000)));
  child.on('exit', (code, signal) => (exited = `exit ${code ?? signal}: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`));
  const ports = await new Promise<Ports>((resolve, reject) => {
    let head = '';
    const timer = setTimeout(() => reject(new Error(`${tree}: no daemon.start within ${startMs} ms: ${stderrTail}`)), startMs);
    const onData = (b: Buffer) => {
      const lines = (head + b.toString()).split('\n');
      head = lines.pop()!;
      for (const line of lines) {
        if (!line.includes('"daemon.start"')) continue;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // the rest of the log is drained unread
        resolve((JSON.parse(line) as { ports: Ports }).ports);
        return;
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', () => { clearTimeout(timer); reject(new Error(`${tree}: the daemon exited at start: ${stderrTail}`)); });
  });
  return {
    pid: child.pid!,
    ports,
    alive: () => exited === undefined,
    death: () => exited,
    stop: async () => {
      if (exited !== undefined) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/** The daemon's resident memory in MB, sampled every `everyMs` until stop(). */
export class RssSampler {
  peakMb = 0;
  lastMb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, everyMs = 100) {
    this.timer = setInterval(() => void this.sample(), everyMs);
    void this.sample();
  }

  async sample(): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    if (kb) {
      this.lastMb = kb / 1024;
      this.peakMb = Math.max(this.peakMb, this.lastMb);
    }
    return kb / 1024;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
