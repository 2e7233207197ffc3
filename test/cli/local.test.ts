// Commands that run without a daemon, and the CLI's answer when the daemon is not there.
import { createServer } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import test from 'ava';
import { cli, FIXTURES } from './run.ts';

test.serial('config check on a broken directory: exit 1 and file:line:col per problem', async (t) => {
  const r = await cli(['config', 'check', '--config', join(FIXTURES, 'broken')]);
  t.is(r.code, 1);
  t.regex(r.stderr, /broken\/tenantdir\.yaml:4:\d+: .*admin token/);
  t.regex(r.stderr, /broken\/tenants\/acme\.yaml:5:\d+: /);
});

test.serial('config check on a good directory: exit 0 and one line', async (t) => {
  const r = await cli(['config', 'check', '--config', join(FIXTURES, '../../admin/fixtures/config')]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /configuration OK\n$/);
});

test.serial('hash-password prints a bcrypt hash of the stdin line', async (t) => {
  const r = await cli(['hash-password', '--cost', '4'], { input: 'Correct-Horse-9\n' });
  t.is(r.code, 0, r.stderr);
  const hash = r.stdout.trim();
  t.regex(hash, /^\$2b\$04\$/);
  t.true(await bcrypt.compare('Correct-Horse-9', hash));
  t.is((await cli(['hash-password', '--cost', '99'], { input: 'x\n' })).code, 2);
});

test.serial('an unreachable daemon is exit 1 with what to do', async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const r = await cli(['user', 'list', '--tenant', 'acme'], { env: { TENANTDIR_URL: url, TENANTDIR_TOKEN: 'x'.repeat(30) } });
  t.is(r.code, 1);
  t.true(r.stderr.includes(`cannot reach tenantdir at ${url}`), r.stderr);
  t.regex(r.stderr, /is it running\? set --url or TENANTDIR_URL/);
});
