// In a real browser, as a tenant-admin of acme: enrol TOTP with the QR code shown, confirm it with
// a code computed from the secret on the page; add an app password whose secret is shown once.
import test from 'ava';
import { generate } from 'otplib';
import {axeSerious, consoleSuite, describe, signIn, TOKENS } from './helpers.ts';

const s = consoleSuite(test);

test('enrol TOTP: the QR code renders under the CSP, a code from the shown secret confirms it', async (t) => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, s.w.url, TOKENS.acmeAdmin, '/tenants/acme/users/bob');
  t.regex(await page.getByTestId('mfa-status').innerText(), /Not enrolled/);
  await page.getByRole('button', { name: 'Enrol TOTP' }).click();
  const secret = (await page.getByTestId('totp-secret').innerText()).trim();
  t.regex(secret, /^[A-Z2-7]{16,}$/);
  const qr = page.getByRole('img', { name: /QR code/ });
  await qr.waitFor();
  // A data: SVG the browser drew: img-src allows data:, and the code was made by the server, not fetched.
  t.true(await qr.evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth > 0; }));
  t.deepEqual(await axeSerious(page), [], describe(await axeSerious(page)));
  await page.getByLabel('First code from the app').fill(await generate({ secret }));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('The authenticator is confirmed.').waitFor();
  t.regex(await page.getByTestId('mfa-status').innerText(), /Enrolled and confirmed/);
  t.is(await page.getByTestId('totp-secret').count(), 0, 'the secret is gone once confirmed');
  const status = await fetch(`${s.w.url}/api/v1/tenants/acme/users/bob/mfa/totp`, { headers: { authorization: `Bearer ${TOKENS.ops}` } });
  t.like(await status.json(), { enrolled: true, confirmed: true });
  await page.close();
});

test('an app password is shown once, listed afterwards without its secret', async (t) => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, s.w.url, TOKENS.acmeAdmin, '/tenants/acme/users/alice');
  await page.getByLabel('Name (device)').fill('iphone');
  await page.getByRole('button', { name: 'Add app password' }).click();
  const secret = (await page.getByTestId('app-secret').innerText()).trim();
  t.true(secret.length >= 20);
  await page.getByRole('row', { name: /^iphone radius/ }).waitFor();
  await page.reload();
  await page.getByRole('row', { name: /^iphone radius/ }).waitFor();
  t.is(await page.getByTestId('app-secret').count(), 0);
  t.false((await page.content()).includes(secret), 'not shown again');
  await page.close();
});
