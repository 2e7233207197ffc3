// axe-core on every page of the console, signed in as msp-admin, at 1280×800 and at a phone's
// 390 px: no serious or critical violation. And the sign-in page, keyboard only.
import test from 'ava';
import {axeSerious, consoleSuite, describe, signIn, TOKENS } from './helpers.ts';
import { PAGES } from './pages.ts';

const s = consoleSuite(test);

test.serial('the sign-in page: no serious violation, and it works from the keyboard alone', async (t) => {
  const page = await s.browser.newPage({ viewport: { width: 390, height: 800 } });
  await page.goto(s.w.url);
  await page.getByLabel('Admin token').waitFor();
  t.deepEqual(await axeSerious(page), [], describe(await axeSerious(page)));
  await page.keyboard.press('Tab');
  t.is(await page.evaluate('document.activeElement?.id'), 'token');
  await page.keyboard.type(TOKENS.ops);
  await page.keyboard.press('Enter');
  await page.getByTestId('whoami').waitFor();
  await page.close();
});

// Halves of the page list per test, so that each stays well under 10 s.
const half = Math.ceil(PAGES.length / 2);
const parts = [PAGES.slice(0, half), PAGES.slice(half)];
for (const width of [1280, 390]) for (const [i, pages] of parts.entries()) {
  test.serial(`pages ${pages.map((p) => p.name).join(', ')} at ${width} px: no serious or critical axe violation (part ${i + 1})`, async (t) => {
    const page = await s.browser.newPage({ viewport: { width, height: 800 } });
    await signIn(page, s.w.url, TOKENS.ops);
    for (const p of pages) {
      await page.goto(`${s.w.url}${p.path}`);
      await p.ready(page);
      const v = await axeSerious(page);
      t.deepEqual(v, [], `${p.name}: ${describe(v)}`);
      if (width === 390) {
        // Nothing but wide tables (which scroll in their own box) may overflow a phone's width.
        const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as number;
        t.true(overflow <= 1, `${p.name} is ${overflow} px wider than the screen`);
      }
    }
    await page.close();
  });
}
