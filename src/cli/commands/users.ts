// tenantdir user add/passwd/disable/enable/unlock/renumber/delete/show/list, and app-password (app-passwords.ts)
import type { Command } from 'commander';
import type { NewUserBody, UnlockResult, UserJson } from '../../admin/api.ts';
import { ApiClient } from '../client.ts';
import { print, printRecord, printTable } from '../output.ts';
import { readPassword } from '../secret.ts';
import { appPasswordCommands } from './app-passwords.ts';
import { apiCommand, clientFor, collect, integer, type ApiOptions } from './common.ts';

interface UserOptions extends ApiOptions {
  uid: string;
}

interface AddOptions extends UserOptions {
  passwordStdin?: boolean;
  cn?: string;
  sn?: string;
  givenName?: string;
  mail?: string;
  group: string[];
  sshKey: string[];
  uidNumber?: number;
  gidNumber?: number;
  shell?: string;
  home?: string;
  disabled?: boolean;
}

const MAX_LIST = 100_000;

function userCommand(parent: Command, name: string, description: string): Command {
  return apiCommand(parent, name, description).requiredOption('--uid <uid>', 'the user');
}

const userPath = (o: UserOptions, ...rest: string[]) => ApiClient.tenantPath(o.tenant, 'users', o.uid, ...rest);

export function userCommands(program: Command): void {
  const user = program.command('user').description('manage the users of a tenant');

  userCommand(user, 'add', 'provision a user')
    .option('--password-stdin', 'read the password from stdin (prompted without echo at a terminal)')
    .option('--cn <name>', 'full name (default: the uid)')
    .option('--sn <surname>', 'surname (default: last word of cn)')
    .option('--given-name <name>', 'given name')
    .option('--mail <address>', 'e-mail address')
    .option('--group <name>', 'a group to join (repeatable)', collect, [])
    .option('--ssh-key <line>', 'an OpenSSH public key (repeatable)', collect, [])
    .option('--uid-number <n>', 'uidNumber (default: the tenant\'s next)', integer(0, 2_147_483_647))
    .option('--gid-number <n>', 'primary gidNumber (default: the uidNumber, a private group no group shares)', integer(0, 2_147_483_647))
    .option('--shell <path>', 'loginShell')
    .option('--home <path>', 'homeDirectory')
    .option('--disabled', 'create the account disabled')
    .action(async (o: AddOptions) => {
      // Undefined fields are left out of the JSON.
      const body: NewUserBody = {
        uid: o.uid,
        cn: o.cn,
        sn: o.sn,
        givenName: o.givenName,
        mail: o.mail,
        groups: o.group.length > 0 ? o.group : undefined,
        sshPublicKeys: o.sshKey.length > 0 ? o.sshKey : undefined,
        uidNumber: o.uidNumber,
        gidNumber: o.gidNumber,
        loginShell: o.shell,
        homeDirectory: o.home,
        enabled: o.disabled ? false : undefined,
      };
      const client = clientFor(o);
      if (o.passwordStdin) body.password = await readPassword({ prompt: `password for ${o.uid}`, confirm: true });
      const created = await client.request<UserJson>('POST', ApiClient.tenantPath(o.tenant, 'users'), { body });
      print(o.json, created, () => console.log(`created user ${created.uid} (uidNumber ${created.uidNumber}) in ${o.tenant}`));
    });

  userCommand(user, 'passwd', 'set a user\'s password (read from stdin; prompted without echo at a terminal)')
    .option('--password-stdin', 'read the password from stdin (the default; accepted for symmetry with add)')
    .action(async (o: UserOptions) => {
      const client = clientFor(o);
      const password = await readPassword({ prompt: `new password for ${o.uid}`, confirm: true });
      await client.request('PUT', userPath(o, 'password'), { body: { password } });
      print(o.json, { ok: true }, () => console.log(`password of ${o.uid} set`));
    });

  for (const [verb, done] of [['enable', 'enabled'], ['disable', 'disabled']] as const) {
    userCommand(user, verb, `${verb} a user's account`).action(async (o: UserOptions) => {
      const u = await clientFor(o).request<UserJson>('POST', userPath(o, verb));
      print(o.json, u, () => console.log(`${u.uid} ${done}`));
    });
  }

  userCommand(user, 'unlock', 'clear a lockout after failed logins').action(async (o: UserOptions) => {
    const r = await clientFor(o).request<UnlockResult>('POST', userPath(o, 'unlock'));
    print(o.json, r, () => console.log(r.unlocked ? `${o.uid} unlocked` : `${o.uid} is not locked (nothing changed)`));
  });

  userCommand(user, 'renumber', 'give a user a new uidNumber (its private group follows); then chown its files')
    .option('--uid-number <n>', 'the new uidNumber (default: the tenant\'s next)', integer(0, 2_147_483_647))
    .action(async (o: UserOptions & { uidNumber?: number }) => {
      const client = clientFor(o);
      const before = await client.request<UserJson>('GET', userPath(o));
      const u = await client.request<UserJson>('POST', userPath(o, 'renumber'), { body: { uidNumber: o.uidNumber } });
      print(o.json, u, () => console.log(`${u.uid}: uidNumber ${before.uidNumber} → ${u.uidNumber}, gidNumber ${before.gidNumber} → ${u.gidNumber}; `
        + `its files still carry the old numbers (find / -xdev -uid ${before.uidNumber})`));
    });

  userCommand(user, 'delete', 'delete a user').action(async (o: UserOptions) => {
    await clientFor(o).request('DELETE', userPath(o));
    print(o.json, { ok: true }, () => console.log(`deleted user ${o.uid}`));
  });

  userCommand(user, 'show', 'show a user').action(async (o: UserOptions) => {
    const u = await clientFor(o).request<UserJson>('GET', userPath(o));
    print(o.json, u, () => printRecord(u));
  });

  apiCommand(user, 'list', 'list users')
    .option('--prefix <text>', 'only uids starting with this')
    .option('--limit <n>', 'at most this many', integer(1, MAX_LIST), MAX_LIST)
    .action(async (o: ApiOptions & { prefix?: string; limit: number }) => {
      const users = await clientFor(o).all<UserJson>(ApiClient.tenantPath(o.tenant, 'users'), { q: o.prefix }, o.limit);
      print(o.json, users, () => printTable(
        ['uid', 'cn', 'mail', 'enabled', 'locked', 'groups'],
        users.map((u) => [u.uid, u.cn, u.mail, u.enabled ? 'yes' : 'no', u.lockedUntil ? `until ${u.lockedUntil}` : '', u.memberOf.join(',')]),
      ));
    });

  appPasswordCommands(user);
}
