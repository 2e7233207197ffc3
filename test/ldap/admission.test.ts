// Admission and memory bounds of the LDAP front under abuse: the last connections are kept for
// addresses that hold few, unbound clients get a small PDU cap, and replies that clients do not
// read are bounded all connections together. Each harness has small limits, so that the test is short.
import test from 'ava';
import { ACME, PASSWORDS, people, startLdap } from './helpers.ts';
import { equalitySearch, rawClient, simpleBind, subschemaSearch, whoami, type RawClient } from './wire.ts';

/** Opens a connection from `from` and asks whoami: the client if it was answered, undefined if refused. */
async function admitted(port: number, from: string, opened: RawClient[]): Promise<RawClient | undefined> {
  const c = await rawClient(port, from);
  opened.push(c);
  c.send(whoami(1));
  const answer = await c.read(1, 3000).catch(() => []);
  // A refused connection gets a notice of disconnection (message id 0), then is closed.
  return answer[0]?.id === 1 ? c : undefined;
}

test('the last connections are kept for addresses that hold few: two busy addresses cannot take every slot', async (t) => {
  const h = await startLdap({ limits: { maxConnections: 20, maxConnectionsPerAddress: 20, reservedConnections: 8, fewConnections: 2 } });
  const opened: RawClient[] = [];
  t.teardown(async () => { for (const c of opened) c.close(); await h.close(); });
  let first = 0;
  for (let i = 0; i < 20 && await admitted(h.port, '127.0.0.2', opened); i++) first++;
  t.is(first, 12, 'one address gets the unreserved 12 of 20');
  t.falsy(await admitted(h.port, '127.0.0.3', opened).then(async (c) => c && admitted(h.port, '127.0.0.3', opened))
    .then(async (c) => c && admitted(h.port, '127.0.0.3', opened)), 'an address that holds two is not given a third reserved slot');
  const fresh = await admitted(h.port, '127.0.0.4', opened);
  t.truthy(fresh, 'a new address still gets in');
  fresh?.send(simpleBind(2, people(ACME, 'alice'), PASSWORDS.alice));
  t.like((await fresh?.read(1))?.[0], { id: 2, code: 0 }, 'and binds');
  t.true(h.front.stats().refusedConnections >= 2);
});

test('before a bind a large PDU closes the connection; after one the same request is answered', async (t) => {
  const h = await startLdap({ limits: { maxUnboundPduBytes: 4096, maxPduBytes: 256 * 1024 } });
  t.teardown(() => h.close());
  const big = equalitySearch(7, ACME, 'x'.repeat(100_000));
  const unbound = await rawClient(h.port);
  t.teardown(() => unbound.close());
  unbound.send(big);
  t.true(await unbound.closedWithin(3000), 'the unbound client is disconnected');
  const bound = await rawClient(h.port);
  t.teardown(() => bound.close());
  // The cap is the one in force when the PDU arrives: a large request pipelined behind the bind is refused too.
  bound.send(simpleBind(1, people(ACME, 'alice'), PASSWORDS.alice));
  t.like((await bound.read(1))[0], { id: 1, code: 0 });
  bound.send(big);
  t.like((await bound.read(1))[0], { id: 7, tag: 0x65, code: 0 }, 'a bound client may send the large search');
});

test('replies that clients do not read are bounded all connections together, and a client that reads is still answered', async (t) => {
  const budget = 256 * 1024;
  const h = await startLdap({ limits: { maxQueuedReplyBytes: 8 * 1024 * 1024, maxQueuedReplyBytesTotal: budget } });
  t.teardown(() => h.close());
  const stalled: RawClient[] = [];
  t.teardown(() => { for (const c of stalled) c.close(); });
  for (let n = 0; n < 4; n++) {
    const c = await rawClient(h.port, `127.0.0.${10 + n}`);
    stalled.push(c);
    c.send(simpleBind(99_999, people(ACME, 'alice'), PASSWORDS.alice));
    await c.read(1);
    c.socket.pause();
    // About 24 MB of answers each: more than the kernel's socket buffers take.
    for (let i = 0; i < 4; i++) c.send(...Array.from({ length: 500 }, (_, k) => subschemaSearch(i * 500 + k + 1)));
  }
  let peak = 0;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 50));
    peak = Math.max(peak, h.front.stats().queuedReplyBytes);
  }
  // Over the budget by at most what each connection's operations in progress write: 64 × 12 KB.
  t.true(peak <= budget + 4 * 64 * 13_000, `at most ${peak} bytes of replies queued`);
  t.true(peak > 0, 'the clients are behind');
  const reader = await rawClient(h.port, '127.0.0.30');
  t.teardown(() => reader.close());
  reader.send(simpleBind(1, people(ACME, 'bob'), PASSWORDS.bob), subschemaSearch(2));
  const answers = await reader.read(3, 10_000);
  t.deepEqual(answers.map((a) => a.id), [1, 2, 2], 'bind, the entry and the result');
});
