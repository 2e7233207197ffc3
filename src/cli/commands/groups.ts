// tenantdir group add/delete/list/members/add-member/remove-member/renumber. A group is named by
// --group, as in `user add --group`; --name is its older spelling.
import type { Command } from 'commander';
import type { GroupJson, UserJson } from '../../admin/api.ts';
import { ApiClient, UsageError } from '../client.ts';
import { print, printTable } from '../output.ts';
import { apiCommand, clientFor, integer, type ApiOptions } from './common.ts';

interface GroupOptions extends ApiOptions {
  group?: string;
  name?: string;
}

interface MemberOptions extends GroupOptions {
  uid?: string;
  memberGroup?: string;
}

const MAX_LIST = 100_000;

function groupCommand(parent: Command, name: string, description: string): Command {
  return apiCommand(parent, name, description)
    .option('--group <group>', 'the group')
    .option('--name <group>', 'the group (the older spelling of --group)');
}

/** The group named by --group or --name: one of them, required. */
function groupOf(o: GroupOptions): string {
  if (o.group !== undefined && o.name !== undefined && o.group !== o.name) throw new UsageError('give the group once: --group (or its older spelling --name)');
  const g = o.group ?? o.name;
  if (g === undefined) throw new UsageError('name the group with --group <group>');
  return g;
}

/** users/<uid> or groups/<child>: exactly one of --uid and --member-group. */
function memberPath(o: MemberOptions, group: string): { path: string; label: string } {
  if ((o.uid === undefined) === (o.memberGroup === undefined)) throw new UsageError('give exactly one of --uid and --member-group');
  const [kind, id, label] = o.uid !== undefined ? ['users', o.uid, `user ${o.uid}`] : ['groups', o.memberGroup ?? '', `group ${o.memberGroup}`];
  return { path: ApiClient.tenantPath(o.tenant, 'groups', group, 'members', kind, id), label };
}

export function groupCommands(program: Command): void {
  const group = program.command('group').description('manage the groups of a tenant');

  groupCommand(group, 'add', 'create a group')
    .option('--description <text>', 'description')
    .option('--gid-number <n>', 'gidNumber (default: the tenant\'s next)', integer(0, 2_147_483_647))
    .action(async (o: GroupOptions & { description?: string; gidNumber?: number }) => {
      const g = await clientFor(o).request<GroupJson>('POST', ApiClient.tenantPath(o.tenant, 'groups'), {
        body: { name: groupOf(o), description: o.description, gidNumber: o.gidNumber },
      });
      print(o.json, g, () => console.log(`created group ${g.name} (gidNumber ${g.gidNumber}) in ${o.tenant}`));
    });

  groupCommand(group, 'delete', 'delete a group (its members stay)').action(async (o: GroupOptions) => {
    const name = groupOf(o);
    await clientFor(o).request('DELETE', ApiClient.tenantPath(o.tenant, 'groups', name));
    print(o.json, { ok: true }, () => console.log(`deleted group ${name}`));
  });

  groupCommand(group, 'renumber', 'give a group a new gidNumber; then chgrp its files')
    .option('--gid-number <n>', 'the new gidNumber (default: the tenant\'s next)', integer(0, 2_147_483_647))
    .action(async (o: GroupOptions & { gidNumber?: number }) => {
      const client = clientFor(o);
      const name = groupOf(o);
      const before = await client.request<GroupJson>('GET', ApiClient.tenantPath(o.tenant, 'groups', name));
      const g = await client.request<GroupJson>('POST', ApiClient.tenantPath(o.tenant, 'groups', name, 'renumber'), { body: { gidNumber: o.gidNumber } });
      print(o.json, g, () => console.log(`${g.name}: gidNumber ${before.gidNumber} → ${g.gidNumber}; `
        + `its files still carry the old number (find / -xdev -gid ${before.gidNumber})`));
    });

  apiCommand(group, 'list', 'list groups')
    .option('--prefix <text>', 'only names starting with this')
    .action(async (o: ApiOptions & { prefix?: string }) => {
      const groups = await clientFor(o).all<GroupJson>(ApiClient.tenantPath(o.tenant, 'groups'), { q: o.prefix }, MAX_LIST);
      print(o.json, groups, () => printTable(
        ['name', 'gidNumber', 'description', 'groups'],
        groups.map((g) => [g.name, g.gidNumber, g.description, g.memberGroups.join(',')]),
      ));
    });

  groupCommand(group, 'members', 'list the users in a group, through nested groups too')
    .option('--direct', 'only direct members')
    .action(async (o: GroupOptions & { direct?: boolean }) => {
      const users = await clientFor(o).all<UserJson>(
        ApiClient.tenantPath(o.tenant, 'groups', groupOf(o), 'members'), { direct: o.direct ? true : undefined }, MAX_LIST,
      );
      print(o.json, users, () => printTable(['uid', 'cn', 'mail'], users.map((u) => [u.uid, u.cn, u.mail])));
    });

  for (const [verb, method, done] of [['add-member', 'PUT', 'added to'], ['remove-member', 'DELETE', 'removed from']] as const) {
    groupCommand(group, verb, `${verb === 'add-member' ? 'add a user or a nested group to' : 'remove a user or a nested group from'} a group`)
      .option('--uid <uid>', 'a user')
      .option('--member-group <group>', 'a nested group')
      .action(async (o: MemberOptions) => {
        const name = groupOf(o);
        const m = memberPath(o, name);
        await clientFor(o).request(method, m.path);
        print(o.json, { ok: true }, () => console.log(`${m.label} ${done} ${name}`));
      });
  }
}
