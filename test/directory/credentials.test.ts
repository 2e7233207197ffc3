// The credential verifier and smart lockout (issue 9): cheap refusals before any hash, hashes off
// the event loop, equal work for every refusal, fair turns across tenants and sources, and a
// lockout that slows the guessing source first and spares the account's familiar sources.
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { encrypt as shaCrypt } from 'unixcrypt';
import { Auditor } from '../../src/audit/index.ts';
import { loadConfig, type TenantConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { Directory, type Actor, type CredentialLimits } from '../../src/directory/index.ts';
import { BUSY, FairQueue } from '../../src/directory/fair-queue.ts';
import { HashPool } from '../../src/directory/hash-pool.ts';
import { MemoryStore } from '../../src/store/index.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const admin: Actor = { name: 'ops', protocol: 'admin' };
const GOOD = 'Correct-Horse-9';
const from = (source: string, protocol: Actor['protocol'] = 'ldap'): Actor => ({ name: `${protocol}:test`, protocol, source });

/** A clock the test moves: buckets, source waits and lock windows all read it. */
function fakeClock(start = Date.parse('2030-01-01T00:00:00Z')): { now: () => Date; advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

async function setup(o: { now?: () => Date; bcryptCost?: number; limits?: Partial<CredentialLimits> } = {}) {
  const loaded = await loadConfig(FIXTURES);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const store = new MemoryStore();
  const logger = silentLogger();
  const directory = new Directory({
    store, auditor: new Auditor(store, logger), logger, bcryptCost: o.bcryptCost ?? 4,
    ...(o.now ? { now: o.now } : {}), ...(o.limits ? { credentialLimits: o.limits } : {}),
  });
  const acme = loaded.registry.byId('acme')!;
  const globex = loaded.registry.byId('globex')!;
  return { store, directory, acme, globex, a: directory.tenant(acme), g: directory.tenant(globex) };
}

/** While `f` runs: the widest pause between turns of the event loop, and how long `f` took. */
async function loopTurns<T>(f: () => Promise<T>): Promise<{ widestGap: number; span: number; value: T }> {
  const start = performance.now();
  let last = start;
  let widestGap = 0;
  let running = true;
  const turn = (): void => {
    const now = performance.now();
    widestGap = Math.max(widestGap, now - last);
    last = now;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  try {
    const value = await f();
    return { widestGap, span: performance.now() - start, value };
  } finally {
    running = false;
  }
}

/** The checks each hash-thread job of `f` was given: kind, and a bcrypt hash's cost prefix. */
async function hashJobs(f: () => Promise<unknown>): Promise<string[][]> {
  const jobs: string[][] = [];
  const run = HashPool.prototype.run;
  HashPool.prototype.run = function (this: HashPool, password, checks) {
    jobs.push(checks.map((c) => (c.kind === 'bcrypt' ? `bcrypt:${c.hash.slice(0, 7)}` : c.kind)));
    return run.call(this, password, checks);
  };
  try {
    await f();
  } finally {
    HashPool.prototype.run = run;
  }
  return jobs;
}

// Tests that patch the hash pool or count turns run serially (test.serial), alone in this file.

// ---------------------------------------------------------------- smart lockout

test('smart lockout: an attacking address is slowed and locked out; the user\'s usual address keeps working', async (t) => {
  const clock = fakeClock();
  // globex: the default lockout, 5 failures in 15 minutes lock for 15 minutes.
  const { g, store } = await setup({ now: clock.now });
  await g.createUser({ uid: 'alice', password: GOOD }, admin);
  const home = from('192.0.2.10');
  const attacker = from('198.51.100.66');
  t.true((await g.authenticate('alice', { password: GOOD }, home)).ok, 'alice logs in from her usual address');

  // Three wrong passwords from the attacker: then it must wait, 1 s, then 2 s, ...; while it waits
  // it is refused without a hash, even with the right password, and nothing is counted.
  for (let i = 0; i < 3; i++) t.like(await g.authenticate('alice', { password: `guess-${i}` }, attacker), { ok: false, reason: 'bad-password' });
  t.deepEqual(await g.authenticate('alice', { password: GOOD }, attacker), { ok: false, reason: 'throttled' });
  t.deepEqual(await g.authenticate('alice', { password: 'guess-x' }, attacker), { ok: false, reason: 'throttled' });
  const throttled = (await store.tenant('globex').audit.list({ action: 'ldap.auth', limit: 20 })).filter((e) => e.reason === 'throttled');
  t.is(throttled.length, 1, 'one audit event per wait, however many tries');
  t.is(throttled[0]?.detail?.wait, '1000');
  t.is((await store.tenant('globex').lockouts.get('alice'))?.failures, 3);
  t.true((await g.authenticate('alice', { password: GOOD }, home)).ok, 'the usual address is not slowed');
  t.is((await store.tenant('globex').lockouts.get('alice'))?.failures, 3, "her success does not wipe the attacker's count");

  // Five wrong binds in a burst do not lock the account: two of them were only waits.
  t.is(await g.lockedUntil('alice'), undefined);
  // Past each wait the attacker gets one more guess: the fifth counted failure locks the account.
  clock.advance(1000);
  t.like(await g.authenticate('alice', { password: 'guess-3' }, attacker), { reason: 'bad-password' });
  t.like(await g.authenticate('alice', { password: 'guess-4' }, attacker), { reason: 'throttled' });
  clock.advance(2000);
  t.like(await g.authenticate('alice', { password: 'guess-4' }, attacker), { reason: 'bad-password' });
  t.truthy(await g.lockedUntil('alice'), 'locked for sources alice has not logged in from');

  clock.advance(4000);
  t.like(await g.authenticate('alice', { password: GOOD }, attacker), { ok: false, reason: 'locked', proven: true });
  t.like(await g.authenticate('alice', { password: GOOD }, from('203.0.113.5')), { ok: false, reason: 'locked' }, 'a new address is locked out');
  t.true((await g.authenticate('alice', { password: GOOD }, home)).ok, 'her usual address still works during the lock');
  t.truthy(await g.lockedUntil('alice'), "her success does not lift the attacker's lock");
  const lockouts = await store.tenant('globex').audit.list({ action: 'user.lockout', limit: 5 });
  t.like(lockouts[0], { target: 'alice', detail: { source: '198.51.100.66' } });
});

test('smart lockout over RADIUS too: the user\'s NAS keeps working while an LDAP client guesses', async (t) => {
  const clock = fakeClock();
  const { a } = await setup({ now: clock.now });
  await a.createUser({ uid: 'bob', password: GOOD }, admin);
  const nas = from('127.0.0.1', 'radius');
  t.true((await a.authenticate('bob', { password: GOOD }, nas)).ok);
  // Five wrong binds from five anonymous LDAP clients (no one source is slowed): the account locks.
  for (let i = 0; i < 5; i++) await a.authenticate('bob', { password: `guess-${i}` }, from(`198.51.100.${i}`));
  t.truthy(await a.lockedUntil('bob'));
  t.true((await a.authenticate('bob', { password: GOOD }, nas)).ok, "bob's NAS is familiar: not locked out");
  t.like(await a.authenticate('bob', { password: GOOD }, from('198.51.100.200')), { ok: false, reason: 'locked' });
});

test('smart lockout: failures from a familiar address slow it but do not count toward the lock', async (t) => {
  const clock = fakeClock();
  const { a, store } = await setup({ now: clock.now });
  await a.createUser({ uid: 'carol', password: GOOD }, admin);
  const home = from('192.0.2.20');
  t.true((await a.authenticate('carol', { password: GOOD }, home)).ok);
  for (let i = 0; i < 6; i++) {
    await a.authenticate('carol', { password: `typo-${i}` }, home);
    clock.advance(60_000);
  }
  t.is(await store.tenant('acme').lockouts.get('carol'), undefined);
  t.is(await a.lockedUntil('carol'), undefined);
  t.true((await a.authenticate('carol', { password: GOOD }, home)).ok);
});

test('smart lockout: an unknown user is slowed exactly like a known one (waits say nothing about who exists)', async (t) => {
  const clock = fakeClock();
  const { a } = await setup({ now: clock.now });
  await a.createUser({ uid: 'dave', password: GOOD }, admin);
  const src = from('198.51.100.9');
  const run = async (uid: string) => {
    const reasons: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await a.authenticate(uid, { password: `guess-${i}` }, src);
      reasons.push(r.ok ? 'ok' : r.reason === 'throttled' ? 'throttled' : 'refused');
    }
    return reasons;
  };
  const known = await run('dave');
  const unknown = await run('nobody');
  t.deepEqual(known, ['refused', 'refused', 'refused', 'throttled', 'throttled']);
  t.deepEqual(unknown, known);
});

test('unlock and a new password lift every source\'s wait; the admin sees the lock end', async (t) => {
  const clock = fakeClock();
  const { a } = await setup({ now: clock.now });
  await a.createUser({ uid: 'erin', password: GOOD }, admin);
  for (let i = 0; i < 3; i++) await a.authenticate('erin', { password: `guess-${i}` }, from('198.51.100.1'));
  t.like(await a.authenticate('erin', { password: GOOD }, from('198.51.100.1')), { reason: 'throttled' });
  t.true(await a.unlock('erin', admin), 'three unfamiliar failures reach the fixture threshold of 3');
  t.true((await a.authenticate('erin', { password: GOOD }, from('198.51.100.1'))).ok);
});

test('service accounts: the same limits and a lockout of their own', async (t) => {
  const clock = fakeClock();
  const { a, store } = await setup({ now: clock.now });
  // Fixture: acme has service account "reader" with password Reader-Secret-1.
  t.like(await a.authenticateService('reader', 'Reader-Secret-1', from('192.0.2.30')), { ok: true });
  for (let i = 0; i < 3; i++) t.like(await a.authenticateService('reader', `guess-${i}`, from(`198.51.100.${i}`)), { ok: false, reason: 'bad-password' });
  t.truthy(await store.tenant('acme').lockouts.get('service:reader'), 'counted under service:NAME, apart from users');
  t.like(await a.authenticateService('reader', 'Reader-Secret-1', from('198.51.100.50')), { ok: false, reason: 'locked' });
  t.like(await a.authenticateService('READER', 'Reader-Secret-1', from('192.0.2.30')), { ok: true }, 'its usual address still binds');
  for (let i = 0; i < 3; i++) await a.authenticateService('reader', `guess-${i}`, from('198.51.100.99'));
  t.like(await a.authenticateService('reader', 'Reader-Secret-1', from('198.51.100.99')), { ok: false, reason: 'throttled' });
  t.like(await a.authenticateService('nosuch', 'x', from('192.0.2.31')), { ok: false, reason: 'no-such-user' });
    const events = await store.tenant('acme').audit.list({ action: 'ldap.service-auth', limit: 50 });
  t.true(events.some((e) => e.reason === 'no-such-account'));
});

// ---------------------------------------------------------------- cheap refusals

test('token buckets: a flood from one address is refused without hashing; other addresses and tenants are not', async (t) => {
  const clock = fakeClock();
  const { a, g } = await setup({ now: clock.now, limits: { perSource: { burst: 5, perSecond: 1 }, perTenant: { burst: 8, perSecond: 2 } } });
  await a.createUser({ uid: 'fay', password: GOOD }, admin);
  await g.createUser({ uid: 'gina', password: GOOD }, admin);
  const flood = from('198.51.100.7');
  const reasons = [];
  for (let i = 0; i < 8; i++) {
    const r = await a.authenticate(`user${i}`, { password: 'x' }, flood);
    reasons.push(r.ok ? 'ok' : r.reason);
  }
  t.deepEqual(reasons, [...Array(5).fill('no-such-user'), ...Array(3).fill('throttled')]);
  t.true((await a.authenticate('fay', { password: GOOD }, from('192.0.2.1'))).ok, 'another address in the same tenant');
  // Successes give their tokens back: logging in often from one address never throttles it.
  for (let i = 0; i < 20; i++) t.true((await g.authenticate('gina', { password: GOOD }, from('192.0.2.2'))).ok);
  // The tenant's own bucket: 8 burst, spent by many addresses' failures.
  for (let i = 0; i < 8; i++) await a.authenticate('nobody', { password: `x${i}` }, from(`203.0.113.${i}`));
  t.like(await a.authenticate('fay', { password: GOOD }, from('203.0.113.100')), { ok: false, reason: 'throttled' });
  t.true((await g.authenticate('gina', { password: GOOD }, from('203.0.113.100'))).ok, 'another tenant is not throttled');
  clock.advance(5_000);
  t.true((await a.authenticate('fay', { password: GOOD }, from('203.0.113.100'))).ok, 'refilled after a while');
});

test('IPv6 sources count by /64, IPv4-mapped ones as IPv4', async (t) => {
  const { sourceKey } = await import('../../src/directory/throttle.ts');
  t.is(sourceKey('2001:db8:1:2:aaaa::1'), sourceKey('2001:db8:1:2:ffff::9'));
  t.not(sourceKey('2001:db8:1:2::1'), sourceKey('2001:db8:1:3::1'));
  t.is(sourceKey('::ffff:127.0.0.1'), '127.0.0.1');
  t.is(sourceKey(undefined), '-');
  t.is(sourceKey('not an address'), 'not an address');
});

test.serial('a 1 MiB password is refused at once, like a wrong one, and cannot be set', async (t) => {
  const { a } = await setup({ bcryptCost: 10 });
  await a.createUser({ uid: 'sha', passwordHash: `{CRYPT}${shaCrypt(GOOD, '$6$longtest')}` }, admin);
  await a.createUser({ uid: 'hal', password: GOOD }, admin);
  const huge = 'x'.repeat(1024 * 1024);
  for (const uid of ['sha', 'hal', 'nobody']) {
    let value: unknown;
    const jobs = await hashJobs(async () => { value = await a.authenticate(uid, { password: huge }, from('192.0.2.40')); });
    t.deepEqual(value, { ok: false, reason: 'too-long' }, uid);
    t.is(jobs.length, 0, `${uid}: refused before any hash`);
  }
  // Exactly the cap is checked (and wrong); one multi-byte character more is refused.
  t.like(await a.authenticate('hal', { password: 'y'.repeat(1024) }, from('192.0.2.41')), { reason: 'bad-password' });
  t.like(await a.authenticate('hal', { password: `${'y'.repeat(1023)}é` }, from('192.0.2.41')), { reason: 'too-long' });
  await t.throwsAsync(a.setPassword('hal', `Aa1-${'z'.repeat(2000)}`, admin), { code: 'TD_PASSWORD_POLICY', message: /at most 1024 bytes/ } as never);
});

// ---------------------------------------------------------------- off the loop, equal work

test.serial('SHA-crypt checks run off the event loop: the loop keeps turning while they hash', async (t) => {
  const { a } = await setup();
  // 200,000 rounds: about half a second of hashing per check; on the loop each would stall it that long.
  await a.createUser({ uid: 'legacy', passwordHash: `{CRYPT}${shaCrypt(GOOD, '$6$rounds=200000$offloop')}` }, admin);
  const { widestGap, span, value } = await loopTurns(() => Promise.all([
    a.authenticate('legacy', { password: 'x'.repeat(1024) }, from('192.0.2.50')),
    a.authenticate('legacy', { password: 'Wrong-Horse-1' }, from('192.0.2.51')),
  ]));
  t.like(value[0], { ok: false, reason: 'bad-password' });
  t.like(value[1], { ok: false, reason: 'bad-password' });
  // Hashed on the loop, one stall would fill most of the time the checks took.
  t.true(widestGap < span / 2, `the loop's widest pause was ${widestGap.toFixed(0)} ms of ${span.toFixed(0)} ms`);
});

test.serial('equal work for every refusal: unknown, wrong password, locked, disabled, migrated hash', async (t) => {
  const clock = fakeClock();
  const { a } = await setup({ now: clock.now, bcryptCost: 8 });
  await a.createUser({ uid: 'known', password: GOOD }, admin);
  await a.createUser({ uid: 'locked', password: GOOD }, admin);
  await a.createUser({ uid: 'off', password: GOOD, enabled: false }, admin);
  await a.createUser({ uid: 'ssha', passwordHash: '{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=' }, admin);
  for (let i = 0; i < 3; i++) await a.authenticate('locked', { password: `w${i}` }, from(`10.9.0.${i}`));
  t.truthy(await a.lockedUntil('locked'));
  const kinds: Record<string, () => Promise<unknown>> = {
    unknown: () => a.authenticate('nobody', { password: 'Wrong-1' }, from('10.1.0.1')),
    'wrong-password': () => a.authenticate('known', { password: 'Wrong-1' }, from('10.2.0.1')),
    locked: () => a.authenticate('locked', { password: 'Wrong-1' }, from('10.3.0.1')),
    disabled: () => a.authenticate('off', { password: GOOD }, from('10.4.0.1')),
    'migrated-ssha': () => a.authenticate('ssha', { password: 'Wrong-1' }, from('10.5.0.1')),
  };
  // The work is what the hash threads are given: every refusal must hand them one bcrypt check of
  // the configured cost (the account's, or the dummy), whatever else it checks.
  for (const [kind, f] of Object.entries(kinds)) {
    const jobs = await hashJobs(f);
    const bcrypts = jobs.flat().filter((c) => c.startsWith('bcrypt:$2b$08$'));
    t.is(jobs.length, 1, `${kind}: one job`);
    t.is(bcrypts.length, 1, `${kind}: one bcrypt of cost 8 (${jobs.flat().join(', ')})`);
  }
});

test.serial('a bind under no tenant costs the dummy hash too', async (t) => {
  const { directory } = await setup({ bcryptCost: 8 });
  const jobs = await hashJobs(() => directory.refuseWithoutTenant('uid=x,dc=nowhere', 'Wrong-1', from('10.6.0.1')));
  t.deepEqual(jobs, [['bcrypt:$2b$08$']], 'one bcrypt of the configured cost, like a wrong password');
});

// ---------------------------------------------------------------- fairness

test.serial('fair turns: a flood in one tenant does not delay another tenant\'s logins', async (t) => {
  // One hash thread: a FIFO would make globex wait behind all 32 queued flood checks. With turns,
  // a login waits for at most the check in progress and one more of the flood.
  const { a, g } = await setup({
    bcryptCost: 6,
    limits: { hashThreads: 1, maxQueuedPerTenant: 32, perSource: { burst: 10_000, perSecond: 1 }, perTenant: { burst: 10_000, perSecond: 1 } },
  });
  await g.createUser({ uid: 'gina', password: GOOD }, admin);
  let floodDone = 0;
  const flood = Array.from({ length: 300 }, (_, i) => a.authenticate(`user${i}`, { password: 'Wrong-1' }, from('198.51.100.66')).finally(() => { floodDone++; }));
  const before: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = floodDone;
    t.true((await g.authenticate('gina', { password: GOOD }, from('192.0.2.60'))).ok);
    before.push(floodDone - start);
  }
  const verdicts = await Promise.all(flood);
  const busy = verdicts.filter((v) => !v.ok && v.reason === 'throttled').length;
  t.true(busy >= 300 - 33, `the flood beyond the tenant's queue is refused at once (${busy} of 300)`);
  // The refused ones finish at once, before any hash: count only hashed flood checks after the first login.
  t.true(before.slice(1).every((n) => n <= 2), `flood checks finished while gina waited: ${before.join(', ')}`);
});

test.serial('fair turns within a tenant: one source\'s flood does not delay another source of the same tenant', async (t) => {
  const { a } = await setup({
    bcryptCost: 6,
    limits: { hashThreads: 1, maxQueuedPerTenant: 64, perSource: { burst: 10_000, perSecond: 1 }, perTenant: { burst: 10_000, perSecond: 1 } },
  });
  await a.createUser({ uid: 'ivy', password: GOOD }, admin);
  t.true((await a.authenticate('ivy', { password: GOOD }, from('192.0.2.70'))).ok, 'warm: the hash thread is up');
  let floodDone = 0;
  const flood = Array.from({ length: 40 }, (_, i) => a.authenticate(`user${i}`, { password: 'Wrong-1' }, from('198.51.100.77')).finally(() => { floodDone++; }));
  const value = await a.authenticate('ivy', { password: GOOD }, from('192.0.2.70'));
  const ahead = floodDone;
  await Promise.all(flood);
  t.true(value.ok);
  t.true(ahead <= 2, `${ahead} of 40 flood checks from another address finished before ivy's`);
});

test('FairQueue: tenants and their sources take turns; a full tenant queue answers busy', async (t) => {
  const q = new FairQueue(1, 3);
  const order: string[] = [];
  let release!: () => void;
  const first = q.run('a', 's1', () => new Promise<void>((r) => { release = r; }));
  const jobs = [
    ['a', 's1', 'a1'], ['a', 's1', 'a2'], ['a', 's2', 'a3'], ['b', 's9', 'b1'], ['b', 's9', 'b2'],
  ].map(([tenant, source, name]) => q.run(tenant!, source!, async () => void order.push(name!)));
  t.is(await q.run('a', 's3', async () => 'late'), BUSY, "a's queue holds 3");
  t.is(q.waitingIn('a'), 3);
  release();
  await first;
  await Promise.all(jobs);
  // a and b alternate; within a, s1 and s2 alternate.
  t.deepEqual(order, ['a1', 'b1', 'a3', 'b2', 'a2']);
  t.is(await q.run('a', 's1', async () => 'now'), 'now', 'a free slot runs at once');
});
