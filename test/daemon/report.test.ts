// The report's numbers against a known sequence of authentications, driven through the running
// daemon by real clients — radclient (PAP right and wrong), ldapwhoami (simple bind right and
// wrong), eapol_test (TTLS/PAP) — then read through the API and the CLI (table, CSV, --all).
// Everything is counted, nothing timed. With TENANTDIR_REPORT_EXAMPLE=FILE the CLI's outputs are
// also written there (README's example comes from it).
import { appendFile, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon } from '../../src/daemon/index.ts';
import { cli } from '../cli/run.ts';
import { makePki } from '../eap/certs.ts';
import { eapol, ttlsPap } from '../eap/harness.ts';
import { radclient, run } from '../radius/clients.ts';
import { TOKEN } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/eap', import.meta.url));
const PKI_FILES = ['server.crt', 'server.key', 'acme-ca.crt', 'acme.crl'];
const SECRET = 'acme-ap-secret-0123456789';
const SEED = `tenants:
  acme:
    groups: [{ name: staff }, { name: printers }]
    users:
      - { uid: alice, password: Correct-Horse-9, cn: Alice Smith, sn: Smith, groups: [staff] }
      - { uid: bob, password: Battery-Staple-8, cn: Bob Jones, sn: Jones, groups: [staff] }
      - { uid: carol, password: Tulip-Garden-31, cn: Carol White, sn: White, groups: [printers] }
`;

test('the report counts exactly what real clients did: by protocol and method, top failing user, lockout, never logged in', async (t) => {
  const pki = makePki();
  t.teardown(() => pki.remove());
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-daemon-report-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(FIXTURE, dir, { recursive: true });
  await mkdir(join(dir, 'pki'));
  await Promise.all(PKI_FILES.map((f) => cp(pki.path(f), join(dir, 'pki', f))));
  await writeFile(join(dir, 'seed.yaml'), SEED);
  await appendFile(join(dir, 'tenantdir.yaml'), `admins:\n  - { name: ops, token: ${TOKEN}, role: msp-admin }\n`);
  await appendFile(join(dir, 'tenants', 'acme.yaml'), [
    'passwordPolicy: { lockout: { threshold: 3, windowMinutes: 15, durationMinutes: 15 } }',
    'mfa: { totp: optional, exemptGroups: [printers] }', '',
  ].join('\n'));
  const d = await startDaemon({ configDir: dir, logger: silentLogger() });
  t.teardown(() => d.close());

  const pap = (user: string, password: string) =>
    radclient(d.ports.radiusAuth, 'auth', SECRET, `User-Name = ${user}, User-Password = ${password}, Message-Authenticator = 0x00`);
  const whoami = (user: string, password: string) =>
    run('ldapwhoami', ['-x', '-H', `ldap://127.0.0.1:${d.ports.ldap}`, '-D', `uid=${user},ou=people,dc=acme,dc=example`, '-w', password]);

  // The known sequence, one at a time.
  t.regex((await pap('alice', 'Correct-Horse-9')).out, /Received Access-Accept/);
  t.regex((await pap('alice', 'Wrong-Horse-99')).out, /Received Access-Reject/);
  t.is((await whoami('alice', 'Correct-Horse-9')).code, 0);
  t.is((await whoami('alice', 'Wrong-Horse-99')).code, 49);
  const eap = await eapol({ pki, port: d.ports.radiusAuth }, ttlsPap({ pki }, 'alice', 'Correct-Horse-9'));
  t.true(eap.success, eap.output.slice(-1500));
  // Three wrong passwords for carol from an address she never logged in from: locked at the third.
  for (let i = 0; i < 3; i++) t.regex((await pap('carol', `Not-Her-Password-${i}`)).out, /Received Access-Reject/);

  const env = { TENANTDIR_URL: `http://127.0.0.1:${d.ports.http}`, TENANTDIR_TOKEN: TOKEN };
  const json = await cli(['report', '--tenant', 'acme', '--since', '1d', '--json'], { env });
  t.is(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout);
  t.like(r.authentications, { ok: 3, failed: 5, successRate: 3 / 8 });
  t.deepEqual(r.authentications.byMethod, [
    { protocol: 'radius', method: 'pap', ok: 1, failed: 4 },
    { protocol: 'ldap', method: 'simple', ok: 1, failed: 1 },
    { protocol: 'radius', method: 'ttls/pap', ok: 1, failed: 0 },
  ]);
  t.deepEqual(r.authentications.byDay.reduce((n: { ok: number; failed: number }, x: { ok: number; failed: number }) => ({ ok: n.ok + x.ok, failed: n.failed + x.failed }), { ok: 0, failed: 0 }), { ok: 3, failed: 5 });
  t.deepEqual(r.topFailingUsers.map((u: { user: string; failures: number }) => [u.user, u.failures]), [['carol', 3], ['alice', 2]]);
  // RADIUS names the NAS (radclient sends no Calling-Station-Id, so the source is the NAS's address); LDAP the client's address.
  t.deepEqual(r.topFailingSources.map((s: { source: string; nas: string | null; failures: number }) => [s.source, s.nas, s.failures]), [
    ['127.0.0.1', 'acme-ap', 4], ['127.0.0.1', null, 1],
  ]);
  t.is(r.lockouts.count, 1);
  t.deepEqual(r.lockouts.users.map((u: { user: string }) => u.user), ['carol']);
  t.like(r.users, { total: 3, enabled: 3, disabled: 0, expired: 0, active: 1, neverLoggedIn: { count: 2, users: ['bob', 'carol'] } });
  t.deepEqual(r.mfa, { enrolled: 0, required: 0, exempt: 1, coverage: 0 });
  t.deepEqual(r.suspicious, []);
  t.truthy(r.lastActivity);

  const all = await cli(['report', '--all', '--since', '1d', '--json'], { env });
  t.is(all.code, 0, all.stderr);
  t.like(JSON.parse(all.stdout).rows[0], { tenant: 'acme', users: 3, activeUsers: 1, authOk: 3, authFailed: 5, lockouts: 1 });

  const table = await cli(['report', '--tenant', 'acme', '--since', '1d'], { env });
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /AUTHENTICATIONS: 3 ok, 5 failed, success rate 37\.5%/);
  t.regex(table.stdout, /radius\s+pap\s+1\s+4/);
  const csv = await cli(['report', '--tenant', 'acme', '--since', '1d', '--csv'], { env });
  t.is(csv.code, 0, csv.stderr);
  t.true(csv.stdout.includes('section,protocol,method,ok,failed\r\nbyMethod,radius,pap,1,4\r\n'), csv.stdout);
  t.true(csv.stdout.includes('topFailingUsers,carol,3,'));
  const allTable = await cli(['report', '--all', '--since', '1d'], { env });
  t.is(allTable.code, 0, allTable.stderr);
  const example = process.env.TENANTDIR_REPORT_EXAMPLE;
  if (example) await writeFile(example, [table.stdout, csv.stdout, allTable.stdout, (await cli(['report', '--all', '--since', '1d', '--csv'], { env })).stdout].join('\n=====\n'));
});
