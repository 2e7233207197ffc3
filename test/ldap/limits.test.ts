// Transport limits that keep a connection from holding resources: TLS handshakes that never
// finish, idle sockets that never bound, and a client that sends requests but never reads.
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import test from 'ava';
import { constructed, integer, octets, tlv } from '../../src/ldap/ber.ts';
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

/** 250 more acme users, and a spy on the tree walk's own fetches: how many run at once, at most. */
async function watchTreeFetches(on: Harness): Promise<{ most: () => number; fetched: () => number; total: number; stop: () => void }> {
  const acme = on.world.registry.byId('acme');
  if (!acme) throw new Error('fixture');
  const store = on.world.store.tenant('acme');
  if ((await store.users.get('turn0')) === undefined) {
    await store.users.upsertMany(Array.from({ length: 250 }, (_, i) => ({
      uid: `turn${i}`, entryUUID: randomUUID(), cn: `Turn ${i}`, sn: 'Turn', uidNumber: 70_000 + i, gidNumber: 100,
      homeDirectory: `/home/turn${i}`, loginShell: '/bin/sh', sshPublicKeys: [], enabled: true,
      createdAt: new Date(0), modifiedAt: new Date(0), memberOf: [],
    })));
  }
  const dir = on.world.directory.tenant(acme);
  const findUsers = dir.findUsers.bind(dir);
  let inFlight = 0;
  let most = 0;
  let fetched = 0;
  dir.findUsers = async (q, p) => {
    // Members of a group are looked up while its entry is built: only the tree walk's own fetches count.
    if (!('all' in q)) return findUsers(q, p);
    inFlight++;
    most = Math.max(most, inFlight);
    fetched++;
    try {
      // A store round trip: without turns, every pipelined search would be fetching meanwhile.
      await new Promise((r) => setTimeout(r, 5));
      return await findUsers(q, p);
    } finally {
      inFlight--;
    }
  };
  return { most: () => most, fetched: () => fetched, total: await store.users.count(), stop: () => { dir.findUsers = findUsers; } };
}

/** Binds as alice, sends `n` pipelined tree searches, and reads until every one is done: their result codes. */
async function treeSearches(on: Harness, n: number): Promise<Array<number | undefined>> {
  const c = await rawClient(on.port);
  try {
    c.send(simpleBind(1, people(ACME, 'alice'), PASSWORDS.alice));
    await c.read(1);
    c.send(...Array.from({ length: n }, (_, i) => treeSearch(2 + i)));
    const all = [];
    while (all.filter((a) => a.tag === 0x65).length < n) all.push(...(await c.read(1, 30_000)));
    return all.filter((a) => a.tag === 0x65).map((a) => a.code);
  } finally {
    c.close();
  }
}

test.serial('pipelined whole-tree searches take turns: one batch at a time is fetched per connection, and all are answered', async (t) => {
  const spy = await watchTreeFetches(h);
  t.teardown(spy.stop);
  const searches = 20;
  t.deepEqual(await treeSearches(h, searches), Array.from({ length: searches }, () => 0));
  t.is(spy.most(), 1, 'one fetch at a time on this connection');
  t.true(spy.fetched() >= searches * Math.ceil(spy.total / 100));
});

test.serial('search batches of every connection together are bounded (maxSearchBatches)', async (t) => {
  const one = await startLdap({ limits: { maxSearchBatches: 2 } });
  t.teardown(() => one.close());
  const spy = await watchTreeFetches(one);
  t.teardown(spy.stop);
  const codes = await Promise.all(Array.from({ length: 5 }, () => treeSearches(one, 3)));
  t.deepEqual(codes.flat(), Array.from({ length: 15 }, () => 0));
  t.is(spy.most(), 2, 'five connections, two batches at a time');
});

/** A whole-tree search of acme for (objectClass=*), every attribute. */
const treeSearch = (id: number) => message(id, constructed(0x63, [
  octets(ACME), integer(2, 0x0a), integer(0, 0x0a), integer(0), integer(0), tlv(0x01, Buffer.from([0])),
  tlv(0x87, Buffer.from('objectClass')), constructed(0x30, []),
]));
