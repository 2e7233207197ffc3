// Listeners and connections: TLS (StartTLS, LDAPS, reload), Nagle off, limits, malformed input.
import { connect, type Socket } from 'node:net';
import test from 'ava';
import { Client } from 'ldapts';
import { devTls } from '../../src/core/tls.ts';
import { ACME, PASSWORDS, codeOf, people, service, startLdap, type Harness } from './helpers.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let h: Harness;
test.before(async () => { h = await startLdap({ limits: { maxPduBytes: 4096 } }); });
test.after.always(async () => { await h?.close(); });

async function open(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
  return s;
}

/** Resolves when the server closes the socket (or after `ms`, with false). */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => { clearTimeout(timer); resolve(true); });
    s.on('data', () => undefined);
    s.on('error', () => undefined);
  });
}

test('StartTLS through ldapts, then a bind and a search over TLS; a second StartTLS is refused', async (t) => {
  const c = h.client();
  await c.startTLS({ ca: [h.tls.cert], servername: 'localhost' });
  await c.bind(people(ACME, 'alice'), PASSWORDS.alice);
  const r = await c.search(ACME, { scope: 'sub', filter: '(uid=bob)' });
  t.is(r.searchEntries.length, 1);
  t.is(await codeOf(c.startTLS({ ca: [h.tls.cert], servername: 'localhost' })), 1);
});

test('LDAPS with the configured certificate', async (t) => {
  const c = new Client({ url: h.ldapsUrl, tlsOptions: { ca: [h.tls.cert], servername: 'localhost' }, timeout: 5000 });
  try {
    await c.bind(service(ACME, 'reader'), PASSWORDS.reader);
    t.is((await c.search(ACME, { scope: 'base' })).searchEntries.length, 1);
  } finally {
    await c.unbind();
  }
});

test.serial('setTls swaps the certificate for new LDAPS and StartTLS handshakes', async (t) => {
  const other = await devTls(await mkdtemp(join(tmpdir(), 'tenantdir-ldap-reload-')));
  h.front.setTls(other);
  try {
    const fresh = new Client({ url: h.ldapsUrl, tlsOptions: { ca: [other.cert], servername: 'localhost' }, timeout: 5000 });
    await fresh.bind(service(ACME, 'reader'), PASSWORDS.reader);
    await fresh.unbind();
    const stale = new Client({ url: h.ldapsUrl, tlsOptions: { ca: [h.tls.cert], servername: 'localhost' }, timeout: 5000 });
    t.truthy(await stale.bind(service(ACME, 'reader'), PASSWORDS.reader).then(() => undefined, (e: unknown) => e));
    await stale.unbind().catch(() => undefined);
    const st = h.client();
    await st.startTLS({ ca: [other.cert], servername: 'localhost' });
    await st.bind(service(ACME, 'reader'), PASSWORDS.reader);
  } finally {
    h.front.setTls(h.tls);
  }
});

test('malformed BER closes only that connection', async (t) => {
  const good = h.client();
  await good.bind(service(ACME, 'reader'), PASSWORDS.reader);
  const bad = await open(h.port);
  const closed = closedWithin(bad, 3000);
  bad.write(Buffer.from([0x04, 0x03, 0x41, 0x42, 0x43]));
  t.true(await closed);
  const garbled = await open(h.port);
  const closed2 = closedWithin(garbled, 3000);
  // A well-framed LDAPMessage holding nonsense.
  garbled.write(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x01, 0x77, 0x00]));
  t.true(await closed2);
  t.is((await good.search(ACME, { scope: 'base' })).searchEntries.length, 1);
});

test('a PDU over the size limit closes the connection', async (t) => {
  const s = await open(h.port);
  const closed = closedWithin(s, 3000);
  s.write(Buffer.from([0x30, 0x83, 0x10, 0x00, 0x00]));
  t.true(await closed);
});

test('SASL binds are answered authMethodNotSupported', async (t) => {
  const s = await open(h.port);
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  // bind(1): version 3, name "", sasl { mechanism "EXTERNAL" }
  s.write(Buffer.from([0x30, 0x16, 0x02, 0x01, 0x01, 0x60, 0x11, 0x02, 0x01, 0x03, 0x04, 0x00, 0xa3, 0x0a, 0x04, 0x08, ...Buffer.from('EXTERNAL')]));
  await new Promise((r) => setTimeout(r, 300));
  s.destroy();
  const all = Buffer.concat(got);
  t.true(all.includes(Buffer.from([0x61])) && all.includes(Buffer.from([0x0a, 0x01, 0x07])));
});

test('max connections per source address and idle timeout', async (t) => {
  const limited = await startLdap({ limits: { maxConnectionsPerAddress: 2, idleTimeoutMs: 400 } });
  try {
    const a = await open(limited.port);
    const b = await open(limited.port);
    const c = await open(limited.port);
    t.true(await closedWithin(c, 2000), 'third connection refused');
    const aClosed = closedWithin(a, 3000);
    const bClosed = closedWithin(b, 3000);
    t.true(await aClosed, 'idle connection closed');
    t.true(await bClosed);
    // The server counts a connection gone once its side has closed too.
    await new Promise((r) => setTimeout(r, 200));
    const d = await open(limited.port);
    t.false(await closedWithin(d, 100), 'a slot is free again');
    d.destroy();
  } finally {
    await limited.close();
  }
});

test('close() tells clients and stops listening', async (t) => {
  const tmp = await startLdap();
  const s = await open(tmp.port);
  const closed = closedWithin(s, 3000);
  await tmp.close();
  t.true(await closed);
  t.truthy(await open(tmp.port).then((x) => { x.destroy(); return undefined; }, (e: unknown) => e));
});

test('every accepted socket has Nagle off: a search answers well under the 40 ms delayed-ACK stall', async (t) => {
  const c = h.client();
  await c.bind(service(ACME, 'reader'), PASSWORDS.reader);
  await c.search(ACME, { scope: 'base' });
  // With Nagle on, every search waits for the client's delayed ACK (~40 ms): even the fastest would.
  let fastest = Infinity;
  for (let i = 0; i < 20; i++) {
    const start = process.hrtime.bigint();
    await c.search(people(ACME, 'bob'), { scope: 'base', attributes: ['uid'] });
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e6);
  }
  t.true(fastest < 20, `fastest search took ${fastest} ms`);
});

test('a malformed DN is answered invalidDNSyntax, and the connection stays usable', async (t) => {
  const c = h.client();
  await c.bind(service(ACME, 'reader'), PASSWORDS.reader);
  t.is(await codeOf(c.search('not a dn', { scope: 'base' })), 34);
  t.is(await codeOf(c.compare('uid=,ou=people', 'cn', 'x')), 34);
  t.is((await c.search(ACME, { scope: 'base' })).searchEntries.length, 1);
});
