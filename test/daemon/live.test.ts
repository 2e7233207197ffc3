// The daemon wires the live side end to end: its thresholds reach the Auditor, a spray of wrong
// passwords from radclient arrives on the audit stream as security.spraying, and accounting
// that echoes our Class is a session that `tenantdir sessions` lists under the inner identity.
import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon } from '../../src/daemon/index.ts';
import { openSse } from '../admin/sse-client.ts';
import { cli } from '../cli/run.ts';
import { radclient } from '../radius/clients.ts';
import { certsOnce, configCopy, TOKEN } from './helpers.ts';

const SECRET = 'acme-secret-0123456789';

test('security thresholds, the audit stream and sessions, through a running daemon and real clients', async (t) => {
  const dir = await configCopy(await certsOnce()());
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await appendFile(join(dir, 'tenants', 'acme.yaml'), 'security: { spraying: { users: 2, minutes: 5 } }\n');
  const d = await startDaemon({ configDir: dir, logger: silentLogger() });
  t.teardown(() => d.close());
  const base = `http://127.0.0.1:${d.ports.http}/api/v1/tenants/acme`;
  const created = await fetch(`${base}/users`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ uid: 'zoe', password: 'Zebra-Crossing-42' }),
  });
  t.is(created.status, 201);

  const stream = await openSse(`${base}/audit/stream?action=security.spraying`, TOKEN);
  t.teardown(() => stream.close());
  t.is(stream.status, 200);
  for (const user of ['zoe', 'nobody']) {
    const r = await radclient(d.ports.radiusAuth, 'auth', SECRET, `User-Name = ${user}, User-Password = Autumn-Spray-1, Message-Authenticator = 0x00`);
    t.regex(r.out, /Received Access-Reject/, r.out);
  }
  const raised = await stream.next(10_000);
  t.like(JSON.parse(raised.data), { action: 'security.spraying', target: '127.0.0.1', outcome: 'failed', detail: { users: 2, minutes: 5 } });

  const accept = await radclient(d.ports.radiusAuth, 'auth', SECRET, 'User-Name = zoe, User-Password = Zebra-Crossing-42, Message-Authenticator = 0x00');
  const cls = /Class = (0x746463313a[0-9a-f]+)/.exec(accept.out)?.[1];
  t.truthy(cls, accept.out);
  const acct = await radclient(d.ports.radiusAcct, 'acct', SECRET,
    `User-Name = anonymous, Acct-Status-Type = Start, Acct-Session-Id = "d-1", Class = ${cls}, Calling-Station-Id = "02-00-00-00-00-2e"`);
  t.regex(acct.out, /Received Accounting-Response/, acct.out);
  const listed = await cli(['sessions', '--tenant', 'acme', '--active', '--json'], { env: { TENANTDIR_URL: `http://127.0.0.1:${d.ports.http}`, TENANTDIR_TOKEN: TOKEN } });
  t.is(listed.code, 0, listed.stderr);
  t.like(JSON.parse(listed.stdout), [{ user: 'zoe', nas: 'ap', sessionId: 'd-1', callingStationId: '02-00-00-00-00-2e', active: true }]);
});
