// TOTP (issue 10): enrolment and confirmation, codes appended or asked by a challenge, replays,
// clock skew, exempt groups, the refusals of required MFA, lockout, and seeds sealed at rest.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { generate } from 'otplib';
import { Auditor } from '../../src/audit/index.ts';
import { loadConfig, type TenantConfig } from '../../src/config/index.ts';
import { KeyRing } from '../../src/core/keyring.ts';
import { silentLogger } from '../../src/core/log.ts';
import { Directory, type Actor } from '../../src/directory/index.ts';
import { MemoryStore } from '../../src/store/index.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const admin: Actor = { name: 'ops', protocol: 'admin' };
const PASSWORD = 'Correct-Horse-9';
const from = (source: string, protocol: Actor['protocol'] = 'radius'): Actor => ({ name: `${protocol}:test`, protocol, source });
const START = Date.parse('2030-01-01T00:00:10Z');

type Mfa = TenantConfig['mfa'];

async function setup(mfa: Partial<Mfa>, o: { keys?: KeyRing; store?: MemoryStore } = {}) {
  const loaded = await loadConfig(FIXTURES);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  let t = START;
  const clock = { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
  const store = o.store ?? new MemoryStore();
  const logger = silentLogger();
  const directory = new Directory({ store, auditor: new Auditor(store, logger), logger, bcryptCost: 4, now: clock.now, ...(o.keys ? { keys: o.keys } : {}) });
  const base = loaded.registry.byId('acme')!;
  const tenant: TenantConfig = { ...base, mfa: { ...base.mfa, totp: 'required', ...mfa } };
  const a = directory.tenant(tenant);
  if (!o.store) {
    await a.createGroup({ name: 'printers' }, admin);
    await a.createUser({ uid: 'alice', password: PASSWORD }, admin);
    await a.createUser({ uid: 'scanner', password: PASSWORD, groups: ['printers'] }, admin);
  }
  const secretOf = (uri: string) => new URL(uri).searchParams.get('secret')!;
  const codeAt = (secret: string, offsetSeconds = 0) => generate({ secret, epoch: Math.floor((clock.now().getTime()) / 1000) + offsetSeconds });
  /** Enrols and confirms alice; returns her seed. */
  const enrolled = async (): Promise<string> => {
    const e = await a.enrollTotp('alice', admin);
    await a.confirmTotp('alice', await codeAt(e.secret), admin);
    // Past the confirming code's step and the skew window around it.
    clock.advance(90_000);
    return e.secret;
  };
  return { store, directory, tenant, a, clock, secretOf, codeAt, enrolled };
}

test('enrolment: an otpauth URI with the tenant as issuer; a wrong first code does not confirm it, a right one does', async (t) => {
  const { a, codeAt, secretOf } = await setup({});
  const e = await a.enrollTotp('alice', admin);
  const uri = new URL(e.uri);
  t.is(uri.protocol, 'otpauth:');
  t.is(uri.searchParams.get('issuer'), 'Acme Corp');
  t.is(uri.host, 'totp');
  t.is(decodeURIComponent(uri.pathname), '/Acme Corp:alice');
  t.is(secretOf(e.uri), e.secret);
  t.true(e.secret.length >= 32, 'at least 160 bits of seed');
  t.like(await a.totpStatus('alice'), { enrolled: true, confirmed: false });
  await t.throwsAsync(a.confirmTotp('alice', '000000', admin), { code: 'TD_INVALID_INPUT' });
  await a.confirmTotp('alice', await codeAt(e.secret), admin);
  t.like(await a.totpStatus('alice'), { enrolled: true, confirmed: true });
  await t.throwsAsync(a.enrollTotp('alice', admin), { code: 'TD_CONFLICT' }, 'a confirmed authenticator must be reset before another enrolment');
});

test('append: the password followed by the code; the same code again is a replay; a wrong or missing code fails', async (t) => {
  const { a, codeAt, enrolled } = await setup({ radius: 'append' });
  const secret = await enrolled();
  const code = await codeAt(secret);
  t.like(await a.authenticate('alice', { password: `${PASSWORD}${code}` }, from('10.0.0.1'), 'append'), { ok: true });
  t.like(await a.authenticate('alice', { password: `${PASSWORD}${code}` }, from('10.0.0.1'), 'append'), { ok: false, reason: 'code-replay' });
  t.like(await a.authenticate('alice', { password: PASSWORD }, from('10.0.0.2'), 'append'), { ok: false, reason: 'bad-password' }, 'no code: not even the password is confirmed');
  const wrong = String((Number(await codeAt(secret, 90)) + 1) % 1_000_000).padStart(6, '0');
  t.like(await a.authenticate('alice', { password: `${PASSWORD}${wrong}` }, from('10.0.0.3'), 'append'), { ok: false });
});

test('clock skew: a code one step old or ahead is accepted, two steps away is not', async (t) => {
  const { a, codeAt, enrolled, clock } = await setup({});
  const secret = await enrolled();
  t.like(await a.authenticate('alice', { password: `${PASSWORD}${await codeAt(secret, -30)}` }, from('10.0.1.1'), 'append'), { ok: true });
  clock.advance(120_000);
  t.like(await a.authenticate('alice', { password: `${PASSWORD}${await codeAt(secret, 30)}` }, from('10.0.1.1'), 'append'), { ok: true });
  clock.advance(120_000);
  t.like(await a.authenticate('alice', { password: `${PASSWORD}${await codeAt(secret, -90)}` }, from('10.0.1.1'), 'append'), { ok: false, reason: 'bad-code' });
});

test('challenge: a right password is answered mfa-challenge; the code completes it once', async (t) => {
  const { a, codeAt, enrolled } = await setup({});
  const secret = await enrolled();
  t.like(await a.authenticate('alice', { password: 'Wrong-Horse-99' }, from('10.0.2.1'), 'challenge'), { ok: false, reason: 'bad-password' });
  t.like(await a.authenticate('alice', { password: PASSWORD }, from('10.0.2.1'), 'challenge'), { ok: false, reason: 'mfa-challenge', proven: true });
  const code = await codeAt(secret);
  t.like(await a.completeChallenge('alice', code, from('10.0.2.1')), { ok: true, user: { uid: 'alice' } });
  t.like(await a.completeChallenge('alice', code, from('10.0.2.1')), { ok: false, reason: 'code-replay' });
});

test('wrong codes count toward the lockout like wrong passwords', async (t) => {
  const { a, enrolled } = await setup({});
  await enrolled();
  for (let i = 0; i < 3; i++) t.like(await a.completeChallenge('alice', '000000', from(`10.0.3.${i}`)), { ok: false });
  t.truthy(await a.lockedUntil('alice'), 'threshold 3 reached by codes alone');
});

test('required: an unenrolled user is refused (proven), a member of an exempt group is not; optional asks only the enrolled', async (t) => {
  const required = await setup({ exemptGroups: ['printers'] });
  t.like(await required.a.authenticate('alice', { password: PASSWORD }, from('10.0.4.1'), 'append'), { ok: false, reason: 'mfa-not-enrolled', proven: true });
  t.like(await required.a.authenticate('alice', { password: 'Wrong-Horse-99' }, from('10.0.4.2'), 'append'), { ok: false, reason: 'bad-password' }, 'a guesser is told nothing of MFA');
  t.like(await required.a.authenticate('scanner', { password: PASSWORD }, from('10.0.4.1'), 'append'), { ok: true });
  const optional = await setup({ totp: 'optional' });
  t.like(await optional.a.authenticate('alice', { password: PASSWORD }, from('10.0.4.1'), 'append'), { ok: true }, 'not enrolled: the password alone');
  await optional.enrolled();
  t.like(await optional.a.authenticate('alice', { password: PASSWORD }, from('10.0.4.1'), 'append'), { ok: false, reason: 'bad-password' });
});

test('a protocol that cannot carry a code is refused for an enrolled user; one not under MFA is not asked', async (t) => {
  const { a, enrolled } = await setup({});
  await enrolled();
  t.like(await a.authenticate('alice', { password: PASSWORD }, from('10.0.5.1', 'eap'), 'none'), { ok: false, reason: 'mfa-unavailable', proven: true });
  t.like(await a.authenticate('alice', { password: PASSWORD }, from('10.0.5.1', 'ldap'), 'not-asked'), { ok: true });
});

test('seeds are sealed at rest, bound to the user, and re-sealed by a key rotation; no seed in the audit trail', async (t) => {
  const k1 = { id: 'k1', key: randomBytes(32) };
  const k2 = { id: 'k2', key: randomBytes(32) };
  const first = await setup({}, { keys: new KeyRing([k1]) });
  const secret = await first.enrolled();
  const stored = await first.store.tenant('acme').users.get('alice');
  t.is(stored?.totp?.seed.keyId, 'k1');
  t.false(JSON.stringify(stored).includes(secret), 'the base32 seed is not stored');
  const events = await first.store.tenant('acme').audit.list({ limit: 50 });
  t.false(JSON.stringify(events).includes(secret), 'nor audited');
  // Copied onto another user, the sealed seed does not open (its context is alice's entryUUID).
  await first.store.tenant('acme').users.update('scanner', (u) => ({ ...u, totp: stored!.totp! }));
  await t.throwsAsync(first.a.completeChallenge('scanner', await first.codeAt(secret), from('10.0.6.1')));

  const rotated = await setup({}, { keys: new KeyRing([k2, k1]), store: first.store });
  t.deepEqual(await rotated.a.resealTotp(admin), { resealed: 1, unreadable: ['scanner'] }, 'a seed that does not open is reported, not fatal');
  const only2 = await setup({}, { keys: new KeyRing([k2]), store: first.store });
  only2.clock.advance(60_000);
  t.like(await only2.a.completeChallenge('alice', await only2.codeAt(secret), from('10.0.6.2')), { ok: true }, 'opens with the new key alone');
});

test('reset removes the authenticator; enrolment can start again', async (t) => {
  const { a, enrolled } = await setup({ totp: 'optional' });
  await enrolled();
  t.true(await a.resetTotp('alice', admin));
  t.false(await a.resetTotp('alice', admin));
  t.like(await a.totpStatus('alice'), { enrolled: false, confirmed: false });
  t.like(await a.authenticate('alice', { password: PASSWORD }, from('10.0.7.1'), 'append'), { ok: true });
  t.truthy((await a.enrollTotp('alice', admin)).uri);
});
