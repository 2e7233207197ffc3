// Suspicious activity from real clients: pyrad from several 127.0.0.x addresses, each a NAS of
// its own or behind one, raises each security.* event once, with the tenant's thresholds.
import test from 'ava';
import type { AuditEvent } from '../../src/store/index.ts';
import { pyrad } from './clients.ts';
import { fixtureCopy, NAS, startFront, type Harness } from './helpers.ts';

// Two more NAS of acme: floor-1 answers for 127.0.0.16-19, floor-2 for 127.0.0.20-23.
const FLOOR_SECRET = 'acme-floor-secret-0123456789';
const FLOOR_NAS = [
  `    - { name: floor-1, address: 127.0.0.16/30, secret: ${FLOOR_SECRET} }`,
  `    - { name: floor-2, address: 127.0.0.20/30, secret: ${FLOOR_SECRET} }`,
].join('\n');
const THRESHOLDS = 'security: { userFailures: { count: 3, sources: 3, minutes: 10 }, spraying: { users: 3, minutes: 10 }, newNas: true }';

let h: Harness;
let dir: { dir: string; remove(): Promise<void> };
test.before(async () => {
  dir = await fixtureCopy({
    'tenants/acme.yaml': (s) => `${s.replace(/^( {4}- \{ name: acme-v6.*)$/m, `$1\n${FLOOR_NAS}`)}\n${THRESHOLDS}\n`,
  });
  h = await startFront({ configDir: dir.dir, security: true });
});
test.after.always(async () => {
  await h?.close();
  await dir?.remove();
});

const pap = (from: string, user: string, password: string) => pyrad({
  mode: 'pap', port: h.ports.auth, bind: from, ma: true, user, password,
  secret: from === NAS.acme.address ? NAS.acme.secret : FLOOR_SECRET,
});

async function security(action: string): Promise<AuditEvent[]> {
  return h.world.store.tenant('acme').audit.list({ action, limit: 100 });
}

test.serial('one account failing from three addresses raises security.failures-across-sources once', async (t) => {
  for (const from of ['127.0.0.17', '127.0.0.18', '127.0.0.21']) t.is((await pap(from, 'dave', 'Not-Daves-Pass-1'))['code'], 3);
  const [raised, ...more] = await security('security.failures-across-sources');
  t.deepEqual(more, []);
  t.like(raised, { target: 'dave', outcome: 'failed', actor: 'system', detail: { failures: 3, sources: 3, minutes: 10, via: 'radius' } });
  t.regex(String(raised?.detail?.recentSources), /127\.0\.0\.21, 127\.0\.0\.18, 127\.0\.0\.17/);
  t.is((await pap('127.0.0.22', 'dave', 'Not-Daves-Pass-2'))['code'], 3);
  t.is((await security('security.failures-across-sources')).length, 1, 'once per window, not per failure');
});

test.serial('one address failing for many accounts, existing or not, raises security.spraying once', async (t) => {
  for (const user of ['alice', 'bob', 'nobody-here']) t.is((await pap('127.0.0.19', user, 'Spring-2024-Spray'))['code'], 3);
  t.is((await pap('127.0.0.19', 'erin', 'Spring-2024-Spray'))['code'], 3);
  const raised = await security('security.spraying');
  t.is(raised.length, 1);
  t.like(raised[0], { target: '127.0.0.19', outcome: 'failed', detail: { users: 3, minutes: 10 } });
  t.regex(String(raised[0]?.detail?.recentUsers), /^nobody-here, bob, alice$/);
});

test.serial('a login through a NAS the account never used raises security.new-nas; its first login anywhere does not', async (t) => {
  t.is((await pap(NAS.acme.address, 'bob', 'Battery-Staple-7'))['code'], 2);
  t.is((await pap('127.0.0.18', 'erin', 'Temporary-Pass-8'))['code'], 2);
  t.deepEqual(await security('security.new-nas'), []);
  t.is((await pap('127.0.0.20', 'bob', 'Battery-Staple-7'))['code'], 2);
  t.is((await pap('127.0.0.23', 'bob', 'Battery-Staple-7'))['code'], 2, 'floor-2 again, from another of its addresses');
  const raised = await security('security.new-nas');
  t.is(raised.length, 1);
  t.like(raised[0], { target: 'bob', outcome: 'ok', detail: { nas: 'floor-2', source: '127.0.0.20', via: 'radius' } });
});
