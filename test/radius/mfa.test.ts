// MFA over RADIUS (issue 10) with real clients: mfa.radius challenge (Access-Challenge with our
// State and a Reply-Message, then the code as User-Password) through radclient and pyrad, append
// (password then code) through pyrad; replays refused; a second tenant without MFA unaffected.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { generate } from 'otplib';
import { fixtureCopy, NAS, startFront, type Harness } from './helpers.ts';

const PYRAD_CLIENT = fileURLToPath(new URL('./interop/pyrad_client.py', import.meta.url));
const admin = { name: 'test', protocol: 'admin' } as const;

let challenge: Harness;
let append: Harness;
const secrets: Record<string, string> = {};
const dirs: { remove(): Promise<void> }[] = [];

async function withMfa(mode: 'challenge' | 'append'): Promise<Harness> {
  const copy = await fixtureCopy({ 'tenants/acme.yaml': (s) => `${s}\nmfa: { totp: required, radius: ${mode} }\n` });
  dirs.push(copy);
  const h = await startFront({ configDir: copy.dir });
  const acme = h.world.directory.tenant(h.world.registry.byId('acme')!);
  const { secret } = await acme.enrollTotp('alice', admin);
  // Confirmed with the previous step's code, so that this step's is still unused.
  await acme.confirmTotp('alice', await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }), admin);
  secrets[mode] = secret;
  return h;
}

test.before(async () => {
  challenge = await withMfa('challenge');
  append = await withMfa('append');
});
test.after.always(async () => {
  await challenge?.close();
  await append?.close();
  for (const d of dirs) await d.remove();
});

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 8000 }, (err, stdout, stderr) => {
      if (err && typeof err.code === 'string') return reject(new Error(`${cmd} cannot run (${err.code})`));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(input ?? '');
  });
}

const radclient = (port: number, attrs: string) => run('radclient', ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port}`, 'auth', NAS.acme.secret], `${attrs}\n`);

async function pyrad(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await run('/usr/bin/python3', [PYRAD_CLIENT, JSON.stringify({ ma: true, secret: NAS.acme.secret, ...args })]);
  try {
    return JSON.parse(r.out.trim().split('\n').pop() ?? '') as Record<string, unknown>;
  } catch {
    throw new Error(`pyrad client failed:\n${r.out}`);
  }
}

test.serial('radclient, challenge: the password gets Access-Challenge; State and the code get Access-Accept with the VLAN; the State works once', async (t) => {
  const port = challenge.ports.auth;
  const first = await radclient(port, 'User-Name = alice, User-Password = Correct-Horse-9, Message-Authenticator = 0x00');
  t.regex(first.out, /Received Access-Challenge/, first.out);
  t.regex(first.out, /Reply-Message = "Enter the 6-digit code from your authenticator app"/);
  const state = /State = (0x[0-9a-f]+)/.exec(first.out)?.[1];
  t.truthy(state, first.out);
  const code = await generate({ secret: secrets.challenge! });
  const second = await radclient(port, `User-Name = alice, User-Password = ${code}, State = ${state}, Message-Authenticator = 0x00`);
  t.regex(second.out, /Received Access-Accept/, second.out);
  t.regex(second.out, /Tunnel-Private-Group-Id:1 = "99"/);
  const again = await radclient(port, `User-Name = alice, User-Password = ${code}, State = ${state}, Message-Authenticator = 0x00`);
  t.regex(again.out, /Received Access-Reject/, 'a State is good once');
});

test.serial('pyrad, challenge: a wrong password gets no challenge; a replayed code is refused; a State is bound to its user', async (t) => {
  const port = challenge.ports.auth;
  t.like(await pyrad({ mode: 'pap', port, user: 'alice', password: 'Wrong-Horse-1' }), { code: 3 });
  const first = await pyrad({ mode: 'pap', port, user: 'alice', password: 'Correct-Horse-9' });
  t.is(first.code, 11);
  const stolen = await pyrad({ mode: 'pap', port, user: 'bob', password: '123456', state: first.State });
  t.is(stolen.code, 3, "alice's State does not let bob in");
  const second = await pyrad({ mode: 'pap', port, user: 'alice', password: 'Correct-Horse-9' });
  t.is(second.code, 11);
  // The code of the last radclient test's step was spent: a code of a step already used is a replay.
  const spent = await generate({ secret: secrets.challenge! });
  const replay = await pyrad({ mode: 'pap', port, user: 'alice', password: spent, state: second.State });
  t.is(replay.code, 3);
});

test.serial('pyrad, append: password then code is accepted once; the password alone is not; bob, not enrolled, is told how', async (t) => {
  const port = append.ports.auth;
  const code = await generate({ secret: secrets.append! });
  t.like(await pyrad({ mode: 'pap', port, user: 'alice', password: `Correct-Horse-9${code}` }), { code: 2 });
  t.like(await pyrad({ mode: 'pap', port, user: 'alice', password: `Correct-Horse-9${code}` }), { code: 3 }, 'replay');
  t.like(await pyrad({ mode: 'pap', port, user: 'alice', password: 'Correct-Horse-9' }), { code: 3 });
  const bob = await pyrad({ mode: 'pap', port, user: 'bob', password: 'Battery-Staple-7' });
  t.is(bob.code, 3);
  t.regex(String(bob['Reply-Message']), /requires a second factor/);
  const guess = await pyrad({ mode: 'pap', port, user: 'bob', password: 'Not-Bobs-7' });
  t.is(guess['Reply-Message'], undefined, 'a guesser learns nothing of MFA');
});

test.serial('MS-CHAPv2 cannot carry a code: an enrolled user is refused and told why', async (t) => {
  const r = await pyrad({ mode: 'mschapv2', port: append.ports.auth, user: 'alice', password: 'Correct-Horse-9' });
  t.is(r.code, 3);
  t.regex(String(r['Reply-Message']), /app password or a certificate/);
});

test.serial('globex, without MFA, is unaffected', async (t) => {
  const r = await pyrad({ mode: 'pap', port: challenge.ports.auth, user: 'alice', password: 'Second-Tenant-3', secret: NAS.globex.secret, bind: NAS.globex.address });
  t.is(r.code, 2);
});
