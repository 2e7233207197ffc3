// The live tail in a real browser: fetch() with the bearer header over the streaming route; an
// event stored after the page opened appears, and the outcome filter keeps others out.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import {axeSerious, consoleSuite, describe, signIn, TOKENS } from './helpers.ts';

const run = promisify(execFile);
const s = consoleSuite(test);

const api = (method: string, path: string, body?: unknown) => fetch(`${s.w.url}/api/v1${path}`, {
  method, headers: { authorization: `Bearer ${TOKENS.acmeAdmin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
  ...(body ? { body: JSON.stringify(body) } : {}),
});

test('a user created elsewhere shows up in the live tail; with outcome failed, a failed bind does and a success does not', async (t) => {
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, s.w.url, TOKENS.acmeAdmin, '/audit');
  await page.getByTestId('tail-state').filter({ hasText: 'live' }).waitFor();
  t.deepEqual(await axeSerious(page), [], describe(await axeSerious(page)));
  t.is((await api('POST', '/tenants/acme/users', { uid: 'dave', cn: 'Dave', sn: 'D' })).status, 201);
  const row = page.locator('[data-testid="audit-tail"] tr[data-action="user.create"][data-target="dave"]');
  await row.waitFor();
  t.regex(await row.innerText(), /acme-it/);

  // Only failures: a new success does not appear; a failed login does.
  await page.getByLabel('Outcome').selectOption('failed');
  await page.getByTestId('tail-state').filter({ hasText: 'live' }).waitFor();
  t.is((await api('POST', '/tenants/acme/users', { uid: 'erin', cn: 'Erin', sn: 'E' })).status, 201);
  // A wrong password from ldapwhoami: a failed ldap.auth for bob.
  const bind = await run('ldapwhoami', ['-x', '-H', `ldap://127.0.0.1:${s.w.daemon.ports.ldap}`, '-D', 'uid=bob,ou=people,dc=acme,dc=example', '-w', 'wrong-password'], { timeout: 10_000 })
    .then(() => 0, (e: { code?: number }) => e.code);
  t.is(bind, 49);
  await page.locator('[data-testid="audit-tail"] tr[data-action="ldap.auth"][data-target="bob"]').waitFor();
  const actions = await page.locator('[data-testid="audit-tail"] tbody tr').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-action')} ${r.getAttribute('data-target')}`));
  t.false(actions.includes('user.create erin'), 'a success is filtered out');
  t.true(actions.every((a) => !a.startsWith('user.create')));
  await page.close();
});
