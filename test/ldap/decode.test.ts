// The request decoder on its own: search filters read from BER with their bounds, attribute OIDs,
// and what a malformed search gets. Then the same through the server with ldapsearch.
import { execFile } from 'node:child_process';
import test from 'ava';
import { constructed, integer, octets, tlv } from '../../src/ldap/ber.ts';
import { decode } from '../../src/ldap/decode.ts';
import { DEFAULT_LIMITS } from '../../src/ldap/limits.ts';
import { ACME, PASSWORDS, service, startLdap, type Harness } from './helpers.ts';
import { message, rawClient } from './wire.ts';

const search = (filter: Buffer, attrs: string[] = []): Buffer => message(7, constructed(0x63, [
  octets(ACME), integer(2, 0x0a), integer(0, 0x0a), integer(10), integer(0), tlv(0x01, Buffer.from([0])),
  filter, constructed(0x30, attrs.map((a) => octets(a))),
]));
const eq = (attr: string, value: string): Buffer => constructed(0xa3, [octets(attr), octets(value)]);
const or = (parts: Buffer[]): Buffer => constructed(0xa1, parts);

test('an attribute OID in a filter decodes like its name', (t) => {
  const d = decode(search(tlv(0x87, Buffer.from('2.5.4.35'))), DEFAULT_LIMITS);
  t.true(d.ok);
  if (d.ok && d.msg.request.op === 'search') t.deepEqual(d.msg.request.filter, { kind: 'present', attr: '2.5.4.35' });
});

test('every filter kind decodes, with UTF-8 values and lowercased attribute names', (t) => {
  const filter = constructed(0xa0, [
    eq('UID', 'José'),
    constructed(0xa2, [tlv(0x87, Buffer.from('mail'))]),
    constructed(0xa4, [octets('cn'), constructed(0x30, [octets('Al', 0x80), octets('i', 0x81), octets('th', 0x82)])]),
    constructed(0xa5, [octets('uidNumber'), octets('10')]),
    constructed(0xa9, [octets('caseIgnoreMatch', 0x81), octets('sn', 0x82), octets('smith', 0x83), tlv(0x84, Buffer.from([0xff]))]),
  ]);
  const d = decode(search(filter, ['cn', '1.1']), DEFAULT_LIMITS);
  if (!d.ok || d.msg.request.op !== 'search') return t.fail(JSON.stringify(d));
  t.deepEqual(d.msg.request.filter, {
    kind: 'and', filters: [
      { kind: 'eq', attr: 'uid', value: 'José' },
      { kind: 'not', filter: { kind: 'present', attr: 'mail' } },
      { kind: 'substr', attr: 'cn', initial: 'Al', any: ['i'], final: 'th' },
      { kind: 'ge', attr: 'uidnumber', value: '10' },
      { kind: 'ext', rule: 'caseignorematch', attr: 'sn', value: 'smith', dnAttributes: true },
    ],
  });
  t.like(d.msg.request, { scope: 'sub', sizeLimit: 10, attributes: ['cn', '1.1'] });
});

test('a filter over the term or depth limit is refused adminLimitExceeded without reading it all', (t) => {
  const wide = decode(search(or(Array.from({ length: 2000 }, (_, i) => eq('uid', `u${i}`)))), DEFAULT_LIMITS);
  t.like(wide, { ok: false, id: 7, answer: { code: 11, message: 'the search filter has too many terms' } });
  let deep = eq('uid', 'x');
  for (let i = 0; i < 40; i++) deep = constructed(0xa2, [deep]);
  t.like(decode(search(deep), DEFAULT_LIMITS), { ok: false, answer: { code: 11, message: 'the search filter is nested too deeply' } });
});

test('a malformed filter is answered protocolError; a malformed search envelope is not answerable', (t) => {
  t.like(decode(search(Buffer.from([0xa3, 0x03, 0x04, 0x01, 0x61])), DEFAULT_LIMITS), { ok: false, answer: { code: 2 } });
  t.like(decode(message(3, constructed(0x63, [octets(ACME)])), DEFAULT_LIMITS), { ok: false, id: 3, why: 'malformed SearchRequest' });
});

let h: Harness;
test.before(async () => { h = await startLdap(); });
test.after.always(async () => { await h?.close(); });

function ldapsearch(filter: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('ldapsearch', ['-H', h.url, '-x', '-D', service(ACME, 'reader'), '-w', PASSWORDS.reader, '-b', ACME, '-LLL', filter, 'uid'],
      { timeout: 8000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr }));
  });
}

test('ldapsearch with attribute OIDs: (2.5.4.3=...) finds by cn, (2.5.4.35=*) (userPassword) finds nothing', async (t) => {
  const byCn = await ldapsearch('(2.5.4.3=Alice Smith)');
  t.is(byCn.code, 0, byCn.out);
  t.regex(byCn.out, /^uid: alice$/m);
  const secret = await ldapsearch('(2.5.4.35=*)');
  t.is(secret.code, 0, secret.out);
  t.notRegex(secret.out, /^dn:/m);
});

test('a too-large filter over the wire: 11 for that search, the connection serves the next one', async (t) => {
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  c.send(search(or(Array.from({ length: 3000 }, (_, i) => eq('uid', `u${i}`)))));
  const [refused] = await c.read(1);
  t.like(refused, { id: 7, tag: 0x65, code: 11 });
  c.send(search(eq('uid', 'nobody')));
  const [next] = await c.read(1);
  t.like(next, { id: 7, tag: 0x65, code: 32 }, 'answered (anonymous: acme is not visible), not disconnected');
});
