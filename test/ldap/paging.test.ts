// Simple Paged Results (RFC 2696): pages through ldapts and python3-ldap3, cookies bounded in
// number and age per connection, and timeLimit.
import { execFile } from 'node:child_process';
import test from 'ava';
import { ACME, GLOBEX, PASSWORDS, codeOf, people, service, startLdap, withSlowUserQueries, type Harness } from './helpers.ts';

let h: Harness;
test.before(async () => { h = await startLdap({ limits: { maxPagedSearches: 1, pagedCookieTtlMs: 1500 } }); });
test.after.always(async () => { await h?.close(); });

test('ldapts searchPaginated walks every entry once, page by page', async (t) => {
  const c = h.client();
  await c.bind(service(ACME, 'reader'), PASSWORDS.reader);
  const pages: number[] = [];
  const dns: string[] = [];
  for await (const page of c.searchPaginated(ACME, { scope: 'sub', filter: '(objectClass=*)', attributes: ['1.1'], paged: { pageSize: 3 } })) {
    pages.push(page.searchEntries.length);
    dns.push(...page.searchEntries.map((e) => e.dn));
    if (pages.length > 20) break;
  }
  t.true(pages.length >= 4);
  t.true(pages.every((n) => n <= 3));
  t.is(new Set(dns).size, dns.length);
  t.true(dns.includes(people(ACME, 'dave')));
});

/**
 * Runs ldap3: page 1 of search A, page 1 of search B, [sleep], [a rebind as globex's reader],
 * then page 2 of A under `base`; prints that result's code and how many entries it returned.
 */
function secondPage(sleepSeconds: number, interleave: boolean, o: { rebind?: boolean; base?: string } = {}): Promise<string> {
  const script = `
import ldap3, time
c = ldap3.Connection(ldap3.Server('127.0.0.1', port=${h.port}), '${service(ACME, 'reader')}', '${PASSWORDS.reader}', auto_bind=True)
def page(base, cookie=None):
    c.search(base, '(objectClass=*)', attributes=['1.1'], paged_size=1, paged_cookie=cookie)
    ctl = c.result.get('controls', {}).get('1.2.840.113556.1.4.319', {}).get('value', {})
    return c.result['result'], ctl.get('cookie')
_, a = page('ou=people,${ACME}')
if ${interleave ? 'True' : 'False'}:
    page('ou=groups,${ACME}')
time.sleep(${sleepSeconds})
if ${o.rebind ? 'True' : 'False'}:
    c.rebind('${service(GLOBEX, 'reader')}', '${PASSWORDS.globexReader}')
code, _ = page('${o.base ?? `ou=people,${ACME}`}', a)
print(code, len(c.entries))
`;
  return new Promise((resolve) => execFile('/usr/bin/python3', ['-c', script], { timeout: 8000 }, (err, stdout, stderr) => resolve(err ? `error: ${stderr}` : stdout.trim())));
}

test('a cookie is good for its own search: the next page continues', async (t) => {
  t.is(await secondPage(0, false), '0 1');
});

test('cookies are bounded in number per connection: the oldest is dropped', async (t) => {
  t.is(await secondPage(0, true), '53 0');
});

test('cookies expire', async (t) => {
  t.is(await secondPage(2, false), '53 0');
});

test("a cookie does not survive a rebind into another tenant, nor serve another base", async (t) => {
  t.is(await secondPage(0, false, { rebind: true }), '32 0', "acme's base is not visible to globex");
  t.is(await secondPage(0, false, { rebind: true, base: `ou=people,${GLOBEX}` }), '53 0', "acme's cookie does not page globex");
  t.is(await secondPage(0, false, { base: `ou=groups,${ACME}` }), '53 0', 'nor another base of the same tenant');
});

test('timeLimit stops a search that runs too long', async (t) => {
  const c = h.client();
  await c.bind(service(ACME, 'reader'), PASSWORDS.reader);
  t.is(await withSlowUserQueries(h, 1200, () => codeOf(c.search(ACME, { scope: 'sub', filter: '(objectClass=*)', timeLimit: 1 }))), 3);
});
