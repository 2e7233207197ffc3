// What each role sees in a real browser: a tenant-admin of acme sees nothing of globex (no row,
// no link, a typed URL is "not found" because the API says 404); helpdesk gets no create or
// delete buttons; a token revoked by a reload sends the console back to sign-in with a message.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { consoleSuite, signIn, TOKENS } from './helpers.ts';

const s = consoleSuite(test);

test.serial('a tenant-admin of acme sees nothing of globex: no row, no link, typed URLs are not found', async (t) => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, s.w.url, TOKENS.acmeAdmin);
  await page.locator('[data-tenant="acme"]').waitFor();
  t.regex(await page.getByTestId('whoami').innerText(), /acme-it\s+tenant-admin\s+· acme/);
  t.is(await page.locator('[data-tenant="globex"]').count(), 0);
  t.is(await page.locator('a[href*="globex"]').count(), 0);
  t.false((await page.content()).toLowerCase().includes('globex'));
  t.is(await page.getByRole('heading', { name: 'Configuration' }).count(), 0, 'config health is MSP-wide');
  for (const path of ['/tenants/globex', '/tenants/globex/users/hank', '/tenants/globex/nas']) {
    await page.goto(`${s.w.url}${path}`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    t.is(await page.getByText('hank').count(), 0, path);
  }
  await page.goto(`${s.w.url}/audit`);
  await page.getByLabel('Tenant').waitFor();
  t.deepEqual(await page.getByLabel('Tenant').locator('option').allInnerTexts(), ['acme']);
  await page.close();
});

test.serial('helpdesk sees no create or delete buttons, but may reset a password and unlock', async (t) => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, s.w.url, TOKENS.acmeHelpdesk, '/tenants/acme');
  await page.locator('#users-table tr[data-uid="alice"]').waitFor();
  t.is(await page.getByRole('button', { name: 'New user' }).count(), 0);
  await page.goto(`${s.w.url}/tenants/acme/groups`);
  await page.getByRole('link', { name: 'staff' }).waitFor();
  t.is(await page.getByRole('button', { name: 'Create group' }).count(), 0);
  await page.goto(`${s.w.url}/tenants/acme/users/alice`);
  await page.getByTestId('user-status').waitFor();
  await page.getByTestId('mfa-status').waitFor();
  for (const name of ['Delete user', 'Disable', 'Enrol TOTP', 'Add app password', 'Add']) {
    t.is(await page.getByRole('button', { name, exact: true }).count(), 0, name);
  }
  t.is(await page.getByRole('button', { name: 'Set password' }).count(), 1);
  t.is(await page.getByRole('button', { name: 'Unlock' }).count(), 1);
  await page.goto(`${s.w.url}/tenants/acme/import`);
  await page.getByText('Importing users needs a tenant-admin').waitFor();
  t.is(await page.getByLabel('CSV file').count(), 0);
  await page.close();
});

test.serial('a token revoked by a reload returns to sign-in with a message; signing out forgets the token', async (t) => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, s.w.url, TOKENS.acmeHelpdesk, '/tenants/acme');
  await page.locator('#users-table tr[data-uid="alice"]').waitFor();
  t.is(await page.evaluate('localStorage.length'), 0, 'nothing in localStorage');
  t.false(page.url().includes(TOKENS.acmeHelpdesk));
  const file = join(s.w.dir, 'tenantdir.yaml');
  const good = await readFile(file, 'utf8');
  await writeFile(file, good.replace(/^.*acme-desk.*\n/m, ''));
  try {
    t.true(await s.w.daemon.reload('test'));
    await page.getByLabel('Search by uid').fill('al');
    await page.getByText('no longer accepted').waitFor();
    t.is(await page.getByLabel('Admin token').count(), 1);
    t.is(await page.evaluate('sessionStorage.length'), 0);
  } finally {
    await writeFile(file, good);
    t.true(await s.w.daemon.reload('test'));
  }
  await signIn(page, s.w.url, TOKENS.acmeAdmin);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Admin token').waitFor();
  t.is(await page.evaluate('sessionStorage.length'), 0);
  await page.reload();
  await page.getByLabel('Admin token').waitFor();
  await page.close();
});
