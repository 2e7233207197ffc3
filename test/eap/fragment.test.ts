// L/M flags (RFC 5216 §2.1.5): splitting our messages, reassembling the peer's, and the bounds.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Fragmenter } from '../../src/eap/tls-common.ts';

const limits = { fragmentSize: 1000, maxMessage: 16_384 };

test('a 6 KB message goes out in fragments: L and M on the first, M on the middle ones, neither on the last', (t) => {
  const f = new Fragmenter(limits);
  const message = randomBytes(6_500);
  const parts = [f.send(message)];
  while (parts.length < 20) {
    const r = f.receive(Buffer.from([0])); // the peer's empty acknowledgement
    if (r.kind !== 'ack') break;
    parts.push(f.nextFragment());
  }
  t.is(parts.length, 7);
  const first = parts[0] as Buffer;
  t.is(first[0], 0xc0);
  t.is(first.readUInt32BE(1), 6_500);
  for (const p of parts.slice(1, -1)) t.is(p[0], 0x40);
  t.is((parts.at(-1) as Buffer)[0], 0);
  const data = Buffer.concat([first.subarray(5), ...parts.slice(1).map((p) => p.subarray(1))]);
  t.deepEqual(data, message);
  // All sent: an empty response is now the peer's (empty) message, not an acknowledgement.
  t.deepEqual(f.receive(Buffer.from([0])), { kind: 'message', data: Buffer.alloc(0) });
});

test('a message that fits goes out whole without L', (t) => {
  const f = new Fragmenter(limits);
  const out = f.send(Buffer.from('hello'));
  t.deepEqual(out, Buffer.concat([Buffer.from([0]), Buffer.from('hello')]));
});

function fragments(message: Buffer, size: number, withLength = true): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < message.length; o += size) {
    const more = o + size < message.length;
    const first = o === 0 && withLength;
    const head = Buffer.alloc(first ? 5 : 1);
    head[0] = (more ? 0x40 : 0) | (first ? 0x80 : 0);
    if (first) head.writeUInt32BE(message.length, 1);
    out.push(Buffer.concat([head, message.subarray(o, o + size)]));
  }
  return out;
}

test('the peer\'s fragments are acknowledged and reassembled', (t) => {
  const f = new Fragmenter(limits);
  const message = randomBytes(6_144);
  const parts = fragments(message, 500);
  const kinds = parts.map((p) => f.receive(p));
  t.true(kinds.slice(0, -1).every((k) => k.kind === 'fragment'));
  t.deepEqual(kinds.at(-1), { kind: 'message', data: message });
});

test('bounds: a length over maxMessage, more data than announced, less data than announced', (t) => {
  const announced = Buffer.alloc(5);
  announced[0] = 0xc0;
  announced.writeUInt32BE(20_000, 1);
  t.is(new Fragmenter(limits).receive(announced).kind, 'error');

  const f = new Fragmenter(limits);
  const parts = fragments(randomBytes(2_000), 800);
  parts[0]?.writeUInt32BE(1_000, 1); // announce 1,000, send 2,000
  const results = parts.map((p) => f.receive(p).kind);
  t.true(results.includes('error'));

  const g = new Fragmenter(limits);
  const short = fragments(randomBytes(1_500), 1_000);
  short[0]?.writeUInt32BE(1_600, 1);
  t.is(g.receive(short[0] as Buffer).kind, 'fragment');
  t.is(g.receive(short[1] as Buffer).kind, 'error');
});

test('unannounced fragments are bounded by maxMessage too', (t) => {
  const f = new Fragmenter({ fragmentSize: 1000, maxMessage: 3_000 });
  const parts = fragments(randomBytes(4_000), 1_000, false);
  t.deepEqual(parts.map((p) => f.receive(p).kind), ['fragment', 'fragment', 'fragment', 'error']);
});

test('protocol errors: an empty More fragment, data while we are sending, no flags at all', (t) => {
  t.is(new Fragmenter(limits).receive(Buffer.from([0x40])).kind, 'error');
  const f = new Fragmenter(limits);
  f.send(randomBytes(3_000));
  t.is(f.receive(Buffer.from([0, 1, 2, 3])).kind, 'error');
  t.is(new Fragmenter(limits).receive(Buffer.alloc(0)).kind, 'error');
  t.is(new Fragmenter(limits).receive(Buffer.from([0x80, 0, 0])).kind, 'error');
});
