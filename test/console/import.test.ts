// CSV import in a real browser: the file is parsed by the CLI's own reader in the page, sent in
// batches with a progress bar, and rows that fail are listed by their line while the rest import.
import test from 'ava';
import { consoleSuite, signIn, TOKENS } from './helpers.ts';

const s = consoleSuite(test);

test('a CSV of 150 users with two bad rows: progress to the end, 148 created, the bad rows named by line', async (t) => {
  const lines = ['uid,cn,sn,mail,password'];
  for (let i = 0; i < 150; i++) {
    if (i === 20) lines.push('bad uid!,Bad,Row,,');
    else if (i === 120) lines.push('weak,Weak,Password,,short');
    else lines.push(`user${i},User ${i},Number${i},user${i}@acme.example,`);
  }
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, s.w.url, TOKENS.acmeAdmin, '/tenants/acme/import');
  await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(`${lines.join('\n')}\n`) });
  const summary = page.locator('#import-summary');
  await summary.waitFor();
  t.regex(await summary.innerText(), /148 created, 0 updated, 0 unchanged, 2 failed/);
  const bar = page.locator('#import-progress');
  t.is(await bar.getAttribute('max'), '150');
  t.is(await bar.getAttribute('value'), '150');
  const errors = await page.getByTestId('import-errors').locator('tbody tr').allInnerTexts();
  t.is(errors.length, 2);
  t.regex(errors[0]!, /^22\s+bad uid!/);
  t.regex(errors[1]!, /^122\s+weak\s+.*12/);
  const r = await fetch(`${s.w.url}/api/v1/tenants/acme/users/user149`, { headers: { authorization: `Bearer ${TOKENS.ops}` } });
  t.is(r.status, 200);
  await page.close();
});
