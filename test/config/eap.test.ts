// The eap sections: defaults when absent, tenant PEM paths resolved against the config directory
// and reported at file:line:col when missing, and the key rules (cert with key, methods once).
import { join } from 'node:path';
import test from 'ava';
import { loadConfig } from '../../src/config/index.ts';
import { configDir, oneProblem, problems, shown, writeFiles, yaml } from './helpers.ts';

const acme = (...eap: string[]) => yaml(
  'id: acme',
  'name: Acme Corp',
  'baseDN: dc=acme,dc=example',
  'eap:',
  ...eap,
);

test('without eap sections every EAP default applies', async (t) => {
  const dir = await configDir(t);
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  t.deepEqual(r.registry.server.eap, {
    fragmentSize: 1024, maxMessage: 65_536, idleTimeoutSeconds: 60, maxConversations: 10_000, maxConversationsPerNas: 2_000,
  });
  t.deepEqual(r.registry.byId('acme')?.eap, { methods: ['peap', 'ttls', 'tls'], tls: { identityFrom: 'cn', maxVersion: '1.3' } });
});

test('tenant EAP files are resolved against the config directory; the rest keeps its defaults', async (t) => {
  const dir = await configDir(t, {
    'pki/acme-ca.crt': 'PEM',
    'pki/acme.crl': 'PEM',
    'tenants/acme.yaml': acme('  methods: [tls, ttls]', '  tls: { clientCa: pki/acme-ca.crt, crl: pki/acme.crl, identityFrom: san-upn }'),
    'tenantdir.yaml': yaml('listen:', '  ldap: { port: 0 }', 'eap:', '  fragmentSize: 1400'),
  });
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  t.deepEqual(r.registry.byId('acme')?.eap, {
    methods: ['tls', 'ttls'],
    tls: { clientCa: join(dir, 'pki/acme-ca.crt'), crl: join(dir, 'pki/acme.crl'), identityFrom: 'san-upn', maxVersion: '1.3' },
  });
  t.is(r.registry.server.eap.fragmentSize, 1400);
  t.is(r.registry.server.eap.maxConversationsPerNas, 2_000);
});

test('a missing clientCa file is reported at its node', async (t) => {
  const dir = await configDir(t, { 'tenants/acme.yaml': acme('  tls:', '    clientCa: pki/missing-ca.crt') });
  await oneProblem(t, dir, 'tenants/acme.yaml:6:15', /file "pki\/missing-ca\.crt" not found \(looked for .*pki\/missing-ca\.crt;/, /create it or correct the path/);
});

test('a tenant certificate needs its key; methods are listed once; versions and sources are closed lists', async (t) => {
  const dir = await configDir(t);
  await writeFiles(dir, {
    'tenant.crt': 'PEM',
    'tenants/acme.yaml': acme('  methods: [peap, peap]', '  tls: { cert: tenant.crt, maxVersion: "1.1", identityFrom: dn }'),
    'tenantdir.yaml': yaml('listen:', '  ldap: { port: 0 }', 'eap:', '  fragmentSize: 9000'),
  });
  t.deepEqual(await problems(t, dir), [
    'tenantdir.yaml:4:17: must be from 64 to 3000, got 9000',
    'tenants/acme.yaml:5:12: list each item once',
    'tenants/acme.yaml:6:16: eap.tls.cert needs eap.tls.key too: give both, or neither to use tls of tenantdir.yaml',
    'tenants/acme.yaml:6:40: "1.1" is not allowed here: use one of 1.2, 1.3; did you mean `1.2`?',
    'tenants/acme.yaml:6:61: "dn" is not allowed here: use one of cn, san-email, san-upn; did you mean `cn`?',
  ]);
});
