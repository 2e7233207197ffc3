// SSSD 2.8 (Debian sssd-ldap) as a tenant's LDAP client, the way a Linux host logs people in:
// glibc NSS (`getent`, `id`) and PAM (`pamtester` over pam_sss: login, account, passwd) answered
// by one SSSD that reads the front over StartTLS with a service account, checks passwords by
// binding as the user and changes them with the password modify operation.
// SSSD reads fixed paths (/etc/sssd, /var/lib/sss, /var/log/sssd) and so do glibc and libpam
// (/etc/nsswitch.conf, /etc/pam.d), so SSSD runs in a private mount namespace (unshare -m) with
// its own copies bind-mounted over them (test/ldap/sssd/namespace.sh), a fresh cache each run;
// the commands join it with nsenter. The machine's configuration is never touched.
// One SSSD serves every test, with three domains: acme (rfc2307bis, exactly docs/ldap.md's
// recipe, short names), acme-rfc2307 (the same tenant read with the rfc2307 schema) and globex
// (the other tenant); the last two answer to user@domain. Needs root and .ci/sssd-deps.sh.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ACME, GLOBEX, PASSWORDS, service, startLdap, type Harness } from './helpers.ts';
import { sssdConf, type Schema, type SssdDomain } from './sssd/conf.ts';

const NAMESPACE_SH = fileURLToPath(new URL('./sssd/namespace.sh', import.meta.url));
const PAM_SERVICE = 'tenantdir-sssd-test';
/** The acme domain each schema is read through, and how its names are written there. */
const ACME_DOMAINS: Record<Schema, { name: string; fullyQualified: boolean }> = {
  rfc2307bis: { name: 'acme', fullyQualified: false },
  rfc2307: { name: 'acme-rfc2307', fullyQualified: true },
};
const SCHEMAS = Object.keys(ACME_DOMAINS) as Schema[];
/** `name` as domain `s` knows it. */
const q = (s: Schema, name: string): string => (ACME_DOMAINS[s].fullyQualified ? `${name}@${ACME_DOMAINS[s].name}` : name);
const NEEDS = ['/usr/sbin/sssd', '/usr/bin/pamtester', '/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/setpriv'];
/** libnss-sss and libpam-sss, in whichever multiarch directory this machine has. */
const MODULES = ['libnss_sss.so.2', 'security/pam_sss.so'];

function missingNeeds(): string[] {
  const libDirs = readdirSync('/usr/lib').filter((d) => d.endsWith('-linux-gnu')).map((d) => join('/usr/lib', d));
  return [
    ...NEEDS.filter((p) => !existsSync(p)),
    ...MODULES.filter((m) => !libDirs.some((d) => existsSync(join(d, m)))),
  ];
}

interface Run { code: number; out: string }

let h: Harness;
let sssd: ChildProcess | undefined;
let dir = '';

/** A command inside SSSD's mount namespace; `input` goes to its stdin (pamtester's password prompt). */
function inNamespace(cmd: string[], input = ''): Promise<Run> {
  const pid = sssd?.pid;
  if (pid === undefined) throw new Error('SSSD is not running');
  return new Promise((resolve) => {
    const child = execFile('nsenter', ['-t', String(pid), '-m', '--', ...cmd], { timeout: 8000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
    // EPIPE is no error here: a command may exit before it reads its input (getent never does).
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** The end of each SSSD log, for a failure's report (SELinux's per-request notice left out). */
async function logTail(): Promise<string> {
  const domains = [...Object.values(ACME_DOMAINS).map((d) => d.name), 'globex'];
  const files = ['sssd.log', ...domains.map((d) => `sssd_${d}.log`), 'sssd_nss.log', 'sssd_pam.log'];
  const tails = await Promise.all(files.map(async (f) => {
    const text = await readFile(join(dir, 'log', f), 'utf8').catch(() => '(none)');
    const lines = text.split('\n').filter((l) => !/SELinux|SELINUX/.test(l));
    return `--- ${f}\n${lines.slice(-20).join('\n')}`;
  }));
  return tails.join('\n');
}

test.before(async () => {
  const missing = missingNeeds();
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: run .ci/sssd-deps.sh`);
  if (process.getuid?.() !== 0) throw new Error('needs root for a private mount namespace (unshare -m); see the header');
  h = await startLdap();
  dir = await mkdtemp(join(tmpdir(), 'tenantdir-sssd-'));
  const acme = (schema: Schema): SssdDomain => ({
    ...ACME_DOMAINS[schema], uri: h.url, base: ACME, bindDn: service(ACME, 'reader'), bindPassword: PASSWORDS.reader, caCert: h.tls.certPath, schema,
  });
  // The short-name domain first: SSSD looks a short name up in the domains that take one, in order.
  const domains: SssdDomain[] = [acme('rfc2307bis'), acme('rfc2307'), {
    name: 'globex', uri: h.url, base: GLOBEX, bindDn: service(GLOBEX, 'reader'), bindPassword: PASSWORDS.globexReader,
    caCert: h.tls.certPath, schema: 'rfc2307bis', fullyQualified: true,
  }];
  await mkdir(join(dir, 'etc', 'conf.d'), { recursive: true });
  await writeFile(join(dir, 'etc', 'sssd.conf'), sssdConf(domains));
  // SSSD refuses a config file anyone but root can read.
  await chmod(join(dir, 'etc', 'sssd.conf'), 0o600);
  await mkdir(join(dir, 'pam.d'));
  await writeFile(join(dir, 'pam.d', PAM_SERVICE), 'auth required pam_sss.so\naccount required pam_sss.so\npassword required pam_sss.so\n');
  // sss first: the host has a "staff" group of its own in /etc/group.
  await writeFile(join(dir, 'nsswitch.conf'), 'passwd: sss files\ngroup: sss files\nshadow: files\n');

  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', NAMESPACE_SH], { env: { ...process.env, DIR: dir }, stdio: ['pipe', 'pipe', 'pipe'] });
  sssd = child;
  let early = '';
  child.stdout.on('data', (b: Buffer) => { early += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { early += b.toString(); });
  // Ready when the NSS and PAM responders listen: their sockets, seen through the namespace.
  const pipes = ['nss', 'pam'].map((p) => `/proc/${String(child.pid)}/root/var/lib/sss/pipes/${p}`);
  for (let i = 0; i < 100 && !pipes.every((p) => existsSync(p)); i++) {
    if (child.exitCode !== null) throw new Error(`sssd exited (${String(child.exitCode)}):\n${early}\n${await logTail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!pipes.every((p) => existsSync(p))) throw new Error(`SSSD's responders did not start in 10 s:\n${early}\n${await logTail()}`);
});

test.after.always(async () => {
  if (sssd?.exitCode === null) {
    // Closing its stdin stops SSSD (namespace.sh); so does this process dying.
    const exited = new Promise((r) => sssd?.once('exit', r));
    sssd.stdin?.end();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (sssd.exitCode === null) throw new Error(`SSSD did not stop in 5 s (namespace shell ${String(sssd.pid)})`);
  }
  await h?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.afterEach.always(async (t) => {
  if (!t.passed && dir) t.log(await logTail());
});

/** A group's gidNumber as SSSD serves it. */
async function gidOf(name: string): Promise<number> {
  const r = await inNamespace(['getent', 'group', name]);
  const m = /^[^:]+:[^:]*:(\d+):/m.exec(r.out);
  if (!m) throw new Error(`getent group ${name}: ${r.out} (exit ${r.code})`);
  return Number(m[1]);
}

/** `id`'s primary gid and group gids (numbers: a gid's name comes from the first domain that has it). */
function parseId(out: string): { gid: number; groups: number[] } {
  const gid = /\bgid=(\d+)/.exec(out)?.[1];
  const groups = /\bgroups=(\S+)/.exec(out)?.[1];
  if (gid === undefined || groups === undefined) throw new Error(`not id's output: ${out}`);
  return { gid: Number(gid), groups: groups.split(',').map((g) => Number.parseInt(g, 10)) };
}

for (const s of SCHEMAS) {
  test(`${s}: getent passwd and group resolve the tenant's users and groups`, async (t) => {
    const alice = await inNamespace(['getent', 'passwd', q(s, 'alice')]);
    t.log(alice.out);
    t.regex(alice.out, new RegExp(`^${q(s, 'alice')}:\\*:\\d+:\\d+:Alice Smith:/home/alice:/bin/bash$`, 'm'));
    const staff = await inNamespace(['getent', 'group', q(s, 'staff')]);
    t.log(staff.out);
    const members = /^[^:]+:\*:\d+:(.*)$/m.exec(staff.out)?.[1]?.split(',') ?? [];
    // dave is in staff through devs: a nested member DN (rfc2307bis), a memberUid (rfc2307).
    for (const u of ['alice', 'bob', 'dave']) t.true(members.includes(q(s, u)), `${u} in staff (${s}): ${staff.out}`);
    t.is((await inNamespace(['getent', 'passwd', q(s, 'nobody-here')])).code, 2, 'an unknown user is "not found"');
  });

  test(`${s}: id lists exactly the groups a user is in; the primary gid is no other group's`, async (t) => {
    const gids = new Map<string, number>();
    for (const g of ['staff', 'admins', 'devs']) gids.set(g, await gidOf(q(s, g)));
    t.is(new Set(gids.values()).size, gids.size, `distinct group gids: ${[...gids].join(' ')}`);
    const expected: Record<string, string[]> = { alice: ['staff', 'admins'], bob: ['staff'], dave: ['devs', 'staff'] };
    for (const [user, groups] of Object.entries(expected)) {
      const r = await inNamespace(['id', q(s, user)]);
      t.log(r.out);
      t.is(r.code, 0, r.out);
      const id = parseId(r.out);
      // A primary gid equal to admins' would put bob in admins for every `%admins` rule.
      t.false([...gids.values()].includes(id.gid), `${user}'s primary gid ${id.gid} is not a real group's (${[...gids].join(' ')})`);
      for (const [g, gid] of gids) {
        t.is(id.groups.includes(gid), groups.includes(g), `${user} ${groups.includes(g) ? 'is' : 'is not'} in ${g} (${s}): ${r.out}`);
      }
    }
  });

  test(`${s}: PAM (pam_sss) accepts the right password, refuses a wrong one and a disabled user`, async (t) => {
    const pam = (user: string, steps: string[], password = '') => inNamespace(['pamtester', PAM_SERVICE, q(s, user), ...steps], `${password}\n`);
    // Another user per schema: one wrong password each stays below the lockout threshold.
    const user = s === 'rfc2307bis' ? 'alice' : 'bob';
    const good = await pam(user, ['authenticate', 'acct_mgmt'], PASSWORDS[user]);
    t.log(good.out);
    t.is(good.code, 0, good.out);
    t.regex(good.out, /successfully authenticated[\s\S]*account management done/);
    const wrong = await pam(user, ['authenticate'], 'Not-The-Password-1');
    t.log(wrong.out);
    t.not(wrong.code, 0);
    t.regex(wrong.out, /Authentication failure/, 'refused by the server, not "cannot retrieve authentication info" (offline)');
    const carol = await pam('carol', ['authenticate'], PASSWORDS.carol);
    t.log(carol.out);
    t.regex(carol.out, /Authentication failure/, 'a disabled user cannot log in with her right password');
    // What sshd asks after a key login: the account step alone.
    const carolAccount = await pam('carol', ['acct_mgmt']);
    t.log(carolAccount.out);
    t.not(carolAccount.code, 0, carolAccount.out);
    t.regex(carolAccount.out, /User account has expired/);
  });
}

test('passwd through pam_sss changes the password in the directory, under its policy', async (t) => {
  // As dave himself: pam_sss refuses root a password change ("reset by root is not supported").
  const uid = (await inNamespace(['id', '-u', 'dave'])).out.trim();
  const gid = (await inNamespace(['id', '-g', 'dave'])).out.trim();
  const pam = (steps: string[], input: string[]) => inNamespace(
    ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'pamtester', PAM_SERVICE, 'dave', ...steps], `${input.join('\n')}\n`);
  const next = 'Nested-Member-78-New';
  const short = await pam(['chauthtok'], [PASSWORDS.dave, 'Short-1', 'Short-1']);
  t.log(short.out);
  t.not(short.code, 0, "a password the tenant's policy refuses is refused");
  t.regex(short.out, /Server message: the password must be at least 12 characters long/, "the policy's reason reaches the user");
  const changed = await pam(['chauthtok'], [PASSWORDS.dave, next, next]);
  t.log(changed.out);
  t.is(changed.code, 0, changed.out);
  t.regex((await pam(['authenticate'], [next])).out, /successfully authenticated/);
  t.regex((await pam(['authenticate'], [PASSWORDS.dave])).out, /Authentication failure/, 'the old password no longer works');
});

test('globex: another tenant is another SSSD domain; nothing of acme shows through', async (t) => {
  const alice = await inNamespace(['getent', 'passwd', 'alice@globex']);
  t.regex(alice.out, /^alice@globex:\*:\d+:\d+:Alice Globex:/m);
  const staff = await inNamespace(['getent', 'group', 'staff@globex']);
  t.regex(staff.out, /^staff@globex:\*:\d+:.*\bgina@globex\b/m);
  t.notRegex(staff.out, /bob/);
  t.is((await inNamespace(['getent', 'passwd', 'gina'])).code, 2, "globex's gina is not in acme");
  const pam = (password: string) => inNamespace(['pamtester', PAM_SERVICE, 'alice@globex', 'authenticate'], `${password}\n`);
  t.regex((await pam(PASSWORDS.globexAlice)).out, /successfully authenticated/);
  t.regex((await pam(PASSWORDS.alice)).out, /Authentication failure/, "acme alice's password is not globex alice's");
});
