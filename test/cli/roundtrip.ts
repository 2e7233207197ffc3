// The CLI's round trip through a real AdminServer: users, groups, imports of CSV and LDIF,
// exit codes. Run once on the memory store and once on MongoDB (memory.test.ts, mongo.test.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestFn } from 'ava';
import { startAdmin, TOKENS, type Api } from '../admin/helpers.ts';
import { cli, FIXTURES } from './run.ts';

export interface RoundTripContext {
  api: Api;
  env: Record<string, string>;
  stop?: () => Promise<void>;
}

export function cliRoundTrip(test: TestFn<RoundTripContext>, open: () => Promise<{ storeUri?: string; stop?: () => Promise<void> }>): void {
  test.before(async (t) => {
    const store = await open();
    t.context.api = await startAdmin(store.storeUri ? { storeUri: store.storeUri } : {});
    if (store.stop) t.context.stop = store.stop;
    t.context.env = { TENANTDIR_URL: t.context.api.url, TENANTDIR_TOKEN: TOKENS.acmeAdmin };
  });
  test.after.always(async (t) => {
    await t.context.api?.close();
    await t.context.stop?.();
  });

  // Serial and short: each test starts a few CLI processes, and a loaded machine makes each slow.
  const acme = (...args: string[]) => [...args, '--tenant', 'acme'];

  test.serial('user add --password-stdin creates a user who can log in', async (t) => {
    const { env, api } = t.context;
    const add = await cli(acme('user', 'add', '--uid', 'ivy', '--cn', 'Ivy Lane', '--mail', 'ivy@acme.example', '--group', 'staff', '--password-stdin'), {
      env, input: 'Green-Leaves-123\n',
    });
    t.is(add.code, 0, add.stderr);
    t.regex(add.stdout, /created user ivy/);
    t.true((await directoryOf(api).authenticate('ivy', { password: 'Green-Leaves-123' }, ldapActor)).ok);
  });

  test.serial('user list --json and user show', async (t) => {
    const { env } = t.context;
    const list = await cli(acme('user', 'list', '--json'), { env });
    t.is(list.code, 0, list.stderr);
    const ivy = (JSON.parse(list.stdout) as { uid: string; hasPassword: boolean; memberOf: string[] }[]).find((u) => u.uid === 'ivy');
    t.true(ivy?.hasPassword);
    t.deepEqual(ivy?.memberOf, ['staff']);
    const show = await cli(acme('user', 'show', '--uid', 'ivy'), { env });
    t.regex(show.stdout, /^mail:\s+ivy@acme\.example$/m);
  });

  test.serial('user passwd reads stdin; a weak password is refused with exit 1 and the rule', async (t) => {
    const { env, api } = t.context;
    const passwd = await cli(acme('user', 'passwd', '--uid', 'ivy', '--password-stdin'), { env, input: 'Green-Leaves-456\n' });
    t.is(passwd.code, 0, passwd.stderr);
    t.true((await directoryOf(api).authenticate('ivy', { password: 'Green-Leaves-456' }, ldapActor)).ok);
    const weak = await cli(acme('user', 'passwd', '--uid', 'ivy'), { env, input: 'weak\n' });
    t.is(weak.code, 1);
    t.regex(weak.stderr, /at least 12 characters/);
  });

  test.serial('user disable and delete', async (t) => {
    const { env, api } = t.context;
    t.is((await cli(acme('user', 'disable', '--uid', 'ivy'), { env })).code, 0);
    t.false((await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/users/ivy')).body.enabled);
    t.is((await cli(acme('user', 'delete', '--uid', 'ivy'), { env })).code, 0);
    t.is((await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/users/ivy')).status, 404);
  });

  test.serial('group add and add-member of a user and a nested group', async (t) => {
    const { env } = t.context;
    t.is((await cli(acme('group', 'add', '--name', 'pilots-cli', '--description', 'Fly'), { env })).code, 0);
    const add = await cli(acme('group', 'add-member', '--name', 'pilots-cli', '--uid', 'bob'), { env });
    t.is(add.code, 0, add.stderr);
    const nest = await cli(acme('group', 'add-member', '--name', 'pilots-cli', '--member-group', 'admins'), { env });
    t.is(nest.code, 0, nest.stderr);
  });

  test.serial('group members, through nesting and direct', async (t) => {
    const { env } = t.context;
    const members = await cli(acme('group', 'members', '--name', 'pilots-cli', '--json'), { env });
    t.deepEqual((JSON.parse(members.stdout) as { uid: string }[]).map((u) => u.uid).sort(), ['alice', 'bob']);
    const human = await cli(acme('group', 'members', '--name', 'pilots-cli', '--direct'), { env });
    t.regex(human.stdout, /^UID\s+CN\s+MAIL\nbob\s+Bob Jones/);
  });

  test.serial('group remove-member and delete', async (t) => {
    const { env, api } = t.context;
    t.is((await cli(acme('group', 'remove-member', '--name', 'pilots-cli', '--uid', 'bob'), { env })).code, 0);
    t.false((await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/users/bob')).body.memberOf.includes('pilots-cli'));
    t.is((await cli(acme('group', 'delete', '--name', 'pilots-cli'), { env })).code, 0);
    t.is((await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/groups/pilots-cli')).status, 404);
  });

  test.serial('group commands name the group with --group, as user add does (--name still works)', async (t) => {
    const { env, api } = t.context;
    const add = await cli(acme('group', 'add', '--group', 'pilots-g'), { env });
    t.is(add.code, 0, add.stderr);
    t.is((await cli(acme('group', 'add-member', '--group', 'pilots-g', '--uid', 'bob'), { env })).code, 0);
    const members = await cli(acme('group', 'members', '--group', 'pilots-g', '--json'), { env });
    t.deepEqual((JSON.parse(members.stdout) as { uid: string }[]).map((u) => u.uid), ['bob']);
    const both = await cli(acme('group', 'delete', '--group', 'pilots-g', '--name', 'admins'), { env });
    t.is(both.code, 2);
    t.regex(both.stderr, /give the group once/);
    const none = await cli(acme('group', 'delete'), { env });
    t.is(none.code, 2);
    t.regex(none.stderr, /--group <group>/);
    t.is((await cli(acme('group', 'remove-member', '--group', 'pilots-g', '--uid', 'bob'), { env })).code, 0);
    t.is((await cli(acme('group', 'delete', '--group', 'pilots-g'), { env })).code, 0);
    t.is((await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/groups/pilots-g')).status, 404);
  });

  test.serial('device add in any spelling, list, delete; a bad or taken MAC is exit 1 saying why', async (t) => {
    const { env, api } = t.context;
    const add = await cli(acme('device', 'add', '--mac', 'AA-BB-CC-00-11-22', '--name', 'Printer 2nd floor', '--group', 'staff'), { env });
    t.is(add.code, 0, add.stderr);
    t.is(add.stdout, 'registered device aabbcc001122 in staff in acme\n');
    const list = await cli(acme('device', 'list'), { env });
    t.is(list.code, 0, list.stderr);
    t.regex(list.stdout, /^MAC\s+NAME\s+GROUPS\s+LAST SEEN\naabbcc001122\s+Printer 2nd floor\s+staff\s+never$/m);
    const acmeConfig = api.world.registry.byId('acme')!;
    await api.world.directory.tenant(acmeConfig).authenticateDevice('aabbcc001122', { name: 'radius:ap', protocol: 'radius' });
    const json = JSON.parse((await cli(acme('device', 'list', '--json'), { env })).stdout) as { mac: string; lastSeenAt?: string }[];
    t.truthy(json.find((d) => d.mac === 'aabbcc001122')?.lastSeenAt);
    const bad = await cli(acme('device', 'add', '--mac', 'printer-1'), { env });
    t.is(bad.code, 1);
    t.regex(bad.stderr, /mac "printer-1" is not a MAC address/);
    const taken = await cli(acme('device', 'add', '--mac', 'aabb.cc00.1122'), { env });
    t.is(taken.code, 1);
    t.regex(taken.stderr, /already exists/);
    t.is((await cli(acme('device', 'delete'), { env })).code, 2, '--mac is required');
    const del = await cli(acme('device', 'delete', '--mac', 'aa:bb:cc:00:11:22'), { env });
    t.is(del.code, 0, del.stderr);
    t.is((await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/devices/aabbcc001122')).status, 404);
    t.is((await cli(acme('device', 'delete', '--mac', 'aa:bb:cc:00:11:22'), { env })).code, 1);
  });

  test.serial('user list shows who is locked; unlock says when there was no lock', async (t) => {
    const { env, api } = t.context;
    for (let i = 0; i < 5; i++) await directoryOf(api).authenticate('bob', { password: `wrong-${i}` }, ldapActor);
    const list = await cli(acme('user', 'list'), { env });
    t.is(list.code, 0, list.stderr);
    t.regex(list.stdout, /^UID\s+CN\s+MAIL\s+ENABLED\s+LOCKED\s+GROUPS$/m);
    t.regex(list.stdout, /^bob\s.*\syes\s+until \d{4}-\d\d-\d\dT/m);
    t.notRegex(list.stdout, /^alice\s.*until/m);
    const json = JSON.parse((await cli(acme('user', 'list', '--json'), { env })).stdout) as { uid: string; lockedUntil?: string }[];
    t.truthy(json.find((u) => u.uid === 'bob')?.lockedUntil);
    t.is(json.find((u) => u.uid === 'alice')?.lockedUntil, undefined);
    const unlock = await cli(acme('user', 'unlock', '--uid', 'bob'), { env });
    t.is(unlock.code, 0, unlock.stderr);
    t.is(unlock.stdout, 'bob unlocked\n');
    const again = await cli(acme('user', 'unlock', '--uid', 'bob'), { env });
    t.is(again.code, 0, again.stderr);
    t.is(again.stdout, 'bob is not locked (nothing changed)\n');
  });

  test.serial('doctor: exit 0 when clean; a collision is listed with its fix (exit 1), and renumber fixes it', async (t) => {
    const { env, api } = t.context;
    const clean = await cli(acme('doctor'), { env });
    t.is(clean.code, 0, clean.stdout + clean.stderr);
    t.regex(clean.stdout, /^acme: no problems \(\d+ users, \d+ groups examined\)$/m);
    // What an earlier version left: a group whose gidNumber is alice's private group.
    const alice = (await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/users/alice')).body as { uidNumber: number; gidNumber: number };
    t.is(alice.gidNumber, alice.uidNumber);
    const now = new Date();
    await api.world.store.tenant('acme').groups.create({
      name: 'legacy-g', entryUUID: crypto.randomUUID(), gidNumber: alice.uidNumber, memberGroups: [], createdAt: now, modifiedAt: now,
    });
    const sick = await cli(acme('doctor'), { env });
    t.is(sick.code, 1);
    t.regex(sick.stdout, new RegExp(`private-group-is-a-group: the private group of user "alice" \\(gidNumber ${alice.uidNumber}\\) is the gidNumber of group "legacy-g"`));
    t.regex(sick.stdout, /fix: tenantdir user renumber --tenant acme --uid alice/);
    t.regex(sick.stdout, /acme: 1 problem \(/);
    const json = JSON.parse((await cli(acme('doctor', '--json'), { env })).stdout) as { problems: { kind: string; users: string[]; groups: string[] }[] };
    t.like(json.problems, [{ kind: 'private-group-is-a-group', users: ['alice'], groups: ['legacy-g'] }]);
    const renumber = await cli(acme('group', 'renumber', '--group', 'legacy-g'), { env });
    t.is(renumber.code, 0, renumber.stderr);
    t.regex(renumber.stdout, new RegExp(`legacy-g: gidNumber ${alice.uidNumber} → \\d+; its files still carry the old number`));
    t.is((await cli(acme('doctor'), { env })).code, 0);
    t.is((await cli(acme('group', 'delete', '--group', 'legacy-g'), { env })).code, 0);
  });

  const csv = join(FIXTURES, 'users.csv');
  test.serial('import CSV: the bad row is reported by line and the rest imported', async (t) => {
    const { env, api } = t.context;
    const first = await cli(acme('import', csv), { env });
    t.is(first.code, 1);
    t.regex(first.stderr, new RegExp(`${csv}:5: bad row: uid "bad row" is not valid`));
    t.regex(first.stdout, /3 created, 0 updated, 0 unchanged, 1 failed/);
    const devs = await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/groups/devs/members');
    t.deepEqual(devs.body.items.map((u: { uid: string }) => u.uid).sort(), ['ann', 'ben']);
  });

  test.serial('import CSV again: everything unchanged', async (t) => {
    const again = await cli(acme('import', csv, '--json'), { env: t.context.env });
    t.is(again.code, 1);
    const report = JSON.parse(again.stdout) as { created: number; updated: number; unchanged: number; failed: number; errors: { line: number }[] };
    t.like(report, { created: 0, updated: 0, unchanged: 3, failed: 1 });
    t.deepEqual(report.errors.map((e) => e.line), [5]);
  });

  const ldif = join(FIXTURES, 'users.ldif');
  test.serial('import LDIF: users, groups with memberUid and member DNs, the bad entry by line', async (t) => {
    const { env, api } = t.context;
    const first = await cli(acme('import', ldif), { env });
    t.is(first.code, 1);
    t.regex(first.stderr, new RegExp(`${ldif}:36: hal: mail "not-an-address" is not an e-mail address`));
    t.regex(first.stdout, /4 created, 0 updated, 0 unchanged, 1 failed, 1 entries skipped/);
    const crew = await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/groups/crew/members');
    t.deepEqual(crew.body.items.map((u: { uid: string }) => u.uid).sort(), ['fay', 'gus']);
    const gus = await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/users/gus');
    t.is(gus.body.cn, 'Gus Grissom');
    const fay = await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/users/fay');
    t.like(fay.body, { uidNumber: 20010, loginShell: '/bin/zsh', hasPassword: true });
  });

  test.serial('import LDIF again: everything unchanged', async (t) => {
    const again = await cli(acme('import', ldif), { env: t.context.env });
    t.is(again.code, 1);
    t.regex(again.stdout, /0 created, 0 updated, 4 unchanged, 1 failed/);
  });

  const twoTenants = join(FIXTURES, 'two-tenants.ldif');
  test.serial('import LDIF naming another tenant\'s entries: those are refused by line, nothing of them reaches acme', async (t) => {
    const { env, api } = t.context;
    const r = await cli(acme('import', twoTenants), { env });
    t.is(r.code, 1);
    t.regex(r.stderr, new RegExp(`${twoTenants}:8: dn uid=gil,ou=people,DC=Globex, dc=example is not under acme's base dc=acme,dc=example; not imported`));
    t.regex(r.stderr, new RegExp(`${twoTenants}:20: dn cn=globex-staff,ou=groups,dc=globex,dc=example is not under acme's base`));
    t.regex(r.stderr, new RegExp(`${twoTenants}:25: cn=mixed,ou=groups,dc=acme,dc=example: member uid=gil,ou=people,dc=globex,dc=example is not under acme's base`));
    t.regex(r.stdout, /3 created, 0 updated, 0 unchanged, 3 failed/);
    const get = (tenant: string, what: string) => api.call(TOKENS.ops, 'GET', `/api/v1/tenants/${tenant}/${what}`);
    t.is((await get('acme', 'users/gil')).status, 404);
    t.is((await get('globex', 'users/gil')).status, 404, 'an acme token never writes to globex either');
    t.is((await get('acme', 'groups/globex-staff')).status, 404);
    t.is((await get('acme', 'users/lou')).status, 200, 'an acme DN in odd case and with spaces is acme\'s');
    const mixed = await get('acme', 'groups/mixed/members');
    t.deepEqual(mixed.body.items.map((u: { uid: string }) => u.uid), ['kim']);
  });

  test.serial('import of rows longer than the server\'s 4 MiB import limit in all: sent in several requests', async (t) => {
    const { env, api } = t.context;
    const dir = await mkdtemp(join(tmpdir(), 'tenantdir-cli-'));
    try {
      // 400 users with two 6 KB keys each: 4.8 MB in fewer rows than one batch holds.
      const key = (i: number, k: number) => `ssh-ed25519 ${'A'.repeat(6_000)} key${i}-${k}`;
      const rows = Array.from({ length: 400 }, (_, i) => `keyed${i},"${key(i, 1)}\n${key(i, 2)}"`);
      const file = join(dir, 'keyed.csv');
      await writeFile(file, ['uid,sshPublicKey', ...rows, ''].join('\n'));
      const r = await cli(acme('import', file), { env });
      t.is(r.code, 0, r.stderr);
      t.regex(r.stdout, /400 created, 0 updated, 0 unchanged, 0 failed/);
      const last = await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/users/keyed399');
      t.is(last.body.sshPublicKeys.length, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test.serial('exit 1 with the API\'s message when refused', async (t) => {
    const { env } = t.context;
    const refused = await cli(acme('user', 'delete', '--uid', 'alice'), { env: { ...env, TENANTDIR_TOKEN: TOKENS.acmeHelpdesk } });
    t.is(refused.code, 1);
    t.regex(refused.stderr, /role helpdesk may not do this/);
    const other = await cli(['user', 'show', '--tenant', 'globex', '--uid', 'hank'], { env });
    t.is(other.code, 1);
    t.regex(other.stderr, /tenant "globex" not found/);
  });

  test.serial('exit 2 on usage errors', async (t) => {
    const { env } = t.context;
    t.is((await cli(['user', 'list'], { env })).code, 2);
    t.is((await cli(acme('user', 'frobnicate'), { env })).code, 2);
    const noToken = await cli(acme('user', 'list'), { env: { TENANTDIR_URL: env.TENANTDIR_URL ?? '' } });
    t.is(noToken.code, 2);
    t.regex(noToken.stderr, /TENANTDIR_TOKEN/);
  });
}

const ldapActor = { name: 'test', protocol: 'ldap' } as const;

function directoryOf(api: Api) {
  const tenant = api.world.live.current().byId('acme');
  if (!tenant) throw new Error('fixture has no acme');
  return api.world.directory.tenant(tenant);
}
