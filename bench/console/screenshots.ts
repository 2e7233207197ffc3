// Screenshots of every console page, for README: `npm run screenshots` (tsx bench/console/screenshots.ts).
// Starts the daemon on the console tests' fixture config (port 0), makes a little activity (users,
// good and wrong LDAP binds, a TOTP enrolment, an app password), then drives Debian's Chromium
// through playwright-core and writes docs/console/<page>.png at 1280×800 and a few at 390 px.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { launch, signIn, startConsole, TOKENS } from '../../test/console/helpers.ts';
import { PAGES } from '../../test/console/pages.ts';

const run = promisify(execFile);
const OUT = fileURLToPath(new URL('../../docs/console/', import.meta.url));
const PHONE = new Set(['overview', 'user', 'audit']);

const w = await startConsole();
const browser = await launch();
try {
  await mkdir(OUT, { recursive: true });
  const api = (method: string, path: string, body?: unknown) => fetch(`${w.url}/api/v1${path}`, {
    method, headers: { authorization: `Bearer ${TOKENS.ops}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  for (const [uid, cn] of [['carol', 'Carol Danvers'], ['dave', 'Dave Lister'], ['erin', 'Erin Brockovich']] as const) {
    await api('POST', '/tenants/acme/users', { uid, cn, sn: cn.split(' ')[1], mail: `${uid}@acme.example`, password: 'Screenshot-Pass-42', groups: ['staff'] });
  }
  await api('POST', '/tenants/acme/users/alice/app-passwords', { name: 'iphone' });
  const bind = (dn: string, pw: string) => run('ldapwhoami', ['-x', '-H', `ldap://127.0.0.1:${w.daemon.ports.ldap}`, '-D', dn, '-w', pw]).catch(() => undefined);
  for (let i = 0; i < 3; i++) await bind('uid=alice,ou=people,dc=acme,dc=example', 'Correct-Horse-9');
  for (let i = 0; i < 2; i++) await bind('uid=bob,ou=people,dc=acme,dc=example', 'not-his-password');

  const shoot = async (width: number, suffix: string, names: (n: string) => boolean) => {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    await page.goto(w.url);
    await page.getByLabel('Admin token').waitFor();
    if (names('signin')) await page.screenshot({ path: `${OUT}signin${suffix}.png` });
    await signIn(page, w.url, TOKENS.ops);
    for (const p of PAGES.filter((x) => names(x.name))) {
      await page.goto(`${w.url}${p.path}`);
      await p.ready(page);
      await page.screenshot({ path: `${OUT}${p.name}${suffix}.png`, fullPage: width < 600 || p.name === 'user' });
      console.log(`docs/console/${p.name}${suffix}.png`);
    }
    await page.close();
  };
  await shoot(1280, '', () => true);
  await shoot(390, '-390', (n) => PHONE.has(n));

  // Config health after a refused reload: a typo in a tenant file, named by file:line:col.
  const file = join(w.dir, 'tenants', 'globex.yaml');
  const good = await readFile(file, 'utf8');
  await writeFile(file, good.replace('radius:', 'radius:\n  vlan: [ { group: staff, vlan: 30 } ]'));
  await w.daemon.reload('file changed: tenants/globex.yaml');
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, w.url, TOKENS.ops);
  await page.getByTestId('config-problems').waitFor();
  await page.screenshot({ path: `${OUT}overview-config-problem.png` });
  console.log('docs/console/overview-config-problem.png');
  await page.close();
  await writeFile(file, good);
} finally {
  await browser.close();
  await w.close();
}
