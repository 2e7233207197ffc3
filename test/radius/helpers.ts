// A RADIUS front over the fixture world, a UDP client that can send from any loopback address,
// and request builders. Every wait is bounded.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Registry, type TenantConfig } from '../../src/config/index.ts';
import type { AuthResult, TenantDirectory } from '../../src/directory/index.ts';
import { createLogger } from '../../src/core/log.ts';
import type { TokenRate } from '../../src/directory/index.ts';
import { RadiusFront, type EapHandler, type RadiusDirectory } from '../../src/radius/index.ts';
import { ATTR, CODE, encodeRequest, parsePacket, type OutAttribute, type Packet } from '../../src/radius/codec.ts';
import { makeWorld, type World } from '../helpers/world.ts';

export const FIXTURE = fileURLToPath(new URL('./fixtures/config', import.meta.url));
const PYRAD_CLIENT = fileURLToPath(new URL('./interop/pyrad_client.py', import.meta.url));

export const NAS = {
  acme: { address: '127.0.0.1', secret: 'acme-ap-secret-0123456789' },
  globex: { address: '127.0.0.2', secret: 'globex-ap-secret-0123456789' },
  msp: { address: '127.0.0.3', secret: 'msp-core-secret-0123456789' },
  unknown: { address: '127.0.0.4', secret: 'whatever-secret-0123456789' },
} as const;

export interface Harness {
  world: World;
  front: RadiusFront;
  ports: { auth: number; acct: number };
  logs: Record<string, unknown>[];
  /** The raw log text, to check that no secret ever reaches it. */
  logText(): string;
  close(): Promise<void>;
}

export async function startFront(o: {
  configDir?: string; eap?: EapHandler; duplicateWindowMs?: number; mabRate?: TokenRate;
  /** The directory the front uses, made over the world (default: the world's own). */
  directory?: (world: World) => RadiusDirectory;
  /** Watch for suspicious activity with the tenants' thresholds, as the daemon does. */
  security?: boolean;
} = {}): Promise<Harness> {
  const logs: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (s: string) => { raw.push(s); logs.push(JSON.parse(s) as Record<string, unknown>); } },
  });
  const world = await makeWorld({ configDir: o.configDir ?? FIXTURE, logger, ...(o.security ? { security: true } : {}) });
  const front = new RadiusFront({
    live: world.live, directory: o.directory?.(world) ?? world.directory, logger,
    ...(o.eap ? { eap: o.eap } : {}),
    ...(o.duplicateWindowMs === undefined ? {} : { duplicateWindowMs: o.duplicateWindowMs }),
    ...(o.mabRate ? { mabRate: o.mabRate } : {}),
  });
  const ports = await front.listen();
  return {
    world, front, ports, logs,
    logText: () => raw.join(''),
    close: async () => { await front.close(); await world.close(); },
  };
}

type Authenticate = TenantDirectory['authenticate'];

/**
 * The world's directory with its credential checks going through `check`, which may answer
 * itself (a scripted refusal) or wait (a gate) and then call `real`.
 */
export function directoryWith(world: World, check: (tenant: TenantConfig, real: () => Promise<AuthResult>, uid: string) => Promise<AuthResult>): RadiusDirectory {
  return {
    refuseWithoutTenant: world.directory.refuseWithoutTenant.bind(world.directory),
    tenant: (t) => {
      const d = world.directory.tenant(t);
      const authenticate: Authenticate = (uid, proof, actor, carrier) => check(t, () => d.authenticate(uid, proof, actor, carrier), uid);
      return {
        authenticate,
        completeChallenge: d.completeChallenge.bind(d),
        authenticateDevice: d.authenticateDevice.bind(d),
        audit: d.audit.bind(d),
        getUser: d.getUser.bind(d),
        groupsOf: d.groupsOf.bind(d),
        recordAccounting: d.recordAccounting.bind(d),
        recordLogin: d.recordLogin.bind(d),
      };
    },
  };
}

/** How long to wait for an answer that must come: a bound, generous for a loaded CI box. */
export const ANSWER_MS = 15_000;

/** Sends one datagram from `from` and waits (bounded) for one answer; undefined on silence. */
export async function exchange(o: { from: string; port: number; host?: string; packet: Buffer; timeoutMs?: number }): Promise<Packet | undefined> {
  const socket = createSocket(o.from.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(0, o.from, resolve); });
    return await new Promise<Packet | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), o.timeoutMs ?? 2000);
      socket.on('message', (msg) => {
        clearTimeout(timer);
        const parsed = parsePacket(msg);
        resolve(parsed.ok ? parsed.packet : undefined);
      });
      socket.send(o.packet, o.port, o.host ?? (o.from.includes(':') ? '::1' : '127.0.0.1'));
    });
  } finally {
    socket.close();
  }
}

/** Polls `done` every few ms, up to `ms`: a bound for what must happen, not a timing assertion. */
export async function until(done: () => boolean, what: string, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !done();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let nextId = 0;
export function identifier(): number {
  nextId = (nextId + 1) % 256;
  return nextId;
}

export function papRequest(o: { user: string; password: string; secret: string; ma?: boolean; attributes?: OutAttribute[] }): Buffer {
  return encodeRequest({
    code: CODE.AccessRequest,
    identifier: identifier(),
    secret: o.secret,
    password: o.password,
    messageAuthenticator: o.ma ?? true,
    attributes: [{ type: ATTR.UserName, value: Buffer.from(o.user) }, { name: 'NAS-Port', value: 1 }, ...(o.attributes ?? [])],
  });
}

export function accountingRequest(o: { secret: string; status: string; session: string; user?: string; attributes?: OutAttribute[] }): Buffer {
  return encodeRequest({
    code: CODE.AccountingRequest,
    identifier: identifier(),
    secret: o.secret,
    attributes: [
      { name: 'Acct-Status-Type', value: o.status },
      { name: 'Acct-Session-Id', value: o.session },
      ...(o.user ? [{ name: 'User-Name', value: o.user }] : []),
      ...(o.attributes ?? []),
    ],
  });
}

/** A copy of the fixture config in a temp dir, with `edit` applied to one file's text. */
export async function fixtureCopy(edits: Record<string, (text: string) => string> = {}): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-radius-'));
  await cp(FIXTURE, dir, { recursive: true });
  for (const [file, edit] of Object.entries(edits)) {
    const path = join(dir, file);
    await writeFile(path, edit(await readFile(path, 'utf8')));
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function loadRegistry(dir: string): Promise<Registry> {
  const loaded = await loadConfig(dir);
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
  return loaded.registry;
}

/** Vendor sub-attribute values of a reply, by vendor and type. */
export function vendorValues(p: Packet, vendor: number, type: number): Buffer[] {
  const out: Buffer[] = [];
  for (const v of p.all(ATTR.VendorSpecific)) {
    if (v.readUInt32BE(0) === vendor && v[4] === type) out.push(v.subarray(6, 4 + v[5]!));
  }
  return out;
}

/** Runs a client tool (radclient, pyrad) with `input` on stdin, bounded; rejects only when it cannot run at all. */
export function runClient(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 8000 }, (err, stdout, stderr) => {
      if (err && typeof err.code === 'string') return reject(new Error(`${cmd} cannot run (${err.code}): run .ci/radius-deps.sh`));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(input ?? '');
  });
}

/** One exchange by interop/pyrad_client.py (its arguments as JSON); its answer's attributes. */
export async function pyrad(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await runClient('/usr/bin/python3', [PYRAD_CLIENT, JSON.stringify(args)]);
  try {
    return JSON.parse(r.out.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    throw new Error(`pyrad client failed:\n${r.out}`);
  }
}
