// Accounting-Request: verified, stored per tenant, acknowledged only after the store accepted it,
// and attributed to the user who authenticated by the Class of our Access-Accept.
import test from 'ava';
import { StoreUnavailable } from '../../src/core/errors.ts';
import { ATTR, CODE, type Packet } from '../../src/radius/codec.ts';
import { accountingRequest, exchange, fixtureCopy, NAS, papRequest, startFront, type Harness } from './helpers.ts';

let h: Harness;
test.before(async () => { h = await startFront(); });
test.after.always(async () => { await h?.close(); });

const acct = (from: string, packet: Buffer, timeoutMs?: number) =>
  exchange({ from, port: h.ports.acct, packet, ...(timeoutMs === undefined ? {} : { timeoutMs }) });

test.serial('Start, Interim-Update and Stop are stored with their fields, then acknowledged', async (t) => {
  const base = { secret: NAS.acme.secret, session: 'sess-1', user: 'bob' };
  t.is((await acct(NAS.acme.address, accountingRequest({ ...base, status: 'Start', attributes: [{ name: 'Framed-IP-Address', value: '10.0.0.9' }, { name: 'Calling-Station-Id', value: 'AA-BB-CC-DD-EE-FF' }] })))?.code, CODE.AccountingResponse);
  t.is((await acct(NAS.acme.address, accountingRequest({ ...base, status: 'Interim-Update', attributes: [{ name: 'Acct-Input-Octets', value: 5 }, { name: 'Acct-Input-Gigawords', value: 1 }] })))?.code, CODE.AccountingResponse);
  t.is((await acct(NAS.acme.address, accountingRequest({ ...base, status: 'Stop', attributes: [{ name: 'Acct-Session-Time', value: 60 }, { name: 'Acct-Terminate-Cause', value: 'Idle-Timeout' }, { name: 'Acct-Delay-Time', value: 30 }] })))?.code, CODE.AccountingResponse);
  const records = await h.world.store.tenant('acme').accounting.list({ sessionId: 'sess-1', limit: 10 });
  const by = Object.fromEntries(records.map((r) => [r.statusType, r]));
  t.is(by['start']?.framedAddress, '10.0.0.9');
  t.is(by['start']?.callingStationId, 'AA-BB-CC-DD-EE-FF');
  t.is(by['start']?.nasAddress, '127.0.0.1');
  t.is(by['interim']?.inputOctets, 2 ** 32 + 5);
  t.is(by['stop']?.sessionTime, 60);
  t.is(by['stop']?.terminateCause, 'Idle-Timeout');
  t.true(Date.now() - by['stop']!.at.getTime() >= 29_000);
  t.true(records.every((r) => r.user === 'bob' && r.nas === 'acme-ap'));
  // Isolation: nothing in the other tenant.
  t.deepEqual(await h.world.store.tenant('globex').accounting.list({ sessionId: 'sess-1', limit: 10 }), []);
});

test.serial('a bad Request Authenticator is dropped', async (t) => {
  const p = accountingRequest({ secret: NAS.acme.secret, status: 'Start', session: 'forged', user: 'bob' });
  p[p.length - 1]! ^= 1;
  const before = h.front.stats().dropped['bad-authenticator'] ?? 0;
  t.is(await acct(NAS.acme.address, p, 400), undefined);
  t.is((h.front.stats().dropped['bad-authenticator'] ?? 0) - before, 1);
  t.deepEqual(await h.world.store.tenant('acme').accounting.list({ sessionId: 'forged', limit: 10 }), []);
});

test.serial('a store outage means no answer; the retry after recovery is stored and answered', async (t) => {
  const dir = h.world.directory.tenant(h.world.registry.byId('acme')!);
  const original = dir.recordAccounting.bind(dir);
  dir.recordAccounting = () => Promise.reject(new StoreUnavailable('test outage'));
  const p = accountingRequest({ secret: NAS.acme.secret, status: 'Start', session: 'outage-1', user: 'bob' });
  try {
    t.is(await acct(NAS.acme.address, p, 500), undefined);
    t.is(h.front.stats().dropped['store-unavailable'], 1);
  } finally {
    dir.recordAccounting = original;
  }
  // The NAS retransmits the same packet: not a cached "duplicate", worked on again.
  t.is((await acct(NAS.acme.address, p))?.code, CODE.AccountingResponse);
  t.is((await h.world.store.tenant('acme').accounting.list({ sessionId: 'outage-1', limit: 10 })).length, 1);
});

test.serial('MSP-wide NAS: records go to the realm\'s tenant; Accounting-On to every tenant it serves', async (t) => {
  t.is((await acct(NAS.msp.address, accountingRequest({ secret: NAS.msp.secret, status: 'Start', session: 'msp-1', user: 'bob@acme' })))?.code, CODE.AccountingResponse);
  const [r] = await h.world.store.tenant('acme').accounting.list({ sessionId: 'msp-1', limit: 10 });
  t.is(r?.user, 'bob');
  t.is(r?.nas, 'msp-core');
  // No realm, not On/Off: no tenant to keep it in, so no acknowledgement.
  t.is(await acct(NAS.msp.address, accountingRequest({ secret: NAS.msp.secret, status: 'Start', session: 'msp-2', user: 'bob' }), 400), undefined);
  t.is((await acct(NAS.msp.address, accountingRequest({ secret: NAS.msp.secret, status: 'Accounting-On', session: '' })))?.code, CODE.AccountingResponse);
  const on = await h.world.store.tenant('acme').accounting.list({ limit: 100 });
  t.true(on.some((x) => x.statusType === 'on' && x.nas === 'msp-core'));
});

// ---------------------------------------------------------------- Class: accounting names the user who authenticated

const classesOf = (p: Packet | undefined): Buffer[] => p?.all(ATTR.Class) ?? [];
const ours = (p: Packet | undefined): Buffer => {
  const c = classesOf(p).find((v) => v.toString('latin1').startsWith('tdc1:'));
  if (!c) throw new Error('no Class of ours in the reply');
  return c;
};
const login = (nas: keyof typeof NAS, user: string, password: string, harness: Harness = h) =>
  exchange({ from: NAS[nas].address, port: harness.ports.auth, packet: papRequest({ user, password, secret: NAS[nas].secret }) });
const withClass = (secret: string, session: string, user: string, classes: Buffer[]) =>
  accountingRequest({ secret, status: 'Start', session, user, attributes: classes.map((value) => ({ type: ATTR.Class, value })) });

test.serial('the Class of the Accept decides the user of the session, whatever User-Name says', async (t) => {
  const accept = await login('acme', 'alice', 'Correct-Horse-9');
  t.is(accept?.code, CODE.AccessAccept);
  // Every Class of the Accept, ours and the tenant's (replyAttributes), echoed as a NAS does.
  t.is((await acct(NAS.acme.address, withClass(NAS.acme.secret, 'class-1', 'anonymous@acme', classesOf(accept))))?.code, CODE.AccountingResponse);
  const [r] = await h.world.store.tenant('acme').accounting.list({ sessionId: 'class-1', limit: 10 });
  t.is(r?.user, 'alice');
  t.true(h.logs.some((l) => l['event'] === 'radius.acct' && l['by'] === 'class' && l['user'] === 'alice'));
});

test.serial('a Class is opaque, fresh per Accept, and altered it names nobody', async (t) => {
  const [a, b] = [ours(await login('acme', 'alice', 'Correct-Horse-9')), ours(await login('acme', 'alice', 'Correct-Horse-9'))];
  t.notDeepEqual(a, b);
  t.false(a.toString('latin1').includes('alice'));
  const altered = Buffer.from(a);
  altered[altered.length - 3] = altered[altered.length - 3] === 0x41 ? 0x42 : 0x41;
  t.is((await acct(NAS.acme.address, withClass(NAS.acme.secret, 'class-altered', 'anonymous', [altered])))?.code, CODE.AccountingResponse);
  const [r] = await h.world.store.tenant('acme').accounting.list({ sessionId: 'class-altered', limit: 10 });
  t.is(r?.user, 'anonymous', 'User-Name, not the altered Class');
  t.true(h.logs.some((l) => l['event'] === 'radius.acct' && l['class'] === 'not-verified' && l['user'] === 'anonymous'));
});

test.serial('a Class of one tenant never names a user at another tenant\'s NAS, even with the same secret', async (t) => {
  // globex's NAS shares acme's secret here: only the tenant binding stands in the way.
  const copy = await fixtureCopy({ 'tenants/globex.yaml': (s) => s.replace('globex-ap-secret-0123456789', NAS.acme.secret) });
  const shared = await startFront({ configDir: copy.dir });
  try {
    const accept = await login('acme', 'alice', 'Correct-Horse-9', shared);
    t.is(accept?.code, CODE.AccessAccept);
    const reply = await exchange({ from: NAS.globex.address, port: shared.ports.acct, packet: withClass(NAS.acme.secret, 'class-cross', 'alice', [ours(accept)]) });
    t.is(reply?.code, CODE.AccountingResponse);
    const [inGlobex] = await shared.world.store.tenant('globex').accounting.list({ sessionId: 'class-cross', limit: 10 });
    t.is(inGlobex?.user, 'alice', 'globex\'s own claim (User-Name), not acme\'s Class');
    t.true(shared.logs.some((l) => l['event'] === 'radius.acct' && l['tenant'] === 'globex' && l['class'] === 'not-verified'));
    t.deepEqual(await shared.world.store.tenant('acme').accounting.list({ sessionId: 'class-cross', limit: 10 }), []);
  } finally {
    await shared.close();
    await copy.remove();
  }
});

test.serial('MSP-wide NAS: the Class routes accounting that carries no realm at all', async (t) => {
  const accept = await login('msp', 'bob@acme', 'Battery-Staple-7');
  t.is(accept?.code, CODE.AccessAccept);
  t.is(accept?.string(ATTR.UserName), 'bob@acme');
  // Without the Class this would be dropped (no realm, so no tenant): see the MSP test above.
  t.is((await acct(NAS.msp.address, withClass(NAS.msp.secret, 'msp-class-1', 'anonymous', [ours(accept)])))?.code, CODE.AccountingResponse);
  const [r] = await h.world.store.tenant('acme').accounting.list({ sessionId: 'msp-class-1', limit: 10 });
  t.is(r?.user, 'bob');
});
