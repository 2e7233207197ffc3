// Realms in user names at a tenant's NAS: the tenant id and its `radius.realms` are stripped;
// any other realm is refused with a reason in the log and the audit, and never looked up.
// At an MSP-wide NAS a declared realm picks its tenant too, and the Accept gives the realm back.
import test from 'ava';
import { ATTR, CODE } from '../../src/radius/codec.ts';
import { HashPool } from '../../src/directory/hash-pool.ts';
import { exchange, NAS, papRequest, startFront, type Harness } from './helpers.ts';

let h: Harness;
test.before(async () => { h = await startFront(); });
test.after.always(async () => { await h?.close(); });

const pap = (nas: keyof typeof NAS, user: string, password: string) =>
  exchange({ from: NAS[nas].address, port: h.ports.auth, packet: papRequest({ user, password, secret: NAS[nas].secret }) });

test.serial('a tenant\'s own realms, in either form and any case, are stripped; the Accept names the uid', async (t) => {
  for (const user of ['alice@acme.example', 'alice@ACME.Example', 'ACME.EXAMPLE\\alice', 'alice@acme', 'alice']) {
    const reply = await pap('acme', user, 'Correct-Horse-9');
    t.is(reply?.code, CODE.AccessAccept, user);
    t.is(reply?.string(ATTR.UserName), 'alice', user);
  }
});

test.serial('a foreign realm at a tenant\'s NAS is refused before any lookup, logged and audited with the realm', async (t) => {
  // acme has an alice: the realm must not be dropped to find her.
  for (const [user, realm] of [['alice@globex.example', 'globex.example'], ['gina@globex', 'globex'], ['EVIL\\alice', 'evil']] as const) {
    const reply = await pap('acme', user, 'Correct-Horse-9');
    t.is(reply?.code, CODE.AccessReject, user);
    t.true(h.logs.some((l) => l['event'] === 'radius.auth' && l['user'] === user && l['reason'] === 'realm-not-allowed' && l['realm'] === realm), user);
    const events = await h.world.store.tenant('acme').audit.list({ limit: 10, target: user });
    t.deepEqual(events.map((e) => [e.action, e.outcome, e.reason]), [['radius.auth', 'refused', 'realm-not-allowed']], user);
  }
  // No password was checked: alice's lockout counter is untouched by three "wrong" attempts.
  const alice = await h.world.store.tenant('acme').audit.list({ limit: 50, target: 'alice', action: 'radius.auth' });
  t.false(alice.some((e) => e.outcome === 'failed'));
});

test.serial('MSP-wide NAS: a declared realm picks its tenant; the Accept gives the name back with the realm it came with', async (t) => {
  const suffix = await pap('msp', 'bob@acme.example', 'Battery-Staple-7');
  t.is(suffix?.code, CODE.AccessAccept);
  t.is(suffix?.string(ATTR.UserName), 'bob@acme.example');
  const prefix = await pap('msp', 'ACME\\bob', 'Battery-Staple-7');
  t.is(prefix?.code, CODE.AccessAccept);
  t.is(prefix?.string(ATTR.UserName), 'acme\\bob');
  // globex.example is globex's, which this NAS may not serve.
  t.is((await pap('msp', 'gina@globex.example', 'Engineer-Pass-77'))?.code, CODE.AccessReject);
  t.true(h.logs.some((l) => l['user'] === 'gina@globex.example' && l['reason'] === 'realm-not-allowed' && l['tenant'] === 'globex'));
});

test.serial('at an MSP-wide NAS a PAP refused for its realm costs the same one hash as a wrong password, so its timing names no tenant', async (t) => {
  const jobs: string[] = [];
  const run = HashPool.prototype.run;
  HashPool.prototype.run = function (this: HashPool, password, checks) {
    jobs.push(checks.map((c) => c.kind).join('+'));
    return run.call(this, password, checks);
  };
  const counted = async (nas: keyof typeof NAS, user: string): Promise<[number | undefined, number]> => {
    const before = jobs.length;
    const reply = await pap(nas, user, 'Not-The-Password-1');
    return [reply?.code, jobs.length - before];
  };
  try {
    t.deepEqual(await counted('msp', 'bob@acme.example'), [CODE.AccessReject, 1], 'a wrong password');
    t.deepEqual(await counted('msp', 'bob@nowhere.example'), [CODE.AccessReject, 1], 'a realm of no tenant');
    t.deepEqual(await counted('msp', 'gina@globex.example'), [CODE.AccessReject, 1], 'a tenant this NAS may not serve');
    // A tenant's NAS refuses every other realm alike, existing or not: nothing to hide, no work spent.
    t.deepEqual(await counted('acme', 'bob@globex.example'), [CODE.AccessReject, 0]);
    t.deepEqual(await counted('acme', 'bob@nowhere.example'), [CODE.AccessReject, 0]);
  } finally {
    HashPool.prototype.run = run;
  }
});
