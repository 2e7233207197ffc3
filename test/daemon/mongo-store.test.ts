// The daemon's end-to-end paths on a Mongo store (SecantusDB, with a query planner), not only the
// memory store: one daemon on the two-tenant fixture whose tenantdir.yaml names a SecantusDB
// database and a seed, then real clients — ldapts and ldapsearch, radclient, eapol_test — and an
// admin API write that an LDAP bind then sees, so every answer came through the Mongo store.
import { execFile } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { Client } from 'ldapts';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.ts';
import { makePki, type Pki } from '../eap/certs.ts';
import { eapol, ttlsPap } from '../eap/harness.ts';
import { startSecantusDb, type OwnFerretDb } from '../helpers/mongo-server.ts';
import { codeOf } from '../ldap/helpers.ts';
import { radclient } from '../radius/clients.ts';
import { configCopy, daemonYaml, TOKEN } from './helpers.ts';

const ACME = 'dc=acme,dc=example';
const GLOBEX = 'dc=globex,dc=example';
const ACME_SECRET = 'acme-secret-0123456789';
const PASSWORD = 'Correct-Horse-9';

let mongo: OwnFerretDb | undefined;
let pki: Pki | undefined;
let dir: string | undefined;
let d: RunningDaemon;

test.before(async () => {
  mongo = await startSecantusDb();
  pki = makePki();
  dir = await configCopy();
  await mkdir(join(dir, 'pki'));
  await Promise.all(['server.crt', 'server.key'].map((f) => cp(pki!.path(f), join(dir!, 'pki', f))));
  await writeFile(join(dir, 'tenantdir.yaml'), daemonYaml(
    `{ uri: "${mongo.dbUri('daemon')}", serverSelectionTimeoutMS: 5000, seed: seed.yaml }`,
    ['tls: { cert: pki/server.crt, key: pki/server.key }'],
  ));
  await writeFile(join(dir, 'seed.yaml'), [
    'tenants:',
    '  acme:',
    '    groups: [{ name: staff }]',
    `    users: [ { uid: alice, password: ${PASSWORD}, cn: Alice Smith, sn: Smith, groups: [staff] } ]`,
    '  globex:',
    `    users: [ { uid: gina, password: ${PASSWORD}, cn: Gina Globex, sn: Globex } ]`,
    '',
  ].join('\n'));
  d = await startDaemon({ configDir: dir, logger: silentLogger() });
});

// The daemon first: it watches its directory and holds the store.
test.after.always(async () => {
  await d?.close();
  await mongo?.stop();
  pki?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An ldapts client to the daemon, unbound and closed when the test ends. */
function ldap(t: { teardown(f: () => Promise<void>): void }): Client {
  const c = new Client({ url: `ldap://127.0.0.1:${d.ports.ldap}`, timeout: 5000, connectTimeout: 5000 });
  t.teardown(() => c.unbind().catch(() => undefined));
  return c;
}

function ldapsearch(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('ldapsearch', ['-x', '-H', `ldap://127.0.0.1:${d.ports.ldap}`, ...args], { timeout: 8000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

test('the daemon runs on the Mongo store', (t) => {
  t.is(d.store.kind, 'mongo');
});

test('LDAP: ldapts binds as an acme user and a subtree search under acme finds that user', async (t) => {
  const c = ldap(t);
  await c.bind(`uid=alice,ou=people,${ACME}`, PASSWORD);
  const { searchEntries } = await c.search(ACME, { scope: 'sub', filter: '(uid=alice)', attributes: ['uid', 'cn'] });
  t.is(searchEntries.length, 1);
  t.is(searchEntries[0]!.dn, `uid=alice,ou=people,${ACME}`);
  t.is(searchEntries[0]!['cn'], 'Alice Smith');
});

test('LDAP: acme\'s user spelled under globex\'s base does not bind (49)', async (t) => {
  t.is(await codeOf(ldap(t).bind(`uid=alice,ou=people,${GLOBEX}`, PASSWORD)), 49);
});

test('LDAP: ldapsearch bound as the user finds the user', async (t) => {
  const r = await ldapsearch(['-D', `uid=alice,ou=people,${ACME}`, '-w', PASSWORD, '-b', ACME, '-LLL', '(uid=alice)', 'uid']);
  t.is(r.code, 0, r.out);
  t.regex(r.out, /^dn: uid=alice,ou=people,dc=acme,dc=example$/m);
});

const pap = (user: string, password: string) => radclient(d.ports.radiusAuth, 'auth', ACME_SECRET, `User-Name = ${user}, User-Password = ${password}, Message-Authenticator = 0x00`);

test('RADIUS: PAP accepts an acme user at acme\'s NAS, rejects a wrong password and a globex user', async (t) => {
  const ok = await pap('alice', PASSWORD);
  t.regex(ok.out, /Received Access-Accept/, ok.out);
  const wrong = await pap('alice', 'Wrong-Horse-99');
  t.regex(wrong.out, /Received Access-Reject/, wrong.out);
  const foreign = await pap('gina', PASSWORD);
  t.regex(foreign.out, /Received Access-Reject/, foreign.out);
});

test('EAP: eapol_test TTLS/PAP succeeds for an acme user', async (t) => {
  const h = { pki: pki!, port: d.ports.radiusAuth };
  const r = await eapol(h, ttlsPap(h, 'alice', PASSWORD), 'acme', ACME_SECRET);
  t.true(r.success, r.output.slice(-2000));
  t.true(r.mppeOk);
  t.deepEqual(r.accept.get(1), ['alice']);
});

test('admin API: a user created with the msp token binds over LDAP', async (t) => {
  const created = await fetch(`http://127.0.0.1:${d.ports.http}/api/v1/tenants/acme/users`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ uid: 'zoe', password: 'Zebra-Crossing-42' }),
  });
  t.is(created.status, 201, await created.text());
  t.is(await codeOf(ldap(t).bind(`uid=zoe,ou=people,${ACME}`, 'Zebra-Crossing-42')), undefined);
  t.is((await d.store.tenant('acme').users.get('zoe'))?.uid, 'zoe', 'the user is in the Mongo store');
});
