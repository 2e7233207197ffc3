// Transport limits that keep a connection from holding resources: TLS handshakes that never
// finish, idle sockets that never bound, and a client that sends requests but never reads.
import { connect } from 'node:net';
import test from 'ava';
import { constructed, octets } from '../../src/ldap/ber.ts';
import { ACME, PASSWORDS, people, startLdap, type Harness } from './helpers.ts';
import { message, rawClient, simpleBind, subschemaSearch, whoami } from './wire.ts';

let h: Harness;
test.before(async () => {
  h = await startLdap({ limits: { handshakeTimeoutMs: 300, unboundIdleTimeoutMs: 400, idleTimeoutMs: 5000 } });
});
test.after.always(async () => { await h?.close(); });

const startTls = message(1, constructed(0x77, [octets('1.3.6.1.4.1.1466.20037', 0x80)]));

test('a StartTLS handshake that never starts is closed after the handshake timeout', async (t) => {
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  c.send(startTls);
  const [ok] = await c.read(1);
  t.like(ok, { id: 1, code: 0 });
  // No ClientHello follows.
  t.true(await c.closedWithin(2000));
});

test('an LDAPS connection that never says hello is closed after the handshake timeout', async (t) => {
  const s = connect(h.ldapsPort, '127.0.0.1');
  t.teardown(() => s.destroy());
  s.on('error', () => undefined);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 2000);
    s.once('close', () => { clearTimeout(timer); resolve(true); });
  });
  t.true(closed);
});

test('a connection that has not bound is closed when idle; a bound one is not', async (t) => {
  const idle = await rawClient(h.port);
  const bound = await rawClient(h.port);
  t.teardown(() => { idle.close(); bound.close(); });
  bound.send(simpleBind(1, people(ACME, 'alice'), PASSWORDS.alice));
  t.like((await bound.read(1))[0], { code: 0 });
  t.true(await idle.closedWithin(2000), 'the unbound connection is closed');
  bound.send(whoami(2));
  t.like((await bound.read(1))[0], { id: 2, value: `dn:${people(ACME, 'alice')}` }, 'the bound one still answers');
});

test('a client that pipelines 5,000 subschema searches and never reads: the server stops reading it, then answers all', async (t) => {
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  // Bound, so that the short idle timeout of unbound connections does not end the test early.
  c.send(simpleBind(99999, people(ACME, 'alice'), PASSWORDS.alice));
  t.like((await c.read(1))[0], { code: 0 });
  c.socket.pause();
  const before = h.front.stats().operations;
  const total = 5000;
  c.send(...Array.from({ length: total }, (_, i) => subschemaSearch(i + 1)));
  await new Promise((r) => setTimeout(r, 1000));
  const handled = h.front.stats().operations - before;
  // Each answer is ~12 KB: what the server took on is bounded by its queue and the socket buffers.
  t.true(handled < total / 4, `the server ran ${handled} of ${total} searches while the client read nothing`);
  c.socket.resume();
  const answers = await c.read(total * 2, 20_000);
  t.is(answers.filter((a) => a.tag === 0x65 && a.code === 0).length, total, 'every search answered once the client reads');
});
