// tenantdir mfa enroll/confirm/status/reset/rotate-key: TOTP of a tenant's users, through the
// admin API. enroll shows the seed once, as a QR code in the terminal and as an otpauth:// URI.
import type { Command } from 'commander';
import QRCode from 'qrcode';
import type { ResealResult, TotpEnrolment, TotpResetResult, TotpStatusJson } from '../../admin/api.ts';
import { ApiClient } from '../client.ts';
import { print, printRecord } from '../output.ts';
import { apiCommand, clientFor, type ApiOptions } from './common.ts';

interface UserOptions extends ApiOptions {
  uid: string;
}

const totpPath = (o: UserOptions, ...rest: string[]) => ApiClient.tenantPath(o.tenant, 'users', o.uid, 'mfa', 'totp', ...rest);

function userCommand(parent: Command, name: string, description: string): Command {
  return apiCommand(parent, name, description).requiredOption('--uid <uid>', 'the user');
}

export function mfaCommands(program: Command): void {
  const mfa = program.command('mfa').description('TOTP second factor of a tenant\'s users');

  userCommand(mfa, 'enroll', 'make a new authenticator seed: shows a QR code to scan and the otpauth:// URI')
    .action(async (o: UserOptions) => {
      const e = await clientFor(o).request<TotpEnrolment>('POST', totpPath(o));
      const qr = o.json ? '' : await QRCode.toString(e.uri, { type: 'terminal', small: true });
      print(o.json, { uid: e.uid, uri: e.uri, secret: e.secret }, () => {
        process.stdout.write(qr.endsWith('\n') ? qr : `${qr}\n`);
        printRecord({ uri: e.uri, secret: e.secret });
        console.log(`\nScan the code with an authenticator app (or type the secret), then activate it with:\n`
          + `  tenantdir mfa confirm --tenant ${o.tenant} --uid ${o.uid} --code <the 6 digits the app shows>\n`
          + 'The seed is shown this once.');
      });
    });

  userCommand(mfa, 'confirm', 'activate an enrolment with the first code the app shows')
    .requiredOption('--code <digits>', 'the 6-digit code')
    .action(async (o: UserOptions & { code: string }) => {
      const s = await clientFor(o).request<TotpStatusJson>('POST', totpPath(o, 'confirm'), { body: { code: o.code } });
      print(o.json, s, () => console.log(`${s.uid}: authenticator confirmed${s.tenantMode === 'off' ? ' (the tenant\'s mfa.totp is off: it is not asked for yet)' : ''}`));
    });

  userCommand(mfa, 'status', 'whether the user has an authenticator').action(async (o: UserOptions) => {
    const s = await clientFor(o).request<TotpStatusJson>('GET', totpPath(o));
    print(o.json, s, () => printRecord({ ...s, enrolled: String(s.enrolled), confirmed: String(s.confirmed) }));
  });

  userCommand(mfa, 'reset', 'remove the user\'s authenticator (a lost or replaced phone)').action(async (o: UserOptions) => {
    const r = await clientFor(o).request<TotpResetResult>('DELETE', totpPath(o));
    print(o.json, r, () => console.log(r.reset ? `${o.uid}: authenticator removed; enroll again` : `${o.uid} had no authenticator (nothing changed)`));
  });

  apiCommand(mfa, 'rotate-key', 're-seal every TOTP seed of the tenant with the current key (the first of secrets.keys)')
    .action(async (o: ApiOptions) => {
      const r = await clientFor(o).request<ResealResult>('POST', ApiClient.tenantPath(o.tenant, 'mfa', 'reseal'));
      print(o.json, r, () => {
        console.log(`${r.tenant}: ${r.resealed} seed(s) re-sealed with the current key`);
        if (r.unreadable.length > 0) {
          console.log(`${r.unreadable.length} seed(s) did not open and were left as they are (reset them): ${r.unreadable.join(', ')}`);
          process.exitCode = 1;
        }
      });
    });
}
