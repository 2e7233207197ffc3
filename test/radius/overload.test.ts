// Floods against the real UDP front (issue 9), made deterministic: the credential checks of the
// flooding tenant wait at a gate until the test opens it, so what is in flight is exactly what the
// limits let in, whatever the machine's load. Then: another tenant's request is answered, the
// excess is dropped and counted by reason, one log line per NAS and reason, and every held
// request is answered once the gate opens. Also: a check the directory refuses as throttled is
// dropped (the NAS retries), and one tenant's flood cannot evict another's cached replies.
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import test from 'ava';
import { generateNtResponse } from '../../src/core/mschapv2.ts';
import { ntHash, type AuthResult } from '../../src/directory/index.ts';
import type { RadiusDirectory } from '../../src/radius/index.ts';
import { ATTR, CODE, encodeRequest, MS, parsePacket, VENDOR_MICROSOFT, type Packet } from '../../src/radius/codec.ts';
import type { World } from '../helpers/world.ts';
import { ANSWER_MS, directoryWith, exchange, fixtureCopy, identifier, NAS, papRequest, startFront, until, type Harness } from './helpers.ts';

const GLOBEX_AP2 = { address: '127.0.0.5', secret: 'globex-ap2-secret-0123456789' };
const LIMITS = { inFlight: 20, inFlightPerTenant: 12, inFlightPerNas: 8, duplicateCacheBytesPerTenant: 65_536 };

let config: { dir: string; remove(): Promise<void> };
test.before(async () => {
  config = await fixtureCopy({
    'tenantdir.yaml': (s) => s.replace('radius:\n', `radius:\n  limits: ${JSON.stringify(LIMITS)}\n`),
    'tenants/globex.yaml': (s) => s.replace(/( {4}- \{ name: globex-ap,.*\n)/, `$1    - { name: globex-ap2, address: ${GLOBEX_AP2.address}/32, secret: ${GLOBEX_AP2.secret} }\n`),
  });
});
test.after.always(async () => { await config?.remove(); });

/**
 * The world's directory, except that while a tenant is held its credential checks wait at a gate
 * (the request stays in flight) until release(). `verdicts` answers a check instead of the
 * directory, first in first out (a scripted refusal).
 */
function gatedDirectory() {
  const held = new Set<string>();
  const verdicts: AuthResult[] = [];
  let gate = Promise.resolve();
  let open = (): void => {};
  const g = {
    waiting: 0,
    checks: 0,
    verdicts,
    hold(...tenants: string[]) {
      for (const t of tenants) held.add(t);
      gate = new Promise((resolve) => { open = resolve; });
    },
    release() {
      held.clear();
      open();
    },
    over(world: World): RadiusDirectory {
      return directoryWith(world, async (tenant, real) => {
        g.checks++;
        if (held.has(tenant.id)) {
          const wait = gate;
          g.waiting++;
          await wait;
          g.waiting--;
        }
        return verdicts.shift() ?? real();
      });
    },
  };
  return g;
}

/** A NAS: one UDP socket on its address, keeping every reply it gets. */
class Nas {
  readonly replies: Packet[] = [];

  private constructor(private readonly socket: Socket, private readonly port: number) {
    socket.on('message', (msg) => {
      const p = parsePacket(msg);
      if (p.ok) this.replies.push(p.packet);
    });
  }

  static async open(address: string, port: number): Promise<Nas> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(0, address, resolve); });
    return new Nas(socket, port);
  }

  /**
   * Sends `count` requests in batches, each batch once the front has read the one before (the
   * sender shares the front's event loop: sent all at once, they would overflow the socket buffer).
   */
  async flood(h: Harness, count: number, request: (i: number) => Buffer): Promise<void> {
    for (let sent = 0; sent < count;) {
      const batch = Math.min(100, count - sent);
      const target = h.front.stats().received + batch;
      for (let i = 0; i < batch; i++) this.socket.send(request(sent + i), this.port, '127.0.0.1');
      sent += batch;
      await until(() => h.front.stats().received >= target, `the front to read ${target} datagrams`);
    }
  }

  /** Sends one request from this NAS's socket (a second send of the same bytes is a retransmission). */
  send(packet: Buffer): void {
    this.socket.send(packet, this.port, '127.0.0.1');
  }

  close(): void {
    this.socket.close();
  }
}

function radclient(port: number, secret: string, attrs: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('radclient', ['-x', '-r', '1', '-t', '15', `127.0.0.1:${port}`, 'auth', secret], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`radclient cannot run (${String(err.code)}): run .ci/radius-deps.sh`));
      resolve(`${stdout}${stderr}`);
    });
    child.stdin?.end(`${attrs}\n`);
  });
}

const drops = (logs: Record<string, unknown>[], nas: string, reason: string) =>
  logs.filter((l) => l['event'] === 'radius.drop' && l['nas'] === nas && l['reason'] === reason);

test.serial('a flood from globex\'s NAS holds only its NAS\'s and its tenant\'s share: acme is answered, the excess dropped and counted, logged once', async (t) => {
  const gate = gatedDirectory();
  const h = await startFront({ configDir: config.dir, directory: (w) => gate.over(w) });
  const ap = await Nas.open(NAS.globex.address, h.ports.auth);
  const ap2 = await Nas.open(GLOBEX_AP2.address, h.ports.auth);
  try {
    gate.hold('globex');
    // 1,500 PAP requests from globex's access point: 8 (its NAS's limit) wait at the gate.
    await ap.flood(h, 1500, () => papRequest({ user: 'gina', password: 'Engineer-Pass-77', secret: NAS.globex.secret }));
    // 100 from its second one: 4 more, up to the tenant's 12.
    await ap2.flood(h, 100, () => papRequest({ user: 'gina', password: 'Engineer-Pass-77', secret: GLOBEX_AP2.secret }));
    await until(() => gate.waiting === 12, 'the held checks');
    let stats = h.front.stats();
    t.is(stats.inFlight, 12);
    t.is(stats.dropped['overloaded-nas'], 1492);
    t.is(stats.dropped['overloaded-tenant'], 96);
    t.is(ap.replies.length + ap2.replies.length, 0);

    // Meanwhile acme's request, from a real client, is worked on and answered.
    const acme = await radclient(h.ports.auth, NAS.acme.secret, 'User-Name = alice, User-Password = Correct-Horse-9, Message-Authenticator = 0x00');
    t.regex(acme, /Received Access-Accept/);

    // One log line per NAS and reason, however many packets (the rest counted in `suppressed` later).
    t.is(drops(h.logs, 'globex-ap', 'overloaded-nas').length, 1);
    t.is(drops(h.logs, 'globex-ap2', 'overloaded-tenant').length, 1);
    t.like(drops(h.logs, 'globex-ap', 'overloaded-nas')[0], { tenant: 'globex', outcome: 'dropped' });

    // The gate opens: every request that got in is answered, and the slots are free again.
    gate.release();
    await until(() => ap.replies.length === 8 && ap2.replies.length === 4, 'the held requests\' answers');
    t.true([...ap.replies, ...ap2.replies].every((r) => r.code === CODE.AccessAccept));
    await until(() => h.front.stats().inFlight === 0, 'the slots to be released');
    stats = h.front.stats();
    t.is(stats.accepted, 13);
  } finally {
    ap.close();
    ap2.close();
    await h.close();
  }
});

test.serial('the total limit holds over all tenants: beyond it every NAS is dropped as overloaded until slots free up', async (t) => {
  const gate = gatedDirectory();
  const h = await startFront({ configDir: config.dir, directory: (w) => gate.over(w) });
  const nas = await Promise.all([NAS.globex.address, GLOBEX_AP2.address, NAS.acme.address, NAS.msp.address].map((a) => Nas.open(a, h.ports.auth)));
  const [globexAp, globexAp2, acmeAp, msp] = nas as [Nas, Nas, Nas, Nas];
  try {
    gate.hold('globex', 'acme');
    await globexAp.flood(h, 20, () => papRequest({ user: 'gina', password: 'Engineer-Pass-77', secret: NAS.globex.secret }));
    await globexAp2.flood(h, 20, () => papRequest({ user: 'gina', password: 'Engineer-Pass-77', secret: GLOBEX_AP2.secret }));
    await acmeAp.flood(h, 20, () => papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: NAS.acme.secret }));
    await until(() => gate.waiting === 20, 'the held checks');
    // acme holds 8 of its 12 and the MSP-wide NAS none of its 8, but the total of 20 is reached.
    await msp.flood(h, 10, () => papRequest({ user: 'bob@acme', password: 'Battery-Staple-7', secret: NAS.msp.secret }));
    const stats = h.front.stats();
    t.is(stats.inFlight, 20);
    t.is(stats.dropped.overloaded, 10);
    t.is(drops(h.logs, 'msp-core', 'overloaded').length, 1);
    gate.release();
    await until(() => globexAp.replies.length + globexAp2.replies.length + acmeAp.replies.length === 20, 'the held requests\' answers');
    await until(() => h.front.stats().inFlight === 0, 'the slots to be released');
    // Free again: the MSP-wide NAS is answered now.
    const again = await exchange({ from: NAS.msp.address, port: h.ports.auth, packet: papRequest({ user: 'bob@acme', password: 'Battery-Staple-7', secret: NAS.msp.secret }), timeoutMs: ANSWER_MS });
    t.is(again?.code, CODE.AccessAccept);
  } finally {
    for (const n of nas) n.close();
    await h.close();
  }
});

function mschapv2Request(user: string, password: string): Buffer {
  const authChallenge = Buffer.alloc(16, 7);
  const peerChallenge = Buffer.alloc(16, 9);
  const ntResponse = generateNtResponse(authChallenge, peerChallenge, user, Buffer.from(ntHash(password), 'hex'));
  return encodeRequest({
    code: CODE.AccessRequest, identifier: identifier(), secret: NAS.acme.secret, messageAuthenticator: true,
    attributes: [
      { type: ATTR.UserName, value: Buffer.from(user) },
      { type: MS.ChapChallenge, vendor: VENDOR_MICROSOFT, value: authChallenge },
      { type: MS.Chap2Response, vendor: VENDOR_MICROSOFT, value: Buffer.concat([Buffer.from([1, 0]), peerChallenge, Buffer.alloc(8), ntResponse]) },
    ],
  });
}

test.serial('a check the directory refuses as throttled is dropped, not rejected (PAP, MS-CHAPv2); its retransmission is worked on afresh', async (t) => {
  const gate = gatedDirectory();
  const h = await startFront({ configDir: config.dir, directory: (w) => gate.over(w) });
  const ap = await Nas.open(NAS.acme.address, h.ports.auth);
  try {
    for (const request of [papRequest({ user: 'alice', password: 'Correct-Horse-9', secret: NAS.acme.secret }), mschapv2Request('alice', 'Correct-Horse-9')]) {
      const before = h.front.stats().dropped.throttled ?? 0;
      const answered = ap.replies.length;
      gate.verdicts.push({ ok: false, reason: 'throttled' });
      ap.send(request);
      await until(() => h.front.stats().dropped.throttled === before + 1, 'the throttled drop');
      t.is(ap.replies.length, answered, 'no answer');
      // The NAS retransmits the very same packet: not a duplicate of a cached answer, checked again.
      ap.send(request);
      await until(() => ap.replies.length === answered + 1, 'the retransmission\'s answer');
      t.is(ap.replies.at(-1)?.code, CODE.AccessAccept);
    }
    t.is(h.front.stats().duplicates, 0);
    t.is(gate.checks, 4);
    // 'too-long' is an answer like any refusal: Access-Reject.
    gate.verdicts.push({ ok: false, reason: 'too-long' });
    const long = await exchange({ from: NAS.acme.address, port: h.ports.auth, packet: papRequest({ user: 'alice', password: 'Correct-Horse-9', secret: NAS.acme.secret }), timeoutMs: ANSWER_MS });
    t.is(long?.code, CODE.AccessReject);
    t.true(h.logs.some((l) => l['event'] === 'radius.auth' && l['reason'] === 'too-long' && l['outcome'] === 'reject'));
    t.is(drops(h.logs, 'acme-ap', 'throttled').length, 1, 'logged once for the NAS, counted each time');
  } finally {
    ap.close();
    await h.close();
  }
});

test.serial('a User-Password over 128 bytes is refused before any check', async (t) => {
  const gate = gatedDirectory();
  const h = await startFront({ configDir: config.dir, directory: (w) => gate.over(w) });
  try {
    const reply = await exchange({ from: NAS.acme.address, port: h.ports.auth, packet: papRequest({ user: 'alice', password: 'x'.repeat(129), secret: NAS.acme.secret }), timeoutMs: ANSWER_MS });
    t.is(reply?.code, CODE.AccessReject);
    t.is(gate.checks, 0);
    const [event] = await h.world.store.tenant('acme').audit.list({ action: 'radius.auth', target: 'alice', limit: 1 });
    t.like(event, { outcome: 'refused', reason: 'too-long' });
  } finally {
    await h.close();
  }
});

test.serial('one tenant\'s flood cannot evict another\'s cached replies: acme\'s retransmission is still answered from the cache', async (t) => {
  const h = await startFront({ configDir: config.dir });
  const ap = await Nas.open(NAS.globex.address, h.ports.auth);
  const acme = await Nas.open(NAS.acme.address, h.ports.auth);
  try {
    const first = papRequest({ user: 'alice', password: 'Correct-Horse-9', secret: NAS.acme.secret });
    acme.send(first);
    await until(() => acme.replies.length === 1, 'acme\'s answer');
    const reply = acme.replies[0];
    t.is(reply?.code, CODE.AccessAccept);
    // globex's NAS sends 600 requests with a large Proxy-State, each refused without a lookup
    // (a foreign realm) and cached: far more bytes than globex's 64 KiB.
    const proxyState = { type: ATTR.ProxyState, value: Buffer.alloc(253, 0x70) };
    const flood: Buffer[] = [];
    for (let sent = 0; sent < 600; sent += 50) {
      await ap.flood(h, 50, () => {
        const p = papRequest({ user: 'gina@acme.example', password: 'Engineer-Pass-77', secret: NAS.globex.secret, attributes: [proxyState] });
        flood.push(p);
        return p;
      });
      await until(() => ap.replies.length === sent + 50, 'globex\'s answers');
    }
    t.true(ap.replies.every((r) => r.code === CODE.AccessReject));
    const before = h.front.stats().duplicates;
    acme.send(first);
    await until(() => acme.replies.length === 2, 'acme\'s retransmission answered');
    t.deepEqual(acme.replies[1]?.bytes, reply!.bytes, 'the very reply that was cached');
    t.is(h.front.stats().duplicates, before + 1);
    // globex's own oldest entries went; its newest stay.
    await ap.flood(h, 1, () => flood[0]!);
    await ap.flood(h, 1, () => flood[599]!);
    await until(() => ap.replies.length === 602, 'globex\'s retransmissions answered');
    t.is(h.front.stats().duplicates, before + 2);
  } finally {
    ap.close();
    acme.close();
    await h.close();
  }
});
