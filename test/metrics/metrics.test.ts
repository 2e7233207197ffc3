// The metrics module alone: audit events counted with bounded labels, store calls timed and
// their failures counted, whatever the adapter.
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { instrumentStore, Metrics } from '../../src/metrics/index.ts';
import { MemoryStore } from '../../src/store/memory.ts';
import type { Store, TenantStore } from '../../src/store/index.ts';

const quiet = () => new Metrics({
  ldap: () => ({ connections: 2, refusedConnections: 5, queuedReplyBytes: 0 }),
  radius: () => ({ inFlight: 0, dropped: { throttled: 3, 'unknown-client': 1 } }),
  eapConversations: () => 7,
  deliveries: () => [{ tenant: 'acme', destination: 'tenant/psa', delivered: 4, failed: 2, dead: 0 }],
});

test('audit events become counts; a value our code did not make is folded into "other", never a new series per name', async (t) => {
  const m = quiet();
  const at = new Date();
  m.recorded('acme', [
    { at, actor: 'radius:ap', action: 'radius.auth', outcome: 'ok', protocol: 'radius', detail: { method: 'pap' } },
    { at, actor: 'radius:ap', action: 'radius.auth', outcome: 'failed', protocol: 'radius', reason: 'bad-password', detail: { method: 'pap' } },
    { at, actor: 'ldap:x', action: 'ldap.auth', outcome: 'failed', protocol: 'ldap', reason: 'uid=evil,dc=x <script>', detail: { method: 'Some Made Up Method!' } },
    { at, actor: 'system', action: 'user.lockout', outcome: 'ok', target: 'bob' },
    { at, actor: 'system', action: 'security.spraying', outcome: 'failed', target: '10.0.0.9' },
    { at, actor: 'ops', action: 'user.create', outcome: 'ok', target: 'carol' },
  ]);
  const { body } = await m.text();
  t.regex(body, /^tenantdir_authentications_total\{tenant="acme",protocol="radius",method="pap",outcome="ok"\} 1$/m);
  t.regex(body, /^tenantdir_authentications_total\{tenant="acme",protocol="ldap",method="other",outcome="failed"\} 1$/m);
  t.regex(body, /^tenantdir_authentication_failures_total\{protocol="ldap",reason="other"\} 1$/m);
  t.regex(body, /^tenantdir_lockouts_total\{tenant="acme"\} 1$/m);
  t.regex(body, /^tenantdir_security_events_total\{tenant="acme",kind="spraying"\} 1$/m);
  for (const leak of ['bob', 'carol', '10.0.0.9', 'evil', 'Made Up']) t.false(body.includes(leak), leak);
  // The parts' own numbers, read at scrape time.
  t.regex(body, /^tenantdir_ldap_refused_connections_total 5$/m);
  t.regex(body, /^tenantdir_radius_dropped_total\{reason="throttled"\} 3$/m);
  t.regex(body, /^tenantdir_eap_conversations 7$/m);
  t.regex(body, /^tenantdir_webhook_attempts_total\{tenant="acme",destination="tenant\/psa",outcome="failed"\} 2$/m);
  // A second scrape reads the totals again rather than adding them up.
  t.regex((await m.text()).body, /^tenantdir_ldap_refused_connections_total 5$/m);
});

test('every store call is timed by repository and call, and a failed one counted, on any adapter', async (t) => {
  const seen: string[] = [];
  const store = instrumentStore(new MemoryStore(), (repo, call, _s, failed) => seen.push(`${repo}.${call}${failed ? '!' : ''}`));
  t.is(store.kind, 'memory');
  const acme = store.tenant('acme');
  t.is(acme.tenantId, 'acme');
  t.is(await acme.users.get('nobody'), undefined);
  await acme.audit.list({ limit: 1 });
  t.deepEqual(seen, ['users.get', 'audit.list']);

  const failing: Store = {
    kind: 'mongo',
    tenant: (id) => ({ tenantId: id, users: { get: async () => { throw new Error('store down'); } } }) as unknown as TenantStore,
    health: async () => ({ ok: false }),
    tenants: () => { throw new Error('not used here'); },
    close: async () => undefined,
  };
  const wrapped = instrumentStore(failing, (repo, call, _s, failed) => seen.push(`${repo}.${call}${failed ? '!' : ''}`));
  await t.throwsAsync(wrapped.tenant('acme').users.get('x'), { message: 'store down' });
  t.like(await wrapped.health(), { ok: false });
  t.deepEqual(seen.slice(2), ['users.get!', 'store.health']);
});

test('the Grafana dashboard in docker/ asks only for metrics the daemon exports', async (t) => {
  const dashboard = await readFile(new URL('../../docker/grafana-dashboard.json', import.meta.url), 'utf8');
  const asked = new Set([...dashboard.matchAll(/tenantdir_[a-z_]+/g)].map((m) => m[0].replace(/_bucket$/, '')));
  const exported = (await quiet().text()).body;
  t.true(asked.size >= 10);
  for (const name of asked) t.regex(exported, new RegExp(`^# TYPE ${name} `, 'm'), name);
});
