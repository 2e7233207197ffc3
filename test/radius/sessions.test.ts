// Accounting from real clients folded into sessions: pyrad authenticates (its Access-Accept
// carries our Class), radclient then accounts as a NAS does, echoing the Class under an
// anonymous outer name; the session names the inner identity, with its NAS, station, address,
// counters and stop cause. An Accounting-On of the NAS ends what it never stopped.
import test from 'ava';
import type { Session } from '../../src/directory/index.ts';
import { pyrad, radclient } from './clients.ts';
import { NAS, startFront, type Harness } from './helpers.ts';

let h: Harness;
test.before(async () => {
  h = await startFront();
});
test.after.always(async () => {
  await h?.close();
});

const sessions = (q: { user?: string; active?: boolean } = {}): Promise<Session[]> =>
  h.world.directory.tenant(h.world.registry.byId('acme')!).listSessions({ limit: 100, ...q });

/** Our Class from an Access-Accept for `user`, as radclient writes an octet string. */
async function classOf(user: string, password: string): Promise<string> {
  const accept = await pyrad({ mode: 'pap', port: h.ports.auth, secret: NAS.acme.secret, ma: true, user, password });
  const ours = (accept['classes'] as string[]).find((c) => c.startsWith('tdc1:'));
  if (accept['code'] !== 2 || !ours) throw new Error(`no Access-Accept with our Class: ${JSON.stringify(accept)}`);
  return `0x${Buffer.from(ours).toString('hex')}`;
}

async function account(attrs: string[]): Promise<void> {
  const r = await radclient(h.ports.acct, 'acct', NAS.acme.secret, attrs.join(', '));
  if (!/Received Accounting-Response/.test(r.out)) throw new Error(`no Accounting-Response:\n${r.out}`);
}

test.serial('Start, Interim-Update and Stop after an authentication make one session of the inner identity', async (t) => {
  const cls = await classOf('bob', 'Battery-Staple-7');
  const common = ['User-Name = anonymous', 'Acct-Session-Id = "wifi-bob-1"', `Class = ${cls}`, 'Calling-Station-Id = "02-00-00-00-00-0b"', 'Called-Station-Id = "ap-lobby:acme"'];
  await account([...common, 'Acct-Status-Type = Start', 'Framed-IP-Address = 10.20.0.7']);
  const [started] = await sessions({ user: 'bob' });
  t.like(started, { user: 'bob', nas: 'acme-ap', nasAddress: '127.0.0.1', sessionId: 'wifi-bob-1', callingStationId: '02-00-00-00-00-0b', framedAddress: '10.20.0.7', active: true });
  await account([...common, 'Acct-Status-Type = Interim-Update', 'Acct-Session-Time = 600', 'Acct-Input-Octets = 5000', 'Acct-Output-Octets = 70000']);
  await account([...common, 'Acct-Status-Type = Stop', 'Acct-Session-Time = 900', 'Acct-Input-Octets = 8000', 'Acct-Output-Octets = 4294967295',
    'Acct-Output-Gigawords = 1', 'Acct-Terminate-Cause = User-Request']);
  const [stopped, ...others] = await sessions({ user: 'bob' });
  t.deepEqual(others, []);
  t.like(stopped, {
    user: 'bob', active: false, duration: 900, inputOctets: 8000, outputOctets: 2 ** 33 - 1, stopCause: 'User-Request', calledStationId: 'ap-lobby:acme',
  });
  t.true(stopped!.stoppedAt! >= stopped!.startedAt);
  t.deepEqual(await sessions({ user: 'anonymous' }), [], 'the outer name is no user');
  t.deepEqual((await sessions({ active: true })).filter((s) => s.user === 'bob'), []);
});

test.serial('an Accounting-On from the NAS ends the sessions it never stopped', async (t) => {
  const cls = await classOf('alice', 'Correct-Horse-9');
  await account(['User-Name = alice', 'Acct-Session-Id = "wired-alice-1"', `Class = ${cls}`, 'Acct-Status-Type = Start']);
  t.true((await sessions({ active: true })).some((s) => s.sessionId === 'wired-alice-1'));
  await account(['Acct-Status-Type = Accounting-On', 'Acct-Session-Id = ""', 'NAS-Identifier = acme-switch']);
  const [ended] = (await sessions({ user: 'alice' })).filter((s) => s.sessionId === 'wired-alice-1');
  t.like(ended, { active: false, stopCause: 'Accounting-On' });
  t.false((await sessions({ active: true })).some((s) => s.user === 'alice'));
});
