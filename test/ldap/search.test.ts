import test from 'ava';
import { ACME, PASSWORDS, codeOf, group, people, service, startLdap, withSlowUserQueries, type Harness } from './helpers.ts';
import type { Client } from 'ldapts';

let h: Harness;
let c: Client;
test.before(async () => {
  h = await startLdap();
  c = h.client();
  await c.bind(service(ACME, 'reader'), PASSWORDS.reader);
});
test.after.always(async () => { await h?.close(); });

const dns = async (base: string, scope: 'base' | 'one' | 'sub', filter = '(objectClass=*)', attributes?: string[]): Promise<string[]> =>
  (await c.search(base, { scope, filter, ...(attributes ? { attributes } : {}) })).searchEntries.map((e) => e.dn).sort();

test('scopes base/one/sub at the base DN', async (t) => {
  t.deepEqual(await dns(ACME, 'base'), [ACME]);
  t.deepEqual(await dns(ACME, 'one'), [`ou=groups,${ACME}`, `ou=people,${ACME}`, `ou=services,${ACME}`]);
  const all = await dns(ACME, 'sub');
  t.true(all.includes(people(ACME, 'alice')));
  t.true(all.includes(group(ACME, 'staff')));
  t.true(all.includes(service(ACME, 'reader')));
  t.false(all.some((d) => d.includes('globex')));
});

test('scopes at ou=people, ou=groups, ou=services and at an entry', async (t) => {
  t.deepEqual(await dns(`ou=people,${ACME}`, 'base'), [`ou=people,${ACME}`]);
  t.deepEqual(await dns(`ou=people,${ACME}`, 'one'), ['alice', 'bob', 'carol', 'dave'].map((u) => people(ACME, u)));
  t.is((await dns(`ou=people,${ACME}`, 'sub')).length, 5);
  t.deepEqual(await dns(`ou=groups,${ACME}`, 'one'), ['admins', 'devs', 'staff'].map((g) => group(ACME, g)));
  t.deepEqual(await dns(`ou=services,${ACME}`, 'one'), [service(ACME, 'reader'), service(ACME, 'writer')]);
  t.deepEqual(await dns(people(ACME, 'bob'), 'base'), [people(ACME, 'bob')]);
  t.deepEqual(await dns(people(ACME, 'bob'), 'one'), []);
  t.deepEqual(await dns(people(ACME, 'bob'), 'sub'), [people(ACME, 'bob')]);
});

test('user entries: inetOrgPerson + posixAccount + shadowAccount + ldapPublicKey, memberOf nested', async (t) => {
  const [alice] = (await c.search(people(ACME, 'alice'), { scope: 'base' })).searchEntries;
  t.truthy(alice);
  t.deepEqual(alice?.objectClass, ['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'posixAccount', 'shadowAccount', 'ldapPublicKey']);
  t.is(alice?.uid, 'alice');
  t.is(alice?.mail, 'alice@acme.example');
  t.is(alice?.homeDirectory, '/home/alice');
  t.regex(String(alice?.uidNumber), /^\d+$/);
  t.deepEqual([alice?.memberOf].flat().sort(), [group(ACME, 'admins'), group(ACME, 'staff')]);
  t.is(alice?.userPassword, undefined);
  t.is(alice?.entryUUID, undefined, 'operational attributes only on request');
  const [dave] = (await c.search(people(ACME, 'dave'), { scope: 'base', attributes: ['memberOf'] })).searchEntries;
  t.deepEqual([dave?.memberOf].flat().sort(), [group(ACME, 'devs'), group(ACME, 'staff')], 'devs is nested in staff');
});

test('group entries: groupOfNames + posixGroup, member direct, memberUid nested', async (t) => {
  const [staff] = (await c.search(group(ACME, 'staff'), { scope: 'base' })).searchEntries;
  t.deepEqual(staff?.objectClass, ['top', 'groupOfNames', 'posixGroup']);
  t.deepEqual([staff?.member].flat().sort(), [group(ACME, 'devs'), people(ACME, 'alice'), people(ACME, 'bob'), people(ACME, 'carol')].sort());
  t.deepEqual([staff?.memberUid].flat().sort(), ['alice', 'bob', 'carol', 'dave']);
  t.regex(String(staff?.gidNumber), /^\d+$/);
});

test('operational attributes with + and by name; 1.1 returns none; typesOnly', async (t) => {
  const [plus] = (await c.search(people(ACME, 'bob'), { scope: 'base', attributes: ['+'] })).searchEntries;
  t.regex(String(plus?.entryUUID), /^[0-9a-f-]{36}$/);
  t.regex(String(plus?.createTimestamp), /^\d{14}Z$/);
  t.is(plus?.entryDN, people(ACME, 'bob'));
  t.is(plus?.hasSubordinates, 'FALSE');
  t.is(plus?.uid, undefined);
  const [named] = (await c.search(people(ACME, 'bob'), { scope: 'base', attributes: ['MAIL', 'modifyTimestamp', 'userPassword'] })).searchEntries;
  t.is(named?.mail, 'bob@acme.example');
  t.regex(String(named?.modifyTimestamp), /Z$/);
  t.deepEqual([named?.userPassword ?? []].flat(), [], 'never a password, even when asked');
  const [none] = (await c.search(people(ACME, 'bob'), { scope: 'base', attributes: ['1.1'] })).searchEntries;
  // ldapts lists requested names with no values; what matters is that nothing came back.
  t.deepEqual(Object.entries(none ?? {}).filter(([k, v]) => k !== 'dn' && [v].flat().length > 0), []);
  const [types] = (await c.search(people(ACME, 'bob'), { scope: 'base', attributes: ['cn'], returnAttributeValues: false })).searchEntries;
  t.deepEqual(types?.cn, []);
});

test('filters: equality, substrings, presence, ordering, approx, and/or/not, case-ignore', async (t) => {
  const sub = (f: string): Promise<string[]> => dns(ACME, 'sub', f);
  t.deepEqual(await sub('(uid=ALICE)'), [people(ACME, 'alice')]);
  t.deepEqual(await sub('(mail=Bob@Acme.Example)'), [people(ACME, 'bob')]);
  t.deepEqual(await sub('(cn=ali*)'), [people(ACME, 'alice')]);
  t.deepEqual(await sub('(cn=*SMITH)'), [people(ACME, 'alice')]);
  t.deepEqual(await sub('(cn=*o*es)'), [people(ACME, 'bob')]);
  t.deepEqual(await sub('(&(objectClass=posixAccount)(mail=*))'), ['alice', 'bob', 'dave'].map((u) => people(ACME, u)));
  t.deepEqual(await sub('(&(objectClass=inetOrgPerson)(!(mail=*)))'), [people(ACME, 'carol')]);
  t.deepEqual(await sub('(|(uid=alice)(cn=devs))'), [group(ACME, 'devs'), people(ACME, 'alice')]);
  t.deepEqual(await sub('(cn~=bob jones)'), [people(ACME, 'bob')]);
  const [alice] = (await c.search(people(ACME, 'alice'), { scope: 'base', attributes: ['uidNumber'] })).searchEntries;
  const n = Number(alice?.uidNumber);
  t.true((await sub(`(&(objectClass=posixAccount)(uidNumber>=${n}))`)).includes(people(ACME, 'alice')));
  t.false((await sub(`(&(objectClass=posixAccount)(uidNumber<=${n - 1}))`)).includes(people(ACME, 'alice')));
  t.deepEqual(await sub(`(&(objectClass=posixAccount)(uidNumber=${n}))`), [people(ACME, 'alice')]);
  t.deepEqual(await sub('(nosuchattribute=x)'), []);
  t.deepEqual(await sub('(userPassword=*)'), [], 'secrets cannot be probed by filter');
});

test('filters: DN-valued attributes compare as normalised DNs', async (t) => {
  const sub = (f: string): Promise<string[]> => dns(ACME, 'sub', f);
  t.deepEqual(await sub(`(memberOf=CN=Staff, OU=Groups,${ACME.toUpperCase()})`), ['alice', 'bob', 'carol', 'dave'].map((u) => people(ACME, u)));
  t.deepEqual(await sub(`(member=UID=Bob,ou=people,${ACME})`), [group(ACME, 'staff')]);
  t.deepEqual(await sub(`(member=cn=devs,ou=groups,${ACME})`), [group(ACME, 'staff')]);
  t.deepEqual(await sub('(memberUid=dave)'), [group(ACME, 'devs'), group(ACME, 'staff')]);
  t.deepEqual(await sub(`(entryDN=${people(ACME, 'dave')})`), [people(ACME, 'dave')]);
});

test('filters: extensible match', async (t) => {
  const sub = (f: string): Promise<string[]> => dns(ACME, 'sub', f);
  t.deepEqual(await sub('(cn:caseExactMatch:=Alice Smith)'), [people(ACME, 'alice')]);
  t.deepEqual(await sub('(cn:caseExactMatch:=alice smith)'), []);
  t.deepEqual(await sub('(cn:2.5.13.2:=ALICE SMITH)'), [people(ACME, 'alice')]);
  t.deepEqual(await sub('(&(objectClass=groupOfNames)(ou:dn:=groups))'), ['admins', 'devs', 'staff'].map((g) => group(ACME, g)));
  t.deepEqual(await sub('(:caseIgnoreMatch:=bob@acme.example)'), [people(ACME, 'bob')]);
  t.deepEqual(await sub('(cn:1.2.3.4.5:=x)'), [], 'unknown rules are Undefined');
});

test.serial('indexed filters reach the store as indexed queries, not scans', async (t) => {
  const acme = h.world.registry.byId('acme');
  if (!acme) throw new Error('fixture');
  const dir = h.world.directory.tenant(acme);
  const seen: unknown[] = [];
  const findUsers = dir.findUsers.bind(dir);
  const findGroups = dir.findGroups.bind(dir);
  dir.findUsers = async (q, p) => { seen.push(q); return findUsers(q, p); };
  dir.findGroups = async (q, p) => { seen.push(q); return findGroups(q, p); };
  const getUser = dir.getUser.bind(dir);
  dir.getUser = async (uid) => { seen.push({ get: uid }); return getUser(uid); };
  try {
    for (const f of ['(uid=bob)', '(mail=bob@acme.example)', `(memberOf=${group(ACME, 'staff')})`, `(member=${people(ACME, 'bob')})`,
      '(memberUid=bob)', '(&(objectClass=posixAccount)(uidNumber=10001))', '(cn=bo*)']) {
      seen.length = 0;
      await c.search(ACME, { scope: 'sub', filter: f, attributes: ['1.1'] });
      t.false(seen.some((q) => JSON.stringify(q) === '{"all":true}'), `${f} scanned: ${JSON.stringify(seen)}`);
      t.true(seen.length > 0, f);
    }
  } finally {
    dir.findUsers = findUsers;
    dir.findGroups = findGroups;
    dir.getUser = getUser;
  }
});

test('sizeLimit is honoured and capped by the server', async (t) => {
  // ldapts hands back the entries of a sizeLimitExceeded search without an error; ldapsearch shows the code.
  const limited = await c.search(ACME, { scope: 'sub', filter: '(objectClass=posixAccount)', sizeLimit: 2 }).catch((e: { code: number }) => e);
  t.true('code' in limited ? limited.code === 4 : limited.searchEntries.length === 2);
  const small = await startLdap({ limits: { maxSizeLimit: 1 } });
  try {
    const sc = small.client();
    await sc.bind(service(ACME, 'reader'), PASSWORDS.reader);
    const capped = await sc.search(ACME, { scope: 'sub', filter: '(objectClass=posixAccount)' }).catch((e: { code: number }) => e);
    t.true('code' in capped ? capped.code === 4 : capped.searchEntries.length === 1);
    t.is(await codeOf(sc.search(ACME, { scope: 'sub', filter: '(uid=bob)' })), undefined);
  } finally {
    await small.close();
  }
});

test('a missing entry gives 32 with the nearest existing ancestor as matchedDN', async (t) => {
  const err = await c.search(people(ACME, 'nobody'), { scope: 'base' }).catch((e: unknown) => e) as { code: number; message: string };
  t.is(err.code, 32);
  t.is(await codeOf(c.search(`ou=nowhere,${ACME}`, { scope: 'base' })), 32);
});

test('root DSE: readable anonymously; namingContexts only for the bound tenant', async (t) => {
  const anon = h.client();
  const [dse] = (await anon.search('', { scope: 'base', attributes: ['*', '+'] })).searchEntries;
  t.is(dse?.supportedLDAPVersion, '3');
  t.deepEqual([dse?.supportedExtension].flat().sort(), ['1.3.6.1.4.1.1466.20037', '1.3.6.1.4.1.4203.1.11.1', '1.3.6.1.4.1.4203.1.11.3']);
  t.is(dse?.supportedControl, '1.2.840.113556.1.4.319');
  t.is(dse?.vendorName, 'tenantdir');
  t.is(dse?.subschemaSubentry, 'cn=Subschema');
  t.is(dse?.namingContexts, undefined);
  const [mine] = (await c.search('', { scope: 'base', attributes: ['namingContexts'] })).searchEntries;
  t.is(mine?.namingContexts, ACME);
});

test('the subschema entry describes what we serve', async (t) => {
  const [s] = (await c.search('cn=subschema', { scope: 'base', attributes: ['attributeTypes', 'objectClasses'] })).searchEntries;
  const types = [s?.attributeTypes].flat().join('\n');
  t.regex(types, /NAME 'memberOf'/);
  t.regex(types, /NAME 'uidNumber'.*SINGLE-VALUE/);
  t.regex([s?.objectClasses].flat().join('\n'), /NAME 'posixAccount'/);
});

test('abandon stops a running search', async (t) => {
  // ldapts has no abandon call: send the PDUs by hand over a raw socket.
  const { connect } = await import('node:net');
  const sock = connect(h.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const received: Buffer[] = [];
  sock.on('data', (d: Buffer) => received.push(d));
  // bind as reader (message 1), search everything (2), abandon 2 (3).
  const str = (s: string, tag = 0x04): Buffer => Buffer.concat([Buffer.from([tag, Buffer.byteLength(s)]), Buffer.from(s)]);
  const seq = (tag: number, ...parts: Buffer[]): Buffer => { const b = Buffer.concat(parts); return Buffer.concat([Buffer.from(b.length < 128 ? [tag, b.length] : [tag, 0x82, b.length >> 8, b.length & 0xff]), b]); };
  const int = (n: number, tag = 0x02): Buffer => Buffer.from([tag, 1, n]);
  const bind = seq(0x30, int(1), seq(0x60, int(3), str(service(ACME, 'reader')), str(PASSWORDS.reader, 0x80)));
  const searchReq = seq(0x30, int(2), seq(0x63, str(ACME), int(2, 0x0a), int(0, 0x0a), int(0), int(0), Buffer.from([0x01, 1, 0]), str('objectClass', 0x87), seq(0x30)));
  const abandon = seq(0x30, int(3), Buffer.from([0x50, 1, 2]));
  sock.write(bind);
  await new Promise((r) => setTimeout(r, 100));
  // Slow the store down so the search is still running when the abandon arrives.
  try {
    await withSlowUserQueries(h, 300, async () => {
      sock.write(Buffer.concat([searchReq, abandon]));
      await new Promise((r) => setTimeout(r, 600));
    });
  } finally {
    sock.destroy();
  }
  const all = Buffer.concat(received);
  // The bind response (0x61) came; no SearchResultDone (0x65) for message 2 ever did.
  t.true(all.includes(Buffer.from([0x02, 0x01, 0x01, 0x61])));
  t.false(all.includes(Buffer.from([0x02, 0x01, 0x02, 0x65])));
});

// Serial, and cleaned up: the other tests count acme's users.
test.serial('long and non-ASCII values survive the entry encoder', async (t) => {
  const acme = h.world.registry.byId('acme');
  if (!acme) throw new Error('fixture');
  const dir = h.world.directory.tenant(acme);
  const cn = `Zoë Ångström ${'x'.repeat(240)}`;
  await dir.createUser({ uid: 'zoe', cn, sn: 'Ångström' }, { name: 'test', protocol: 'system' });
  try {
    const [zoe] = (await c.search(people(ACME, 'zoe'), { scope: 'base', attributes: ['cn', 'sn', 'uid'] })).searchEntries;
    t.is(zoe?.cn, cn);
    t.is(zoe?.sn, 'Ångström');
    t.deepEqual(await dns(ACME, 'sub', '(sn=ångström)'), [people(ACME, 'zoe')]);
  } finally {
    await dir.deleteUser('zoe', { name: 'test', protocol: 'system' });
  }
});
