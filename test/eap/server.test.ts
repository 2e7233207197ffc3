// The EAP server driven directly by an in-memory peer: key derivation against the client's own
// exporter, fragmentation both ways, NAK handling, retransmissions, State checks, caps, idle
// timeout, and hostile input ending only its own conversation.
import test from 'ava';
import { createLogger, silentLogger } from '../../src/core/log.ts';
import { EapServer, type EapExchange, type EapOutcome, type EapProof, type EapServerOptions } from '../../src/eap/index.ts';
import { methodAfterNak } from '../../src/eap/identity.ts';
import { EAP_CODE, EAP_TYPE, buildEap, parseEap } from '../../src/eap/packet.ts';
import { EapTenant } from '../../src/eap/tenant.ts';
import { makePki, type Pki } from './certs.ts';
import { BASE_EXCHANGE, avp, converse, papAvps } from './peer.ts';

let pki: Pki;
test.before(() => { pki = makePki(); });
test.after.always(() => pki?.remove());

function server(o: Partial<EapServerOptions> = {}, cert = 'server'): EapServer {
  return new EapServer({
    logger: silentLogger(),
    tls: { cert: pki.read(cert === 'long' ? 'long-chain.crt' : 'server.crt'), key: pki.read(`${cert}.key`) },
    settings: (id) => (id === 'acme' ? { clientCa: pki.read('acme-ca.crt'), crl: pki.read('acme.crl'), methods: ['ttls', 'peap', 'tls'] } : undefined),
    ...o,
  });
}

const tlsClient = (maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3') => ({ ca: pki.read('server-ca.crt'), servername: 'radius.acme.example', maxVersion });
const GLOBEX = { id: 'globex', allowMschapv2: false, realms: ['globex.example'] };
const identity = (id = 1, name = 'anonymous@acme'): Buffer => buildEap(EAP_CODE.response, id, EAP_TYPE.identity, Buffer.from(name));
const x = (eapMessage: Buffer, state?: Buffer, more: Partial<EapExchange> = {}): EapExchange => ({ ...BASE_EXCHANGE, eapMessage, state, ...more });

function challenge(o: EapOutcome): { state: Buffer; id: number; type: number | undefined; data: Buffer } {
  if (o.kind !== 'challenge') throw new Error(`expected a challenge, got ${o.kind}: ${o.kind === 'reject' ? o.reason : ''}`);
  const p = parseEap(o.eapMessage);
  if (!p) throw new Error('malformed');
  return { state: o.state, id: p.id, type: p.type, data: p.data };
}

for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`TTLS/PAP: the MSK is the client's key material (${version})`, async (t) => {
    const s = server();
    const r = await converse(s, { type: EAP_TYPE.ttls, tls: tlsClient(version), app: papAvps('alice', 'Correct-Horse-9') });
    s.close();
    t.is(r.outcome.kind, 'accept', r.outcome.kind === 'reject' ? r.outcome.reason : '');
    t.is(r.version, version);
    if (r.outcome.kind !== 'accept') return;
    t.is(r.outcome.uid, 'alice');
    t.is(r.outcome.method, 'ttls/pap');
    t.is(r.outcome.msk.length, 64);
    t.deepEqual(r.outcome.msk, r.clientMsk);
    t.deepEqual([...r.outcome.eapMessage], [EAP_CODE.success, r.outcome.eapMessage[1], 0, 4]);
  });

  test(`TTLS/PAP: a check refused as throttled drops the packet and keeps the conversation; the retransmission completes it (${version})`, async (t) => {
    const s = server();
    const checks: string[] = [];
    const r = await converse(s, {
      type: EAP_TYPE.ttls, tls: tlsClient(version), app: papAvps('alice', 'Correct-Horse-9'),
      exchange: {
        authenticate: async (uid, proof) => {
          checks.push(uid);
          if (checks.length <= 2) return { ok: false, reason: 'throttled' };
          return BASE_EXCHANGE.authenticate(uid, proof, 'ttls/pap');
        },
      },
    });
    s.close();
    t.is(r.outcome.kind, 'accept', r.outcome.kind === 'reject' ? r.outcome.reason : '');
    t.is(r.drops, 2);
    t.deepEqual(checks, ['alice', 'alice', 'alice']);
    if (r.outcome.kind === 'accept') t.deepEqual(r.outcome.msk, r.clientMsk, 'the tunnel survived the retransmissions');
  });

  test(`EAP-TLS with a 6 KB server chain and small fragments both ways (${version})`, async (t) => {
    const s = server({ limits: { fragmentSize: 300 } }, 'long');
    const r = await converse(s, {
      type: EAP_TYPE.tls, fragmentSize: 200, identity: 'alice',
      tls: { ...tlsClient(version), cert: pki.read('alice.crt'), key: pki.read('alice.key') },
    });
    s.close();
    t.is(r.outcome.kind, 'accept', r.outcome.kind === 'reject' ? r.outcome.reason : '');
    t.true(r.rounds > 20, `only ${r.rounds} round trips`);
    if (r.outcome.kind === 'accept') t.deepEqual(r.outcome.msk, r.clientMsk);
  });
}

test('TTLS/PAP with a wrong password is rejected with EAP-Failure', async (t) => {
  const s = server();
  const r = await converse(s, { type: EAP_TYPE.ttls, tls: tlsClient(), app: papAvps('alice', 'nope') });
  s.close();
  if (r.outcome.kind !== 'reject') return t.fail(r.outcome.kind);
  t.is(r.outcome.eapMessage[0], EAP_CODE.failure);
  t.is(s.open, 0);
});

test('TTLS/PAP: NUL padding is cut; a password AVP of 64 KiB of NULs is refused as too-long before any check', async (t) => {
  const s = server({ limits: { maxMessage: 1 << 20 } });
  const checks: string[] = [];
  const exchange = { authenticate: async (uid: string, proof: EapProof) => { checks.push(uid); return BASE_EXCHANGE.authenticate(uid, proof, 'ttls/pap'); } };
  const padded = await converse(s, { type: EAP_TYPE.ttls, tls: tlsClient(), exchange, app: Buffer.concat([avp(1, Buffer.from('alice')), avp(2, Buffer.from('Correct-Horse-9\0'))]) });
  t.is(padded.outcome.kind, 'accept');
  const nuls = Buffer.concat([Buffer.alloc(65_536), Buffer.from('x'), Buffer.alloc(15)]);
  const flood = await converse(s, { type: EAP_TYPE.ttls, tls: tlsClient(), exchange, app: Buffer.concat([avp(1, Buffer.from('alice')), avp(2, nuls)]) });
  s.close();
  t.like(flood.outcome, { kind: 'reject', reason: 'ttls/pap: too-long' });
  t.deepEqual(checks, ['alice'], 'the long one never reached the directory');
});

test('TTLS: an unknown AVP marked mandatory fails the session (RFC 5281 §10.1)', async (t) => {
  const s = server();
  const r = await converse(s, { type: EAP_TYPE.ttls, tls: tlsClient(), app: Buffer.concat([papAvps('alice', 'Correct-Horse-9'), avp(4242, Buffer.from('x'))]) });
  s.close();
  t.is(r.outcome.kind, 'reject');
  if (r.outcome.kind === 'reject') t.regex(r.outcome.reason, /mandatory AVP/);
});

test('EAP-TLS: a client certificate chain larger than maxMessage is refused', async (t) => {
  const s = server({ limits: { maxMessage: 256 } });
  const r = await converse(s, {
    type: EAP_TYPE.tls, fragmentSize: 100, identity: 'alice',
    tls: { ...tlsClient(), cert: pki.read('alice.crt'), key: pki.read('alice.key') },
  });
  s.close();
  t.is(r.outcome.kind, 'reject');
  if (r.outcome.kind === 'reject') t.regex(r.outcome.reason, /exceed/);
});

test('the first proposal is the tenant\'s first method; a Nak picks the next one asked for', async (t) => {
  const s = server({ settings: () => ({ methods: ['peap', 'ttls'] }) });
  const first = challenge(await s.handle(x(identity(7))));
  t.is(first.type, EAP_TYPE.peap);
  t.is(first.id, 8);
  t.deepEqual([...first.data], [0x20]); // Start, version 0
  const nak = challenge(await s.handle(x(buildEap(EAP_CODE.response, 8, EAP_TYPE.nak, Buffer.from([EAP_TYPE.md5, EAP_TYPE.ttls])), first.state)));
  t.is(nak.type, EAP_TYPE.ttls);
  // A method already tried is not proposed again.
  const r = await s.handle(x(buildEap(EAP_CODE.response, nak.id, EAP_TYPE.nak, Buffer.from([EAP_TYPE.peap])), nak.state));
  t.is(r.kind, 'reject');
  s.close();
});

test('a Nak once the method has begun is out of turn', async (t) => {
  const s = server();
  const first = challenge(await s.handle(x(identity())));
  // A first fragment (M set) of a ClientHello: the server acknowledges it.
  const ack = challenge(await s.handle(x(buildEap(EAP_CODE.response, first.id, EAP_TYPE.ttls, Buffer.from([0x40, 22, 3, 1])), first.state)));
  t.deepEqual([...ack.data], [0]);
  const r = await s.handle(x(buildEap(EAP_CODE.response, ack.id, EAP_TYPE.nak, Buffer.from([EAP_TYPE.peap])), ack.state));
  t.is(r.kind, 'reject');
  if (r.kind === 'reject') t.is(r.reason, 'Nak out of turn');
  s.close();
});

test('a Nak for nothing on offer ends the conversation', async (t) => {
  const s = server();
  const first = challenge(await s.handle(x(identity())));
  const r = await s.handle(x(buildEap(EAP_CODE.response, first.id, EAP_TYPE.nak, Buffer.from([EAP_TYPE.md5])), first.state));
  t.is(r.kind, 'reject');
  t.is(s.open, 0);
  s.close();
});

test('a conversation must start with an Identity response; malformed packets are rejected', async (t) => {
  const s = server();
  t.is((await s.handle(x(buildEap(EAP_CODE.response, 1, EAP_TYPE.ttls, Buffer.from([0]))))).kind, 'reject');
  t.is((await s.handle(x(Buffer.from([2, 1, 0, 99, 1])))).kind, 'reject');
  t.is((await s.handle(x(buildEap(EAP_CODE.request, 1, EAP_TYPE.identity)))).kind, 'reject');
  t.is(s.open, 0);
  s.close();
});

test('a State is valid only for its NAS and tenant; an unknown one is rejected', async (t) => {
  const s = server();
  const first = challenge(await s.handle(x(identity())));
  const resp = buildEap(EAP_CODE.response, first.id, EAP_TYPE.ttls, Buffer.from([0]));
  t.is((await s.handle(x(resp, first.state, { nas: { key: 'other-ap', name: 'other-ap', source: '10.0.0.9' } }))).kind, 'reject');
  // globex's NAS of the same name (names are unique only within a tenant) is another NAS.
  t.is((await s.handle(x(resp, first.state, { nas: { ...BASE_EXCHANGE.nas, key: 'globex/ap-1' } }))).kind, 'reject');
  t.is((await s.handle(x(resp, first.state, { tenant: GLOBEX }))).kind, 'reject');
  t.is((await s.handle(x(resp, Buffer.alloc(16, 1)))).kind, 'reject');
  t.is(s.open, 1, 'the real conversation is untouched');
  s.close();
});

test('a retransmitted response gets the same answer; a response with a stale identifier ends it', async (t) => {
  const s = server();
  const first = challenge(await s.handle(x(identity())));
  const nak = buildEap(EAP_CODE.response, first.id, EAP_TYPE.nak, Buffer.from([EAP_TYPE.tls]));
  const [a, b] = await Promise.all([s.handle(x(nak, first.state)), s.handle(x(nak, first.state))]);
  t.deepEqual(a, b);
  const again = await s.handle(x(nak, first.state));
  t.deepEqual(again, a);
  const stale = await s.handle(x(buildEap(EAP_CODE.response, first.id, EAP_TYPE.tls, Buffer.from([0])), first.state));
  t.is(stale.kind, 'reject');
  t.is(s.open, 0);
  s.close();
});

test('garbage instead of TLS ends only that conversation', async (t) => {
  const s = server();
  const victim = challenge(await s.handle(x(identity())));
  const good = converse(s, { type: EAP_TYPE.ttls, tls: tlsClient(), app: papAvps('alice', 'Correct-Horse-9') });
  const garbage = Buffer.concat([Buffer.from([0]), Buffer.from('this is not a TLS record at all, no sir')]);
  const bad = await s.handle(x(buildEap(EAP_CODE.response, victim.id, EAP_TYPE.ttls, garbage), victim.state));
  t.is(bad.kind, 'reject');
  if (bad.kind === 'reject') t.regex(bad.reason, /tls/);
  t.is((await good).outcome.kind, 'accept');
  s.close();
});

test('caps: per NAS and in total; new conversations are refused, open ones live on', async (t) => {
  const s = server({ limits: { maxPerNas: 2, maxConversations: 3 } });
  const nas = (name: string) => ({ nas: { key: name, name, source: '127.0.0.1' } });
  const a1 = await s.handle(x(identity(), undefined, nas('a')));
  const a2 = await s.handle(x(identity(), undefined, nas('a')));
  const a3 = await s.handle(x(identity(), undefined, nas('a')));
  t.is(a1.kind, 'challenge');
  t.is(a2.kind, 'challenge');
  t.is(a3.kind, 'reject');
  t.is((await s.handle(x(identity(), undefined, nas('b')))).kind, 'challenge');
  t.is((await s.handle(x(identity(), undefined, nas('c')))).kind, 'reject', 'total cap');
  t.is(s.open, 3);
  // The first conversation still works.
  const c1 = challenge(a1);
  const next = await s.handle(x(buildEap(EAP_CODE.response, c1.id, EAP_TYPE.nak, Buffer.from([EAP_TYPE.peap])), c1.state, nas('a')));
  t.is(next.kind, 'challenge');
  s.close();
  t.is(s.open, 0);
});

test('caps are per NAS, not per NAS name: two tenants\' "ap" NAS have a cap each', async (t) => {
  const s = server({ limits: { maxPerNas: 1, maxConversations: 100 } });
  const ap = (tenant: typeof BASE_EXCHANGE.tenant) => ({ tenant, nas: { key: `${tenant.id}/ap`, name: 'ap', source: '127.0.0.1' } });
  t.is((await s.handle(x(identity(), undefined, ap(BASE_EXCHANGE.tenant)))).kind, 'challenge');
  t.is((await s.handle(x(identity(), undefined, ap(GLOBEX)))).kind, 'challenge', 'globex\'s ap is not acme\'s');
  const again = await s.handle(x(identity(), undefined, ap(BASE_EXCHANGE.tenant)));
  t.like(again, { kind: 'reject', reason: 'too many open EAP conversations (this NAS)' });
  s.close();
});

test('a full pool gives way to a tenant below its share: the biggest tenant loses its least recently used', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (l: string) => { lines.push(JSON.parse(l) as Record<string, unknown>); } } });
  const s = server({ logger, limits: { maxPerNas: 100, maxConversations: 4 } });
  const acme = [];
  for (let i = 0; i < 4; i++) acme.push(challenge(await s.handle(x(identity()))));
  // acme alone holds the whole pool; it may, while nobody else wants any.
  t.like(await s.handle(x(identity())), { kind: 'reject', reason: 'too many open EAP conversations (this tenant\'s share)' });
  const globex = { tenant: GLOBEX, nas: { key: 'globex/ap', name: 'ap', source: '127.0.0.2' } };
  t.is((await s.handle(x(identity(), undefined, globex))).kind, 'challenge');
  t.is((await s.handle(x(identity(), undefined, globex))).kind, 'challenge');
  // Now 2 and 2: globex holds its share of 4 / 2.
  t.like(await s.handle(x(identity(), undefined, globex)), { kind: 'reject', reason: 'too many open EAP conversations (this tenant\'s share)' });
  t.is(s.open, 4);
  // acme's two oldest went; its two newest live on.
  const alive = async (c: ReturnType<typeof challenge>) =>
    (await s.handle(x(buildEap(EAP_CODE.response, c.id, EAP_TYPE.nak, Buffer.from([EAP_TYPE.peap])), c.state))).kind;
  t.deepEqual([await alive(acme[0]!), await alive(acme[1]!)], ['reject', 'reject']);
  t.deepEqual([await alive(acme[2]!), await alive(acme[3]!)], ['challenge', 'challenge']);
  t.true(lines.some((l) => l['event'] === 'eap.capped' && l['cap'] === 'evicted' && l['victim'] === 'acme'));
  s.close();
});

test('with 5 NAS one tenant fills the pool, and another tenant\'s EAP still completes while the flood goes on', async (t) => {
  // The probe in small: 5 acme NAS at their per-NAS cap fill the whole pool.
  const s = server({ limits: { maxPerNas: 4, maxConversations: 20 } });
  const acmeNas = Array.from({ length: 5 }, (_, i) => ({ nas: { key: `acme/ap-${i}`, name: `ap-${i}`, source: `127.0.0.${10 + i}` } }));
  const flood = async (): Promise<number> => {
    let opened = 0;
    for (const nas of acmeNas) if ((await s.handle(x(identity(), undefined, nas))).kind === 'challenge') opened++;
    return opened;
  };
  for (let i = 0; i < 4; i++) await flood();
  t.is(s.open, 20);
  // globex's conversation runs to the end; before each of its responses, acme tries 5 more.
  const globex = {
    tenant: GLOBEX, nas: { key: 'globex/ap', name: 'ap', source: '127.0.0.2' },
    authenticate: async (uid: string, proof: EapProof) => (uid === 'gina' && 'password' in proof && proof.password === 'Engineer-Pass-77'
      ? { ok: true as const, user: { uid: 'gina', enabled: true } } : { ok: false as const, reason: 'bad-password' }),
  };
  let refused = 0;
  const open: number[] = [];
  const r = await converse(s, {
    type: EAP_TYPE.ttls, tls: tlsClient(), app: papAvps('gina', 'Engineer-Pass-77'), identity: 'anonymous@globex', exchange: globex,
    between: async () => {
      refused += 5 - await flood();
      open.push(s.open);
    },
  });
  t.is(r.outcome.kind, 'accept', r.outcome.kind === 'reject' ? r.outcome.reason : '');
  t.true(refused > 0, 'acme kept trying and was refused above its share');
  t.true(open.length > 2 && open.every((n) => n === 20), `the pool stayed full: ${open.join(',')}`);
  t.is(s.open, 19, 'globex\'s ended; acme\'s live on');
  s.close();
});

test('an idle conversation is forgotten after the timeout', async (t) => {
  let now = 1_000_000;
  const s = server({ now: () => now, limits: { idleTimeoutMs: 30_000 } });
  const first = challenge(await s.handle(x(identity())));
  now += 31_000;
  const r = await s.handle(x(buildEap(EAP_CODE.response, first.id, EAP_TYPE.nak, Buffer.from([EAP_TYPE.ttls])), first.state));
  t.is(r.kind, 'reject');
  if (r.kind === 'reject') t.regex(r.reason, /expired/);
  t.is(s.open, 0);
  s.close();
});

test('a store outage propagates (the front sends nothing) and ends the conversation', async (t) => {
  const s = server();
  const outage = Object.assign(new Error('store down'), { code: 'TD_STORE_UNAVAILABLE' });
  await t.throwsAsync(converse(s, {
    type: EAP_TYPE.ttls, tls: tlsClient(), app: papAvps('alice', 'Correct-Horse-9'),
    exchange: { authenticate: async () => { throw outage; } },
  }), { message: 'store down' });
  t.is(s.open, 0);
  s.close();
});

test('the tenant offers only methods it can run, in its order; a Nak picks from them', (t) => {
  const cert = { cert: pki.read('server.crt'), key: pki.read('server.key') };
  const plain = new EapTenant('globex', false, {}, cert);
  t.deepEqual(plain.methods, [21], 'no PEAP without NT hashes, no EAP-TLS without a CA');
  const full = new EapTenant('acme', true, { methods: ['tls', 'ttls', 'peap'], clientCa: pki.read('acme-ca.crt') }, cert);
  t.deepEqual(full.methods, [13, 21, 25]);
  t.is(methodAfterNak(full, Buffer.from([4, 25, 21]), new Set([13])), 25);
  t.is(methodAfterNak(full, Buffer.from([25]), new Set([13, 25])), undefined);
  t.throws(() => new EapTenant('bad', false, {}, { cert: Buffer.from('nope'), key: cert.key }), { message: /tenant bad/ });
});

test('a tenant whose EAP-TLS CA cannot be used fails its own conversations only', async (t) => {
  const s = server({ settings: (id) => (id === 'acme' ? { clientCa: Buffer.from('not a certificate') } : undefined) });
  const r = await s.handle(x(identity()));
  t.is(r.kind, 'reject');
  if (r.kind === 'reject') t.regex(r.reason, /not usable/);
  t.is((await s.handle(x(identity(), undefined, { tenant: GLOBEX }))).kind, 'challenge');
  s.close();
});

test('neither the password nor key material reaches the log, even at debug', async (t) => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => { lines.push(line); } } });
  const s = server({ logger });
  const r = await converse(s, { type: EAP_TYPE.ttls, tls: tlsClient(), app: papAvps('alice', 'Correct-Horse-9') });
  await converse(s, { type: EAP_TYPE.ttls, tls: tlsClient(), app: papAvps('alice', 'Wrong-Horse-1') });
  s.close();
  if (r.outcome.kind !== 'accept') return t.fail();
  const text = lines.join('');
  t.regex(text, /"event":"eap.auth"/);
  t.regex(text, /"method":"ttls\/pap"/);
  t.false(text.includes('Horse'));
  t.false(text.includes(r.outcome.msk.subarray(0, 8).toString('hex')));
});

test('EAP-TLS finds the uid where the tenant says: CN, SAN e-mail or SAN UPN', async (t) => {
  const run = async (identityFrom: 'cn' | 'san-email' | 'san-upn') => {
    const s = server({ settings: () => ({ clientCa: pki.read('acme-ca.crt'), identityFrom, methods: ['tls'] }) });
    const r = await converse(s, { type: EAP_TYPE.tls, identity: 'laptop-17', tls: { ...tlsClient(), cert: pki.read('laptop.crt'), key: pki.read('laptop.key') } });
    s.close();
    return r.outcome;
  };
  const [cn, email, upn] = await Promise.all([run('cn'), run('san-email'), run('san-upn')]);
  t.is(cn.kind, 'reject', 'laptop-17 is no user');
  t.like(email, { kind: 'accept', uid: 'alice', method: 'tls' });
  t.like(upn, { kind: 'accept', uid: 'alice', method: 'tls' });
});

test('EAP-TLS: a certificate of another realm names no user here, though the CA is trusted', async (t) => {
  const s = server({ settings: () => ({ clientCa: pki.read('acme-ca.crt'), identityFrom: 'san-upn', methods: ['tls'] }) });
  // The laptop's UPN is alice@acme.example; to globex (realm globex.example) it is nobody's.
  const r = await converse(s, {
    type: EAP_TYPE.tls, identity: 'laptop-17', exchange: { tenant: GLOBEX },
    tls: { ...tlsClient(), cert: pki.read('laptop.crt'), key: pki.read('laptop.key') },
  });
  s.close();
  t.like(r.outcome, { kind: 'reject', reason: 'tls: realm-not-allowed (acme.example)', identity: 'alice@acme.example' });
});
