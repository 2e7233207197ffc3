// POST /import: idempotent batches, bad rows reported by line while the rest import.
import anyTest, { type TestFn } from 'ava';
import { auditOf, TOKENS, withAdmin, type Api } from './helpers.ts';

const test = anyTest as TestFn<{ api: Api }>;
const G = '/api/v1/tenants/globex';

withAdmin(test);

const batch = {
  users: [
    { uid: 'imp1', cn: 'Imported One', password: 'Imported-Pass-01', groups: ['imported'], line: 2 },
    { uid: 'imp2', cn: 'Imported Two', passwordHash: '{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g/pkvW', line: 3 },
    { uid: 'bad uid', line: 4 },
    { uid: 'imp3', mail: 'not-an-address', line: 5 },
  ],
  groups: [{ name: 'imported', description: 'From the import', members: ['imp2'], line: 7 }],
};

test('an import reports bad rows by line, imports the rest, and a re-import changes nothing', async (t) => {
  const { api } = t.context;
  const first = await api.call(TOKENS.globexAdmin, 'POST', `${G}/import`, batch);
  t.is(first.status, 200);
  t.is(first.body.created, 3); // imp1, imp2, group imported
  t.is(first.body.failed, 2);
  t.deepEqual(first.body.errors.map((e: { line: number; name: string }) => [e.line, e.name]), [[4, 'bad uid'], [5, 'imp3']]);
  const members = await api.call(TOKENS.globexAdmin, 'GET', `${G}/groups/imported/members`);
  t.deepEqual(members.body.items.map((u: { uid: string }) => u.uid).sort(), ['imp1', 'imp2']);
  const before = (await api.call(TOKENS.globexAdmin, 'GET', `${G}/users/imp1`)).body;

  const again = await api.call(TOKENS.globexAdmin, 'POST', `${G}/import`, batch);
  t.is(again.body.created, 0);
  t.is(again.body.updated, 0);
  t.is(again.body.unchanged, 3);
  t.is(again.body.failed, 2);
  const after = (await api.call(TOKENS.globexAdmin, 'GET', `${G}/users/imp1`)).body;
  t.is(after.modifiedAt, before.modifiedAt);
  t.is(after.passwordChangedAt, before.passwordChangedAt);

  const changed = await api.call(TOKENS.globexAdmin, 'POST', `${G}/import`, { users: [{ uid: 'imp1', cn: 'Imported Once', line: 2 }] });
  t.is(changed.body.updated, 1);

  // One event per user (and group) created or changed, naming it; a re-import that changes nothing adds none.
  const events = (await auditOf(api, 'globex')).filter((e) => e.actor === 'globex-it' && e.detail?.via === 'import');
  t.deepEqual(events.map((e) => `${e.action} ${e.target}`).reverse(), [
    'group.create imported', 'user.create imp1', 'user.create imp2', 'user.update imp1',
  ]);
  t.true(events.every((e) => e.outcome === 'ok' && e.protocol === 'admin'));
});

test('a batch over the row limit or with unknown fields is refused whole', async (t) => {
  const { api } = t.context;
  const big = { users: Array.from({ length: 1500 }, (_, i) => ({ uid: `u${i}` })), groups: Array.from({ length: 600 }, (_, i) => ({ name: `g${i}` })) };
  const r = await api.call(TOKENS.ops, 'POST', `${G}/import`, big);
  t.is(r.status, 400);
  t.regex(r.body.error.message, /at most 2000 rows/);
  const extra = await api.call(TOKENS.ops, 'POST', `${G}/import`, { users: [{ uid: 'x', shoeSize: 44 }] });
  t.is(extra.status, 400);
  t.regex(extra.body.error.message, /shoeSize/);
  t.is((await api.call(TOKENS.ops, 'GET', `${G}/users/x`)).status, 404);
});

test('a full batch of 2000 rows imports in one request', async (t) => {
  const { api } = t.context;
  const users = Array.from({ length: 2000 }, (_, i) => ({ uid: `bulk${String(i).padStart(4, '0')}`, line: i + 2 }));
  const r = await api.call(TOKENS.ops, 'POST', '/api/v1/tenants/acme/import', { users });
  t.is(r.status, 200);
  t.is(r.body.created, 2000);
  t.is(r.body.failed, 0);
});

test('a row naming a DN outside the tenant\'s subtree is refused by line, whatever its case and spaces; the rest imports', async (t) => {
  const { api } = t.context;
  // ops, not globex-it: the first test counts globex-it's audit events.
  const r = await api.call(TOKENS.ops, 'POST', `${G}/import`, {
    users: [
      { uid: 'dn-own', dn: 'uid=dn-own,ou=people,dc=globex,dc=example', line: 1 },
      { uid: 'dn-odd', dn: 'UID=dn-odd , OU=People,DC=GLOBEX,  dc=Example', line: 6 },
      { uid: 'dn-acme', dn: 'uid=dn-acme,ou=people,DC=Acme, dc=example', line: 11 },
      { uid: 'dn-look-alike', dn: 'uid=dn-look-alike,ou=people,dc=notglobex,dc=example', line: 16 },
      { uid: 'dn-bad', dn: 'not a dn', line: 21 },
      { uid: 'dn-none', line: 26 },
    ],
    groups: [{ name: 'dn-acme-group', dn: 'cn=dn-acme-group,ou=groups,dc=acme,dc=example', members: ['dn-own'], line: 31 }],
  });
  t.is(r.status, 200);
  t.is(r.body.created, 3);
  t.is(r.body.failed, 4);
  t.deepEqual(r.body.errors.map((e: { line: number; name: string }) => [e.line, e.name]), [[11, 'dn-acme'], [16, 'dn-look-alike'], [21, 'dn-bad'], [31, 'dn-acme-group']]);
  t.is(r.body.errors[0].message, 'dn uid=dn-acme,ou=people,DC=Acme, dc=example is not under globex\'s base dc=globex,dc=example; not imported');
  t.is(r.body.errors[2].message, 'dn "not a dn" is not a valid DN; not imported');
  for (const [tenant, what, status] of [
    ['globex', 'users/dn-own', 200], ['globex', 'users/dn-odd', 200], ['globex', 'users/dn-none', 200],
    ['globex', 'users/dn-acme', 404], ['acme', 'users/dn-acme', 404], ['globex', 'users/dn-bad', 404], ['globex', 'groups/dn-acme-group', 404],
  ] as const) {
    t.is((await api.call(TOKENS.ops, 'GET', `/api/v1/tenants/${tenant}/${what}`)).status, status, `${tenant} ${what}`);
  }
});
