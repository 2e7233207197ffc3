// tenantdir user app-password add/list/revoke: generated credentials for a user's devices,
// through the admin API. add shows the secret once, to be typed into the device.
import { InvalidArgumentError, type Command } from 'commander';
import type { AppPasswordList, NewAppPasswordBody, NewAppPasswordJson } from '../../admin/api.ts';
import { ApiClient } from '../client.ts';
import { print, printRecord, printTable } from '../output.ts';
import { apiCommand, clientFor, type ApiOptions } from './common.ts';

interface Options extends ApiOptions {
  uid: string;
}

type Scopes = NonNullable<NewAppPasswordBody['scopes']>;
/** The API's scopes (checked against its type); the server validates again. */
const APP_PASSWORD_SCOPES = ['radius', 'ldap'] as const satisfies Scopes;

const path = (o: Options, ...rest: string[]) => ApiClient.tenantPath(o.tenant, 'users', o.uid, 'app-passwords', ...rest);

function scopes(v: string): Scopes {
  const list = [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))];
  if (list.length === 0 || list.some((s) => !(APP_PASSWORD_SCOPES as readonly string[]).includes(s))) {
    throw new InvalidArgumentError(`expected ${APP_PASSWORD_SCOPES.join(', ')} or both, comma-separated`);
  }
  return list as Scopes;
}

function command(parent: Command, name: string, description: string): Command {
  return apiCommand(parent, name, description).requiredOption('--uid <uid>', 'the user');
}

export function appPasswordCommands(user: Command): void {
  const group = user.command('app-password').description('generated passwords for a user\'s devices and applications (Wi-Fi, VPN, mail)');

  command(group, 'add', 'make an app password: the secret is shown this once')
    .requiredOption('--name <name>', 'what it is for, unique for the user (e.g. iphone, scanner)')
    .option('--scope <list>', `where it works: ${APP_PASSWORD_SCOPES.join(', ')} (default both)`, scopes)
    .action(async (o: Options & { name: string; scope?: Scopes }) => {
      const body: NewAppPasswordBody = { name: o.name, ...(o.scope ? { scopes: o.scope } : {}) };
      const a = await clientFor(o).request<NewAppPasswordJson>('POST', path(o), { body });
      print(o.json, a, () => {
        printRecord({ user: a.uid, name: a.name, scopes: a.scopes, secret: a.secret });
        console.log(`\nType the secret into the device as its password, with user name ${a.uid}. It is shown this once: `
          + 'it cannot be read back, only revoked.'
          + (a.scopes.includes('radius') && !a.mschapv2 ? '\nThe tenant does not allow MS-CHAPv2: it works with TTLS/PAP and RADIUS PAP, not PEAP.' : ''));
      });
    });

  command(group, 'list', 'the user\'s app passwords (names, scopes, when made and last used)').action(async (o: Options) => {
    const r = await clientFor(o).request<AppPasswordList>('GET', path(o));
    print(o.json, r, () => printTable(
      ['name', 'scopes', 'created', 'last used', 'peap', 'key'],
      r.items.map((a) => [a.name, a.scopes.join(','), a.createdAt, a.lastUsedAt ?? 'never', a.mschapv2 ? 'yes' : 'no', a.keyId]),
    ));
  });

  command(group, 'revoke', 'remove one app password; the password and the others keep working')
    .requiredOption('--name <name>', 'the app password')
    .action(async (o: Options & { name: string }) => {
      await clientFor(o).request('DELETE', path(o, o.name));
      print(o.json, { uid: o.uid, name: o.name, revoked: true }, () => console.log(`${o.uid}: app password ${o.name} revoked`));
    });
}
