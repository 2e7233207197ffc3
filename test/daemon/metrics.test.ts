// /metrics through a running daemon: a known sequence from real clients (ldapwhoami, radclient)
// shows up as exact counts, only the right tokens may scrape, and no user name or address
// becomes a label.
import { execFile } from 'node:child_process';
import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon } from '../../src/daemon/index.ts';
import { radclient } from '../radius/clients.ts';
import { configCopy, TOKEN } from './helpers.ts';

const SECRET = 'acme-secret-0123456789';
const SCRAPER = 'prometheus-scrape-token-0123456789';
const ACME_ADMIN = 'acme-admin-token-0123456789abcdef';

function ldapwhoami(port: number, dn: string, password: string): Promise<number> {
  return new Promise((resolve) => {
    execFile('ldapwhoami', ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', dn, '-w', password], { timeout: 8000 }, (err) => {
      resolve(err ? Number((err as { code?: number }).code ?? -1) : 0);
    });
  });
}

/** `name{labels} value` lines whose labels include every one given, summed. */
function sum(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[2]!.matchAll(/([a-z_]+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3]);
  }
  return total;
}

test('a known sequence from ldapwhoami and radclient is counted exactly; only msp-admin and metrics tokens scrape; no user or address is a label', async (t) => {
  const dir = await configCopy();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await appendFile(join(dir, 'tenantdir.yaml'), [
    `  - { name: prom, token: ${SCRAPER}, role: metrics }`,
    `  - { name: acme-admin, token: ${ACME_ADMIN}, role: tenant-admin, tenants: [acme] }`,
    '',
  ].join('\n'));
  const d = await startDaemon({ configDir: dir, logger: silentLogger() });
  t.teardown(() => d.close());
  const http = `http://127.0.0.1:${d.ports.http}`;
  const created = await fetch(`${http}/api/v1/tenants/acme/users`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ uid: 'zoe-metrics', password: 'Zebra-Crossing-42' }),
  });
  t.is(created.status, 201);

  const dn = 'uid=zoe-metrics,ou=people,dc=acme,dc=example';
  t.is(await ldapwhoami(d.ports.ldap, dn, 'Zebra-Crossing-42'), 0);
  t.is(await ldapwhoami(d.ports.ldap, dn, 'Wrong-Guess-1'), 49);
  t.regex((await radclient(d.ports.radiusAuth, 'auth', SECRET, 'User-Name = zoe-metrics, User-Password = Zebra-Crossing-42, Message-Authenticator = 0x00')).out, /Access-Accept/);
  t.regex((await radclient(d.ports.radiusAuth, 'auth', SECRET, 'User-Name = made-up-name-q7, User-Password = Wrong-Guess-1, Message-Authenticator = 0x00')).out, /Access-Reject/);
  t.true(await d.reload('test'));

  const scrape = async (token?: string) => fetch(`${http}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  // Audit events are counted once stored, which may follow the reply by a moment.
  let text = '';
  for (let i = 0; i < 100 && sum(text, 'tenantdir_authentications_total', { tenant: 'acme' }) < 4; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    text = await (await scrape(SCRAPER)).text();
  }
  const res = await scrape(SCRAPER);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^text\/plain/);
  text = await res.text();

  const auths = (protocol: string, outcome: string) => sum(text, 'tenantdir_authentications_total', { tenant: 'acme', protocol, outcome });
  t.deepEqual([auths('ldap', 'ok'), auths('ldap', 'failed'), auths('radius', 'ok'), auths('radius', 'failed')], [1, 1, 1, 1]);
  t.is(sum(text, 'tenantdir_authentications_total', { tenant: 'globex' }), 0);
  t.is(sum(text, 'tenantdir_authentication_failures_total', { protocol: 'radius', reason: 'no-such-user' }), 1);
  t.is(sum(text, 'tenantdir_authentication_failures_total', { protocol: 'ldap', reason: 'bad-password' }), 1);
  t.is(sum(text, 'tenantdir_request_duration_seconds_count', { protocol: 'radius', operation: 'access', outcome: 'accept' }), 1);
  t.is(sum(text, 'tenantdir_request_duration_seconds_count', { protocol: 'radius', operation: 'access', outcome: 'reject' }), 1);
  t.is(sum(text, 'tenantdir_request_duration_seconds_count', { protocol: 'ldap', operation: 'bind', outcome: '0' }), 1);
  t.is(sum(text, 'tenantdir_request_duration_seconds_count', { protocol: 'ldap', operation: 'bind', outcome: '49' }), 1);
  t.true(sum(text, 'tenantdir_store_call_duration_seconds_count', { repo: 'users', call: 'get' }) >= 2);
  t.is(sum(text, 'tenantdir_config_reloads_total', { outcome: 'ok' }), 1);
  t.regex(text, /^tenantdir_ldap_connections \d+$/m);
  t.regex(text, /^tenantdir_eap_conversations 0$/m);
  t.regex(text, /^tenantdir_process_resident_memory_bytes \d+/m);
  for (const leak of ['zoe-metrics', 'made-up-name-q7', '127.0.0.1', 'Zebra-Crossing-42', SECRET]) t.false(text.includes(leak), leak);

  t.is((await scrape(TOKEN)).status, 200, 'msp-admin may scrape');
  t.is((await scrape(ACME_ADMIN)).status, 403, 'a tenant-admin may not');
  t.is((await scrape()).status, 401);
  const tenantsAsScraper = await fetch(`${http}/api/v1/tenants`, { headers: { authorization: `Bearer ${SCRAPER}` } });
  t.is(tenantsAsScraper.status, 403, 'a metrics token reads nothing else');
});
