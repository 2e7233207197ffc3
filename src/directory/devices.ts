// One tenant's devices for MAC authentication bypass: printers, cameras, phones registered by MAC
// (any common spelling, stored normalised) into existing groups, whose VLAN and reply attributes
// they get as users do, nested groups included. A MAB login is a lookup, not a password check:
// it hashes nothing and spends none of the credential verifier's buckets.
import type { TenantConfig } from '../config/index.ts';
import { InvalidInput, NotFound } from '../core/errors.ts';
import { nameKey } from '../core/ids.ts';
import { isGroupMac, toMac } from '../core/mac.ts';
import type { DeviceRecord, Page, PageResult, TenantStore } from '../store/index.ts';
import type { TenantGroups } from './groups.ts';
import type { Actor } from './inputs.ts';
import { changeDetail, type TenantAudit } from './tenant-audit.ts';

export type Device = Omit<DeviceRecord, 'tenantId'>;

export interface NewDeviceInput {
  mac: string;
  name?: string;
  groups?: string[];
}

/** A patch: undefined keeps a field, null (or '') clears the name; groups replace the list. */
export interface DeviceFields {
  name?: string | null;
  groups?: string[];
}

/**
 * A MAB login. `groups`: every group the device is in, nested ones included (name keys), for the
 * VLAN and reply attributes. An unknown MAC carries the tenant's quarantine VLAN, if it has one.
 */
export type DeviceAuthResult =
  | { ok: true; device: Device; groups: string[] }
  | { ok: false; reason: 'unknown-device'; quarantineVlan?: number };

/** lastSeenAt is written again at most this often: a device re-authenticates every few minutes. */
const SEEN_EVERY_MS = 3_600_000;
const MAX_NAME = 256;
const CONTROL = /[\u0000-\u001f\u007f]/;

function toDevice(r: DeviceRecord): Device {
  const { tenantId: _tenant, ...rest } = r;
  return rest;
}

export class TenantDevices {
  constructor(
    private readonly tenant: TenantConfig,
    private readonly store: TenantStore,
    private readonly groups: TenantGroups,
    private readonly audit: TenantAudit,
    private readonly now: () => Date,
  ) {}

  async get(mac: string): Promise<Device | undefined> {
    const r = await this.store.devices.get(toMac(mac));
    return r && toDevice(r);
  }

  async list(page: Page): Promise<PageResult<Device>> {
    const r = await this.store.devices.list(page);
    return { items: r.items.map(toDevice), ...(r.next === undefined ? {} : { next: r.next }) };
  }

  /** Conflict if the MAC is registered already (in whatever spelling); NotFound for a group that does not exist. */
  async add(input: NewDeviceInput, actor: Actor): Promise<Device> {
    const mac = deviceMac(input.mac);
    const name = checkDeviceName(input.name);
    const groups = await this.existingGroups(input.groups ?? []);
    const now = this.now();
    const created = await this.store.devices.create({ mac, ...(name ? { name } : {}), groups, createdAt: now, modifiedAt: now });
    await this.audit.record(actor, 'device.add', created.mac, 'ok', { groups: created.groups.join(',') });
    return toDevice(created);
  }

  async update(mac: string, fields: DeviceFields, actor: Actor): Promise<Device> {
    const name = fields.name === null ? '' : checkDeviceName(fields.name);
    const groups = fields.groups && (await this.existingGroups(fields.groups));
    let before: object = {};
    const updated = await this.store.devices.update(toMac(mac), (old) => {
      before = old;
      const next = { ...old, ...(groups ? { groups } : {}) };
      if (name === '') delete next.name;
      else if (name !== undefined) next.name = name;
      return next;
    });
    await this.audit.record(actor, 'device.update', updated.mac, 'ok', { fields: Object.keys(fields).join(','), ...changeDetail(before, updated, Object.keys(fields)) });
    return toDevice(updated);
  }

  async delete(mac: string, actor: Actor): Promise<void> {
    const key = toMac(mac);
    if (!(await this.store.devices.delete(key))) throw new NotFound(`device ${key} is not registered in tenant ${this.tenant.id}`);
    await this.audit.record(actor, 'device.delete', key, 'ok');
  }

  /**
   * A MAB login of `mac` (normalised or not), audited as `<protocol>.mab`: ok for a registered
   * device, failed (reason unknown-device, or quarantined where the tenant has unknownVlan) for
   * any other MAC.
   */
  async authenticate(mac: string, actor: Actor): Promise<DeviceAuthResult> {
    const key = toMac(mac);
    const action = `${actor.protocol}.mab`;
    const device = await this.store.devices.get(key);
    if (!device) {
      const vlan = this.tenant.radius.mab.unknownVlan;
      await this.audit.record(actor, action, key, 'failed', { method: 'mab', ...(vlan === undefined ? { reason: 'unknown-device' } : { reason: 'quarantined', vlan: String(vlan) }) });
      return { ok: false, reason: 'unknown-device', ...(vlan === undefined ? {} : { quarantineVlan: vlan }) };
    }
    const now = this.now();
    if (!device.lastSeenAt || now.getTime() - device.lastSeenAt.getTime() >= SEEN_EVERY_MS) await this.store.devices.touch(key, now);
    const groups = await this.groups.ancestorsOf(device.groups);
    await this.audit.record(actor, action, key, 'ok', { method: 'mab', ...(device.name ? { name: device.name } : {}) });
    return { ok: true, device: toDevice(device), groups };
  }

  /** Name keys of groups that all exist; NotFound names the first that does not. */
  private async existingGroups(names: readonly string[]): Promise<string[]> {
    for (const g of names) {
      if (!(await this.store.groups.get(g))) throw new NotFound(`group "${g}" does not exist in tenant ${this.tenant.id}`);
    }
    return [...new Set(names.map(nameKey))];
  }
}

/** A MAC to register: any common spelling of a device's own (unicast) address. */
function deviceMac(s: string): string {
  const mac = toMac(s);
  if (isGroupMac(mac)) throw new InvalidInput(`mac ${JSON.stringify(s)} is a multicast or broadcast address, not a device's own`);
  return mac;
}

function checkDeviceName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (name.length > MAX_NAME) throw new InvalidInput(`name is longer than ${MAX_NAME} characters`);
  if (CONTROL.test(name)) throw new InvalidInput('name must not contain control characters');
  return name.trim();
}
