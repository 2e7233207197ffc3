// The suspicious-activity watch, driven through the Auditor with explicit instants: each kind
// is raised once per window and key, only for the events it is about, per tenant's thresholds.
import test from 'ava';
import { Auditor, type AuditInput, type SecurityPolicy } from '../../src/audit/index.ts';
import { createLogger } from '../../src/core/log.ts';
import { MemoryStore, type AuditEvent, type Store } from '../../src/store/index.ts';

const T0 = Date.parse('2024-05-01T08:00:00Z');
const min = (m: number): Date => new Date(T0 + m * 60_000);

const POLICY: SecurityPolicy = {
  userFailures: { enabled: true, count: 3, sources: 2, minutes: 10 },
  spraying: { enabled: true, users: 3, minutes: 10 },
  newNas: true,
};

function world(o: { store?: Store; policy?: (id: string) => SecurityPolicy | undefined } = {}) {
  const store = o.store ?? new MemoryStore();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  const auditor = new Auditor(store, logger, { security: o.policy ?? (() => POLICY) });
  const acme = auditor.tenant('acme');
  const security = async (tenant = 'acme'): Promise<AuditEvent[]> =>
    (await store.tenant(tenant).audit.list({ limit: 1000 })).filter((e) => e.action.startsWith('security.')).reverse();
  return { store, auditor, acme, security, lines };
}

function failure(target: string, source: string, at: Date, over: Partial<AuditInput> = {}): AuditInput {
  return { at, actor: 'ldap:uid=x', protocol: 'ldap', action: 'ldap.auth', target, outcome: 'failed', reason: 'bad-password', detail: { method: 'password', source }, ...over };
}

function radiusLogin(target: string, nas: string, at: Date, over: Partial<AuditInput> = {}): AuditInput {
  return { at, actor: `radius:${nas}`, protocol: 'radius', action: 'radius.auth', target, outcome: 'ok', detail: { method: 'password', source: '127.0.0.1' }, ...over };
}

test('failures across sources: raised once count failures come from enough sources, then once per window', async (t) => {
  const { acme, security } = world();
  for (let i = 0; i < 3; i++) await acme.record(failure('alice', '192.0.2.1', min(i)));
  t.deepEqual(await security(), [], 'three failures, but from one source');
  await acme.record(failure('Alice', '192.0.2.2', min(3)));
  const [raised, ...more] = await security();
  t.deepEqual(more, []);
  t.like(raised, {
    at: min(3), actor: 'system', protocol: 'system', action: 'security.failures-across-sources', target: 'Alice', outcome: 'failed',
    detail: { failures: 3, sources: 2, minutes: 10, recentSources: '192.0.2.2, 192.0.2.1', via: 'ldap' },
  });
  for (let i = 4; i < 12; i++) await acme.record(failure('alice', `192.0.2.${i}`, min(i)));
  t.is((await security()).length, 1, 'not again within the window');
  await acme.record(failure('alice', '192.0.2.99', min(13.5)));
  t.deepEqual((await security()).map((e) => e.at), [min(3), min(13.5)], 'again in the next window, the attack going on');
});

test('failures across sources: old failures fall out of the window', async (t) => {
  const { acme, security } = world();
  await acme.record(failure('bob', '192.0.2.1', min(0)));
  await acme.record(failure('bob', '192.0.2.2', min(1)));
  await acme.record(failure('bob', '192.0.2.3', min(20)));
  await acme.record(failure('bob', '192.0.2.3', min(21)));
  t.deepEqual(await security(), [], 'three in no ten minutes from two sources');
  await acme.record(failure('bob', '192.0.2.4', min(22)));
  t.is((await security()).length, 1);
});

test('spraying: one source failing for many accounts, existing or not, raised once per window', async (t) => {
  const { acme, security } = world();
  const spray = (user: string, m: number) => acme.record(failure(user, '198.51.100.7', min(m), { reason: user === 'nobody' ? 'no-such-user' : 'bad-password' }));
  await spray('alice', 0);
  await spray('alice', 1);
  await spray('bob', 2);
  t.deepEqual(await security(), []);
  await spray('nobody', 3);
  t.like((await security())[0], {
    action: 'security.spraying', target: '198.51.100.7', outcome: 'failed', at: min(3),
    detail: { users: 3, minutes: 10, recentUsers: 'nobody, bob, alice' },
  });
  await spray('carol', 4);
  await spray('dave', 5);
  t.is((await security()).filter((e) => e.action === 'security.spraying').length, 1);
  await spray('erin', 30);
  t.is((await security()).filter((e) => e.action === 'security.spraying').length, 1, 'one account in the new window');
});

test('only failed credential checks count: not successes, refusals, or a right password awaiting its code', async (t) => {
  const { acme, security } = world();
  for (let i = 0; i < 5; i++) {
    const source = `192.0.2.${i}`;
    await acme.record(failure(`u${i}`, '203.0.113.1', min(i), { reason: 'mfa-challenge' }));
    await acme.record(failure('alice', source, min(i), { outcome: 'refused', reason: 'realm-not-allowed' }));
    await acme.record(failure('alice', source, min(i), { outcome: 'ok', reason: undefined }));
    await acme.record(failure('alice', source, min(i), { action: 'user.passwd' }));
  }
  t.deepEqual(await security(), []);
});

test('thresholds are per tenant, read per event; a tenant without any is not watched', async (t) => {
  let acmePolicy: SecurityPolicy = POLICY;
  const { auditor, acme, security } = world({ policy: (id) => (id === 'acme' ? acmePolicy : undefined) });
  const globex = auditor.tenant('globex');
  for (const [i, source] of ['a', 'b', 'c'].entries()) {
    await globex.record(failure('alice', source, min(i)));
    await globex.record(failure(`user${i}`, 'z', min(i)));
  }
  t.deepEqual(await security('globex'), []);
  acmePolicy = { ...POLICY, userFailures: { ...POLICY.userFailures, enabled: false }, spraying: { ...POLICY.spraying, users: 2 } };
  for (const [i, source] of ['a', 'b', 'c'].entries()) await acme.record(failure(`user${i}`, source === 'c' ? 'z' : source, min(i)));
  await acme.record(failure('user9', 'a', min(4)));
  t.deepEqual((await security()).map((e) => `${e.action}:${e.target}`), ['security.spraying:a']);
});

test('new NAS: the first login anywhere raises nothing; a second NAS does, once; the history outlives a restart', async (t) => {
  const store = new MemoryStore();
  const first = world({ store });
  await first.acme.record(radiusLogin('alice', 'ap-1', min(0)));
  await first.acme.record(radiusLogin('alice', 'ap-1', min(1)));
  await first.acme.record(radiusLogin('bob', 'vpn', min(1)));
  t.deepEqual(await first.security(), []);
  await first.acme.record(radiusLogin('ALICE', 'vpn', min(2)));
  await first.acme.record(radiusLogin('alice', 'vpn', min(3)));
  t.like(await first.security(), [{ action: 'security.new-nas', target: 'ALICE', outcome: 'ok', at: min(2), detail: { nas: 'vpn', source: '127.0.0.1', via: 'radius' } }]);
  // A new process over the same store: alice's NAS are known; EAP-TLS names the account in detail.uid.
  const second = world({ store });
  await second.acme.record(radiusLogin('alice', 'ap-1', min(4)));
  await second.acme.record({ ...radiusLogin('alice@acme.example', 'ap-2', min(5)), action: 'radius.eap', detail: { method: 'tls', uid: 'alice' } });
  t.deepEqual((await second.security()).map((e) => `${e.target}:${e.detail?.nas}`), ['ALICE:vpn', 'alice:ap-2']);
  // Failed logins and LDAP binds are no NAS logins.
  await second.acme.record(radiusLogin('bob', 'ap-3', min(6), { outcome: 'failed' }));
  await second.acme.record({ ...radiusLogin('bob', 'ap-3', min(6)), actor: 'ldap:uid=bob', action: 'ldap.auth' });
  t.is((await second.security()).length, 2);
});

test('new NAS: a store that cannot answer costs the event, not the login; it is asked again next time', async (t) => {
  const store = new MemoryStore();
  let down = false;
  const flaky: Store = {
    kind: 'memory',
    health: () => store.health(),
    close: () => store.close(),
    tenants: (ids) => store.tenants(ids),
    tenant: (id) => {
      const s = store.tenant(id);
      return { ...s, nasHistory: { ...s.nasHistory, note: (...a) => (down ? Promise.reject(new Error('store down')) : s.nasHistory.note(...a)) } };
    },
  };
  const { acme, security, lines } = world({ store: flaky });
  await acme.record(radiusLogin('alice', 'ap-1', min(0)));
  down = true;
  await acme.record(radiusLogin('alice', 'vpn', min(1)));
  t.true(lines.some((l) => l.event === 'security.new-nas' && l.outcome === 'failed' && l.level === 50));
  t.deepEqual(await security(), []);
  down = false;
  await acme.record(radiusLogin('alice', 'vpn', min(2)));
  t.is((await security())[0]?.at.getTime(), min(2).getTime());
});

test('security events are logged at warn, with the tenant', async (t) => {
  const { acme, lines } = world();
  for (const [i, s] of ['a', 'b', 'c'].entries()) await acme.record(failure('alice', s, min(i)));
  const line = lines.find((l) => l.event === 'security.failures-across-sources');
  t.is(line?.level, 40);
  t.is(line?.tenant, 'acme');
});

test('security events go where every event goes: the integrations sink hears them too', async (t) => {
  const heard: string[] = [];
  const store = new MemoryStore();
  const auditor = new Auditor(store, createLogger({ destination: { write: () => undefined } }), {
    security: () => POLICY,
    sink: { destinations: () => [], recorded: (_tenant, events) => void heard.push(...events.map((e) => e.action)) },
  });
  for (const [i, s] of ['a', 'b', 'c'].entries()) await auditor.tenant('acme').record(failure('alice', s, min(i)));
  t.deepEqual(heard, ['ldap.auth', 'ldap.auth', 'ldap.auth', 'security.failures-across-sources']);
});
