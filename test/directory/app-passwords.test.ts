// App passwords (issue 10): the generated secret's shape and entropy, add/list/revoke, one HMAC
// per check and no bcrypt for a right one, the fall-back to the password check for a wrong one,
// scopes, the per-user limit and names, lastUsedAt at most hourly, the account's states, MFA,
// MS-CHAPv2 through each app password's NT hash, and isolation between users and tenants.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { generate } from 'otplib';
import { Auditor } from '../../src/audit/index.ts';
import { loadConfig, type TenantConfig } from '../../src/config/index.ts';
import { KeyRing } from '../../src/core/keyring.ts';
import { silentLogger } from '../../src/core/log.ts';
import { checkNtResponse, generateNtResponse } from '../../src/core/mschapv2.ts';
import { APP_PASSWORD_BITS, appPasswordShape, generateAppPassword, MAX_APP_PASSWORDS } from '../../src/directory/app-passwords.ts';
import { Directory, ntHash, type Actor, type Proof } from '../../src/directory/index.ts';
import { CredentialVerifier } from '../../src/directory/verifier.ts';
import { MemoryStore } from '../../src/store/index.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
const admin: Actor = { name: 'ops', protocol: 'admin' };
const PASSWORD = 'Correct-Horse-9';
const from = (source: string, protocol: Actor['protocol'] = 'radius'): Actor => ({ name: `${protocol}:test`, protocol, source });
const HOUR = 3_600_000;

/** A key ring that counts its HMACs. */
class CountingKeyRing extends KeyRing {
  digests = 0;
  override digest(data: string, keyId?: string): string {
    this.digests++;
    return super.digest(data, keyId);
  }
}

// Every password hash goes through CredentialVerifier.check (bcrypt, or the dummy hash for an
// unknown user). Counted across the process: the test that reads the count runs serially, and ava
// runs serial tests before the concurrent ones.
let hashChecks = 0;
const check = CredentialVerifier.prototype.check;
CredentialVerifier.prototype.check = function counted(this: CredentialVerifier, ...args: Parameters<typeof check>) {
  hashChecks++;
  return check.apply(this, args);
};

async function setup(o: { tenant?: (t: TenantConfig) => TenantConfig } = {}) {
  const loaded = await loadConfig(FIXTURES);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const store = new MemoryStore();
  const logger = silentLogger();
  const keys = new CountingKeyRing([{ id: 'k1', key: randomBytes(32) }]);
  const directory = new Directory({ store, auditor: new Auditor(store, logger), logger, bcryptCost: 4, keys, now: clock.now });
  const acme = (o.tenant ?? ((t) => t))(loaded.registry.byId('acme')!);
  const a = directory.tenant(acme);
  const g = directory.tenant(loaded.registry.byId('globex')!);
  await a.createUser({ uid: 'alice', password: PASSWORD }, admin);
  await a.createUser({ uid: 'bob', password: 'Battery-Staple-7' }, admin);
  await g.createUser({ uid: 'alice', password: 'Globex-Other-55' }, admin);
  /** Hash checks and HMACs that `f` caused. */
  const cost = async <T>(f: () => Promise<T>): Promise<{ value: T; hashes: number; hmacs: number }> => {
    const [h, d] = [hashChecks, keys.digests];
    const value = await f();
    return { value, hashes: hashChecks - h, hmacs: keys.digests - d };
  };
  return { store, directory, acme, a, g, keys, clock, cost };
}

/** What an MS-CHAPv2 client proves for `password`, checked as the RADIUS front does. */
function mschapProof(user: string, password: string): Proof {
  const authChallenge = randomBytes(16);
  const peerChallenge = randomBytes(16);
  const ntResponse = generateNtResponse(authChallenge, peerChallenge, user, Buffer.from(ntHash(password), 'hex'));
  return { verifyNtHash: (nt) => checkNtResponse(nt, ntResponse, peerChallenge, authChallenge, user).ok };
}

test('the secret: eight groups of four from 31 symbols without look-alikes; 138 bits beyond its public lookup id', (t) => {
  const seen = new Set<string>();
  const symbols = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const s = generateAppPassword();
    t.regex(s, /^[2-9a-hjkmnp-z]{4}(-[2-9a-hjkmnp-z]{4}){7}$/);
    seen.add(s);
    for (const c of s.replaceAll('-', '')) symbols.add(c);
  }
  t.is(seen.size, 2000, 'no repeats');
  t.is(symbols.size, 31, 'every symbol is used');
  t.false([...symbols].some((c) => '01ilo'.includes(c)));
  const bitsPerSymbol = Math.log2(31);
  t.is(APP_PASSWORD_BITS.total, 32 * bitsPerSymbol);
  t.is(APP_PASSWORD_BITS.secret, 28 * bitsPerSymbol);
  t.true(APP_PASSWORD_BITS.secret >= 128, `${APP_PASSWORD_BITS.secret.toFixed(1)} bits besides the lookup id`);
  // Typed on a phone: any case, dashes or none; anything else is not one.
  const s = generateAppPassword();
  t.is(appPasswordShape(s.toUpperCase()), s);
  t.is(appPasswordShape(s.replaceAll('-', '')), s);
  t.is(appPasswordShape(`${s}x`), undefined);
  t.is(appPasswordShape(s.replace(/[a-z2-9]/, '0')), undefined);
  t.is(appPasswordShape(PASSWORD), undefined);
});

test('add shows the secret once; the store keeps an HMAC and an NT hash, the listing neither, the audit no secret', async (t) => {
  const { a, store, clock } = await setup();
  const added = await a.addAppPassword('alice', { name: 'iphone' }, admin);
  t.deepEqual(added.scopes, ['radius', 'ldap']);
  t.like(added, { name: 'iphone', keyId: 'k1', mschapv2: true });
  const [record] = (await store.tenant('acme').users.get('alice'))!.appPasswords!;
  t.is(record!.lookupId, added.secret.slice(0, 4));
  t.is(record!.ntHash, ntHash(added.secret));
  t.regex(record!.digest, /^[A-Za-z0-9+/]{43}=$/, 'an HMAC-SHA-256');
  const stored = JSON.stringify(record);
  t.false(stored.includes(added.secret) || stored.includes(added.secret.slice(5)), 'the secret is not stored');
  const listed = await a.listAppPasswords('alice');
  t.deepEqual(listed, [{ name: 'iphone', scopes: ['radius', 'ldap'], createdAt: clock.now(), keyId: 'k1', mschapv2: true }]);
  t.false('appPasswords' in (await a.getUser('alice'))!, 'the user view carries none of it');
  const events = await a.listAudit({ limit: 10, action: 'user.app-password.add' });
  t.like(events[0], { target: 'alice', outcome: 'ok', detail: { name: 'iphone', scopes: 'radius,ldap' } });
  const all = JSON.stringify(await a.listAudit({ limit: 100 }));
  t.false(all.includes(added.secret.slice(5)));
});

test.serial('a right app password costs one HMAC and no hash; a wrong one or an unknown lookup id costs the password check', async (t) => {
  const { a, cost } = await setup();
  const { secret } = await a.addAppPassword('alice', { name: 'iphone' }, admin);
  const right = await cost(() => a.authenticate('alice', { password: secret }, from('10.0.0.1')));
  t.like(right.value, { ok: true, factor: 'app-password', appPassword: 'iphone' });
  t.is(right.hmacs, 1);
  t.is(right.hashes, 0, 'no bcrypt');
  // The same lookup id, the rest wrong: the HMAC fails, then bcrypt, as for any wrong password.
  const wrongRest = `${secret.slice(0, 5)}${generateAppPassword().slice(5)}`;
  const wrong = await cost(() => a.authenticate('alice', { password: wrongRest }, from('10.0.0.2')));
  t.like(wrong.value, { ok: false, reason: 'bad-password' });
  t.deepEqual([wrong.hmacs, wrong.hashes], [1, 1]);
  const unknown = await cost(() => a.authenticate('alice', { password: generateAppPassword() }, from('10.0.0.3')));
  t.like(unknown.value, { ok: false, reason: 'bad-password' });
  t.is(unknown.hashes, 1, 'an unknown lookup id costs what a wrong password costs');
  t.true(unknown.hmacs <= 1);
  const password = await cost(() => a.authenticate('alice', { password: PASSWORD }, from('10.0.0.4')));
  t.like(password.value, { ok: true });
  t.false('factor' in password.value);
  t.deepEqual([password.hmacs, password.hashes], [0, 1]);
  // Typed as a phone does: capitalised, dashes left out.
  const typed = secret.replaceAll('-', '').replace(/^./, (c) => c.toUpperCase());
  t.like(await a.authenticate('alice', { password: typed }, from('10.0.0.5')), { ok: true, factor: 'app-password' });
  const events = await a.listAudit({ limit: 10, action: 'radius.auth', outcome: 'ok' });
  t.like(events.at(-1), { target: 'alice', detail: { credential: 'app-password', appPassword: 'iphone' } });
  t.false(JSON.stringify(events).includes(secret.slice(5)));
});

test('wrong app-password-shaped passwords count toward lockout like wrong passwords', async (t) => {
  const { a } = await setup();
  const { secret } = await a.addAppPassword('alice', { name: 'iphone' }, admin);
  // threshold 3 (fixture); each guess from its own unfamiliar source.
  for (let i = 0; i < 3; i++) {
    t.like(await a.authenticate('alice', { password: `${secret.slice(0, 5)}${generateAppPassword().slice(5)}` }, from(`10.1.0.${i}`)), { ok: false, reason: 'bad-password' });
  }
  t.truthy(await a.lockedUntil('alice'));
  t.like(await a.authenticate('alice', { password: secret }, from('10.1.0.9')), { ok: false, reason: 'locked', proven: true },
    'a locked account is refused from an unfamiliar source, app password or not');
});

test('a disabled or expired account is refused with a right app password', async (t) => {
  const { a, clock } = await setup();
  const { secret } = await a.addAppPassword('alice', { name: 'iphone' }, admin);
  await a.setEnabled('alice', false, admin);
  t.like(await a.authenticate('alice', { password: secret }, from('10.2.0.1')), { ok: false, reason: 'disabled', proven: true });
  await a.setEnabled('alice', true, admin);
  await a.updateUser('alice', { expiresAt: new Date(clock.now().getTime() + HOUR) }, admin);
  clock.advance(2 * HOUR);
  t.like(await a.authenticate('alice', { password: secret }, from('10.2.0.1')), { ok: false, reason: 'expired', proven: true });
});

test('scopes: an ldap app password does not work over RADIUS, a radius one not over LDAP; neither for the admin API', async (t) => {
  const { a } = await setup();
  const ldap = await a.addAppPassword('alice', { name: 'mail', scopes: ['ldap'] }, admin);
  const radius = await a.addAppPassword('alice', { name: 'wifi', scopes: ['radius'] }, admin);
  t.like(await a.authenticate('alice', { password: ldap.secret }, from('10.3.0.1', 'ldap')), { ok: true, appPassword: 'mail' });
  t.like(await a.authenticate('alice', { password: ldap.secret }, from('10.3.0.2', 'radius')), { ok: false, reason: 'bad-password' });
  t.like(await a.authenticate('alice', { password: radius.secret }, from('10.3.0.3', 'radius')), { ok: true, appPassword: 'wifi' });
  t.like(await a.authenticate('alice', { password: radius.secret }, from('10.3.0.4', 'eap')), { ok: true, appPassword: 'wifi' });
  t.like(await a.authenticate('alice', { password: radius.secret }, from('10.3.0.5', 'ldap')), { ok: false, reason: 'bad-password' });
  t.like(await a.authenticate('alice', { password: radius.secret }, from('10.3.0.6', 'admin')), { ok: false, reason: 'bad-password' });
  await t.throwsAsync(a.addAppPassword('alice', { name: 'x', scopes: [] }, admin), { code: 'TD_INVALID_INPUT' });
  await t.throwsAsync(a.addAppPassword('alice', { name: 'x', scopes: ['ssh' as 'ldap'] }, admin), { code: 'TD_INVALID_INPUT' });
});

test('revoking one works at once and touches neither the password nor the other app passwords; an absent one is NotFound', async (t) => {
  const { a } = await setup();
  const phone = await a.addAppPassword('alice', { name: 'phone' }, admin);
  const laptop = await a.addAppPassword('alice', { name: 'laptop' }, admin);
  t.like(await a.authenticate('alice', { password: phone.secret }, from('10.4.0.1')), { ok: true });
  await a.revokeAppPassword('alice', 'PHONE', admin);
  t.like(await a.authenticate('alice', { password: phone.secret }, from('10.4.0.1')), { ok: false, reason: 'bad-password' });
  t.like(await a.authenticate('alice', { password: laptop.secret }, from('10.4.0.1')), { ok: true, appPassword: 'laptop' });
  t.like(await a.authenticate('alice', { password: PASSWORD }, from('10.4.0.1')), { ok: true });
  t.deepEqual((await a.listAppPasswords('alice')).map((x) => x.name), ['laptop']);
  await t.throwsAsync(a.revokeAppPassword('alice', 'phone', admin), { code: 'TD_NOT_FOUND' });
  await t.throwsAsync(a.revokeAppPassword('nobody', 'phone', admin), { code: 'TD_NOT_FOUND' });
  const [event] = await a.listAudit({ limit: 1, action: 'user.app-password.revoke' });
  t.like(event, { target: 'alice', outcome: 'ok', detail: { name: 'PHONE' } });
});

test(`at most ${MAX_APP_PASSWORDS} per user; names are unique case-insensitively and plain`, async (t) => {
  const { a } = await setup();
  for (let i = 0; i < MAX_APP_PASSWORDS; i++) await a.addAppPassword('alice', { name: `device-${i}` }, admin);
  const over = await t.throwsAsync(a.addAppPassword('alice', { name: 'one-more' }, admin), { code: 'TD_CONFLICT' });
  t.regex(over!.message, /20 app passwords/);
  t.regex((over as { hint?: string }).hint ?? '', /revoke/);
  await a.addAppPassword('bob', { name: 'iPhone' }, admin);
  await t.throwsAsync(a.addAppPassword('bob', { name: 'iphone' }, admin), { code: 'TD_CONFLICT' });
  await t.throwsAsync(a.addAppPassword('bob', { name: 'my phone' }, admin), { code: 'TD_INVALID_INPUT' });
  await t.throwsAsync(a.addAppPassword('nobody', { name: 'phone' }, admin), { code: 'TD_NOT_FOUND' });
  t.is((await a.listAppPasswords('alice')).length, MAX_APP_PASSWORDS);
});

test('lastUsedAt is written on first use, then at most hourly', async (t) => {
  const { a, clock } = await setup();
  const { secret } = await a.addAppPassword('alice', { name: 'iphone' }, admin);
  const lastUsed = async () => (await a.listAppPasswords('alice'))[0]!.lastUsedAt?.getTime();
  t.is(await lastUsed(), undefined);
  const first = clock.now().getTime();
  await a.authenticate('alice', { password: secret }, from('10.5.0.1'));
  t.is(await lastUsed(), first);
  clock.advance(59 * 60_000);
  await a.authenticate('alice', { password: secret }, from('10.5.0.1'));
  t.is(await lastUsed(), first, 'within the hour: no write');
  clock.advance(60_000);
  await a.authenticate('alice', { password: secret }, from('10.5.0.1'));
  t.is(await lastUsed(), first + HOUR);
});

test('isolation: an app password is only its user\'s, in its tenant', async (t) => {
  const { a, g, store } = await setup();
  const { secret } = await a.addAppPassword('alice', { name: 'iphone' }, admin);
  t.like(await g.authenticate('alice', { password: secret }, from('10.6.0.1')), { ok: false, reason: 'bad-password' }, "globex's alice");
  t.like(await a.authenticate('bob', { password: secret }, from('10.6.0.2')), { ok: false, reason: 'bad-password' });
  // Even copied onto bob's record, the digest is bound to alice (tenant and entryUUID).
  const record = (await store.tenant('acme').users.get('alice'))!.appPasswords!;
  await store.tenant('acme').users.update('bob', (u) => ({ ...u, appPasswords: record }));
  t.like(await a.authenticate('bob', { password: secret }, from('10.6.0.3')), { ok: false, reason: 'bad-password' });
  t.deepEqual(await g.listAppPasswords('alice'), []);
});

test('MS-CHAPv2: the password\'s NT hash or any app password\'s, and which one matched', async (t) => {
  const { a, store } = await setup();
  const phone = await a.addAppPassword('alice', { name: 'phone' }, admin);
  const laptop = await a.addAppPassword('alice', { name: 'laptop' }, admin);
  t.like(await a.authenticate('alice', mschapProof('alice', laptop.secret), from('10.7.0.1')), { ok: true, factor: 'app-password', appPassword: 'laptop' });
  t.like(await a.authenticate('alice', mschapProof('alice', phone.secret), from('10.7.0.1')), { ok: true, appPassword: 'phone' });
  const main = await a.authenticate('alice', mschapProof('alice', PASSWORD), from('10.7.0.1'));
  t.like(main, { ok: true });
  t.false('factor' in main);
  t.like(await a.authenticate('alice', mschapProof('alice', 'Wrong-Horse-1'), from('10.7.0.2')), { ok: false, reason: 'bad-password' });
  // A user without the password's NT hash (set before allowMschapv2): a wrong proof is a wrong password, counted.
  await store.tenant('acme').users.update('alice', (u) => ({ ...u, credentials: { ...u.credentials!, ntHash: undefined } as never }));
  t.like(await a.authenticate('alice', mschapProof('alice', 'Wrong-Horse-1'), from('10.7.0.3')), { ok: false, reason: 'bad-password' });
  t.like(await a.authenticate('alice', mschapProof('alice', phone.secret), from('10.7.0.3')), { ok: true, appPassword: 'phone' });
  t.like(await a.authenticate('bob', mschapProof('bob', phone.secret), from('10.7.0.4')), { ok: false });
});

test('key rotation: a new first key makes new digests, the old key still checks old ones; without it, TD_KEY_MISSING', async (t) => {
  const loaded = await loadConfig(FIXTURES);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const acme = loaded.registry.byId('acme')!;
  const store = new MemoryStore();
  const logger = silentLogger();
  const [k1, k2] = [{ id: 'k1', key: randomBytes(32) }, { id: 'k2', key: randomBytes(32) }];
  const open = (keys: KeyRing) => new Directory({ store, auditor: new Auditor(store, logger), logger, bcryptCost: 4, keys }).tenant(acme);
  const before = open(new KeyRing([k1]));
  await before.createUser({ uid: 'alice', password: PASSWORD }, admin);
  const old = await before.addAppPassword('alice', { name: 'old' }, admin);
  const rotated = open(new KeyRing([k2, k1]));
  const fresh = await rotated.addAppPassword('alice', { name: 'new' }, admin);
  t.is(fresh.keyId, 'k2');
  t.deepEqual((await rotated.listAppPasswords('alice')).map((a) => a.keyId), ['k1', 'k2']);
  t.like(await rotated.authenticate('alice', { password: old.secret }, from('10.10.0.1')), { ok: true, appPassword: 'old' });
  t.like(await rotated.authenticate('alice', { password: fresh.secret }, from('10.10.0.1')), { ok: true, appPassword: 'new' });
  const dropped = open(new KeyRing([k2]));
  t.like(await dropped.authenticate('alice', { password: fresh.secret }, from('10.10.0.1')), { ok: true });
  await t.throwsAsync(dropped.authenticate('alice', { password: old.secret }, from('10.10.0.1')), { code: 'TD_KEY_MISSING', message: /"k1"/ });
});

test('without allowMschapv2 an app password has no NT hash', async (t) => {
  const { a, store } = await setup({ tenant: (x) => ({ ...x, radius: { ...x.radius, allowMschapv2: false } }) });
  const added = await a.addAppPassword('alice', { name: 'phone' }, admin);
  t.false(added.mschapv2);
  t.is((await store.tenant('acme').users.get('alice'))!.appPasswords![0]!.ntHash, undefined);
});

test('the password\'s expiry does not apply to app passwords', async (t) => {
  const { a, clock } = await setup({ tenant: (x) => ({ ...x, passwordPolicy: { ...x.passwordPolicy, maxAgeDays: 1 } }) });
  const { secret } = await a.addAppPassword('alice', { name: 'iphone' }, admin);
  clock.advance(48 * HOUR);
  t.like(await a.authenticate('alice', { password: PASSWORD }, from('10.8.0.1')), { ok: false, reason: 'password-expired' });
  const app = await a.authenticate('alice', { password: secret }, from('10.8.0.1'));
  t.like(app, { ok: true, factor: 'app-password' });
  t.false('passwordExpiresAt' in app);
});

test('MFA: over RADIUS an app password stands for both factors (mfa.appPasswordsSatisfy); over LDAP it takes a code like a password', async (t) => {
  const mfa = (appPasswordsSatisfy: boolean) => (x: TenantConfig): TenantConfig => ({ ...x, mfa: { ...x.mfa, totp: 'required', appPasswordsSatisfy } });
  const { a, clock } = await setup({ tenant: mfa(true) });
  const { secret } = await a.addAppPassword('alice', { name: 'iphone' }, admin);
  // Not enrolled: the password is refused under required; the app password is not.
  t.like(await a.authenticate('alice', { password: PASSWORD }, from('10.9.0.1'), 'append'), { ok: false, reason: 'mfa-not-enrolled' });
  t.like(await a.authenticate('alice', { password: secret }, from('10.9.0.1'), 'append'), { ok: true, factor: 'app-password' });
  t.like(await a.authenticate('alice', mschapProof('alice', secret), from('10.9.0.1'), 'none'), { ok: true, factor: 'app-password' }, 'PEAP');
  t.like(await a.authenticate('alice', { password: secret }, from('10.9.0.1'), 'challenge'), { ok: true, factor: 'app-password' });
  const e = await a.enrollTotp('alice', admin);
  await a.confirmTotp('alice', await generate({ secret: e.secret, epoch: clock.now().getTime() / 1000 }), admin);
  clock.advance(90_000);
  t.like(await a.authenticate('alice', { password: secret }, from('10.9.0.2', 'ldap'), 'append'), { ok: false }, 'LDAP append: no code, no bind');
  const code = await generate({ secret: e.secret, epoch: Math.floor(clock.now().getTime() / 1000) });
  t.like(await a.authenticate('alice', { password: `${secret}${code}` }, from('10.9.0.2', 'ldap'), 'append'), { ok: true, factor: 'app-password' });

  const strict = await setup({ tenant: mfa(false) });
  const s = await strict.a.addAppPassword('alice', { name: 'iphone' }, admin);
  t.like(await strict.a.authenticate('alice', mschapProof('alice', s.secret), from('10.9.0.3'), 'none'), { ok: false, reason: 'mfa-not-enrolled', proven: true },
    'appPasswordsSatisfy: false — an app password is a password like another');
});
