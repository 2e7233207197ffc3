// tenantdir device add/list/delete: devices for MAC authentication bypass. The MAC may be
// written in any common spelling; the daemon stores and prints it as 12 lowercase hex digits.
import type { Command } from 'commander';
import type { DeviceJson, NewDeviceBody } from '../../admin/api.ts';
import { ApiClient } from '../client.ts';
import { print, printTable } from '../output.ts';
import { apiCommand, clientFor, collect, type ApiOptions } from './common.ts';

interface DeviceOptions extends ApiOptions {
  mac: string;
}

const MAX_LIST = 100_000;

function deviceCommand(parent: Command, name: string, description: string): Command {
  return apiCommand(parent, name, description).requiredOption('--mac <mac>', 'the device\'s MAC address (aa:bb:cc:dd:ee:ff, AA-BB-.., aabb.ccdd.eeff or aabbccddeeff)');
}

export function deviceCommands(program: Command): void {
  const device = program.command('device').description('manage the devices of a tenant (MAC authentication bypass)');

  deviceCommand(device, 'add', 'register a device: the NAS may then admit it by its MAC')
    .option('--name <text>', 'what the device is ("printer 2nd floor")')
    .option('--group <name>', 'a group whose VLAN and reply attributes it gets (repeatable)', collect, [])
    .action(async (o: DeviceOptions & { name?: string; group: string[] }) => {
      const body: NewDeviceBody = { mac: o.mac, name: o.name, groups: o.group.length > 0 ? o.group : undefined };
      const d = await clientFor(o).request<DeviceJson>('POST', ApiClient.tenantPath(o.tenant, 'devices'), { body });
      print(o.json, d, () => console.log(`registered device ${d.mac}${d.groups.length > 0 ? ` in ${d.groups.join(', ')}` : ''} in ${o.tenant}`));
    });

  apiCommand(device, 'list', 'list devices, in MAC order').action(async (o: ApiOptions) => {
    const devices = await clientFor(o).all<DeviceJson>(ApiClient.tenantPath(o.tenant, 'devices'), {}, MAX_LIST);
    print(o.json, devices, () => printTable(
      ['mac', 'name', 'groups', 'last seen'],
      devices.map((d) => [d.mac, d.name, d.groups.join(','), d.lastSeenAt ?? 'never']),
    ));
  });

  deviceCommand(device, 'delete', 'remove a device: its MAC is no longer admitted').action(async (o: DeviceOptions) => {
    await clientFor(o).request('DELETE', ApiClient.tenantPath(o.tenant, 'devices', o.mac));
    print(o.json, { ok: true }, () => console.log(`deleted device ${o.mac}`));
  });
}
