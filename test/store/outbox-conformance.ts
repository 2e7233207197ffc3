// The outbox (webhook deliveries) over every store adapter: claims with leases, retries, dead
// items, status and retention, scoped by tenant like every repository. memory.test.ts and
// mongo.test.ts call runOutboxConformance next to the store suite.
import { randomUUID } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import type { AuditEvent, NewOutboxItem, OutboxItem, Store, TenantStore } from '../../src/store/index.ts';
import type { ConformanceOptions } from './conformance.ts';

type Body = (t: ExecutionContext, s: { store: Store; a: TenantStore; b: TenantStore }) => Promise<void>;

const T0 = new Date('2024-01-01T00:00:00.000Z');
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);
const LEASE = { leaseMs: 30_000, limit: 10 };

function event(target: string, over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    at: T0, actor: 'radius:ap-1', action: 'radius.auth', target, outcome: 'failed', protocol: 'radius',
    reason: 'bad-password', detail: { nas: 'ap-1', source: '192.0.2.7', mfa: false, port: 3 }, ...over,
  };
}

const item = (destination: string, target: string): NewOutboxItem => ({ destination, event: event(target) });
const targets = (items: OutboxItem[]): string[] => items.map((i) => i.event.target ?? '').sort();

export function runOutboxConformance(o: ConformanceOptions): void {
  const def = (title: string, body: Body): void => {
    (o.serial ? test.serial : test)(`${o.name}: outbox: ${title}`, async (t) => {
      const store = await o.open();
      t.teardown(() => store.close());
      const id = () => `t-${randomUUID().slice(0, 8)}`;
      await body(t, { store, a: store.tenant(id()), b: store.tenant(id()) });
    });
  };

  def('enqueue then claim round-trips the event, with an id, no attempts yet, and a lease', async (t, { a }) => {
    await a.outbox.enqueue([item('hook-1', 'alice')], T0);
    const [got, ...more] = await a.outbox.claim('hook-1', { ...LEASE, now: T0 });
    t.deepEqual(more, []);
    t.deepEqual(got?.event, event('alice'));
    t.is(got?.destination, 'hook-1');
    t.deepEqual(got?.createdAt, T0);
    t.is(got?.attempts, 0);
    t.regex(got?.id ?? '', /^[0-9a-f-]{36}$/);
    t.is(typeof got?.lease, 'string');
  });

  def('a claim takes only its destination, at most `limit`, oldest due first, each item once', async (t, { a }) => {
    await a.outbox.enqueue([item('hook-1', 'u1'), item('hook-2', 'other')], at(1));
    await a.outbox.enqueue([item('hook-1', 'u0')], at(0));
    await a.outbox.enqueue([item('hook-1', 'u2')], at(2));
    const first = await a.outbox.claim('hook-1', { ...LEASE, limit: 2, now: at(5) });
    t.deepEqual(first.map((i) => i.event.target), ['u0', 'u1']);
    t.deepEqual(targets(await a.outbox.claim('hook-1', { ...LEASE, now: at(5) })), ['u2']);
    t.deepEqual(await a.outbox.claim('hook-1', { ...LEASE, now: at(6) }), []);
    t.deepEqual(targets(await a.outbox.claim('hook-2', { ...LEASE, now: at(6) })), ['other']);
    t.deepEqual(new Set(first.map((i) => i.id)).size, 2);
  });

  def('an item is not due before it was enqueued', async (t, { a }) => {
    await a.outbox.enqueue([item('hook-1', 'later')], at(10));
    t.deepEqual(await a.outbox.claim('hook-1', { ...LEASE, now: at(9) }), []);
    t.is((await a.outbox.claim('hook-1', { ...LEASE, now: at(10) })).length, 1);
  });

  def('concurrent claims never hand out one item twice', async (t, { a }) => {
    await a.outbox.enqueue(Array.from({ length: 12 }, (_, i) => item('hook-1', `u${i}`)), T0);
    const claims = await Promise.all([1, 2, 3].map(() => a.outbox.claim('hook-1', { ...LEASE, limit: 5, now: at(1) })));
    const ids = claims.flat().map((i) => i.id);
    t.is(ids.length, 12);
    t.is(new Set(ids).size, 12);
  });

  def('a lease that runs out (a crashed worker) makes the item claimable again; the old lease is refused', async (t, { a }) => {
    await a.outbox.enqueue([item('hook-1', 'alice')], T0);
    const [first] = await a.outbox.claim('hook-1', { ...LEASE, now: T0 });
    t.deepEqual(await a.outbox.claim('hook-1', { ...LEASE, now: at(29) }), []);
    const [again] = await a.outbox.claim('hook-1', { ...LEASE, now: at(30) });
    t.is(again?.id, first?.id);
    t.not(again?.lease, first?.lease);
    t.false(await a.outbox.failed(first!, { at: at(31), error: 'late', retryAt: at(32) }));
    t.true(await a.outbox.failed(again!, { at: at(31), status: 503, error: 'HTTP 503', retryAt: at(40) }));
  });

  def('failed with retryAt counts the attempt and makes it due then; without retryAt it is dead', async (t, { a }) => {
    await a.outbox.enqueue([item('hook-1', 'alice')], T0);
    const [one] = await a.outbox.claim('hook-1', { ...LEASE, now: T0 });
    t.true(await a.outbox.failed(one!, { at: at(1), status: 500, error: 'HTTP 500', retryAt: at(10) }));
    t.deepEqual(await a.outbox.claim('hook-1', { ...LEASE, now: at(9) }), []);
    const [two] = await a.outbox.claim('hook-1', { ...LEASE, now: at(10) });
    t.is(two?.attempts, 1);
    t.true(await a.outbox.failed(two!, { at: at(11), error: 'connect ECONNREFUSED' }));
    t.deepEqual(await a.outbox.claim('hook-1', { ...LEASE, now: at(1000) }), []);
    t.false(await a.outbox.failed(two!, { at: at(12), error: 'twice' }));
    const s = await a.outbox.status('hook-1');
    t.is(s.pending, 0);
    t.is(s.dead, 1);
    t.deepEqual(s.lastFailure, { at: at(11), error: 'connect ECONNREFUSED' });
  });

  def('delivered removes the item and records the last success; status counts and dates', async (t, { a }) => {
    t.deepEqual(await a.outbox.status('hook-1'), { pending: 0, dead: 0 });
    await a.outbox.enqueue([item('hook-1', 'u0')], at(0));
    await a.outbox.enqueue([item('hook-1', 'u1'), item('hook-2', 'x')], at(1));
    const [first] = await a.outbox.claim('hook-1', { ...LEASE, limit: 1, now: at(2) });
    await a.outbox.delivered(first!, at(3));
    t.deepEqual(await a.outbox.status('hook-1'), { pending: 1, dead: 0, oldestPendingAt: at(1), lastSuccessAt: at(3) });
    const [second] = await a.outbox.claim('hook-1', { ...LEASE, now: at(4) });
    await a.outbox.failed(second!, { at: at(5), status: 404, error: 'HTTP 404', retryAt: at(6) });
    t.deepEqual(await a.outbox.status('hook-1'), {
      pending: 1, dead: 0, oldestPendingAt: at(1), lastSuccessAt: at(3), lastFailure: { at: at(5), status: 404, error: 'HTTP 404' },
    });
    t.deepEqual(await a.outbox.status('hook-2'), { pending: 1, dead: 0, oldestPendingAt: at(1) });
  });

  def('release hands an item back unattempted, only under its own lease', async (t, { a }) => {
    await a.outbox.enqueue([item('hook-1', 'alice')], T0);
    const [held] = await a.outbox.claim('hook-1', { ...LEASE, now: T0 });
    await a.outbox.release({ ...held!, lease: 'not-mine' }, at(1));
    t.deepEqual(await a.outbox.claim('hook-1', { ...LEASE, now: at(1) }), []);
    await a.outbox.release(held!, at(1));
    const [back] = await a.outbox.claim('hook-1', { ...LEASE, now: at(1) });
    t.is(back?.id, held?.id);
    t.is(back?.attempts, 0);
  });

  def('purge(before) deletes pending and dead items created before, keeps the rest', async (t, { a }) => {
    await a.outbox.enqueue([item('hook-1', 'old')], at(0));
    await a.outbox.enqueue([item('hook-1', 'dead')], at(1));
    await a.outbox.enqueue([item('hook-1', 'new')], at(10));
    const claimed = await a.outbox.claim('hook-1', { ...LEASE, now: at(1) });
    const dead = claimed.find((i) => i.event.target === 'dead');
    await a.outbox.failed(dead!, { at: at(2), error: 'gave up' });
    t.is(await a.outbox.purge(at(5)), 2);
    t.is(await a.outbox.purge(at(5)), 0);
    t.deepEqual(targets(await a.outbox.claim('hook-1', { ...LEASE, now: at(100) })), ['new']);
  });

  def('claim refuses a limit or lease out of range', async (t, { a }) => {
    const INVALID = { code: 'TD_INVALID_INPUT' };
    await t.throwsAsync(a.outbox.claim('hook-1', { now: T0, leaseMs: 1000, limit: 0 }), INVALID);
    await t.throwsAsync(a.outbox.claim('hook-1', { now: T0, leaseMs: 1000, limit: 1001 }), INVALID);
    await t.throwsAsync(a.outbox.claim('hook-1', { now: T0, leaseMs: 0, limit: 1 }), INVALID);
  });

  def("tenants: B neither claims, acknowledges, fails, counts nor purges A's items", async (t, { a, b }) => {
    await a.outbox.enqueue([item('hook-1', 'alice')], T0);
    t.deepEqual(await b.outbox.claim('hook-1', { ...LEASE, now: at(1) }), []);
    const [mine] = await a.outbox.claim('hook-1', { ...LEASE, now: at(1) });
    // B holding A's id and lease (as if guessed) changes nothing of A's.
    t.false(await b.outbox.failed(mine!, { at: at(2), error: 'forged' }));
    await b.outbox.release(mine!, at(2));
    await b.outbox.delivered(mine!, at(2));
    t.deepEqual(await b.outbox.status('hook-1'), { pending: 0, dead: 0, lastSuccessAt: at(2) });
    t.is(await b.outbox.purge(at(100)), 0);
    const s = await a.outbox.status('hook-1');
    t.is(s.pending, 1);
    t.is(s.lastSuccessAt, undefined);
    t.true(await a.outbox.failed(mine!, { at: at(3), error: 'HTTP 500', status: 500, retryAt: at(4) }));
  });
}
