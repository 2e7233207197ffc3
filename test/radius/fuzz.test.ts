// Thousands of random and mutated datagrams (valid headers with broken attributes included),
// from a known NAS and from strangers; afterwards the front still answers a valid request.
import { createSocket } from 'node:dgram';
import test from 'ava';
import { ATTR, CODE, MS, VENDOR_MICROSOFT } from '../../src/radius/codec.ts';
import { exchange, NAS, papRequest, startFront } from './helpers.ts';

/** mulberry32: a seeded PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function header(code: number, body: Buffer, rand: () => number): Buffer {
  const h = Buffer.alloc(20);
  h[0] = code;
  h[1] = Math.floor(rand() * 256);
  h.writeUInt16BE(20 + body.length, 2);
  for (let i = 4; i < 20; i++) h[i] = Math.floor(rand() * 256);
  return Buffer.concat([h, body]);
}

function bytes(n: number, rand: () => number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** Well-framed packets whose attributes are nonsense of the kinds the handlers read. */
function structured(rand: () => number): Buffer {
  const attrs: Buffer[] = [];
  const n = Math.floor(rand() * 6);
  const pick = [ATTR.UserName, ATTR.UserPassword, ATTR.ChapPassword, ATTR.VendorSpecific, ATTR.EapMessage, ATTR.State, ATTR.AcctStatusType, ATTR.MessageAuthenticator];
  for (let i = 0; i < n; i++) {
    const type = pick[Math.floor(rand() * pick.length)]!;
    let value = bytes(Math.floor(rand() * 40), rand);
    if (type === ATTR.VendorSpecific) {
      const sub = bytes(Math.floor(rand() * 60), rand);
      const subType = [MS.ChapChallenge, MS.Chap2Response, MS.ChapResponse][Math.floor(rand() * 3)]!;
      value = Buffer.concat([Buffer.from([0, 0, 1, 55]), Buffer.from([subType, Math.min(255, sub.length + 2 + (rand() < 0.2 ? 3 : 0))]), sub]);
      value.writeUInt32BE(VENDOR_MICROSOFT, 0);
    }
    attrs.push(Buffer.concat([Buffer.from([type, Math.min(255, value.length + 2)]), value.subarray(0, 253)]));
  }
  return header([CODE.AccessRequest, CODE.AccountingRequest, CODE.StatusServer][Math.floor(rand() * 3)]!, Buffer.concat(attrs), rand);
}

function mutated(valid: Buffer, rand: () => number): Buffer {
  const p = Buffer.from(valid);
  switch (Math.floor(rand() * 6)) {
    case 0: // flip bytes anywhere
      for (let i = 0; i < 1 + rand() * 4; i++) p[Math.floor(rand() * p.length)]! ^= 1 + Math.floor(rand() * 255);
      return p;
    case 1: // truncate
      return p.subarray(0, Math.floor(rand() * p.length));
    case 2: // a Length field that lies
      p.writeUInt16BE(Math.floor(rand() * 70000) % 65536, 2);
      return p;
    case 3: { // an attribute length of 0, 1 or past the end
      const at = 20 + Math.floor(rand() * Math.max(1, p.length - 21));
      p[at + 1 < p.length ? at + 1 : at] = [0, 1, 255][Math.floor(rand() * 3)]!;
      return p;
    }
    case 4: // trailing garbage, possibly past 4096 bytes
      return Buffer.concat([p, bytes(Math.floor(rand() * 5000), rand)]);
    default: // an unknown or response code
      p[0] = [0, 2, 3, 5, 6, 11, 13, 40, 43, 255][Math.floor(rand() * 10)]!;
      return p;
  }
}

test('the front survives thousands of random and mutated packets and still answers', async (t) => {
  const h = await startFront();
  const rand = prng(0x7e4a17);
  const sockets = await Promise.all([NAS.acme.address, NAS.globex.address, NAS.unknown.address].map(async (address) => {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, address, resolve));
    return s;
  }));
  try {
    const valid = [
      papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: NAS.acme.secret }),
      papRequest({ user: 'gina', password: 'Engineer-Pass-77', secret: NAS.globex.secret, ma: false }),
    ];
    const TOTAL = 4000;
    // Packets that can get past the authenticators reach the handlers (and cost a bcrypt each,
    // at cost 10 for an unknown user): keep those to a few dozen, the rest cannot be authentic.
    let deep = 80;
    for (let i = 0; i < TOTAL; i++) {
      const r = rand();
      let packet: Buffer;
      let from = Math.floor(rand() * sockets.length);
      if (r < 0.25) packet = bytes(Math.floor(rand() * 300), rand);
      else if (r < 0.3) packet = bytes(4097 + Math.floor(rand() * 3000), rand);
      else if (r < 0.32 && deep > 0) { packet = structured(rand); deep--; from = 1; }
      else if (r < 0.36 && deep > 0) { packet = mutated(valid[1]!, rand); deep--; from = 1; }
      else packet = mutated(valid[0]!, rand);
      sockets[from]!.send(packet, rand() < 0.8 ? h.ports.auth : h.ports.acct, '127.0.0.1');
      // Let the event loop drain now and then, so the kernel buffer is not what drops them.
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stats = h.front.stats();
    const dropped = Object.values(stats.dropped).reduce((a, b) => a + (b ?? 0), 0);
    t.true(stats.received > TOTAL * 0.9, `received ${stats.received}`);
    t.true(dropped > TOTAL * 0.7, `dropped ${dropped}: ${JSON.stringify(stats.dropped)}`);
    for (const reason of ['too-short', 'bad-length', 'bad-attribute', 'oversized', 'unknown-code', 'unknown-client', 'bad-message-authenticator'] as const) {
      t.true((stats.dropped[reason] ?? 0) > 0, `no drop counted as ${reason}`);
    }
    const reply = await exchange({ from: NAS.acme.address, port: h.ports.auth, timeoutMs: 8000, packet: papRequest({ user: 'alice', password: 'Correct-Horse-9', secret: NAS.acme.secret }) });
    t.is(reply?.code, CODE.AccessAccept);
  } finally {
    for (const s of sockets) s.close();
    await h.close();
  }
});
