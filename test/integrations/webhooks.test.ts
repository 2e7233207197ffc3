// Webhooks end to end: audit events through the Auditor's write path into the outbox, delivered
// by the worker to a Python http.server receiver that checks every signature itself. At least
// once through outages and failures, dead after the give-up time, bounded per destination, and
// one tenant's events never reach another tenant's webhook.
import test from 'ava';
import { MemoryStore } from '../../src/store/index.ts';
import { Auditor, type AuditInput } from '../../src/audit/index.ts';
import { Integrations } from '../../src/integrations/index.ts';
import { captureLogger } from '../daemon/helpers.ts';
import { SECRETS, makeWorld, startReceiver, until, webhook, type Delivery } from './helpers.ts';

const auth = (target: string, outcome: AuditInput['outcome'] = 'failed'): AuditInput => ({
  actor: 'radius:ap', action: 'radius.auth', target, outcome, protocol: 'radius',
  ...(outcome === 'failed' ? { reason: 'bad-password' } : {}), detail: { nas: 'ap', source: '192.0.2.7', method: 'pap' },
});
const change = (action: string, target: string): AuditInput => ({ actor: 'ops', action, target, outcome: 'ok', protocol: 'admin' });
const ok = (d: Delivery) => d.status >= 200 && d.status < 300;

test('a matching event is POSTed as signed JSON; the Python receiver verifies it; filters apply; no secret in body or log', async (t) => {
  const r = await startReceiver(t, { secrets: [SECRETS.acme] });
  const { logger, lines } = captureLogger('debug');
  const w = await makeWorld(t, {
    logger,
    acme: ['  webhooks:',
      webhook(`${r.url}/psa?token=url-token-kept-out-of-logs`, SECRETS.acme, 'events: [radius.auth, "user.*"], name: psa'),
      webhook(`${r.url}/failures`, SECRETS.acme, 'events: ["*"], outcomes: [failed]')],
  });
  const acme = w.tenant('acme');
  await acme.record(auth('alice'));
  await acme.record(change('user.create', 'bob'));
  await acme.record(change('mfa.enroll', 'bob'));
  await acme.record({ ...change('user.passwd', 'bob'), detail: { password: 'Hunter2-Hunter2', fields: 'password' } });
  await until('4 deliveries', async () => (await r.deliveries()).length >= 4);
  await new Promise((res) => setTimeout(res, 300)); // a fifth would have arrived by now

  const got = await r.deliveries();
  const psa = got.filter((d) => d.path.startsWith('/hooks/tenantdir/psa'));
  const failures = got.filter((d) => d.path === '/hooks/tenantdir/failures');
  t.deepEqual(psa.map((d) => d.body.type).sort(), ['radius.auth', 'user.create', 'user.passwd']);
  t.deepEqual(failures.map((d) => `${d.body.type}:${d.body.event.outcome}`), ['radius.auth:failed']);
  for (const d of got) {
    t.is(d.secret, 0, 'the receiver verified the signature with the tenant\'s secret');
    t.is(d.headers['content-type'], 'application/json');
    t.is(d.headers['tenantdir-delivery'], d.body.id);
    t.is(d.headers['tenantdir-event'], d.body.type);
    t.is(d.headers['tenantdir-attempt'], '1');
    t.regex(d.headers['tenantdir-signature'] ?? '', /^t=\d+,v1=[0-9a-f]{64}$/);
    t.is(d.body.tenant, 'acme');
  }
  const alice = psa.find((d) => d.body.type === 'radius.auth')!;
  t.like(alice.body.event, {
    actor: 'radius:ap', action: 'radius.auth', target: 'alice', outcome: 'failed', protocol: 'radius', reason: 'bad-password',
    detail: { nas: 'ap', source: '192.0.2.7', method: 'pap' },
  });
  t.true(Number.isFinite(Date.parse(String(alice.body.event.at))));
  t.true(Number.isFinite(Date.parse(alice.body.createdAt)));
  t.deepEqual(psa.find((d) => d.body.type === 'user.passwd')?.body.event.detail, { fields: 'password' });

  const everything = JSON.stringify(got) + JSON.stringify(lines.filter((l) => l.component !== 'audit'));
  t.false(everything.includes(SECRETS.acme), 'the webhook secret is never sent or logged');
  t.false(everything.includes('Hunter2-Hunter2'), 'a password is never sent');
  t.false(JSON.stringify(lines).includes('url-token-kept-out-of-logs'), 'a URL\'s query is never logged');
  const status = await w.integrations.status('acme');
  t.like(status.webhooks[0], { name: 'psa', scope: 'tenant', origin: `http://127.0.0.1:${r.port}`, pending: 0, dead: 0, delivered: 3, failedAttempts: 0 });
  t.truthy(status.webhooks[0]?.lastSuccessAt);
  t.false(JSON.stringify(status).includes('token'));
});

test('a receiver outage loses nothing: every event queued while it was down arrives after it is back', async (t) => {
  const r = await startReceiver(t, { secrets: [SECRETS.acme] });
  const w = await makeWorld(t, { acme: ['  webhooks:', webhook(r.url, SECRETS.acme, 'events: ["*"], name: psa')] });
  const acme = w.tenant('acme');
  await acme.record(auth('before'));
  await until('the first delivery', async () => (await r.deliveries()).length === 1);

  await r.stop();
  const during = Array.from({ length: 20 }, (_, i) => `during-${i}`);
  for (const target of during) await acme.record(auth(target));
  await until('failed attempts while the receiver is down', async () => (await w.integrations.status('acme')).webhooks[0]!.failedAttempts >= 3);
  const down = (await w.integrations.status('acme')).webhooks[0]!;
  t.is(down.pending, 20);
  t.regex(down.lastFailure?.error ?? '', /ECONNREFUSED/);

  await r.restart();
  await until('every queued event delivered', async () => (await w.integrations.status('acme')).webhooks[0]!.pending === 0, 8_000);
  const delivered = (await r.deliveries()).filter(ok);
  t.deepEqual([...new Set(delivered.map((d) => d.body.event.target))].sort(), ['before', ...during].sort());
  t.true(delivered.every((d) => d.secret === 0));
  // At least once: a repeat carries the same id, so a receiver can drop it.
  t.is(new Set(delivered.map((d) => d.body.id)).size, 21);
});

test('a failing receiver is retried with the same delivery id until it answers 2xx', async (t) => {
  const r = await startReceiver(t, { secrets: [SECRETS.acme], failFirst: 3 });
  const w = await makeWorld(t, { acme: ['  webhooks:', webhook(r.url, SECRETS.acme)] });
  await w.tenant('acme').record(auth('alice'));
  await until('four attempts', async () => (await r.deliveries()).length >= 4);
  const got = await r.deliveries();
  t.deepEqual(got.map((d) => d.status), [503, 503, 503, 204]);
  t.deepEqual(got.map((d) => d.headers['tenantdir-attempt']), ['1', '2', '3', '4']);
  t.is(new Set(got.map((d) => d.body.id)).size, 1);
  t.true(got.every((d) => d.secret === 0), 'each attempt is signed anew, and verifies');
  const s = (await w.integrations.status('acme')).webhooks[0]!;
  t.like(s, { pending: 0, dead: 0, delivered: 1, failedAttempts: 3 });
  t.like(s.lastFailure, { status: 503, error: 'HTTP 503' });
});

test('an event still undelivered after giveUpAfterMs is dead: not retried, counted and shown', async (t) => {
  const r = await startReceiver(t, { secrets: [SECRETS.acme], status: 500 });
  const { logger, lines } = captureLogger();
  const w = await makeWorld(t, {
    logger,
    delivery: 'delivery: { firstRetryMs: 50, maxRetryMs: 100, giveUpAfterMs: 400, timeoutMs: 2000, leaseMs: 3000, pollMs: 100 }',
    acme: ['  webhooks:', webhook(r.url, SECRETS.acme)],
  });
  await w.tenant('acme').record(auth('alice'));
  await until('the event is dead', async () => (await w.integrations.status('acme')).webhooks[0]!.dead === 1);
  const s = (await w.integrations.status('acme')).webhooks[0]!;
  t.like(s, { pending: 0, dead: 1, givenUp: 1, delivered: 0 });
  t.like(s.lastFailure, { status: 500 });
  t.true((await r.deliveries()).length >= 2);
  const dead = lines.find((l) => l.event === 'webhook.dead');
  t.is(dead?.level, 50);
  t.is(dead?.tenant, 'acme');
});

test('deliveries in flight per destination stay within integrations.delivery.concurrency', async (t) => {
  const r = await startReceiver(t, { secrets: [SECRETS.acme], delayMs: 200 });
  const w = await makeWorld(t, {
    delivery: 'delivery: { concurrency: 2, firstRetryMs: 50, timeoutMs: 2000, leaseMs: 5000, pollMs: 100 }',
    acme: ['  webhooks:', webhook(r.url, SECRETS.acme)],
  });
  for (let i = 0; i < 8; i++) await w.tenant('acme').record(auth(`u${i}`));
  await until('8 deliveries', async () => (await r.deliveries()).length >= 8, 8_000);
  const got = await r.deliveries();
  t.is(got.length, 8);
  t.true(got.every((d) => d.inFlight <= 2), `in flight at once: ${got.map((d) => d.inFlight).join(',')}`);
});

test('two workers on one store deliver each event once: claims are leased', async (t) => {
  const r = await startReceiver(t, { secrets: [SECRETS.acme] });
  const store = new MemoryStore();
  const delivery = 'delivery: { firstRetryMs: 50, timeoutMs: 2000, leaseMs: 20000, pollMs: 50 }';
  const w = await makeWorld(t, { store, delivery, acme: ['  webhooks:', webhook(r.url, SECRETS.acme, 'events: ["*"], name: psa')] });
  const second = new Integrations({ live: w.live, store, logger: captureLogger().logger });
  second.start();
  t.teardown(() => second.close());
  const otherAuditor = new Auditor(store, captureLogger().logger, { sink: second.sink });
  for (let i = 0; i < 30; i++) await (i % 2 ? w.tenant('acme') : otherAuditor.tenant('acme')).record(auth(`u${i}`));
  await until('30 deliveries', async () => (await store.tenant('acme').outbox.status('tenant/psa')).pending === 0, 8_000);
  const got = await r.deliveries();
  t.is(got.length, 30);
  t.is(new Set(got.map((d) => d.body.id)).size, 30);
  const a = await w.integrations.status('acme');
  const b = await second.status('acme');
  t.is(a.webhooks[0]!.delivered + b.webhooks[0]!.delivered, 30);
});

test("attacker's view: one tenant's events never reach another tenant's webhook", async (t) => {
  // One receiver, one URL configured by both tenants with their own secrets, one URL only globex
  // has, and an MSP-wide webhook; the receiver tells which secret signed each delivery.
  const r = await startReceiver(t, { secrets: [SECRETS.acme, SECRETS.globex, SECRETS.msp] });
  const shared = `${r.url}/shared`;
  const w = await makeWorld(t, {
    acme: ['  webhooks:', webhook(shared, SECRETS.acme)],
    globex: ['  webhooks:', webhook(shared, SECRETS.globex), webhook(`${r.url}/globex-only`, SECRETS.globex, 'events: ["*"], name: globex-only')],
    msp: ['  webhooks:', webhook(`${r.url}/msp`, SECRETS.msp, 'events: ["*"], name: siem')],
  });
  const acme = w.tenant('acme');
  const globex = w.tenant('globex');
  // Events of acme that name globex every way a field can, and the reverse.
  await acme.record({ actor: 'globex', action: 'user.create', target: 'globex', outcome: 'ok', detail: { tenant: 'globex', source: 'globex' } });
  await acme.record(auth('globex-admin@globex'));
  await globex.record({ actor: 'acme', action: 'user.create', target: 'acme', outcome: 'ok', detail: { tenant: 'acme' } });
  // An item forged into acme's outbox for a destination only globex has: never claimed for acme.
  await w.store.tenant('acme').outbox.enqueue([{ destination: 'tenant/globex-only', event: { at: new Date(), actor: 'x', action: 'user.create', target: 'forged', outcome: 'ok' } }], new Date());
  w.integrations.sink.recorded('acme', []);
  await until('7 deliveries', async () => (await r.deliveries()).length >= 7);
  await new Promise((res) => setTimeout(res, 300));

  const got = await r.deliveries();
  const at = (path: string) => got.filter((d) => d.path === `/hooks/tenantdir/${path}`);
  t.deepEqual(at('shared').map((d) => `${d.body.tenant}:${d.secret}`).sort(), ['acme:0', 'acme:0', 'globex:1']);
  t.deepEqual(at('globex-only').map((d) => `${d.body.tenant}:${d.secret}:${d.body.event.target}`), ['globex:1:acme']);
  t.deepEqual(at('msp').map((d) => `${d.body.tenant}:${d.secret}`).sort(), ['acme:2', 'acme:2', 'globex:2']);
  t.is(got.length, 7);
  t.false(got.some((d) => d.body.event.target === 'forged'));
  t.is((await w.store.tenant('acme').outbox.status('tenant/globex-only')).pending, 1);
  // Each tenant's status names only its own webhooks; the MSP's counts every tenant.
  t.deepEqual((await w.integrations.status('acme')).webhooks.map((x) => x.scope), ['tenant']);
  t.deepEqual((await w.integrations.status('globex')).webhooks.map((x) => x.name).sort(), ['globex-only', (await w.integrations.status('acme')).webhooks[0]!.name].sort());
  const msp = await w.integrations.mspStatus();
  t.like(msp.webhooks[0], { name: 'siem', scope: 'msp', delivered: 3, pending: 0 });
});
