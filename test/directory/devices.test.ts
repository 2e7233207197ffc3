// Devices for MAC authentication bypass: registration in any spelling, groups that must exist,
// audit, the MAB login (nested groups, lastSeenAt at most hourly, quarantine), and tenants apart.
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Auditor } from '../../src/audit/index.ts';
import { loadConfig, type TenantConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { Directory, type Actor } from '../../src/directory/index.ts';
import { MemoryStore } from '../../src/store/index.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const admin: Actor = { name: 'ops', protocol: 'admin' };
const nas: Actor = { name: 'radius:ap', protocol: 'radius', source: '127.0.0.1' };
const INVALID = { code: 'TD_INVALID_INPUT' } as never;
const NOT_FOUND = { code: 'TD_NOT_FOUND' } as never;

async function setup() {
  const loaded = await loadConfig(FIXTURES);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const store = new MemoryStore();
  const clock = { now: new Date('2025-03-01T08:00:00Z') };
  const directory = new Directory({ store, auditor: new Auditor(store, silentLogger()), logger: silentLogger(), bcryptCost: 4, now: () => clock.now });
  const acme = loaded.registry.byId('acme')!;
  const globex = loaded.registry.byId('globex')!;
  const d = directory.tenant(acme);
  await d.createGroup({ name: 'staff' }, admin);
  await d.createGroup({ name: 'printers' }, admin);
  await d.addMember('staff', { group: 'printers' }, admin);
  return { store, directory, acme, globex, d, clock };
}

test('a device is registered in any spelling, stored normalised, listed and found in any spelling', async (t) => {
  const { d } = await setup();
  const added = await d.addDevice({ mac: 'AA-BB-CC-00-11-22', name: '  Printer 2nd floor ', groups: ['Printers'] }, admin);
  t.like(added, { mac: 'aabbcc001122', name: 'Printer 2nd floor', groups: ['printers'] });
  t.false('tenantId' in added);
  for (const m of ['aa:bb:cc:00:11:22', 'aabb.cc00.1122', 'AABBCC001122']) t.is((await d.getDevice(m))?.mac, 'aabbcc001122', m);
  await t.throwsAsync(d.addDevice({ mac: 'aabb.cc00.1122' }, admin), { code: 'TD_CONFLICT' } as never);
  await d.addDevice({ mac: '02:00:00:00:00:01' }, admin);
  t.deepEqual((await d.listDevices({ limit: 10 })).items.map((x) => x.mac), ['020000000001', 'aabbcc001122']);
});

test('refusals name the field: not a MAC, a group address, a group that does not exist, a bad name', async (t) => {
  const { d } = await setup();
  const bad = await t.throwsAsync(d.addDevice({ mac: 'printer-1' }, admin), INVALID);
  t.regex(bad?.message ?? '', /^mac "printer-1" is not a MAC address/);
  t.regex((await t.throwsAsync(d.addDevice({ mac: 'ff:ff:ff:ff:ff:ff' }, admin), INVALID))?.message ?? '', /multicast or broadcast/);
  t.regex((await t.throwsAsync(d.addDevice({ mac: 'aabbcc001122', groups: ['printers', 'nosuch'] }, admin), NOT_FOUND))?.message ?? '', /group "nosuch" does not exist/);
  await t.throwsAsync(d.addDevice({ mac: 'aabbcc001122', name: 'x'.repeat(257) }, admin), INVALID);
  await t.throwsAsync(d.addDevice({ mac: 'aabbcc001122', name: 'a\nb' }, admin), INVALID);
  t.is(await d.getDevice('aabbcc001122'), undefined, 'nothing was stored by the refusals');
  await t.throwsAsync(d.getDevice('nope'), INVALID);
  await t.throwsAsync(d.deleteDevice('aabbcc001199', admin), NOT_FOUND);
});

test('update and delete are audited, like add', async (t) => {
  const { d } = await setup();
  await d.addDevice({ mac: 'aabbcc001122', name: 'cam', groups: ['staff'] }, admin);
  const u = await d.updateDevice('AA:BB:CC:00:11:22', { name: null, groups: ['printers'] }, admin);
  t.false('name' in u);
  t.deepEqual(u.groups, ['printers']);
  await t.throwsAsync(d.updateDevice('aabbcc001122', { groups: ['nosuch'] }, admin), NOT_FOUND);
  t.deepEqual((await d.getDevice('aabbcc001122'))?.groups, ['printers']);
  await d.deleteDevice('aabb.cc00.1122', admin);
  t.is(await d.getDevice('aabbcc001122'), undefined);
  const events = await d.listAudit({ target: 'aabbcc001122', limit: 10 });
  t.deepEqual(events.map((e) => `${e.action}:${e.outcome}`).reverse(), ['device.add:ok', 'device.update:ok', 'device.delete:ok']);
  t.true(events.every((e) => e.actor === 'ops'));
  t.is(events.find((e) => e.action === 'device.add')?.detail?.groups, 'staff');
});

test('a MAB login finds the device with its groups, nested ones too, and is audited', async (t) => {
  const { d } = await setup();
  await d.addDevice({ mac: 'aabbcc001122', name: 'hp', groups: ['printers'] }, admin);
  const r = await d.authenticateDevice('AA-BB-CC-00-11-22', nas);
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.device.mac, 'aabbcc001122');
  t.deepEqual([...r.groups].sort(), ['printers', 'staff']);
  const unknown = await d.authenticateDevice('aabbcc009999', nas);
  t.deepEqual(unknown, { ok: false, reason: 'unknown-device' });
  const events = await d.listAudit({ action: 'radius.mab', limit: 10 });
  t.like(events.find((e) => e.target === 'aabbcc001122'), { outcome: 'ok', actor: 'radius:ap', protocol: 'radius', detail: { name: 'hp', source: '127.0.0.1' } });
  t.like(events.find((e) => e.target === 'aabbcc009999'), { outcome: 'failed', reason: 'unknown-device' });
});

test('lastSeenAt is written at the first login and then at most hourly; modifiedAt stays', async (t) => {
  const { d, clock } = await setup();
  const added = await d.addDevice({ mac: 'aabbcc001122' }, admin);
  const seen = async () => (await d.getDevice('aabbcc001122'))?.lastSeenAt?.toISOString();
  const start = clock.now;
  await d.authenticateDevice('aabbcc001122', nas);
  t.is(await seen(), start.toISOString());
  clock.now = new Date(start.getTime() + 59 * 60_000);
  await d.authenticateDevice('aabbcc001122', nas);
  t.is(await seen(), start.toISOString(), 'not again within the hour');
  clock.now = new Date(start.getTime() + 60 * 60_000);
  await d.authenticateDevice('aabbcc001122', nas);
  t.is(await seen(), clock.now.toISOString());
  t.deepEqual((await d.getDevice('aabbcc001122'))?.modifiedAt, added.modifiedAt);
});

test('an unknown MAC carries the quarantine VLAN where the tenant has unknownVlan', async (t) => {
  const { directory, acme } = await setup();
  const quarantining: TenantConfig = { ...acme, radius: { ...acme.radius, mab: { enabled: true, unknownVlan: 666 } } };
  const q = directory.tenant(quarantining);
  t.deepEqual(await q.authenticateDevice('aabbcc009999', nas), { ok: false, reason: 'unknown-device', quarantineVlan: 666 });
  t.like((await q.listAudit({ action: 'radius.mab', limit: 1 }))[0], { outcome: 'failed', reason: 'quarantined', detail: { vlan: '666' } });
});

test('deleting or renaming a group reaches the devices in it', async (t) => {
  const { d } = await setup();
  await d.addDevice({ mac: 'aabbcc001122', groups: ['printers', 'staff'] }, admin);
  await d.renameGroup('printers', 'printing', admin);
  t.deepEqual((await d.getDevice('aabbcc001122'))?.groups, ['staff', 'printing']);
  await d.deleteGroup('printing', admin);
  t.deepEqual((await d.getDevice('aabbcc001122'))?.groups, ['staff']);
});

test("another tenant's directory neither sees nor admits a tenant's device", async (t) => {
  const { directory, d, globex } = await setup();
  await d.addDevice({ mac: 'aabbcc001122' }, admin);
  const g = directory.tenant(globex);
  t.is(await g.getDevice('aabbcc001122'), undefined);
  t.deepEqual((await g.listDevices({ limit: 10 })).items, []);
  t.false((await g.authenticateDevice('aabbcc001122', nas)).ok);
  await t.throwsAsync(g.deleteDevice('aabbcc001122', admin), NOT_FOUND);
  t.truthy(await d.getDevice('aabbcc001122'));
});

test('a MAC address is never a password a user may set', async (t) => {
  const { d } = await setup();
  for (const password of ['AA:BB:CC:00:11:22', 'aabb.cc00.1122', 'Aa-Bb-Cc-00-11-22']) {
    const err = await t.throwsAsync(d.createUser({ uid: 'aabbcc001122', password }, admin), { code: 'TD_PASSWORD_POLICY' } as never);
    t.regex(err?.message ?? '', /must not be a MAC address|must mix/, password);
  }
  await d.createUser({ uid: 'lab' }, admin);
  const err = await t.throwsAsync(d.setPassword('lab', 'AA:BB:CC:00:11:22', admin), { code: 'TD_PASSWORD_POLICY' } as never);
  t.regex(err?.message ?? '', /must not be a MAC address/);
});
