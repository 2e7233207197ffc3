// In a real browser, as a tenant-admin of acme: create a user, reset its password (the policy's
// refusal shown at the field, then a good one), and find the new user with ldapsearch.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import {axeSerious, consoleSuite, describe, signIn, TOKENS } from './helpers.ts';

const run = promisify(execFile);
const s = consoleSuite(test);

test('tenant-admin creates a user, is told the password policy, sets a good password; ldapsearch finds the user', async (t) => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, s.w.url, TOKENS.acmeAdmin, '/tenants/acme');
  await page.getByRole('button', { name: 'New user' }).click();
  await page.getByLabel('uid (login name)').fill('carol');
  await page.getByLabel('Full name').fill('Carol Danvers');
  await page.getByLabel('Surname').fill('Danvers');
  await page.getByLabel('Mail').fill('carol@acme.example');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.waitForURL('**/tenants/acme/users/carol');
  await page.getByTestId('user-status').waitFor();
  t.deepEqual(await axeSerious(page), [], describe(await axeSerious(page)));

  // Too short: the policy's message at the field, marked invalid.
  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Set password' }).click();
  const error = page.locator('#new-password-error');
  await error.waitFor();
  t.regex(await error.innerText(), /12/);
  t.is(await page.getByLabel('New password').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('New password').fill('Captain-Marvel-1995');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.locator('#pw-done').waitFor();
  t.is(await error.count(), 0);

  const { stdout } = await run('ldapsearch', [
    '-LLL', '-x', '-H', `ldap://127.0.0.1:${s.w.daemon.ports.ldap}`,
    '-D', 'uid=carol,ou=people,dc=acme,dc=example', '-w', 'Captain-Marvel-1995',
    '-b', 'dc=acme,dc=example', '(uid=carol)', 'uid', 'cn', 'mail',
  ], { timeout: 10_000 });
  t.regex(stdout, /^dn: uid=carol,ou=people,dc=acme,dc=example$/m);
  t.regex(stdout, /^cn: Carol Danvers$/m);
  t.regex(stdout, /^mail: carol@acme.example$/m);
  await page.close();
});
