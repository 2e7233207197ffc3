// The report routes: who may read which report, and that a tenant's numbers never include
// another tenant's. The numbers themselves, driven by real clients, are in test/daemon/report.test.ts.
import anyTest, { type TestFn } from 'ava';
import type { AuditEvent } from '../../src/store/index.ts';
import { TOKENS, startAdmin, type Api } from './helpers.ts';

const test = anyTest as TestFn<{ api: Api }>;

const ACME = '/api/v1/tenants/acme/report';
const GLOBEX = '/api/v1/tenants/globex/report';

function auth(target: string, outcome: AuditEvent['outcome'], protocol: 'ldap' | 'radius', method: string): AuditEvent {
  return {
    at: new Date(), actor: `${protocol}:x`, action: `${protocol}.auth`, target, outcome, protocol,
    ...(outcome === 'ok' ? {} : { reason: 'bad-password' }), detail: { method, source: '192.0.2.9' },
  };
}

test.after.always(async (t) => {
  await t.context.api?.close();
});

test.before(async (t) => {
  t.context.api = await startAdmin();
  const { world } = t.context.api;
  await world.store.tenant('acme').audit.appendMany([auth('alice', 'ok', 'ldap', 'simple'), auth('bob', 'failed', 'radius', 'pap')]);
  await world.store.tenant('globex').audit.appendMany([auth('hank', 'failed', 'radius', 'pap'), auth('hank', 'failed', 'radius', 'pap'), auth('hank', 'failed', 'radius', 'pap')]);
});

test('a tenant-admin reads its report; another tenant\'s is 404, exactly as for a tenant that does not exist', async (t) => {
  const { api } = t.context;
  const mine = await api.call(TOKENS.acmeAdmin, 'GET', `${ACME}?since=7d`);
  t.is(mine.status, 200);
  t.is(mine.body.tenant, 'acme');
  t.like(mine.body.authentications, { ok: 1, failed: 1, successRate: 0.5 });
  t.deepEqual(mine.body.topFailingUsers.map((u: { user: string }) => u.user), ['bob'], 'globex\'s hank is never counted');
  const theirs = await api.call(TOKENS.acmeAdmin, 'GET', GLOBEX);
  const none = await api.call(TOKENS.acmeAdmin, 'GET', '/api/v1/tenants/nosuch/report');
  t.is(theirs.status, 404);
  t.is(none.status, 404);
  t.deepEqual(theirs.body.error.code, none.body.error.code);
  t.is((await api.call(TOKENS.globexAdmin, 'GET', ACME)).status, 404);
});

test('the MSP-wide report: every tenant for msp-admin, only its own rows for a tenant-admin', async (t) => {
  const { api } = t.context;
  const all = await api.call(TOKENS.ops, 'GET', '/api/v1/report?since=7d');
  t.is(all.status, 200);
  t.deepEqual(all.body.rows.map((r: { tenant: string }) => r.tenant), ['acme', 'globex']);
  const globex = all.body.rows.find((r: { tenant: string }) => r.tenant === 'globex');
  t.like(globex, { authOk: 0, authFailed: 3, successRate: 0 });
  t.is(globex.byDay.length >= 7, true);
  const acmeOnly = await api.call(TOKENS.acmeAdmin, 'GET', '/api/v1/report');
  t.is(acmeOnly.status, 200);
  t.deepEqual(acmeOnly.body.rows.map((r: { tenant: string }) => r.tenant), ['acme']);
  t.like(acmeOnly.body.rows[0], { authOk: 1, authFailed: 1 });
});

test('helpdesk: 403 on both reports unless its admin entry grants reports; granted, still only its tenants', async (t) => {
  const { api } = t.context;
  for (const path of [ACME, '/api/v1/report']) {
    const r = await api.call(TOKENS.acmeHelpdesk, 'GET', path);
    t.is(r.status, 403, path);
    t.is(r.body.error.code, 'TD_FORBIDDEN');
  }
  t.is((await api.call(TOKENS.acmeReporter, 'GET', ACME)).status, 200);
  t.is((await api.call(TOKENS.acmeReporter, 'GET', GLOBEX)).status, 404);
  const rows = await api.call(TOKENS.acmeReporter, 'GET', '/api/v1/report');
  t.deepEqual(rows.body.rows.map((r: { tenant: string }) => r.tenant), ['acme']);
  t.is((await api.call(TOKENS.acmeReporter, 'DELETE', '/api/v1/tenants/acme/users/bob')).status, 403, 'the grant adds reports, nothing else');
});

test('bad parameters are 400; the response has every section, with users from the store', async (t) => {
  const { api } = t.context;
  t.is((await api.call(TOKENS.ops, 'GET', `${ACME}?since=tomorrow`)).status, 400);
  t.is((await api.call(TOKENS.ops, 'GET', `${ACME}?since=400d`)).status, 400);
  t.is((await api.call(TOKENS.ops, 'GET', `${ACME}?inactiveDays=-1`)).status, 400);
  const r = await api.call(TOKENS.ops, 'GET', `${ACME}?since=30d&inactiveDays=10&expiringDays=5&unusedDays=60`);
  t.is(r.status, 200);
  t.deepEqual(Object.keys(r.body).sort(), [
    'appPasswordsUnused', 'authentications', 'generatedAt', 'lastActivity', 'lockouts', 'mfa', 'passwordsExpiring', 'since',
    'suspicious', 'tenant', 'topFailingSources', 'topFailingUsers', 'until', 'users',
  ]);
  t.like(r.body.users, { total: 2, enabled: 2, neverLoggedIn: { count: 2, users: ['alice', 'bob'] }, inactive: { days: 10, count: 0 } });
  t.is(r.body.appPasswordsUnused.days, 60);
  t.is(r.body.authentications.byDay.length, 31);
  const openapi = await api.call(undefined, 'GET', '/api/v1/openapi.json');
  t.truthy(openapi.body.paths['/api/v1/tenants/{tenant}/report']?.get);
  t.is(openapi.body.paths['/api/v1/report']?.get?.['x-roles'], 'msp-admin, tenant-admin, helpdesk granted reports');
});
