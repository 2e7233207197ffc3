// tenantdir mfa (issue 10) through a real AdminServer: enroll shows a terminal QR code and the
// URI once; confirm with the app's first code; status; helpdesk resets; the API never shows the
// seed again, and a tenant-admin of globex cannot touch acme's users.
import anyTest, { type TestFn } from 'ava';
import { generate } from 'otplib';
import { startAdmin, TOKENS, type Api } from '../admin/helpers.ts';
import { cli } from './run.ts';

const test = anyTest as TestFn<{ api: Api; env: Record<string, string> }>;
test.before(async (t) => {
  t.context.api = await startAdmin();
  t.context.env = { TENANTDIR_URL: t.context.api.url, TENANTDIR_TOKEN: TOKENS.acmeAdmin };
});
test.after.always(async (t) => { await t.context.api?.close(); });

const acme = (...args: string[]) => [...args, '--tenant', 'acme'];

test.serial('enroll, confirm, status, reset: an MSP technician\'s round', async (t) => {
  const { env, api } = t.context;
  const enroll = await cli(acme('mfa', 'enroll', '--uid', 'bob'), { env });
  t.is(enroll.code, 0, enroll.stderr);
  t.regex(enroll.stdout, /[▀▄█]/, 'a QR code drawn in the terminal');
  const uri = /^uri:\s+(otpauth:\/\/\S+)$/m.exec(enroll.stdout)?.[1];
  t.truthy(uri);
  const secret = new URL(uri!).searchParams.get('secret')!;
  t.regex(enroll.stdout, new RegExp(`^secret:\\s+${secret}$`, 'm'));

  const status = await api.call(TOKENS.acmeAdmin, 'GET', '/api/v1/tenants/acme/users/bob/mfa/totp');
  t.like(status.body, { uid: 'bob', enrolled: true, confirmed: false });
  t.false(JSON.stringify(status.body).includes(secret), 'the seed is not shown again');

  const wrong = await cli(acme('mfa', 'confirm', '--uid', 'bob', '--code', '000000'), { env });
  t.is(wrong.code, 1);
  t.regex(wrong.stderr, /code is not valid/);
  const confirm = await cli(acme('mfa', 'confirm', '--uid', 'bob', '--code', await generate({ secret })), { env });
  t.is(confirm.code, 0, confirm.stderr);
  t.regex(confirm.stdout, /bob: authenticator confirmed/);
  const shown = await cli(acme('mfa', 'status', '--uid', 'bob', '--json'), { env });
  t.like(JSON.parse(shown.stdout), { enrolled: true, confirmed: true });

  t.is((await api.call(TOKENS.acmeHelpdesk, 'POST', '/api/v1/tenants/acme/users/bob/mfa/totp')).status, 403, 'helpdesk may not enrol');
  t.is((await api.call(TOKENS.globexAdmin, 'DELETE', '/api/v1/tenants/acme/users/bob/mfa/totp')).status, 404, 'nor may another tenant\'s admin see acme');
  const reset = await cli(acme('mfa', 'reset', '--uid', 'bob'), { env: { ...env, TENANTDIR_TOKEN: TOKENS.acmeHelpdesk } });
  t.is(reset.code, 0, reset.stderr);
  t.regex(reset.stdout, /authenticator removed/);

  const audit = await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/audit?limit=50');
  const actions = (audit.body.items as { action: string; target?: string }[]).filter((e) => e.target === 'bob').map((e) => e.action);
  t.true(['mfa.enroll', 'mfa.confirm', 'mfa.reset'].every((a) => actions.includes(a)), actions.join(','));
  t.false(JSON.stringify(audit.body).includes(secret), 'no seed in the audit trail');
});

test.serial('rotate-key re-seals the tenant\'s seeds', async (t) => {
  const r = await cli(acme('mfa', 'rotate-key', '--json'), { env: t.context.env });
  t.is(r.code, 0, r.stderr);
  t.like(JSON.parse(r.stdout), { tenant: 'acme', unreadable: [] });
});
