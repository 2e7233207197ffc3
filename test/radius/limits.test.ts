// The RADIUS front's bounds as units: in-flight slots per NAS, per tenant and in total, and the
// duplicate cache, bounded in bytes per tenant. The end-to-end floods are in overload.test.ts.
import test from 'ava';
import { DuplicateCache } from '../../src/radius/dedup.ts';
import { InFlight, type RadiusLimits } from '../../src/radius/limits.ts';

const LIMITS: RadiusLimits = { inFlight: 5, inFlightPerTenant: 3, inFlightPerNas: 2, duplicateCacheBytesPerTenant: 65_536 };

test('in flight: a NAS, a tenant and the total each have their limit; a released slot is free again, once', (t) => {
  const f = new InFlight();
  const a1 = f.enter('acme/ap-1', 'acme', LIMITS);
  t.true(a1.ok);
  t.true(f.enter('acme/ap-1', 'acme', LIMITS).ok);
  t.like(f.enter('acme/ap-1', 'acme', LIMITS), { ok: false, reason: 'overloaded-nas' });
  t.true(f.enter('acme/ap-2', 'acme', LIMITS).ok);
  t.like(f.enter('acme/ap-3', 'acme', LIMITS), { ok: false, reason: 'overloaded-tenant' });
  t.true(f.enter('globex/ap', 'globex', LIMITS).ok);
  t.true(f.enter('globex/ap', 'globex', LIMITS).ok);
  t.is(f.size, 5);
  t.like(f.enter('initech/ap', 'initech', LIMITS), { ok: false, reason: 'overloaded' });
  if (!a1.ok) return;
  a1.release();
  a1.release();
  t.is(f.size, 4);
  t.true(f.enter('acme/ap-1', 'acme', LIMITS).ok, 'the NAS has its slot back');
  t.like(f.enter('initech/ap', 'initech', LIMITS), { ok: false, reason: 'overloaded' }, 'released once, not twice');
});

test('duplicate cache: one tenant\'s flood of 4 KiB replies evicts only its own entries, within its bytes', (t) => {
  const c = new DuplicateCache({ windowMs: 30_000, bytesPerOwner: 65_536 });
  const acmeReply = Buffer.alloc(4096, 1);
  t.deepEqual(c.begin('acme', 'a'), { kind: 'new' });
  c.finish('acme', 'a', acmeReply);
  for (let i = 0; i < 1000; i++) {
    t.is(c.begin('globex', `g${i}`).kind, 'new');
    c.finish('globex', `g${i}`, Buffer.alloc(4096, 2));
  }
  t.true(c.bytesOf('globex') <= 65_536);
  t.true(c.bytesOf('globex') > 60_000, 'the budget is used, not wasted');
  t.deepEqual(c.begin('acme', 'a'), { kind: 'done', reply: acmeReply });
  t.is(c.begin('globex', 'g0').kind, 'new', 'globex\'s oldest went');
  t.is(c.begin('globex', 'g999').kind, 'done', 'its newest stayed');
});

test('duplicate cache: pending until finished or abandoned; an abandoned request is new again', (t) => {
  const c = new DuplicateCache({ windowMs: 30_000, bytesPerOwner: 65_536 });
  t.is(c.begin('acme', 'k').kind, 'new');
  t.is(c.begin('acme', 'k').kind, 'pending');
  t.is(c.begin('globex', 'k').kind, 'new', 'owners do not share keys');
  c.abandon('acme', 'k');
  t.is(c.begin('acme', 'k').kind, 'new');
  c.clear();
  t.is(c.bytesOf('acme'), 0);
});
