// Controls (RFC 4511 §4.1.11) and the order of binds on one connection (RFC 4513 §5.1), over raw
// BER where no client library can express the case, and with ldapwhoami where one can.
import { execFile } from 'node:child_process';
import test from 'ava';
import { OID } from '../../src/ldap/protocol.ts';
import { ACME, PASSWORDS, people, startLdap, type Harness } from './helpers.ts';
import { baseSearch, controlsOf, rawClient, simpleBind, whoami } from './wire.ts';

let h: Harness;
test.before(async () => { h = await startLdap(); });
test.after.always(async () => { await h?.close(); });

const BIND = 0x61;
const ALICE = people(ACME, 'alice');
const BOB = people(ACME, 'bob');

function ldapwhoami(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('ldapwhoami', ['-H', h.url, '-x', ...args], { timeout: 8000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr });
    });
  });
}

test('ldapwhoami -e ppolicy (SSSD sends this control with every bind) binds and answers', async (t) => {
  const r = await ldapwhoami(['-e', 'ppolicy', '-D', ALICE, '-w', PASSWORDS.alice]);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /dn:uid=alice,ou=people,dc=acme,dc=example/);
});

test('the same control marked critical is understood on a bind', async (t) => {
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  c.send(simpleBind(1, ALICE, PASSWORDS.alice, controlsOf([{ oid: OID.passwordPolicy, critical: true }])));
  const [bound] = await c.read(1);
  t.like(bound, { id: 1, tag: BIND, code: 0 });
});

test('an unknown control without a value: ignored when not critical, 12 when critical; the connection stays open', async (t) => {
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  c.send(simpleBind(1, ALICE, PASSWORDS.alice, controlsOf([{ oid: '1.2.3.4.5' }])));
  const [ok] = await c.read(1);
  t.like(ok, { id: 1, tag: BIND, code: 0 });
  c.send(whoami(2, controlsOf([{ oid: '1.2.3.4.5', critical: true }])));
  const [refused] = await c.read(1);
  t.like(refused, { id: 2, code: 12 });
  c.send(whoami(3));
  const [who] = await c.read(1);
  t.like(who, { id: 3, code: 0, value: `dn:${ALICE}` });
});

test('malformed controls are answered protocolError for that request; the connection goes on', async (t) => {
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  // A control whose "criticality" is an INTEGER; then paged results with a value that is no SEQUENCE.
  const badControl = Buffer.from([0xa0, 0x07, 0x30, 0x05, 0x04, 0x01, 0x31, 0x02, 0x00]);
  c.send(simpleBind(1, ALICE, PASSWORDS.alice, badControl));
  c.send(baseSearch(2, ACME, controlsOf([{ oid: OID.pagedResults, value: Buffer.from('junk') }])));
  const answers = await c.read(2);
  t.like(answers[0], { id: 1, tag: BIND, code: 2 });
  t.like(answers[1], { id: 2, tag: 0x65, code: 2 });
  c.send(simpleBind(3, ALICE, PASSWORDS.alice));
  const [bound] = await c.read(1);
  t.like(bound, { id: 3, code: 0 });
  t.false(await c.closedWithin(100));
});

test('pipelined binds: each is answered in order, and a failed last bind leaves the connection anonymous', async (t) => {
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  c.send(simpleBind(1, ALICE, PASSWORDS.alice), simpleBind(2, BOB, 'wrong-password'), whoami(3));
  const answers = await c.read(3);
  t.deepEqual(answers.map((a) => [a.id, a.code]), [[1, 0], [2, 49], [3, 0]]);
  t.is(answers[2]?.value ?? '', '', 'after a failed bind the connection is anonymous');
});

test('pipelined binds: the last successful bind decides who is bound, and what follows runs as it', async (t) => {
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  c.send(simpleBind(1, BOB, PASSWORDS.bob), simpleBind(2, ALICE, PASSWORDS.alice), whoami(3), baseSearch(4, ACME));
  const answers = await c.read(5);
  t.deepEqual(answers.map((a) => a.id), [1, 2, 3, 4, 4]);
  t.deepEqual(answers.slice(0, 2).map((a) => a.code), [0, 0]);
  t.is(answers[2]?.value, `dn:${ALICE}`);
  t.is(answers[4]?.code, 0, 'the search after the binds ran as alice and found the base');
});

test('a bind cannot be abandoned: its answer comes and decides the identity', async (t) => {
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  const abandon = Buffer.from([0x30, 0x06, 0x02, 0x01, 0x09, 0x50, 0x01, 0x01]);
  c.send(simpleBind(1, ALICE, PASSWORDS.alice), abandon, whoami(2));
  const answers = await c.read(2);
  t.like(answers[0], { id: 1, code: 0 });
  t.like(answers[1], { id: 2, value: `dn:${ALICE}` });
});
