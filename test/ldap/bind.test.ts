import test from 'ava';
import { ACME, GLOBEX, PASSWORDS, codeOf, people, service, startLdap, type Harness } from './helpers.ts';
import { rawClient, simpleBind } from './wire.ts';

let h: Harness;
test.before(async () => { h = await startLdap(); });
test.after.always(async () => { await h?.close(); });

test('a user binds with uid=U,ou=people and the right password', async (t) => {
  const c = h.client();
  await c.bind(people(ACME, 'alice'), PASSWORDS.alice);
  const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
  t.is(who.value, `dn:uid=alice,ou=people,${ACME}`);
});

test('bind DNs match case- and space-insensitively', async (t) => {
  const c = h.client();
  await c.bind('UID=Alice , OU=People, DC=Acme,dc=EXAMPLE', PASSWORDS.alice);
  const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
  t.is(who.value, `dn:uid=alice,ou=people,${ACME}`);
});

test('a YAML service account binds as cn=S,ou=services', async (t) => {
  const c = h.client();
  await c.bind(service(ACME, 'reader'), PASSWORDS.reader);
  const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
  t.is(who.value, `dn:cn=reader,ou=services,${ACME}`);
});

test('wrong password, unknown user, unknown tenant and non-bindable entries all give 49', async (t) => {
  const c = h.client();
  t.is(await codeOf(c.bind(people(ACME, 'alice'), 'wrong-password')), 49);
  t.is(await codeOf(c.bind(people(ACME, 'nobody'), 'whatever-1')), 49);
  t.is(await codeOf(c.bind(people('dc=nowhere,dc=example', 'alice'), PASSWORDS.alice)), 49);
  t.is(await codeOf(c.bind(`ou=people,${ACME}`, 'whatever-1')), 49);
  t.is(await codeOf(c.bind(service(ACME, 'nosuch'), 'whatever-1')), 49);
});

test('a disabled user gets 49 even with the right password; the reason is audited', async (t) => {
  const c = h.client();
  const err = await c.bind(people(ACME, 'carol'), PASSWORDS.carol).catch((e: Error & { code: number }) => e);
  t.is((err as { code: number }).code, 49);
  t.notRegex(String((err as Error).message), /disabled/i);
  const events = await h.world.store.tenant('acme').audit.list({ action: 'ldap.auth', target: 'carol', limit: 5 });
  t.is(events[0]?.reason, 'disabled');
});

test('an expired user gets 49', async (t) => {
  const acme = h.world.registry.byId('acme');
  if (!acme) throw new Error('fixture');
  await h.world.directory.tenant(acme).createUser({ uid: 'expired', cn: 'Ex Pired', password: 'Gone-Away-Since-99', expiresAt: new Date(Date.now() - 1000) }, { name: 'test', protocol: 'system' });
  t.is(await codeOf(h.client().bind(people(ACME, 'expired'), 'Gone-Away-Since-99')), 49);
});

test('smart lockout: one address that guesses waits (busy), the account locks for unfamiliar addresses only', async (t) => {
  const acme = h.world.registry.byId('acme');
  if (!acme) throw new Error('fixture');
  await h.world.directory.tenant(acme).createUser({ uid: 'locky', cn: 'Locky', password: 'Right-Secret-One-1' }, { name: 'test', protocol: 'system' });
  await h.client().bind(people(ACME, 'locky'), 'Right-Secret-One-1'); // from 127.0.0.1: now a familiar address
  const attacker = await rawClient(h.port, '127.0.0.2');
  t.teardown(() => attacker.close());
  for (let i = 1; i <= 4; i++) attacker.send(simpleBind(i, people(ACME, 'locky'), `bad-guess-${i}`));
  t.deepEqual((await attacker.read(4)).map((a) => a.code), [49, 49, 49, 51], 'three failures, then this address must wait');
  const elsewhere = await rawClient(h.port, '127.0.0.3');
  t.teardown(() => elsewhere.close());
  elsewhere.send(simpleBind(1, people(ACME, 'locky'), 'Right-Secret-One-1'));
  t.is((await elsewhere.read(1))[0]?.code, 49, 'the account is locked for an address it has not logged in from');
  const events = await h.world.store.tenant('acme').audit.list({ action: 'ldap.auth', target: 'locky', limit: 1 });
  t.is(events[0]?.reason, 'locked');
  await t.notThrowsAsync(h.client().bind(people(ACME, 'locky'), 'Right-Secret-One-1'), "the user's usual address still binds");
});

test('one address guessing under a tenant that does not exist is slowed exactly like one guessing an unknown user of a real tenant', async (t) => {
  const codes = async (from: string, dn: string): Promise<Array<number | undefined>> => {
    const c = await rawClient(h.port, from);
    t.teardown(() => c.close());
    for (let i = 1; i <= 4; i++) c.send(simpleBind(i, dn, `bad-guess-${i}`));
    return (await c.read(4)).map((a) => a.code);
  };
  const real = await codes('127.0.0.4', people(ACME, 'nobody-here'));
  const none = await codes('127.0.0.5', 'uid=nobody-here,ou=people,dc=no-such-tenant,dc=example');
  t.deepEqual(real, [49, 49, 49, 51]);
  t.deepEqual(none, real);
});

test('an unauthenticated bind (DN, empty password) is refused with 53', async (t) => {
  const c = h.client();
  t.is(await codeOf(c.bind(people(ACME, 'alice'), '')), 53);
  const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
  t.is(who.value ?? '', '');
});

test('an anonymous bind succeeds and leaves the connection anonymous', async (t) => {
  const c = h.client();
  await c.bind('', '');
  const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
  t.is(who.value ?? '', '');
});

test('a failed bind drops an earlier successful one', async (t) => {
  const c = h.client();
  await c.bind(people(ACME, 'alice'), PASSWORDS.alice);
  t.is(await codeOf(c.bind(people(ACME, 'alice'), 'nope')), 49);
  const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
  t.is(who.value ?? '', '');
});

test("A's credentials do not bind under B's DN", async (t) => {
  const c = h.client();
  // acme's alice password, globex's alice DN.
  t.is(await codeOf(c.bind(people(GLOBEX, 'alice'), PASSWORDS.alice)), 49);
  t.is(await codeOf(c.bind(service(GLOBEX, 'reader'), PASSWORDS.reader)), 49);
  await c.bind(people(GLOBEX, 'alice'), PASSWORDS.globexAlice);
  const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
  t.is(who.value, `dn:uid=alice,ou=people,${GLOBEX}`);
});

test('every bind is audited, failures and successes', async (t) => {
  const c = h.client();
  await c.bind(people(ACME, 'bob'), PASSWORDS.bob);
  await codeOf(c.bind(people(ACME, 'bob'), 'bad'));
  const events = await h.world.store.tenant('acme').audit.list({ action: 'ldap.auth', target: 'bob', limit: 2 });
  t.deepEqual(events.map((e) => e.outcome), ['failed', 'ok']);
  t.is(events[0]?.protocol, 'ldap');
});
