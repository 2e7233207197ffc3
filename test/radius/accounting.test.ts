// Accounting-Request: verified, stored per tenant, acknowledged only after the store accepted it.
import test from 'ava';
import { StoreUnavailable } from '../../src/core/errors.ts';
import { CODE } from '../../src/radius/codec.ts';
import { accountingRequest, exchange, NAS, startFront, type Harness } from './helpers.ts';

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
