// Loading: the example loads; each kind of mistake is reported at its node's file:line:col
// with a message that says what to do; every problem of every file comes at once.
import test from 'ava';
import { checkConfig, loadConfig, loadSeed } from '../../src/config/index.ts';
import { configDir, oneProblem, problems, problemsWith, shown, yaml } from './helpers.ts';

/** Loading fixtures/base with `files` written over it reports exactly `expected`. */
const reports = test.macro(async (t, files: Record<string, string | null>, expected: string[]) => {
  t.deepEqual(await problemsWith(t, files), expected);
});

/** A server file that names no tenant, for tests that remove tenants. */
const PLAIN_SERVER = yaml('listen:', '  ldap: { port: 0 }');

const globex = (...radius: string[]) => yaml(
  'id: globex',
  'name: Globex',
  'baseDN: dc=globex,dc=example',
  'radius:',
  ...radius,
);

test('the example configuration loads with no problems and no warnings', async (t) => {
  const r = await loadConfig('config/example');
  if (!r.ok) return t.fail(r.problems.map((p) => shown('', p)).join('\n'));
  t.deepEqual(r.warnings, []);
  t.deepEqual(r.registry.tenants.map((t_) => [t_.id, t_.file]), [
    ['acme', 'config/example/tenants/acme.yaml'],
    ['globex', 'config/example/tenants/globex.yaml'],
  ]);
  t.is(r.registry.byNas('127.0.0.1')?.kind, 'tenant');
  t.is(r.registry.server.listen.ldap.port, 3389);
  t.is(r.registry.server.listen.ldaps, undefined);
  const acme = r.registry.byId('acme');
  t.is(acme?.ldap.serviceAccounts[0]?.access, 'read');
  t.true(acme?.radius.allowMschapv2);
  t.deepEqual(acme?.radius.vlans, [{ group: 'staff', vlan: 20 }]);
  const seed = await loadSeed(r.registry);
  t.deepEqual(Object.keys(seed?.tenants ?? {}), ['acme', 'globex']);
  t.is(seed?.tenants.acme?.users.find((u) => u.uid === 'alice')?.password, 'Correct-Horse-9');
  t.deepEqual((await checkConfig('config/example')).problems, []);
});

test('defaults fill in every key left out', async (t) => {
  const dir = await configDir(t, { 'tenantdir.yaml': '', 'tenants/acme.yaml': null, 'seed.yaml': null, 'tenants/globex.yaml': globex('  clients: []') });
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  const { server } = r.registry;
  t.deepEqual(server.listen, {
    ldap: { port: 3389, host: '0.0.0.0' },
    radius: { auth: 1812, acct: 1813, host: '0.0.0.0' },
    http: { port: 9090, host: '127.0.0.1', tls: false },
  });
  t.is(server.passwords.bcryptCost, 12);
  t.is(server.log.level, 'info');
  t.deepEqual(server.admins, []);
  const g = r.registry.byId('globex');
  t.deepEqual(g?.passwordPolicy, { minLength: 12, minClasses: 3, maxAgeDays: 0, history: 5, expiryWarningDays: 14, lockout: { threshold: 5, windowMinutes: 15, durationMinutes: 15 } });
  t.deepEqual(g?.mfa, { totp: 'off', radius: 'challenge', ldap: 'off', exemptGroups: [], appPasswordsSatisfy: true });
  t.deepEqual(g?.radius.realms, []);
  t.is(g?.ldap.requireTls, false);
  t.is(g?.radius.requireMessageAuthenticator, true);
  t.is(g?.posix.homeBase, '/home');
});

test('a YAML syntax error is reported where it is, with a hint for an unquoted ${VAR} in flow style', async (t) => {
  const dir = await configDir(t, {
    'tenants/globex.yaml': globex('  clients: [ { name: hq, address: 192.168.1.0/24, secret: ${GLOBEX_SECRET} } ]'),
  });
  await oneProblem(t, dir, 'tenants/globex.yaml:5:60', /YAML syntax error: Unexpected flow-map-start/, /put "\$\{VAR\}" in quotes/);
});

test('a YAML indentation error is reported at the node it breaks', async (t) => {
  // The over-indented line continues the scalar before it, where the parser reports it.
  const dir = await configDir(t, { 'tenants/globex.yaml': yaml('id: globex', 'name: Globex', '  baseDN: dc=globex,dc=example') });
  await oneProblem(t, dir, 'tenants/globex.yaml:2:7', /YAML syntax error: Nested mappings are not allowed/, /check the indentation/);
});

test('an unknown key points at the key and suggests the nearest allowed one', async (t) => {
  const dir = await configDir(t, { 'tenantdir.yaml': yaml('listen:', '  ldap: { port: 0 }', 'lgo:', '  level: debug') });
  await oneProblem(t, dir, 'tenantdir.yaml:3:1', /unknown key `lgo`; did you mean `log`\?/);
});

test('a nested unknown key is found too, and with no near match the allowed keys are listed', async (t) => {
  const near = await configDir(t, { 'tenants/globex.yaml': globex('  clients: []', '  vlan: []') });
  await oneProblem(t, near, 'tenants/globex.yaml:6:3', /unknown key `vlan`; did you mean `vlans`\?/);
  const far = await configDir(t, { 'tenants/globex.yaml': globex('  clients: []', '  colour: red') });
  await oneProblem(t, far, 'tenants/globex.yaml:6:3', /unknown key `colour`: remove it \(allowed here: clients, realms, requireMessageAuthenticator, vlans/);
});

test('a wrong type says what was expected and what was found', async (t) => {
  const dir = await configDir(t, { 'tenantdir.yaml': yaml('listen:', '  ldap: { port: "3389" }') });
  await oneProblem(t, dir, 'tenantdir.yaml:2:17', /expected a whole number, got "3389"/);
  const list = await configDir(t, { 'tenants/globex.yaml': globex('  clients: { name: hq }') });
  await oneProblem(t, list, 'tenants/globex.yaml:5:12', /expected a list, got a mapping/);
});

test('a value outside an enum lists the allowed values and suggests the nearest', async (t) => {
  const dir = await configDir(t, { 'tenantdir.yaml': yaml('log:', '  level: warning') });
  await oneProblem(t, dir, 'tenantdir.yaml:2:10', /"warning" is not allowed here: use one of fatal, error, warn, info, debug, trace; did you mean `warn`\?/);
});

test('a number out of range gives the range', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': globex('  clients: []', '  vlans:', '    - { group: staff, vlan: 4095 }') });
  await oneProblem(t, dir, 'tenants/globex.yaml:7:29', /must be from 1 to 4094, got 4095/);
});

test('a bad port is refused: above 65535, negative or fractional', reports, {
  'tenantdir.yaml': yaml('listen:', '  ldap: { port: 65536 }', '  radius: { auth: -1, acct: 1.5 }'),
  'tenants/acme.yaml': null,
  'seed.yaml': null,
}, [
  'tenantdir.yaml:2:17: must be from 0 to 65535, got 65536',
  'tenantdir.yaml:3:19: must be from 0 to 65535, got -1',
  'tenantdir.yaml:3:29: expected a whole number, got 1.5',
]);

test('a missing required key points at the mapping that lacks it', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': yaml('id: globex', 'name: Globex') });
  await oneProblem(t, dir, 'tenants/globex.yaml:1:1', /missing required key `baseDN`: add it \(Base DN/);
});

test('a duplicate tenant id is reported at the second file', async (t) => {
  const dir = await configDir(t, { 'tenants/zz-copy.yaml': yaml('id: acme', 'name: Copy', 'baseDN: dc=copy,dc=example') });
  await oneProblem(t, dir, 'tenants/zz-copy.yaml:1:5', /tenant id `acme` is already used by tenants\/acme\.yaml:2:5; give each tenant its own id/);
});

test('a baseDN equal to another tenant\'s, whatever its case and spacing, is refused', async (t) => {
  const dir = await configDir(t, { 'tenants/zz.yaml': yaml('id: zz', 'name: ZZ', 'baseDN: DC=Acme, dc=EXAMPLE') });
  await oneProblem(t, dir, 'tenants/zz.yaml:3:9', /baseDN `DC=Acme, dc=EXAMPLE` is the same as tenant `acme`'s baseDN \(tenants\/acme\.yaml:4:9\)/);
});

test('a baseDN inside another tenant\'s, or containing it, is refused', async (t) => {
  const inside = await configDir(t, { 'tenants/zz.yaml': yaml('id: zz', 'name: ZZ', 'baseDN: ou=sub,dc=acme,dc=example') });
  await oneProblem(t, inside, 'tenants/zz.yaml:3:9', /is inside tenant `acme`'s baseDN/, /must not overlap/);
  const contains = await configDir(t, { 'tenants/zz.yaml': yaml('id: zz', 'name: ZZ', 'baseDN: dc=example') });
  await oneProblem(t, contains, 'tenants/zz.yaml:3:9', /baseDN `dc=example` contains tenant `acme`'s baseDN/);
});

test('NAS networks of two tenants may not overlap: a /32 inside another tenant\'s /8', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': globex('  clients:', '    - { name: hq, address: 10.1.2.3/32, secret: globex-hq-secret-0123456 }') });
  await oneProblem(t, dir, 'tenants/globex.yaml:6:28',
    /NAS address 10\.1\.2\.3\/32 overlaps 10\.0\.0\.0\/8 of tenant `acme` \(tenants\/acme\.yaml:7:32\)/, /narrow or remove one/);
  const v6 = await configDir(t, { 'tenants/globex.yaml': globex('  clients:', '    - { name: hq, address: "2001:db8:ac:1::/64", secret: globex-hq-secret-0123456 }') });
  await oneProblem(t, v6, 'tenants/globex.yaml:6:28', /overlaps 2001:db8:ac::\/48 of tenant `acme`/);
});

test('a tenant NAS network may not overlap an MSP-wide client\'s', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': globex('  clients:', '    - { name: hq, address: 172.16.9.9, secret: globex-hq-secret-0123456 }') });
  await oneProblem(t, dir, 'tenants/globex.yaml:6:28', /NAS address 172\.16\.9\.9\/32 overlaps 172\.16\.0\.0\/12 of MSP-wide client `shared` \(tenantdir\.yaml:14:32\)/);
});

test('the same network twice in one tenant is refused, nested networks are not', async (t) => {
  const dir = await configDir(t, {
    'tenants/globex.yaml': globex('  clients:', '    - { name: a, address: 192.168.1.0/24, secret: globex-hq-secret-0123456 }',
      '    - { name: b, address: 192.168.1.0/24, secret: globex-hq-secret-0123456 }'),
  });
  await oneProblem(t, dir, 'tenants/globex.yaml:7:27', /NAS address 192\.168\.1\.0\/24 is already listed for tenant `globex`/);
});

test('a RADIUS secret under 16 characters is refused, without showing it', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': globex('  clients:', '    - { name: hq, address: 192.168.1.0/24, secret: tooShort-secret }') });
  await oneProblem(t, dir, 'tenants/globex.yaml:6:52', /this RADIUS secret is 15 characters long; use at least 16/);
  const [line] = await problems(t, dir);
  t.false(line?.includes('tooShort'));
});

test('a bad DN is refused with the parser\'s reason', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': yaml('id: globex', 'name: Globex', 'baseDN: globex.example') });
  await oneProblem(t, dir, 'tenants/globex.yaml:3:9', /bad DN "globex\.example": missing "="/, /write it like dc=acme,dc=example/);
});

test('a bad IP address or CIDR is refused', reports, {
  'tenants/globex.yaml': globex(
    '  clients:',
    '    - { name: a, address: 192.168.1.0/33, secret: globex-hq-secret-0123456 }',
    '    - { name: b, address: 192.168.2, secret: globex-hq-secret-0123456 }',
    '    - { name: c, address: 192.168.3.0/24/8, secret: globex-hq-secret-0123456 }',
  ),
}, [
  'tenants/globex.yaml:6:27: "192.168.1.0/33" is not an IP address or CIDR; write it like 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32',
  'tenants/globex.yaml:7:27: "192.168.2" is not an IP address or CIDR; write it like 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32',
  'tenants/globex.yaml:8:27: "192.168.3.0/24/8" is not an IP address or CIDR; write it like 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32',
]);

test('a CIDR with host bits set loads, with a warning naming the network it means', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': globex('  clients:', '    - { name: hq, address: 192.168.1.77/24, secret: globex-hq-secret-0123456 }') });
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  t.deepEqual(r.warnings.map((w) => shown(dir, w)), [
    'tenants/globex.yaml:6:28: "192.168.1.77/24" has host bits set; it means 192.168.1.0/24: write that',
  ]);
  t.is(r.registry.byNas('192.168.1.5')?.client.name, 'hq');
});

test('a missing referenced file is refused: tls cert and key, seed, a { file } secret', async (t) => {
  const found = await problemsWith(t, {
    'tenantdir.yaml': yaml(
      'tls: { cert: certs/server.crt, key: certs/server.key }',
      'storage: { seed: demo-seed.yaml }',
      'admins:',
      '  - { name: ops, token: { file: secrets/ops.token }, role: msp-admin }',
    ),
  });
  t.is(found.length, 4, found.join('\n'));
  t.regex(found[0] ?? '', /^tenantdir\.yaml:1:14: file "certs\/server\.crt" not found \(looked for .*certs\/server\.crt; relative paths are relative to the config directory\); create it/);
  t.regex(found[1] ?? '', /^tenantdir\.yaml:1:37: file "certs\/server\.key" not found/);
  t.regex(found[2] ?? '', /^tenantdir\.yaml:2:18: file "demo-seed\.yaml" not found/);
  t.regex(found[3] ?? '', /^tenantdir\.yaml:4:33: secret file "secrets\/ops\.token" not found/);
});

test('an admin token under 24 characters is refused', async (t) => {
  const dir = await configDir(t, { 'tenantdir.yaml': yaml('admins:', '  - { name: ops, token: only-twenty-two-chars!, role: msp-admin }') });
  await oneProblem(t, dir, 'tenantdir.yaml:2:25', /this admin token is 22 characters long; use at least 24/);
});

test('an admin role or an MSP-wide realm naming an unknown tenant is refused', reports, {
  'tenantdir.yaml': yaml(
    'admins:',
    '  - { name: it, token: test-acme-token-0123456789abcdef, role: helpdesk, tenants: [acme, acmee] }',
    'radius:',
    '  clients:',
    '    - { name: vpn, address: 192.0.2.1, secret: shared-secret-0123456789, realms: [initech] }',
  ),
}, [
  'tenantdir.yaml:2:90: unknown tenant `acmee`; did you mean `acme`? (configured: acme, globex); name a tenant id from tenants/*.yaml',
  'tenantdir.yaml:5:83: unknown tenant `initech` (configured: acme, globex); name a tenant id from tenants/*.yaml',
]);

test('an mfa section loads with every key, and an unknown mode is refused where it is written', async (t) => {
  const ok = await configDir(t, { 'tenants/globex.yaml': yaml('id: globex', 'name: Globex', 'baseDN: dc=globex,dc=example',
    'mfa: { totp: required, radius: append, ldap: append, exemptGroups: [printers] }') });
  const loaded = await loadConfig(ok);
  t.true(loaded.ok);
  if (loaded.ok) t.like(loaded.registry.byId('globex')?.mfa, { totp: 'required', radius: 'append', ldap: 'append', exemptGroups: ['printers'], appPasswordsSatisfy: true });
  const bad = await configDir(t, { 'tenants/globex.yaml': yaml('id: globex', 'name: Globex', 'baseDN: dc=globex,dc=example', 'mfa: { totp: required, radius: sms }') });
  await oneProblem(t, bad, 'tenants/globex.yaml:4:32', /"sms" is not allowed here: use one of challenge, append/);
});

test('a realm leads to one tenant: not listed twice, not another tenant\'s id', reports, {
  'tenants/globex.yaml': globex('  realms: [globex.example, Shared.Example, acme]'),
  'tenants/initech.yaml': yaml('id: initech', 'name: Initech', 'baseDN: dc=initech,dc=example', 'radius:', '  realms: [shared.example]'),
}, [
  'tenants/globex.yaml:5:44: realm `acme` is the id of the tenant at tenants/acme.yaml:2:5; a realm must lead to one tenant: remove it from one of them',
  'tenants/initech.yaml:5:12: realm `shared.example` is already a realm of the tenant at tenants/globex.yaml:5:28; a realm must lead to one tenant: remove it from one of them',
]);

test('a reply attribute tenantdir sets itself (User-Name) is refused; Class may repeat', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': globex('  replyAttributes:', '    - { attribute: User-Name, value: x }', '    - { attribute: Class, value: staff }') });
  await oneProblem(t, dir, 'tenants/globex.yaml:6:20', /User-Name is set by tenantdir in every Access-Accept/);
});

test('a realm must look like a domain', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': globex('  realms: ["acme example"]') });
  const shownProblems = await problems(t, dir);
  t.true(shownProblems.some((p) => p.startsWith('tenants/globex.yaml:5:12:')), shownProblems.join('\n'));
});

test('tenant-admin and helpdesk need tenants; msp-admin must not have them', reports, {
  'tenantdir.yaml': yaml(
    'admins:',
    '  - { name: ops, token: test-ops-token-0123456789abcdef, role: msp-admin, tenants: [acme] }',
    '  - { name: it, token: test-acme-token-0123456789abcdef, role: tenant-admin }',
  ),
}, [
  'tenantdir.yaml:2:75: an msp-admin acts on every tenant: remove `tenants`, or make the role tenant-admin',
  'tenantdir.yaml:3:5: a tenant-admin needs `tenants: [ids]`: the tenants it may act on',
]);

test('seed data for a tenant that does not exist is refused at its key', async (t) => {
  const dir = await configDir(t, { 'seed.yaml': yaml('tenants:', '  initech:', '    users: []') });
  await oneProblem(t, dir, 'seed.yaml:2:3', /seed data for tenant `initech`, which is not configured; add tenants\/initech\.yaml or remove it here/);
});

test('seed users and groups must be consistent within their tenant', reports, {
  'seed.yaml': yaml(
    'tenants:',
    '  acme:',
    '    groups: [{ name: staff }, { name: a, members: [b] }, { name: b, members: [a] }]',
    '    users:',
    '      - { uid: alice, password: Correct-Horse-9, passwordHash: "$2b$x", cn: A, sn: S, groups: [stafff] }',
    '      - { uid: Alice, cn: A, sn: S }',
  ),
}, [
  'seed.yaml:3:5: nested groups form a cycle (a -> b -> a); remove one of these memberships',
  'seed.yaml:5:50: give either password or passwordHash, not both',
  'seed.yaml:5:96: group `stafff` is not defined in this tenant\'s groups; did you mean `staff`?; add it under groups',
  'seed.yaml:6:16: uid `Alice` is already used at seed.yaml:5:16; make it unique',
]);

test('a VLAN group that is not a valid name is refused', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': globex('  clients: []', '  vlans:', '    - { group: "Domain Users", vlan: 30 }') });
  await oneProblem(t, dir, 'tenants/globex.yaml:7:16', /"Domain Users" is not valid here: a name is 1-64 letters, digits, \., _ or -/);
});

test('a missing secret environment variable is a problem at its node', async (t) => {
  const dir = await configDir(t, { 'tenants/globex.yaml': globex('  clients:', '    - { name: hq, address: 192.168.1.0/24, secret: "${TD_TEST_UNSET_VAR}" }') });
  delete process.env.TD_TEST_UNSET_VAR;
  await oneProblem(t, dir, 'tenants/globex.yaml:6:52', /environment variable TD_TEST_UNSET_VAR is not set; set it for tenantdir, or use \{ file: path \}/);
});

test('a missing tenantdir.yaml is a problem that says what to do', async (t) => {
  const dir = await configDir(t, { 'tenantdir.yaml': null });
  await oneProblem(t, dir, 'tenantdir.yaml:1:1', /tenantdir\.yaml not found; create it/);
});

test('no tenants/ directory means zero tenants, with a warning', async (t) => {
  const dir = await configDir(t, { 'tenantdir.yaml': PLAIN_SERVER, 'tenants': null, 'seed.yaml': null });
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  t.deepEqual(r.registry.tenants, []);
  t.deepEqual(r.warnings.map((w) => shown(dir, w)), [
    'tenants:1:1: no tenants/ directory: zero tenants are configured; add one file per tenant in tenants/',
  ]);
  t.deepEqual((await checkConfig(dir)).warnings.map((w) => w.replaceAll(`${dir}/`, '')), [
    'tenants:1:1: warning: no tenants/ directory: zero tenants are configured; add one file per tenant in tenants/',
  ]);
});

test('files in tenants/ that are not .yaml or .yml are ignored', async (t) => {
  const dir = await configDir(t, { 'tenants/notes.txt': 'id: [', 'tenants/acme.yaml.bak': 'id: [', 'tenants/globex.yaml': null, 'tenants/globex.yml': globex('  clients: []') });
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  t.deepEqual(r.registry.tenants.map((x) => x.id), ['acme', 'globex']);
});

test('every problem in every file is reported at once, in file order', async (t) => {
  const dir = await configDir(t, {}, 'broken');
  const r = await checkConfig(dir);
  t.false(r.ok);
  t.deepEqual(r.problems.map((p) => p.replaceAll(`${dir}/`, '')), [
    'tenantdir.yaml:4:17: must be from 0 to 65535, got 99999',
    'tenantdir.yaml:5:1: unknown key `stroage`; did you mean `storage`?',
    'tenantdir.yaml:8:42: this admin token is 9 characters long; use at least 24 (e.g. `openssl rand -base64 32`)',
    'tenants/acme.yaml:4:9: bad DN "dc=acme,,dc=example": bad attribute type ",dc"; write it like dc=acme,dc=example',
    'tenants/acme.yaml:7:56: this RADIUS secret is 6 characters long; use at least 16 (e.g. `openssl rand -base64 24`)',
    'tenants/acme.yaml:9:9: "mandatory" is not allowed here: use one of off, optional, required',
    'tenants/globex.yaml:2:5: tenant id `acme` is already used by tenants/acme.yaml:2:5; give each tenant its own id',
    'tenants/globex.yaml:7:28: NAS address 10.0.0.0/8 overlaps 10.9.0.0/16 of tenant `acme` (tenants/acme.yaml:7:35); '
      + 'a source address must lead to one tenant: narrow or remove one of them',
    // The YAML parser places an unterminated quote where it noticed it: at the end of the file.
    'tenants/initech.yaml:5:1: YAML syntax error: Missing closing "quote; check the indentation and quoting here',
  ]);
});

test('secrets come from the environment and from files, trimmed', async (t) => {
  process.env.TD_TEST_OPS_TOKEN = 'ops-token-from-the-environment-0001';
  process.env.TD_TEST_PART = 'middle';
  const dir = await configDir(t, {
    'tenantdir.yaml': yaml(
      'admins:',
      '  - { name: ops, token: "${TD_TEST_OPS_TOKEN}", role: msp-admin }',
      '  - { name: it, token: { file: secrets/it.token }, role: tenant-admin, tenants: [acme] }',
    ),
    'secrets/it.token': '  it-token-from-a-file-0123456789\n\n',
    'tenants/globex.yaml': globex('  clients:', '    - { name: hq, address: 192.168.1.0/24, secret: "pre-${TD_TEST_PART}-post-0123" }'),
  });
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  t.deepEqual(r.registry.server.admins.map((a) => a.token), ['ops-token-from-the-environment-0001', 'it-token-from-a-file-0123456789']);
  t.is(r.registry.byId('globex')?.radius.clients[0]?.secret, 'pre-middle-post-0123');
});

test('an unreadable or empty secret file is a problem at its node', reports, {
  'tenantdir.yaml': yaml(
    'admins:',
    '  - { name: ops, token: { file: secrets/empty.token }, role: msp-admin }',
    'storage:',
    '  uri: { file: /dev/null/not-there }',
  ),
  'secrets/empty.token': ' \n',
}, [
  'tenantdir.yaml:2:33: secret file "secrets/empty.token" is empty; put the secret in it',
  'tenantdir.yaml:4:16: secret file "/dev/null/not-there" unreadable (ENOTDIR: not a directory, open \'/dev/null/not-there\'); create it or correct the path',
]);

test('relative paths become absolute, relative to the config directory', async (t) => {
  const dir = await configDir(t, {
    'tenantdir.yaml': yaml('tls: { cert: certs/a.crt, key: /dev/null }', 'storage: { seed: seed.yaml }'),
    'certs/a.crt': 'not really a certificate',
  });
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  t.is(r.registry.server.tls?.cert, `${dir}/certs/a.crt`);
  t.is(r.registry.server.tls?.key, '/dev/null');
  t.is(r.registry.server.storage.seed, `${dir}/seed.yaml`);
  t.is(r.registry.dir, dir);
});

test('loadSeed refuses a seed file that changed into something invalid', async (t) => {
  const dir = await configDir(t);
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  t.truthy(await loadSeed(r.registry));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(`${dir}/seed.yaml`, yaml('tenants:', '  initech: {}'));
  const err = await t.throwsAsync(loadSeed(r.registry));
  t.regex(err?.message ?? '', /seed\.yaml:2:3: seed data for tenant `initech`, which is not configured/);
  t.is((err as { code?: string } | undefined)?.code, 'TD_CONFIG_INVALID');
});

test('loadSeed is undefined without storage.seed', async (t) => {
  const dir = await configDir(t, { 'tenantdir.yaml': PLAIN_SERVER });
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  t.is(await loadSeed(r.registry), undefined);
});
