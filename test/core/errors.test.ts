import { readFileSync } from 'node:fs';
import test from 'ava';
import { ERROR_CODES, NotFound, StoreUnavailable, TenantdirError, hasCode } from '../../src/core/errors.ts';

test('every error code is documented in docs/errors.md with how to solve it', (t) => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(TD_[A-Z_]+)` \|/gm)].map((m) => m[1]));
  for (const code of Object.keys(ERROR_CODES)) t.true(documented.has(code), `${code} missing from docs/errors.md`);
  for (const code of documented) t.true(code! in ERROR_CODES, `docs/errors.md documents unknown code ${code}`);
});

test('typed errors carry code, hint and exposure', (t) => {
  const outage = new StoreUnavailable('no server', { cause: new Error('ECONNREFUSED') });
  t.is(outage.code, 'TD_STORE_UNAVAILABLE');
  t.false(outage.expose);
  t.regex(outage.hint ?? '', /storage\.uri/);
  t.true(outage instanceof TenantdirError);
  t.true(hasCode(outage, 'TD_STORE_UNAVAILABLE'));
  const missing = new NotFound('no user');
  t.true(missing.expose);
  t.is(missing.name, 'NotFound');
  t.false(hasCode(missing, 'TD_CONFLICT'));
});
