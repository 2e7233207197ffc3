// Tenant isolation, tested as an attacker bound in acme would probe globex (and the reverse).
import test from 'ava';
import { ACME, GLOBEX, PASSWORDS, codeOf, group, people, service, startLdap, type Harness } from './helpers.ts';
import type { Client } from 'ldapts';
import { baseSearch, rawClient, simpleBind } from './wire.ts';

let h: Harness;
let acme: Client;
test.before(async () => {
  h = await startLdap();
  acme = h.client();
  await acme.bind(people(ACME, 'alice'), PASSWORDS.alice);
});
test.after.always(async () => { await h?.close(); });

/** Code, message and matchedDN-bearing text of a failure, for comparing two answers exactly. */
async function answer(p: Promise<unknown>): Promise<{ code?: number; message: string }> {
  try {
    await p;
    return { message: 'ok' };
  } catch (e) {
    const err = e as { code?: number; message: string };
    return { code: err.code, message: err.message };
  }
}

const nonexistent = 'dc=nothing-here,dc=example';

test("another tenant's base, ous and entries answer exactly like a DN that does not exist", async (t) => {
  const none = await answer(acme.search(nonexistent, { scope: 'base' }));
  t.is(none.code, 32);
  for (const dn of [GLOBEX, `ou=people,${GLOBEX}`, people(GLOBEX, 'alice'), group(GLOBEX, 'staff'), service(GLOBEX, 'reader'), people(GLOBEX, 'nobody')]) {
    for (const scope of ['base', 'one', 'sub'] as const) {
      t.deepEqual(await answer(acme.search(dn, { scope })), none, `${dn} ${scope}`);
    }
    t.false((await answer(acme.search(dn, { scope: 'base' }))).message.toLowerCase().includes('globex'));
  }
});

test('compare and writes into another tenant get the same noSuchObject', async (t) => {
  const none = await answer(acme.compare(people(nonexistent, 'x'), 'cn', 'x'));
  t.is(none.code, 32);
  t.deepEqual(await answer(acme.compare(people(GLOBEX, 'alice'), 'cn', 'Alice Globex')), none);
  const writer = h.client();
  await writer.bind(service(ACME, 'writer'), PASSWORDS.writer);
  const noneW = await answer(writer.del(people(nonexistent, 'x')));
  t.is(noneW.code, 32);
  t.deepEqual(await answer(writer.del(people(GLOBEX, 'gina'))), noneW);
  t.deepEqual(await answer(writer.modify(people(GLOBEX, 'gina'), [])), noneW);
  t.deepEqual(await answer(writer.add(people(GLOBEX, 'mallory'), { objectClass: ['inetOrgPerson'], cn: 'M', sn: 'M' })), noneW);
  // And globex's data is untouched.
  const g = h.client();
  await g.bind(service(GLOBEX, 'reader'), PASSWORDS.globexReader);
  t.is((await g.search(people(GLOBEX, 'gina'), { scope: 'base' })).searchEntries.length, 1);
});

test('a subtree search from an ancestor of both tenants finds nothing of either', async (t) => {
  t.is((await answer(acme.search('dc=example', { scope: 'sub', filter: '(uid=alice)' }))).code, 32);
  t.is((await answer(acme.search('', { scope: 'sub', filter: '(uid=alice)' }))).code, 32);
});

test('acme sees only its own alice, and memberOf/member values never name globex', async (t) => {
  const r = await acme.search(ACME, { scope: 'sub', filter: '(uid=alice)', attributes: ['*', '+'] });
  t.deepEqual(r.searchEntries.map((e) => e.dn), [people(ACME, 'alice')]);
  t.false(JSON.stringify(r.searchEntries).toLowerCase().includes('globex'));
});

test('namingContexts lists only the bound tenant', async (t) => {
  const [dse] = (await acme.search('', { scope: 'base', attributes: ['namingContexts'] })).searchEntries;
  t.is(dse?.namingContexts, ACME);
});

test('an anonymous client sees nothing of a tenant without anonymous search, and only the open tenant otherwise', async (t) => {
  const anon = h.client();
  t.is((await answer(anon.search(ACME, { scope: 'sub' }))).code, 32);
  t.deepEqual(await answer(anon.search(ACME, { scope: 'base' })), await answer(anon.search(nonexistent, { scope: 'base' })));
  const open = await anon.search(GLOBEX, { scope: 'sub', filter: '(uid=*)' });
  t.deepEqual(open.searchEntries.map((e) => e.dn).sort(), [people(GLOBEX, 'alice'), people(GLOBEX, 'gina')]);
});

test("a bound client cannot use another tenant's anonymous access", async (t) => {
  // globex is open to anonymous search; an acme-bound client is not anonymous and sees only acme.
  t.is((await answer(acme.search(GLOBEX, { scope: 'base' }))).code, 32);
});

test('password modify cannot reach another tenant', async (t) => {
  const writer = h.client();
  await writer.bind(service(ACME, 'writer'), PASSWORDS.writer);
  const value = (dn: string): Buffer => {
    const id = Buffer.from(dn);
    const pw = Buffer.from('Another-Pass-123');
    const inner = Buffer.concat([Buffer.from([0x80, id.length]), id, Buffer.from([0x82, pw.length]), pw]);
    return Buffer.concat([Buffer.from([0x30, inner.length]), inner]);
  };
  const code = (await answer(writer.exop('1.3.6.1.4.1.4203.1.11.1', value(people(GLOBEX, 'gina'))))).code;
  t.is(code, 32);
  // gina's password is unchanged: the old one still binds, the one acme's writer tried does not.
  const g = h.client();
  t.is(await codeOf(g.bind(people(GLOBEX, 'gina'), 'Another-Pass-123')), 49);
  await g.bind(people(GLOBEX, 'gina'), 'Globex-Second-55');
  const who = await g.exop('1.3.6.1.4.1.4203.1.11.3');
  t.is(who.value, `dn:${people(GLOBEX, 'gina')}`);
});

test.serial('a reload that removes the tenant ends its bindings', async (t) => {
  const c = h.client();
  await c.bind(service(ACME, 'reader'), PASSWORDS.reader);
  t.is((await c.search(ACME, { scope: 'base' })).searchEntries.length, 1);
  const before = h.world.live.current();
  const without = { ...before, tenants: before.tenants.filter((x) => x.id !== 'acme'), byId: (id: string) => (id === 'acme' ? undefined : before.byId(id)), byDn: (dn: string) => { const x = before.byDn(dn); return x?.id === 'acme' ? undefined : x; } };
  h.world.live.replace(without);
  try {
    t.is((await answer(c.search(ACME, { scope: 'base' }))).code, 32);
    t.is((await answer(c.bind(service(ACME, 'reader'), PASSWORDS.reader))).code, 49);
  } finally {
    h.world.live.replace(before);
  }
});

/**
 * Spellings of globex's entries an attacker would try: case, spaces, hex escapes, attribute OIDs
 * for uid/ou/dc, a multi-valued RDN, quotes. Pipelined as a bound acme user over raw BER: none
 * may return an entry, and each gets the answer of a DN that does not exist (or invalidDNSyntax).
 */
function spellings(): string[] {
  const uid = ['uid', 'UID', 'Uid', '0.9.2342.19200300.100.1.1'];
  const ou = ['ou', 'OU', '2.5.4.11'];
  const dc = ['dc', 'DC', '0.9.2342.19200300.100.1.25'];
  const globex = ['globex', 'GLOBEX', '\\67lobex', '\\47\\4c\\4f\\42\\45\\58', 'Globex'];
  const sep = [',', ' , ', ';'];
  const out = new Set<string>();
  for (const u of uid) for (const o of ou) for (const d of dc) for (const g of globex) for (const s of sep) {
    out.add(`${u}=alice${s}${o}=people${s}${d}=${g}${s}${d}=example`);
    out.add(`${o}=people${s}${d}=${g}${s}${d}=example`);
    out.add(`${d}=${g}${s}${d}=example`);
  }
  out.add('uid=alice+cn=Alice,ou=people,dc=globex,dc=example');
  out.add('uid=alice,ou=people,dc=globex,dc=example ');
  out.add(' uid=alice,ou=people,dc=globex,dc=example');
  out.add('uid=alice,ou=people,dc=globex+dc=acme,dc=example');
  out.add('uid=alice,ou=people,dc=acme,dc=example,dc=globex,dc=example');
  return [...out];
}

test('hundreds of spellings of globex DNs, pipelined from a bound acme user: never an entry, never a hint', async (t) => {
  const dns = spellings();
  t.true(dns.length > 500);
  const c = await rawClient(h.port);
  t.teardown(() => c.close());
  c.send(simpleBind(1, people(ACME, 'alice'), PASSWORDS.alice));
  t.like((await c.read(1))[0], { code: 0 });
  // In slices of 60, under the per-connection limit of operations in progress.
  for (let from = 0; from < dns.length; from += 60) {
    const slice = dns.slice(from, from + 60);
    c.send(...slice.map((dn, i) => baseSearch(from + i + 2, dn)));
    const answers = await c.read(slice.length);
    for (const [i, a] of answers.entries()) {
      t.is(a.tag, 0x65, `no entry for ${slice[i]}`);
      t.true(a.code === 32 || a.code === 34, `${slice[i]} answered ${a.code}`);
      t.is(a.matched, '', `no matchedDN for ${slice[i]}`);
      t.notRegex(a.text ?? '', /globex/i, `no hint in the message for ${slice[i]}`);
    }
  }
});
