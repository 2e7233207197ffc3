// MAC authentication bypass end to end, with radclient and pyrad as the NAS: registered devices
// in the spellings switches use get their groups' VLAN; unknown ones are rejected or quarantined;
// MAB off is a rejection; a MAC is never a user's password; tenants stay apart; a flood of MAB
// spends none of the users' budget.
import test from 'ava';
import type { TenantConfig } from '../../src/config/index.ts';
import { hashPassword, type Actor, type TenantDirectory } from '../../src/directory/index.ts';
import { ATTR, CODE, encodeRequest } from '../../src/radius/codec.ts';
import { ourClass, readClass } from '../../src/radius/session-class.ts';
import { pyrad, radclient } from './clients.ts';
import { exchange, fixtureCopy, identifier, NAS, papRequest, startFront, until, type Harness } from './helpers.ts';

const admin: Actor = { name: 'ops', protocol: 'admin' };
const PRINTER = 'aa:bb:cc:00:11:22';
const GLOBEX_CAM = '02:00:00:00:99:01';
/** A user whose uid happens to be a MAC, with that MAC (another spelling) as a migrated password. */
const MAC_USER = { uid: 'aabbcc003344', password: 'AA:BB:CC:00:33:44' };

const withMab = (extra = '') => (s: string) => s.replace(/requireMessageAuthenticator: (true|false)/, `$&\n  mab: { enabled: true${extra} }`);

let on: Harness;
let quarantine: Harness;
let off: Harness;
const dirs: { remove(): Promise<void> }[] = [];

function tenant(h: Harness, id: string): { config: TenantConfig; d: TenantDirectory } {
  const config = h.world.live.current().byId(id)!;
  return { config, d: h.world.directory.tenant(config) };
}

/** acme: printers (nested in staff, VLAN 20) with the printer in it, and the user named by a MAC; globex: a camera. */
async function populate(h: Harness): Promise<void> {
  const acme = tenant(h, 'acme').d;
  await acme.createGroup({ name: 'printers' }, admin);
  await acme.addMember('staff', { group: 'printers' }, admin);
  await acme.addDevice({ mac: PRINTER, name: 'HP 2nd floor', groups: ['printers'] }, admin);
  await acme.createUser({ uid: MAC_USER.uid, passwordHash: await hashPassword(MAC_USER.password, 4) }, admin);
  await tenant(h, 'globex').d.addDevice({ mac: GLOBEX_CAM, groups: ['engineers'] }, admin);
}

async function start(edit: (s: string) => string): Promise<Harness> {
  const copy = await fixtureCopy({ 'tenants/acme.yaml': edit, 'tenants/globex.yaml': edit });
  dirs.push(copy);
  const h = await startFront({ configDir: copy.dir });
  await populate(h);
  return h;
}

test.before(async () => {
  on = await start(withMab());
  quarantine = await start(withMab(', unknownVlan: 666'));
  off = await start((s) => s);
});
test.after.always(async () => {
  for (const h of [on, quarantine, off]) await h?.close();
  for (const d of dirs) await d.remove();
});

/** pyrad decodes a tagged string with its tag byte in front. */
const vlanOf = (r: Record<string, unknown>) => String(r['Tunnel-Private-Group-Id'] ?? '').replace(/^\x01/, '');

const acmeAuth = (h: Harness, attrs: string) => radclient(h.ports.auth, 'auth', NAS.acme.secret, `${attrs}, Message-Authenticator = 0x00`);

async function mabEvents(h: Harness, id: string, target: string) {
  return (await tenant(h, id).d.listAudit({ action: 'radius.mab', target, limit: 50 }));
}

test.serial('radclient: a registered MAC in three spellings (PAP, Cisco Call-Check, CHAP) gets its nested group\'s VLAN', async (t) => {
  const requests = [
    'User-Name = "AA-BB-CC-00-11-22", User-Password = "AA-BB-CC-00-11-22"',
    'User-Name = "aabbcc001122", User-Password = "aabbcc001122", Service-Type = Call-Check, Calling-Station-Id = "AA-BB-CC-00-11-22"',
    'User-Name = "aabb.cc00.1122", CHAP-Password = "aabb.cc00.1122"',
  ];
  for (const attrs of requests) {
    const r = await acmeAuth(on, attrs);
    t.regex(r.out, /Received Access-Accept/, attrs);
    t.regex(r.out, /Tunnel-Private-Group-Id:1 = "20"/, attrs);
    t.regex(r.out, /Aruba-User-Role = "employee"/, `staff's reply attributes reach the device: ${attrs}`);
    t.regex(r.out, /Class = 0x74646331/, `our Class: ${attrs}`);
  }
  // CHAP whose secret is not the MAC is no MAB request: CHAP for users stays refused.
  const chap = await acmeAuth(on, 'User-Name = "aabb.cc00.1122", CHAP-Password = "Correct-Horse-9"');
  t.regex(chap.out, /Received Access-Reject[\s\S]*Reply-Message = "CHAP is not supported/);
  const first = await acmeAuth(on, requests[0]!);
  t.regex(first.out, /User-Name = "AA-BB-CC-00-11-22"/, 'User-Name as the NAS spelled it');
  const events = await mabEvents(on, 'acme', 'aabbcc001122');
  t.true(events.length >= 3);
  t.true(events.every((e) => e.outcome === 'ok' && e.actor === 'radius:acme-ap'));
  t.true(on.logs.some((l) => l['event'] === 'radius.auth' && l['tenant'] === 'acme' && l['method'] === 'mab' && l['outcome'] === 'accept'));
  t.truthy((await tenant(on, 'acme').d.getDevice(PRINTER))?.lastSeenAt);
});

test.serial('pyrad: a registered MAC is accepted, an unregistered one rejected and audited', async (t) => {
  const ok = await pyrad({ mode: 'pap', port: on.ports.auth, secret: NAS.acme.secret, ma: true, user: PRINTER, password: 'aabbcc001122' });
  t.is(ok['code'], 2);
  t.is(vlanOf(ok), '20');
  const unknown = await pyrad({ mode: 'pap', port: on.ports.auth, secret: NAS.acme.secret, ma: true, user: 'aa:bb:cc:00:99:99', password: 'aa:bb:cc:00:99:99' });
  t.is(unknown['code'], 3);
  t.like((await mabEvents(on, 'acme', 'aabbcc009999'))[0], { outcome: 'failed', reason: 'unknown-device' });
  t.true(on.logs.some((l) => l['event'] === 'radius.auth' && l['user'] === 'aa:bb:cc:00:99:99' && l['outcome'] === 'reject' && l['reason'] === 'unknown-device'));
  const radc = await acmeAuth(on, 'User-Name = "aabbcc009999", User-Password = "aabbcc009999", Service-Type = Call-Check');
  t.regex(radc.out, /Received Access-Reject/);
});

test.serial('unknownVlan: an unregistered MAC is accepted into the quarantine VLAN, with nothing else of the tenant\'s', async (t) => {
  const r = await acmeAuth(quarantine, 'User-Name = "aabbcc009999", User-Password = "aabbcc009999"');
  t.regex(r.out, /Received Access-Accept/);
  t.regex(r.out, /Tunnel-Private-Group-Id:1 = "666"/);
  t.regex(r.out, /Session-Timeout = 3600/, 'asked again, so that a registration takes effect');
  t.notRegex(r.out, /Aruba-User-Role|Mikrotik-Group|acme-corp/, 'no replyAttributes, not even those for everyone');
  const py = await pyrad({ mode: 'pap', port: quarantine.ports.auth, secret: NAS.acme.secret, ma: true, user: 'AA-BB-CC-00-99-98', password: 'AA-BB-CC-00-99-98' });
  t.is(py['code'], 2);
  t.is(vlanOf(py), '666');
  t.like((await mabEvents(quarantine, 'acme', 'aabbcc009998'))[0], { outcome: 'failed', reason: 'quarantined', detail: { vlan: '666' } });
  const registered = await acmeAuth(quarantine, `User-Name = "${PRINTER}", User-Password = "${PRINTER}"`);
  t.regex(registered.out, /Tunnel-Private-Group-Id:1 = "20"/);
});

test.serial('MAB off: every MAB shape is rejected with a reason, and no device is looked up', async (t) => {
  for (const attrs of [
    `User-Name = "${PRINTER}", User-Password = "${PRINTER}"`,
    'User-Name = "aabbcc001122", User-Password = "whatever", Service-Type = Call-Check',
    'User-Name = "aabb.cc00.1122", CHAP-Password = "aabb.cc00.1122"',
  ]) {
    const r = await acmeAuth(off, attrs);
    t.regex(r.out, /Received Access-Reject[\s\S]*Reply-Message = "MAC authentication bypass is not enabled/, attrs);
  }
  const py = await pyrad({ mode: 'pap', port: off.ports.auth, secret: NAS.acme.secret, ma: true, user: PRINTER, password: PRINTER });
  t.is(py['code'], 3);
  const events = await mabEvents(off, 'acme', 'aabbcc001122');
  t.true(events.length >= 4 && events.every((e) => e.outcome === 'refused' && e.reason === 'mab-disabled'));
  t.is((await tenant(off, 'acme').d.getDevice(PRINTER))?.lastSeenAt, undefined);
});

test.serial('a user whose uid is a MAC is never authenticated by the MAC as password, MAB on or off', async (t) => {
  // The password is right: the directory itself would accept it.
  t.true((await tenant(on, 'acme').d.authenticate(MAC_USER.uid, { password: MAC_USER.password }, admin)).ok);
  for (const h of [on, off]) {
    const r = await acmeAuth(h, `User-Name = "${MAC_USER.uid}", User-Password = "${MAC_USER.password}"`);
    t.regex(r.out, /Received Access-Reject/);
    const py = await pyrad({ mode: 'pap', port: h.ports.auth, secret: NAS.acme.secret, ma: true, user: MAC_USER.uid, password: MAC_USER.uid });
    t.is(py['code'], 3);
  }
  // Where unknown MACs are quarantined, the MAC is one more unknown device, never the user.
  const q = await pyrad({ mode: 'pap', port: quarantine.ports.auth, secret: NAS.acme.secret, ma: true, user: MAC_USER.uid, password: MAC_USER.password });
  t.is(q['code'], 2);
  t.is(vlanOf(q), '666');
  for (const h of [on, off, quarantine]) {
    t.deepEqual(await tenant(h, 'acme').d.listAudit({ action: 'radius.auth', target: MAC_USER.uid, limit: 10 }), [], 'no password check ran');
    t.true((await mabEvents(h, 'acme', MAC_USER.uid)).length > 0, 'it went the MAB way');
  }
});

test.serial("isolation: globex's device is unknown at acme's NAS, and accepted with its own VLAN at globex's", async (t) => {
  const viaAcme = await pyrad({ mode: 'pap', port: on.ports.auth, secret: NAS.acme.secret, ma: true, user: GLOBEX_CAM, password: GLOBEX_CAM });
  t.is(viaAcme['code'], 3);
  t.like((await mabEvents(on, 'acme', '020000009901'))[0], { outcome: 'failed', reason: 'unknown-device' });
  t.deepEqual(await mabEvents(on, 'globex', '020000009901'), [], "nothing reaches globex's trail");
  const viaGlobex = await pyrad({ mode: 'pap', port: on.ports.auth, secret: NAS.globex.secret, bind: NAS.globex.address, user: GLOBEX_CAM, password: GLOBEX_CAM });
  t.is(viaGlobex['code'], 2);
  t.is(vlanOf(viaGlobex), '30');
  const printerViaGlobex = await pyrad({ mode: 'pap', port: on.ports.auth, secret: NAS.globex.secret, bind: NAS.globex.address, user: PRINTER, password: PRINTER });
  t.is(printerViaGlobex['code'], 3);
  // An MSP-wide NAS picks a tenant by realm; a bare MAC names none.
  const msp = await pyrad({ mode: 'pap', port: on.ports.auth, secret: NAS.msp.secret, bind: NAS.msp.address, ma: true, user: PRINTER, password: PRINTER });
  t.is(msp['code'], 3);
});

test.serial('accounting echoing the Class of a MAB accept is stored under the normalised MAC', async (t) => {
  const ok = await pyrad({ mode: 'pap', port: on.ports.auth, secret: NAS.acme.secret, ma: true, user: 'AA-BB-CC-00-11-22', password: 'AA-BB-CC-00-11-22' });
  const classes = ok['classes'] as string[];
  const sealed = ourClass(classes.map((c) => Buffer.from(c)));
  t.is(sealed && readClass(sealed, NAS.acme.secret, 'acme'), 'aabbcc001122');
  const acct = await pyrad({ mode: 'acct', port: on.ports.acct, secret: NAS.acme.secret, user: 'AA-BB-CC-00-11-22', status: 'Start', session: 'mab-1', classes });
  t.is(acct['code'], 5);
  const [record] = await on.world.store.tenant('acme').accounting.list({ sessionId: 'mab-1', limit: 1 });
  t.is(record?.user, 'aabbcc001122');
});

test.serial('Call-Check that names no MAC, or travels in EAP, is refused and never reaches a password check', async (t) => {
  const alice = encodeRequest({
    code: CODE.AccessRequest, identifier: identifier(), secret: NAS.acme.secret, password: 'Correct-Horse-9', messageAuthenticator: true,
    attributes: [{ type: ATTR.UserName, value: Buffer.from('alice') }, { name: 'Service-Type', value: 'Call-Check' }],
  });
  const r = await exchange({ from: NAS.acme.address, port: on.ports.auth, packet: alice });
  t.is(r?.code, CODE.AccessReject);
  t.regex(r?.string(ATTR.ReplyMessage) ?? '', /needs the MAC address as User-Name/);
  t.like((await mabEvents(on, 'acme', 'alice'))[0], { outcome: 'refused', reason: 'not-a-mac' });
  const eapMd5 = encodeRequest({
    code: CODE.AccessRequest, identifier: identifier(), secret: NAS.acme.secret, messageAuthenticator: true,
    attributes: [
      { type: ATTR.UserName, value: Buffer.from('aabbcc001122') }, { name: 'Service-Type', value: 'Call-Check' },
      { type: ATTR.EapMessage, value: Buffer.from([2, 7, 0, 17, 1, ...Buffer.from('aabbcc001122')]) },
    ],
  });
  const e = await exchange({ from: NAS.acme.address, port: on.ports.auth, packet: eapMd5 });
  t.is(e?.code, CODE.AccessReject);
  t.regex(e?.string(ATTR.ReplyMessage) ?? '', /EAP-MD5 is not supported/);
  t.deepEqual([...(e?.get(ATTR.EapMessage) ?? [])], [4, 7, 0, 4], 'EAP-Failure for the supplicant side');
});

test.serial('a flood of MAB requests spends none of the users\' budget; past its own per-NAS budget MAB is dropped as throttled', async (t) => {
  // More unknown MACs than the verifier's per-source burst (30): were they counted there, alice would be throttled.
  for (let i = 0; i < 60; i++) {
    const mac = `aabbcc10${i.toString(16).padStart(4, '0')}`;
    const r = await exchange({ from: NAS.acme.address, port: on.ports.auth, packet: papRequest({ user: mac, password: mac, secret: NAS.acme.secret }) });
    t.is(r?.code, CODE.AccessReject);
  }
  const alice = await exchange({ from: NAS.acme.address, port: on.ports.auth, packet: papRequest({ user: 'alice', password: 'Correct-Horse-9', secret: NAS.acme.secret }) });
  t.is(alice?.code, CODE.AccessAccept);

  const copy = await fixtureCopy({ 'tenants/acme.yaml': withMab() });
  const tight = await startFront({ configDir: copy.dir, mabRate: { burst: 3, perSecond: 0.001 } });
  t.teardown(async () => { await tight.close(); await copy.remove(); });
  await populate(tight);
  const codes: (number | undefined)[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await exchange({ from: NAS.acme.address, port: tight.ports.auth, packet: papRequest({ user: PRINTER, password: PRINTER, secret: NAS.acme.secret }) });
    codes.push(r?.code);
  }
  t.deepEqual(codes, [2, 2, 2]);
  // Past the budget the request is dropped, not rejected: the switch retries soon instead of
  // holding the port in its auth-fail state for its quiet period.
  const late: Promise<unknown>[] = [];
  for (let i = 0; i < 3; i++) {
    late.push(exchange({ from: NAS.acme.address, port: tight.ports.auth, packet: papRequest({ user: PRINTER, password: PRINTER, secret: NAS.acme.secret }), timeoutMs: 500 }));
  }
  await until(() => (tight.front.stats().dropped.throttled ?? 0) === 3, 'three throttled drops');
  t.deepEqual(await Promise.all(late), [undefined, undefined, undefined], 'no answer at all');
  const refused = (await mabEvents(tight, 'acme', 'aabbcc001122')).filter((e) => e.reason === 'throttled');
  t.is(refused.length, 1, 'one audit event for the run of throttled requests');
  const bob = await exchange({ from: NAS.acme.address, port: tight.ports.auth, packet: papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: NAS.acme.secret }) });
  t.is(bob?.code, CODE.AccessAccept, 'users of the same NAS are not held back');
});
