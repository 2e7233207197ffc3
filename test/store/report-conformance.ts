// The report's store calls over every adapter: audit counts by day, top failing users and
// sources, recent events, the newest event, users.summarize and recordLogin, and the MSP-wide
// aggregations over many tenants, each scoped as every repository is: another tenant's events and
// users are never counted. memory.test.ts and mongo.test.ts call runReportConformance.
import { randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import type { AuditEvent, NewUser, Store, TenantStore, UserSummaryQuery } from '../../src/store/index.ts';
import type { ConformanceOptions } from './conformance.ts';

type Body = (t: ExecutionContext, s: { store: Store; a: TenantStore; b: TenantStore }) => Promise<void>;

const DAY = 86_400_000;
const T0 = new Date('2024-03-01T00:00:00.000Z');
const at = (days: number, hours = 0): Date => new Date(T0.getTime() + days * DAY + hours * 3_600_000);
const AUTH = ['ldap.auth', 'radius.auth'];
const RANGE = { since: at(0), until: at(7), actions: AUTH };

let serial = 0;

function auth(when: Date, target: string, outcome: AuditEvent['outcome'], over: Partial<AuditEvent> & { method?: string; source?: string; nas?: string } = {}): AuditEvent {
  const { method = 'pap', source = '192.0.2.7', nas, ...rest } = over;
  return {
    at: when, actor: 'radius:ap-1', action: 'radius.auth', target, outcome, protocol: 'radius',
    ...(outcome === 'ok' ? {} : { reason: 'bad-password' }),
    detail: { method, source, ...(nas === undefined ? {} : { nas }) },
    ...rest,
  };
}

function user(uid: string, over: Partial<NewUser> = {}): NewUser {
  return {
    uid, entryUUID: randomUUID(), cn: uid, sn: uid, uidNumber: 20_000 + ++serial, gidNumber: 100,
    homeDirectory: `/home/${uid}`, loginShell: '/bin/sh', sshPublicKeys: [], enabled: true,
    createdAt: T0, modifiedAt: T0, memberOf: [], ...over,
  };
}

const summaryQuery = (over: Partial<UserSummaryQuery> = {}): UserSummaryQuery => ({
  now: at(100), inactiveDays: 30, expiringDays: 14, passwordMaxAgeDays: 90, unusedDays: 30, exemptGroups: [], limit: 100, ...over,
});

const credentials = (changed: Date) => ({ passwordHash: '$2b$04$x', passwordChangedAt: changed, history: [] });

export function runReportConformance(o: ConformanceOptions): void {
  const def = (title: string, body: Body): void => {
    (o.serial ? test.serial : test)(`${o.name}: report: ${title}`, async (t) => {
      const store = await o.open();
      t.teardown(() => store.close());
      const id = () => `t-${randomUUID().slice(0, 8)}`;
      await body(t, { store, a: store.tenant(id()), b: store.tenant(id()) });
    });
  };

  def('countByDay: per UTC day, protocol, method and outcome, only the actions asked, in the range', async (t, { store, a, b }) => {
    await a.audit.appendMany([
      auth(at(0, 1), 'alice', 'ok'),
      auth(at(0, 23), 'alice', 'failed'),
      auth(at(0, 23), 'bob', 'failed'),
      auth(at(1, 0), 'alice', 'ok', { method: 'mschapv2' }),
      auth(at(1, 2), 'carol', 'ok', { action: 'ldap.auth', protocol: 'ldap', method: 'simple' }),
      auth(at(1, 3), 'carol', 'refused', { action: 'ldap.auth', protocol: 'ldap', method: 'simple' }),
      auth(at(1, 4), 'dave', 'failed', { reason: 'mfa-challenge' }),
      auth(at(2), 'alice', 'ok', { action: 'user.create' }),
      auth(at(-1), 'alice', 'ok'),
      auth(at(7), 'alice', 'ok'),
    ]);
    await b.audit.appendMany([auth(at(0, 2), 'alice', 'ok'), auth(at(0, 3), 'alice', 'failed')]);
    const rows = await a.audit.countByDay({ ...RANGE, exceptReasons: ['mfa-challenge'] });
    t.deepEqual(rows.map((r) => `${r.day} ${r.protocol} ${r.method} ${r.outcome} ${r.count}`), [
      '2024-03-01 radius pap failed 2',
      '2024-03-01 radius pap ok 1',
      '2024-03-02 ldap simple ok 1',
      '2024-03-02 ldap simple refused 1',
      '2024-03-02 radius mschapv2 ok 1',
    ]);
    t.is((await a.audit.countByDay(RANGE)).reduce((n, r) => n + r.count, 0), 7, 'without exceptReasons the challenge step counts');
    t.deepEqual(await store.tenant(`t-${randomUUID().slice(0, 8)}`).audit.countByDay(RANGE), []);
  });

  def('countByDay: a method-less event counts under ""; listings never show the stored day', async (t, { a }) => {
    await a.audit.append({ at: at(3), actor: 'ldap:x', action: 'ldap.auth', target: 'x', outcome: 'ok', protocol: 'ldap' });
    t.deepEqual(await a.audit.countByDay(RANGE), [{ day: '2024-03-04', protocol: 'ldap', method: '', outcome: 'ok', count: 1 }]);
    const [listed] = await a.audit.list({ limit: 1 });
    t.deepEqual(listed, { at: at(3), actor: 'ldap:x', action: 'ldap.auth', target: 'x', outcome: 'ok', protocol: 'ldap' });
  });

  def('rollup: counts and newest instants from the rollup equal the raw events\' after append and appendMany, per tenant', async (t, { store, a, b }) => {
    const methods = ['pap', 'ttls/pap', 'peap/mschapv2', 'simple.x'];
    const outcomes: AuditEvent['outcome'][] = ['ok', 'failed', 'refused'];
    const events = Array.from({ length: 60 }, (_, i) => auth(at(i % 9 - 1, i % 24), `u${i % 7}`, outcomes[i % 3]!, {
      method: methods[i % 4]!, ...(i % 5 === 0 && { action: 'ldap.auth', protocol: 'ldap' }), ...(i % 11 === 0 && { reason: 'mfa-challenge' }),
    }));
    await a.audit.appendMany(events.slice(0, 30));
    for (const e of events.slice(30)) await a.audit.append(e);
    await a.audit.append({ at: at(2, 5), actor: 'system', action: 'user.lockout', target: 'u1', outcome: 'ok', protocol: 'system' });
    await b.audit.appendMany([auth(at(1), 'x', 'ok'), auth(at(1, 1), 'x', 'failed')]);
    const q = { ...RANGE, exceptReasons: ['mfa-challenge'] };
    const raw = new Map<string, number>();
    for (const e of events) {
      if (e.at < q.since || e.at >= q.until || e.reason === 'mfa-challenge') continue;
      const key = `${e.at.toISOString().slice(0, 10)} ${e.protocol} ${String(e.detail?.method)} ${e.outcome}`;
      raw.set(key, (raw.get(key) ?? 0) + 1);
    }
    const rows = await a.audit.countByDay(q);
    t.deepEqual(Object.fromEntries(rows.map((r) => [`${r.day} ${r.protocol} ${r.method} ${r.outcome}`, r.count])), Object.fromEntries(raw));
    t.is(rows.reduce((n, r) => n + r.count, 0), [...raw.values()].reduce((n, c) => n + c, 0));
    const msp = await store.tenants([a.tenantId, b.tenantId]).countByDay(q);
    t.is(msp.filter((r) => r.tenantId === a.tenantId).reduce((n, r) => n + r.count, 0), [...raw.values()].reduce((n, c) => n + c, 0));
    t.deepEqual(msp.filter((r) => r.tenantId === b.tenantId).map((r) => `${r.day} ${r.outcome} ${r.count}`), ['2024-03-02 failed 1', '2024-03-02 ok 1']);
    const lockouts = await store.tenants([a.tenantId, b.tenantId]).countByDay({ since: at(0), until: at(7), actions: ['user.lockout'] });
    t.deepEqual(lockouts.map((r) => `${r.tenantId} ${r.day} ${r.count}`), [`${a.tenantId} 2024-03-03 1`]);
    const newest = events.filter((e) => e.at >= q.since && e.at < q.until && e.reason !== 'mfa-challenge').reduce((m, e) => (e.at > m ? e.at : m), new Date(0));
    const last = await store.tenants([a.tenantId, b.tenantId]).lastAt(q);
    t.deepEqual(last.get(a.tenantId), newest);
    t.deepEqual(last.get(b.tenantId), at(1, 1));
    // Retention: days wholly before the cut leave the rollup too; another tenant's stay.
    await a.audit.purge(at(3));
    t.deepEqual((await a.audit.countByDay(q)).filter((r) => r.day < '2024-03-04'), []);
    t.is((await b.audit.countByDay(q)).reduce((n, r) => n + r.count, 0), 2);
  });

  def('rollup: counts cover whole UTC days; the newest instant stays inside the range', async (t, { store, a }) => {
    await a.audit.appendMany([auth(at(0, 1), 'x', 'ok'), auth(at(0, 20), 'x', 'ok'), auth(at(1, 22), 'x', 'failed')]);
    const q = { since: at(0, 12), until: at(1, 12), actions: AUTH };
    t.deepEqual((await a.audit.countByDay(q)).map((r) => `${r.day} ${r.outcome} ${r.count}`), ['2024-03-01 ok 2', '2024-03-02 failed 1']);
    t.deepEqual((await store.tenants([a.tenantId]).lastAt(q)).get(a.tenantId), at(0, 20));
    t.false((await store.tenants([a.tenantId]).lastAt({ ...q, since: at(0, 21) })).has(a.tenantId));
  });

  def('countByDay: a range over 400 days is refused', async (t, { a }) => {
    await t.throwsAsync(a.audit.countByDay({ since: at(0), until: at(401) }), { code: 'TD_INVALID_INPUT' });
  });

  def('topFailing: users and sources by failures (failed and refused), with the newest failure, capped', async (t, { a, b }) => {
    await a.audit.appendMany([
      auth(at(0, 1), 'bob', 'failed', { source: '198.51.100.1', nas: 'ap-1' }),
      auth(at(0, 2), 'bob', 'failed', { source: '198.51.100.1', nas: 'ap-1' }),
      auth(at(0, 3), 'bob', 'refused', { source: '198.51.100.2' }),
      auth(at(0, 4), 'carol', 'failed', { source: '198.51.100.2' }),
      auth(at(0, 5), 'alice', 'ok', { source: '198.51.100.3' }),
      auth(at(0, 6), 'dave', 'failed', { source: '198.51.100.3', action: 'user.passwd' }),
      auth(at(9), 'bob', 'failed', { source: '198.51.100.9' }),
    ]);
    for (let i = 0; i < 5; i++) await b.audit.append(auth(at(1), 'zed', 'failed', { source: '203.0.113.1' }));
    const users = await a.audit.topFailing({ ...RANGE, by: 'user', limit: 10 });
    t.deepEqual(users, [
      { key: 'bob', failures: 3, lastAt: at(0, 3) },
      { key: 'carol', failures: 1, lastAt: at(0, 4) },
    ]);
    t.deepEqual(await a.audit.topFailing({ ...RANGE, by: 'user', limit: 1 }), [users[0]!]);
    t.deepEqual(await a.audit.topFailing({ ...RANGE, by: 'source', limit: 10 }), [
      { key: '198.51.100.1', nas: 'ap-1', failures: 2, lastAt: at(0, 2) },
      { key: '198.51.100.2', failures: 2, lastAt: at(0, 4) },
    ]);
  });

  def('recent: events of the range, newest first, capped with an exact count; by action prefix too', async (t, { a, b }) => {
    await a.audit.appendMany([
      auth(at(1), 'bob', 'ok', { action: 'user.lockout', actor: 'system', protocol: 'system' }),
      auth(at(2), 'carol', 'ok', { action: 'user.lockout', actor: 'system', protocol: 'system' }),
      auth(at(3), 'dave', 'ok', { action: 'user.lockout', actor: 'system', protocol: 'system' }),
      auth(at(4), 'erin', 'ok', { action: 'security.spraying', actor: 'system', protocol: 'system' }),
      auth(at(8), 'bob', 'ok', { action: 'user.lockout', actor: 'system', protocol: 'system' }),
    ]);
    await b.audit.append(auth(at(1), 'zed', 'ok', { action: 'user.lockout' }));
    const lockouts = await a.audit.recent({ since: at(0), until: at(7), actions: ['user.lockout'], limit: 2 });
    t.is(lockouts.count, 3);
    t.deepEqual(lockouts.items.map((e) => `${e.target}@${e.at.toISOString()}`), [`dave@${at(3).toISOString()}`, `carol@${at(2).toISOString()}`]);
    t.deepEqual(Object.keys(lockouts.items[0]!).sort(), ['action', 'actor', 'at', 'detail', 'outcome', 'protocol', 'target']);
    const security = await a.audit.recent({ since: at(0), until: at(7), actionPrefix: 'security.', limit: 10 });
    t.deepEqual(security.items.map((e) => e.target), ['erin']);
  });

  def('lastAt: the newest event, of some actions or of any', async (t, { a, b }) => {
    t.is(await a.audit.lastAt(), undefined);
    await a.audit.appendMany([auth(at(1), 'bob', 'ok'), auth(at(5), 'bob', 'ok', { action: 'user.create' }), auth(at(3), 'bob', 'ok')]);
    await b.audit.append(auth(at(9), 'zed', 'ok'));
    t.deepEqual(await a.audit.lastAt(), at(5));
    t.deepEqual(await a.audit.lastAt({ actions: AUTH }), at(3));
  });

  def('recordLogin: sets lastLoginAt, at most once a minute, without touching modifiedAt; another tenant is untouched', async (t, { a, b }) => {
    await a.users.create(user('alice'));
    await b.users.create(user('alice'));
    await a.users.recordLogin('ALICE', at(1));
    t.deepEqual((await a.users.get('alice'))?.lastLoginAt, at(1));
    t.deepEqual((await a.users.get('alice'))?.modifiedAt, T0);
    await a.users.recordLogin('alice', new Date(at(1).getTime() + 30_000));
    t.deepEqual((await a.users.get('alice'))?.lastLoginAt, at(1), 'within the minute: no write');
    await a.users.recordLogin('alice', at(2));
    t.deepEqual((await a.users.get('alice'))?.lastLoginAt, at(2));
    await a.users.recordLogin('nobody', at(2));
    t.is(await a.users.get('nobody'), undefined);
    t.is((await b.users.get('alice'))?.lastLoginAt, undefined);
  });

  def('recordLogin: an update keeps lastLoginAt, and so does a replacing import', async (t, { a }) => {
    await a.users.create(user('alice'));
    await a.users.recordLogin('alice', at(1));
    await a.users.update('alice', (u) => ({ ...u, cn: 'Alice A' }));
    t.deepEqual((await a.users.get('alice'))?.lastLoginAt, at(1));
    await a.users.upsertMany([user('alice', { cn: 'Alice B' })]);
    const after = await a.users.get('alice');
    t.is(after?.cn, 'Alice B');
    t.deepEqual(after?.lastLoginAt, at(1));
  });

  def('summarize: totals, logins, expiring passwords, unused app passwords and MFA, exact and scoped', async (t, { store, a, b }) => {
    const now = at(100);
    const totp = { seed: { keyId: 'k', box: 'x' }, createdAt: T0, confirmedAt: T0 };
    const app = (name: string, createdAt: Date, lastUsedAt?: Date) => ({
      name, lookupId: name, digest: 'd', keyId: 'k', scopes: ['radius' as const], createdAt, ...(lastUsedAt ? { lastUsedAt } : {}),
    });
    await a.users.create(user('alice', { credentials: credentials(at(20)), totp, appPasswords: [app('phone', T0, at(95)), app('laptop', T0)] }));
    await a.users.create(user('bob', { credentials: credentials(at(12)), memberOf: ['printers'] }));
    await a.users.create(user('carol', { enabled: false, credentials: credentials(at(15)), totp }));
    await a.users.create(user('dave', { expiresAt: at(50), credentials: credentials(at(99)), appPasswords: [app('vpn', at(90))] }));
    await a.users.create(user('erin', { memberOf: ['printers'], totp }));
    for (const [uid, when] of [['alice', at(99)], ['bob', at(40)], ['carol', at(10)]] as const) await a.users.recordLogin(uid, when);
    await b.users.create(user('zed', { credentials: credentials(at(20)), totp }));
    const s = await a.users.summarize(summaryQuery({ now, exemptGroups: ['Printers'] }));
    t.deepEqual(s, {
      total: 5, enabled: 4, disabled: 1, expired: 1, active: 1,
      neverLoggedIn: { count: 2, users: ['dave', 'erin'] },
      inactive: { count: 2, users: [{ uid: 'carol', lastLoginAt: at(10) }, { uid: 'bob', lastLoginAt: at(40) }] },
      // maxAge 90: alice's (set day 20) expires day 110, bob's (day 12) day 102; carol is disabled, dave's is fresh.
      passwordsExpiring: { count: 2, users: [{ uid: 'bob', expiresAt: at(102) }, { uid: 'alice', expiresAt: at(110) }] },
      appPasswordsUnused: { count: 1, items: [{ uid: 'alice', name: 'laptop' }] },
      mfa: { enrolled: 2, exempt: 2, notExempt: 2, enrolledNotExempt: 1 },
    });
    const capped = await a.users.summarize(summaryQuery({ now, limit: 1, passwordMaxAgeDays: 0 }));
    t.deepEqual(capped.neverLoggedIn, { count: 2, users: ['dave'] });
    t.deepEqual(capped.inactive.users.map((u) => u.uid), ['carol']);
    t.deepEqual(capped.passwordsExpiring, { count: 0, users: [] }, 'no maximum age: nothing expires');
    t.deepEqual(capped.mfa, { enrolled: 2, exempt: 0, notExempt: 4, enrolledNotExempt: 2 });
    const empty = await store.tenant(`t-${randomUUID().slice(0, 8)}`).users.summarize(summaryQuery());
    t.is(empty.total, 0);
  });

  def('MSP-wide: one call counts every tenant named, by day and outcome, and no other', async (t, { store, a, b }) => {
    const c = store.tenant(`t-${randomUUID().slice(0, 8)}`);
    await a.audit.appendMany([auth(at(0), 'x', 'ok'), auth(at(0, 1), 'x', 'failed'), auth(at(1), 'x', 'ok'), auth(at(1), 'x', 'ok', { action: 'user.create' })]);
    await b.audit.appendMany([auth(at(2), 'y', 'refused')]);
    await c.audit.appendMany([auth(at(2), 'z', 'ok')]);
    const rows = await store.tenants([a.tenantId, b.tenantId]).countByDay(RANGE);
    // Tenant ids of one length: the lines' string order is tenant, day, outcome order.
    const expected = [
      `${a.tenantId} 2024-03-01 failed 1`, `${a.tenantId} 2024-03-01 ok 1`, `${a.tenantId} 2024-03-02 ok 1`, `${b.tenantId} 2024-03-03 refused 1`,
    ].sort();
    t.deepEqual(rows.map((r) => `${r.tenantId} ${r.day} ${r.outcome} ${r.count}`), expected);
    const last = await store.tenants([a.tenantId, b.tenantId]).lastAt(RANGE);
    t.deepEqual([...last].sort(), [[a.tenantId, at(1)], [b.tenantId, at(2)]].sort() as [string, Date][]);
    t.deepEqual(await store.tenants([]).countByDay(RANGE), []);
  });

  def('MSP-wide: users per tenant: total, enabled, active since, MFA enrolled (confirmed only)', async (t, { store, a, b }) => {
    const totp = { seed: { keyId: 'k', box: 'x' }, createdAt: T0, confirmedAt: T0 };
    await a.users.create(user('alice', { totp }));
    await a.users.create(user('bob', { enabled: false, totp }));
    await a.users.create(user('carol'));
    await a.users.create(user('erin', { totp: { seed: { keyId: 'k', box: 'x' }, createdAt: T0 } }));
    await a.users.recordLogin('alice', at(10));
    await a.users.recordLogin('carol', at(1));
    await b.users.create(user('dave'));
    const other = store.tenant(`t-${randomUUID().slice(0, 8)}`);
    await other.users.create(user('eve', { totp }));
    const rows = await store.tenants([a.tenantId, b.tenantId, 't-absent0']).users({ activeSince: at(5) });
    t.deepEqual(Object.fromEntries(rows), {
      [a.tenantId]: { total: 4, enabled: 3, active: 1, mfaEnrolled: 1 },
      [b.tenantId]: { total: 1, enabled: 1, active: 0, mfaEnrolled: 0 },
    });
  });

  def('MSP-wide: over many tenants (a range of ids), a tenant between them that was not named is never counted', async (t, { store }) => {
    const base = `t-${randomUUID().slice(0, 8)}`;
    const named = Array.from({ length: 60 }, (_, i) => `${base}-${String(i).padStart(2, '0')}`);
    const outsider = `${base}-30x`;
    for (const id of [...named.slice(28, 33), outsider]) await store.tenant(id).audit.append(auth(at(1), 'x', 'ok'));
    await store.tenant(outsider).users.create(user('spy'));
    await store.tenant(named[30]!).users.create(user('alice'));
    const reports = store.tenants(named);
    const rows = await reports.countByDay(RANGE);
    t.deepEqual(rows.map((r) => r.tenantId), named.slice(28, 33));
    t.deepEqual([...(await reports.lastAt(RANGE)).keys()].sort(), named.slice(28, 33));
    t.deepEqual([...(await reports.users({ activeSince: at(0) })).keys()], [named[30]]);
  });
}
