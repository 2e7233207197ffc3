// Real clients against the front: radclient and radtest (freeradius-utils) and pyrad with an
// independent MS-CHAPv2 (pycryptodome). Install them with .ci/radius-deps.sh; a missing client
// fails the test rather than skipping it.
import test from 'ava';
import { pyrad, radclient, run } from './clients.ts';
import { fixtureCopy, NAS, startFront, type Harness } from './helpers.ts';

let strict: Harness;
let relaxed: Harness;
let relaxedDir: { remove(): Promise<void> };
test.before(async () => {
  strict = await startFront();
  // The same world with acme not requiring Message-Authenticator, for clients that send none.
  const copy = await fixtureCopy({ 'tenants/acme.yaml': (s) => s.replace('requireMessageAuthenticator: true', 'requireMessageAuthenticator: false') });
  relaxedDir = copy;
  relaxed = await startFront({ configDir: copy.dir });
});
test.after.always(async () => {
  await strict?.close();
  await relaxed?.close();
  await relaxedDir?.remove();
});

test.serial('radclient: PAP with Message-Authenticator → Access-Accept with tagged VLAN and vendor attributes', async (t) => {
  const r = await radclient(strict.ports.auth, 'auth', NAS.acme.secret, 'User-Name = alice, User-Password = Correct-Horse-9, Message-Authenticator = 0x00');
  t.is(r.code, 0, r.out);
  t.regex(r.out, /Received Access-Accept/);
  t.regex(r.out, /Tunnel-Type:1 = VLAN/);
  t.regex(r.out, /Tunnel-Medium-Type:1 = IEEE-802/);
  t.regex(r.out, /Tunnel-Private-Group-Id:1 = "99"/);
  t.regex(r.out, /Aruba-User-Role = "employee"/);
  t.regex(r.out, /Mikrotik-Group = "full"/);
});

test.serial('radclient: PAP without Message-Authenticator is dropped where required, accepted where not', async (t) => {
  const attrs = 'User-Name = bob, User-Password = Battery-Staple-7';
  const dropped = await radclient(strict.ports.auth, 'auth', NAS.acme.secret, attrs);
  t.not(dropped.code, 0);
  t.notRegex(dropped.out, /Received/);
  const ok = await radclient(relaxed.ports.auth, 'auth', NAS.acme.secret, attrs);
  t.regex(ok.out, /Received Access-Accept/);
});

test.serial('radclient: a wrong secret is dropped, not answered', async (t) => {
  const before = strict.front.stats().dropped['bad-message-authenticator'] ?? 0;
  const r = await radclient(strict.ports.auth, 'auth', 'wrong-secret-0123456789', 'User-Name = bob, User-Password = Battery-Staple-7, Message-Authenticator = 0x00');
  t.notRegex(r.out, /Received/);
  t.true((strict.front.stats().dropped['bad-message-authenticator'] ?? 0) > before);
});

test.serial('radtest: PAP accepted, wrong password rejected, CHAP and MS-CHAPv1 refused with a reason', async (t) => {
  const port = `127.0.0.1:${strict.ports.auth}`;
  t.regex((await run('radtest', ['bob', 'Battery-Staple-7', port, '0', NAS.acme.secret])).out, /Received Access-Accept/);
  t.regex((await run('radtest', ['bob', 'Not-The-Pass-1', port, '0', NAS.acme.secret])).out, /Received Access-Reject/);
  const chap = await run('radtest', ['-t', 'chap', 'bob', 'Battery-Staple-7', port, '0', NAS.acme.secret]);
  t.regex(chap.out, /Received Access-Reject[\s\S]*Reply-Message = "CHAP is not supported/);
  const v1 = await run('radtest', ['-t', 'mschap', 'bob', 'Battery-Staple-7', port, '0', NAS.acme.secret]);
  t.regex(v1.out, /Received Access-Reject[\s\S]*Reply-Message = "MS-CHAPv1 is not supported/);
});

test.serial('radclient: Status-Server on both ports; accounting Start/Interim/Stop acknowledged and stored', async (t) => {
  for (const port of [strict.ports.auth, strict.ports.acct]) {
    t.regex((await radclient(port, 'status', NAS.acme.secret, 'Message-Authenticator = 0x00')).out, /Received (Access-Accept|Accounting-Response)/);
  }
  for (const status of ['Start', 'Interim-Update', 'Stop']) {
    const r = await radclient(strict.ports.acct, 'acct', NAS.acme.secret,
      `User-Name = bob, Acct-Status-Type = ${status}, Acct-Session-Id = radclient-1, Acct-Input-Octets = 10, Acct-Session-Time = 5`);
    t.regex(r.out, /Received Accounting-Response/);
  }
  const records = await strict.world.store.tenant('acme').accounting.list({ sessionId: 'radclient-1', limit: 10 });
  t.deepEqual(records.map((r) => r.statusType).sort(), ['interim', 'start', 'stop']);
  t.true(records.every((r) => r.user === 'bob' && r.nas === 'acme-ap'));
});

test.serial('pyrad: PAP with and without Message-Authenticator; accounting stored', async (t) => {
  const globex = await pyrad({ mode: 'pap', port: strict.ports.auth, secret: NAS.globex.secret, bind: NAS.globex.address, user: 'gina', password: 'Engineer-Pass-77' });
  t.is(globex['code'], 2);
  t.regex(String(globex['Tunnel-Private-Group-Id']), /30$/);
  const acme = await pyrad({ mode: 'pap', port: strict.ports.auth, secret: NAS.acme.secret, ma: true, user: 'alice', password: 'Correct-Horse-9' });
  t.is(acme['code'], 2);
  t.is(acme['Session-Timeout'], 3600);
  t.is(acme['Class'], 'acme-corp');
  const acct = await pyrad({ mode: 'acct', port: strict.ports.acct, secret: NAS.globex.secret, bind: NAS.globex.address, user: 'gina', status: 'Start', session: 'pyrad-1' });
  t.is(acct['code'], 5);
  const records = await strict.world.store.tenant('globex').accounting.list({ sessionId: 'pyrad-1', limit: 10 });
  t.is(records[0]?.framedAddress, '10.9.8.7');
  t.is(records[0]?.outputOctets, 2000);
});

test.serial('pyrad MS-CHAPv2 (independent MD4/DES): authenticator response and RFC 2548 MPPE keys check out; failures carry E=691', async (t) => {
  const ok = await pyrad({ mode: 'mschapv2', port: strict.ports.auth, secret: NAS.acme.secret, ma: true, user: 'alice', password: 'Correct-Horse-9' });
  t.is(ok['code'], 2);
  t.true(ok['success_ok']);
  t.true(ok['keys_ok']);
  const bad = await pyrad({ mode: 'mschapv2', port: strict.ports.auth, secret: NAS.acme.secret, ma: true, user: 'alice', password: 'Wrong-Horse-99' });
  t.is(bad['code'], 3);
  t.regex(String(bad['error']), /^E=691 R=0 C=[0-9A-F]{32} V=3/);
  // globex keeps no NT hashes (allowMschapv2 off).
  const off = await pyrad({ mode: 'mschapv2', port: strict.ports.auth, secret: NAS.globex.secret, bind: NAS.globex.address, user: 'gina', password: 'Engineer-Pass-77' });
  t.is(off['code'], 3);
  t.regex(String(off['Reply-Message']), /MS-CHAPv2 is not enabled/);
});

test.serial('pyrad MS-CHAPv2 through a chain of proxies: an Accept that would pass 4,096 bytes becomes an Access-Reject that fits, every Proxy-State echoed', async (t) => {
  // 15 Proxy-State of 253 bytes fit in the request; with MS-CHAP2-Success, the MPPE keys, the
  // VLAN and the Class the Accept would not.
  const r = await pyrad({ mode: 'mschapv2', port: strict.ports.auth, secret: NAS.acme.secret, ma: true, user: 'alice', password: 'Correct-Horse-9', proxy_states: 15, timeout: 6 });
  t.is(r['code'], 3);
  t.is(r['proxy_states'], 15);
  t.true((r['length'] as number) <= 4096);
  t.true(strict.logs.some((l) => l['event'] === 'radius.auth' && l['user'] === 'alice' && l['method'] === 'mschapv2' && l['reason'] === 'reply-too-large'));
  // Fewer hops, and the same Accept fits.
  const ok = await pyrad({ mode: 'mschapv2', port: strict.ports.auth, secret: NAS.acme.secret, ma: true, user: 'alice', password: 'Correct-Horse-9', proxy_states: 2, timeout: 6 });
  t.is(ok['code'], 2);
  t.true(ok['success_ok']);
  t.is(ok['proxy_states'], 2);
});

test.serial('pyrad: PAP and MS-CHAPv2 accepts name the user and carry our Class; accounting echoing it is stored under that user', async (t) => {
  const pap = await pyrad({ mode: 'pap', port: strict.ports.auth, secret: NAS.acme.secret, ma: true, user: 'alice@acme.example', password: 'Correct-Horse-9' });
  t.is(pap['code'], 2);
  t.is(pap['User-Name'], 'alice');
  const classes = pap['classes'] as string[];
  t.deepEqual(classes.filter((c) => !c.startsWith('tdc1:')), ['acme-corp'], 'the configured Class stays');
  t.is(classes.filter((c) => c.startsWith('tdc1:')).length, 1);
  const mschap = await pyrad({ mode: 'mschapv2', port: strict.ports.auth, secret: NAS.acme.secret, ma: true, user: 'bob', password: 'Battery-Staple-7' });
  t.is(mschap['code'], 2);
  t.is(mschap['User-Name'], 'bob');
  t.true((mschap['classes'] as string[]).some((c) => c.startsWith('tdc1:')));
  // The NAS accounts under whatever name it likes; the Class says who it was.
  const acct = await pyrad({ mode: 'acct', port: strict.ports.acct, secret: NAS.acme.secret, user: 'somebody-else', status: 'Start', session: 'pyrad-class-1', classes: mschap['classes'] });
  t.is(acct['code'], 5);
  const [record] = await strict.world.store.tenant('acme').accounting.list({ sessionId: 'pyrad-class-1', limit: 10 });
  t.is(record?.user, 'bob');
});

test.serial('radclient: a user@realm of the tenant is accepted; a foreign realm is refused and the log says why', async (t) => {
  const ok = await radclient(strict.ports.auth, 'auth', NAS.acme.secret, 'User-Name = "alice@acme.example", User-Password = Correct-Horse-9, Message-Authenticator = 0x00');
  t.regex(ok.out, /Received Access-Accept/);
  t.regex(ok.out, /User-Name = "alice"/);
  t.regex(ok.out, /Class = 0x7464633[0-9a-f]+/); // "tdc1:..."
  const foreign = await radclient(strict.ports.auth, 'auth', NAS.acme.secret, 'User-Name = "alice@globex.example", User-Password = Correct-Horse-9, Message-Authenticator = 0x00');
  t.regex(foreign.out, /Received Access-Reject/);
  t.true(strict.logs.some((l) => l['event'] === 'radius.auth' && l['user'] === 'alice@globex.example' && l['reason'] === 'realm-not-allowed' && l['realm'] === 'globex.example'));
});

test.serial('pyrad: an unknown NAS gets no answer; another tenant\'s user is rejected', async (t) => {
  t.is((await pyrad({ mode: 'pap', port: strict.ports.auth, secret: NAS.unknown.secret, bind: NAS.unknown.address, user: 'bob', password: 'Battery-Staple-7', timeout: 0.5 }))['code'], null);
  t.is((await pyrad({ mode: 'pap', port: strict.ports.auth, secret: NAS.globex.secret, bind: NAS.globex.address, user: 'bob', password: 'Battery-Staple-7' }))['code'], 3);
});
