// The console as HTTP: the built page under a strict CSP with no inline script or style, app
// routes answered with index.html, the API's unknown paths still JSON 404s, cookies ignored;
// and the routes the console added (whoami, config status, RADIUS view).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { CONSOLE_CSP, CONSOLE_DIR } from '../../src/admin/console.ts';
import { startConsole, TOKENS, type ConsoleWorld } from './helpers.ts';

let w: ConsoleWorld;
test.before(async () => {
  w = await startConsole();
});
test.after.always(async () => w?.close());

const call = (path: string, o: { token?: string; headers?: Record<string, string> } = {}) =>
  fetch(`${w.url}${path}`, { headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers }, signal: AbortSignal.timeout(10_000) });

test('the built index.html has no inline script or style, and loads only same-origin files', async (t) => {
  const html = await readFile(join(CONSOLE_DIR, 'index.html'), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  t.true(scripts.length > 0);
  for (const [, attrs, body] of scripts) {
    t.regex(attrs!, /\bsrc="\/assets\/[^"]+\.js"/, 'every script is a same-origin file');
    t.is(body!.trim(), '', 'no inline script');
  }
  t.notRegex(html, /<style\b/i, 'no <style> element');
  t.notRegex(html, /\sstyle=/i, 'no style attribute');
  t.notRegex(html, /\son[a-z]+=/i, 'no inline event handler');
  t.notRegex(html, /(src|href)="(https?:)?\/\//i, 'nothing from another origin');
});

test('/ and app routes answer index.html with the CSP and security headers; assets too', async (t) => {
  for (const path of ['/', '/tenants/acme/users/alice', '/audit', '/tenants/globex']) {
    const r = await call(path);
    t.is(r.status, 200, path);
    t.regex(r.headers.get('content-type') ?? '', /^text\/html/);
    t.is(r.headers.get('content-security-policy'), CONSOLE_CSP);
    t.is(r.headers.get('x-content-type-options'), 'nosniff');
    t.is(r.headers.get('referrer-policy'), 'no-referrer');
    t.is(r.headers.get('x-frame-options'), 'DENY');
    t.regex(await r.text(), /<div id="app">/);
  }
  t.true(CONSOLE_CSP.includes("script-src 'self'") && CONSOLE_CSP.includes("frame-ancestors 'none'") && !CONSOLE_CSP.includes('unsafe'));
  const html = await (await call('/')).text();
  const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
  const asset = await call(js);
  t.is(asset.status, 200);
  t.regex(asset.headers.get('content-type') ?? '', /^text\/javascript/);
  t.regex(asset.headers.get('cache-control') ?? '', /immutable/);
  t.is(asset.headers.get('content-security-policy'), CONSOLE_CSP);
  t.is((await call('/assets/nope.js')).status, 404);
});

test('unknown API paths stay JSON 404s, and need a token as before', async (t) => {
  const r = await call('/api/v1/nope', { token: TOKENS.ops });
  t.is(r.status, 404);
  t.regex(r.headers.get('content-type') ?? '', /^application\/json/);
  t.is(((await r.json()) as { error: { code: string } }).error.code, 'TD_NOT_FOUND');
  t.is((await call('/api/v1/nope')).status, 401);
});

test('the API ignores cookies: a cookie is no credential, and no answer sets one', async (t) => {
  // Whatever a browser might attach on a cross-site request, without the bearer header it is refused.
  const cookie = { cookie: `token=${TOKENS.ops}; session=${TOKENS.ops}; authorization=Bearer%20${TOKENS.ops}` };
  for (const path of ['/api/v1/whoami', '/api/v1/tenants', '/api/v1/tenants/acme/users']) {
    const r = await call(path, { headers: cookie });
    t.is(r.status, 401, path);
    t.is(r.headers.get('set-cookie'), null);
  }
  const created = await fetch(`${w.url}/api/v1/tenants/acme/users`, {
    method: 'POST', headers: { ...cookie, 'content-type': 'application/json' }, body: JSON.stringify({ uid: 'csrf', cn: 'x', sn: 'x' }),
  });
  t.is(created.status, 401);
  const ok = await call('/api/v1/whoami', { token: TOKENS.ops, headers: cookie });
  t.is(ok.status, 200);
  t.is(ok.headers.get('set-cookie'), null);
  t.is((await call('/', {})).headers.get('set-cookie'), null);
});

test('whoami names the role, the tenants and what the role may do', async (t) => {
  const who = async (token: string) => (await call('/api/v1/whoami', { token })).json();
  t.deepEqual(await who(TOKENS.ops), { name: 'ops', role: 'msp-admin', tenants: 'all', may: { write: true, credential: true, msp: true } });
  t.deepEqual(await who(TOKENS.acmeAdmin), { name: 'acme-it', role: 'tenant-admin', tenants: ['acme'], may: { write: true, credential: true, msp: false } });
  t.deepEqual(await who(TOKENS.acmeHelpdesk), { name: 'acme-desk', role: 'helpdesk', tenants: ['acme'], may: { write: false, credential: true, msp: false } });
  t.is((await call('/api/v1/whoami', { token: 'not-a-token-at-all-000000000' })).status, 401);
});

test('the RADIUS view names the file and line of each NAS client and VLAN, never a secret; scoped', async (t) => {
  const r = await call('/api/v1/tenants/acme/radius', { token: TOKENS.acmeHelpdesk });
  t.is(r.status, 200);
  const text = await r.text();
  t.false(text.includes('acme-secret'), 'no secret');
  const body = JSON.parse(text) as { file: string; clients: { name: string; line: number }[]; vlans: { group: string; vlan: number; line: number }[] };
  t.is(body.file, join('tenants', 'acme.yaml'));
  const yaml = (await readFile(join(w.dir, 'tenants', 'acme.yaml'), 'utf8')).split('\n');
  t.is(body.clients[0]!.name, 'office-ap');
  t.regex(yaml[body.clients[0]!.line - 1]!, /name: office-ap/);
  t.deepEqual({ group: body.vlans[0]!.group, vlan: body.vlans[0]!.vlan }, { group: 'staff', vlan: 20 });
  t.regex(yaml[body.vlans[0]!.line - 1]!, /group: staff, vlan: 20/);
  t.is((await call('/api/v1/tenants/globex/radius', { token: TOKENS.acmeAdmin })).status, 404);
});

test('config status: msp-admin sees the last reload, a refused one naming file:line:col', async (t) => {
  t.is((await call('/api/v1/config/status', { token: TOKENS.acmeAdmin })).status, 403);
  const file = join(w.dir, 'tenants', 'globex.yaml');
  const good = await readFile(file, 'utf8');
  await writeFile(file, `${good}bogus: 1\n`);
  try {
    t.false(await w.daemon.reload('test'));
    const s = (await (await call('/api/v1/config/status', { token: TOKENS.ops })).json()) as {
      tenants: number; lastReload: { ok: boolean; reason: string; problems: { file: string; line: number; col: number; message: string }[] };
    };
    t.is(s.tenants, 2);
    t.false(s.lastReload.ok);
    const p = s.lastReload.problems[0]!;
    t.is(p.file, join('tenants', 'globex.yaml'));
    t.is(p.line, good.split('\n').length);
    t.is(p.col, 1);
    t.regex(p.message, /bogus/);
  } finally {
    await writeFile(file, good);
    t.true(await w.daemon.reload('test'));
  }
  const after = (await (await call('/api/v1/config/status', { token: TOKENS.ops })).json()) as { lastReload: { ok: boolean; problems: unknown[] } };
  t.true(after.lastReload.ok);
  t.deepEqual(after.lastReload.problems, []);
});
