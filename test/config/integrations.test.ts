// integrations.webhooks and integrations.syslog, per tenant and MSP-wide: what loads, and each
// mistake reported at its file:line:col with what to do.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { configDir, FIXTURES, problemsWith, shown, yaml } from './helpers.ts';

const SECRET = 'webhook-secret-0123456789abcdef-0123';
const acmeBase = (await readFile(join(FIXTURES, 'base/tenants/acme.yaml'), 'utf8')).trimEnd();
const serverBase = (await readFile(join(FIXTURES, 'base/tenantdir.yaml'), 'utf8')).trimEnd();

/** fixtures/base acme.yaml with these lines appended. */
const acme = (...lines: string[]) => ({ 'tenants/acme.yaml': yaml(acmeBase, ...lines) });
const server = (...lines: string[]) => ({ 'tenantdir.yaml': yaml(serverBase, ...lines) });

test('webhooks and syslog load per tenant and MSP-wide, with defaults', async (t) => {
  const dir = await configDir(t, {
    ...acme(
      'integrations:',
      '  webhooks:',
      `    - { name: psa, url: "https://psa.example.com/hooks/acme?k=1", events: [radius.auth, "user.*"], secret: ${SECRET}, outcomes: [failed] }`,
      `    - { url: "http://127.0.0.1:8080/in", events: ["*"], secret: ${SECRET} }`,
      '  syslog:',
      '    - { host: siem.example.com, port: 6514, transport: tls }',
    ),
    ...server(
      'integrations:',
      '  webhooks:',
      `    - { url: "https://msp.example.com/all", events: ["*.auth"], secret: ${SECRET} }`,
      '  syslog: [ { host: 127.0.0.1, port: 514, transport: udp, format: json, events: ["mfa.*"] } ]',
      '  delivery: { firstRetryMs: 50, timeoutMs: 2000, leaseMs: 5000 }',
    ),
  });
  const r = await loadConfig(dir);
  if (!r.ok) return t.fail(r.problems.map((p) => shown(dir, p)).join('\n'));
  const a = r.registry.byId('acme')!.integrations;
  t.is(a.webhooks.length, 2);
  t.deepEqual(a.webhooks[0], {
    name: 'psa', url: 'https://psa.example.com/hooks/acme?k=1', events: ['radius.auth', 'user.*'], secret: SECRET, outcomes: ['failed'],
  });
  t.deepEqual(a.syslog, [{ host: 'siem.example.com', port: 6514, transport: 'tls', format: 'structured', events: ['*'] }]);
  t.deepEqual(r.registry.byId('globex')!.integrations, { webhooks: [], syslog: [] });
  const msp = r.registry.server.integrations;
  t.is(msp.webhooks[0]?.events[0], '*.auth');
  t.is(msp.syslog[0]?.format, 'json');
  t.deepEqual(msp.delivery, {
    timeoutMs: 2000, concurrency: 4, firstRetryMs: 50, maxRetryMs: 3_600_000, giveUpAfterMs: 86_400_000, leaseMs: 5000, pollMs: 5000,
  });
  t.is(msp.syslogQueue, 10_000);
});

test('each webhook mistake is reported where it is, saying what to do', async (t) => {
  const found = await problemsWith(t, acme(
    'integrations:',
    '  webhooks:',
    `    - { url: "http://psa.example.com/x", events: [radius.auth], secret: ${SECRET} }`,
    `    - { url: "https://user:pw@psa.example.com/x", events: [radius.auth], secret: ${SECRET} }`,
    `    - { url: "ftp://psa.example.com/x", events: [radius.auth], secret: ${SECRET} }`,
    '    - { url: "https://psa.example.com/y", events: [radius.auth], secret: too-short-secret }',
    `    - { url: "https://psa.example.com/z", events: ["Radius Auth"], secret: ${SECRET} }`,
    `    - { url: "https://psa.example.com/z", events: [], secret: ${SECRET}, outcomes: [lost] }`,
    `    - { url: "not a url", events: [radius.auth], secret: ${SECRET} }`,
  ));
  const file = 'tenants/acme.yaml';
  t.deepEqual(found.map((l) => l.split(': ')[0]), [
    `${file}:14:14`, `${file}:15:14`, `${file}:16:14`, `${file}:17:74`, `${file}:18:52`, `${file}:19:14`, `${file}:19:51`, `${file}:19:112`, `${file}:20:14`,
  ], found.join('\n'));
  t.regex(found[0]!, /http:\/\/ is allowed only to a loopback address.*use https:\/\//);
  t.regex(found[1]!, /user name or password in it: remove them/);
  t.false(found[1]!.includes('pw@'));
  t.regex(found[2]!, /ftp: URLs cannot receive webhooks/);
  t.regex(found[3]!, /this webhook secret is 16 characters long; use at least 32/);
  t.regex(found[4]!, /"Radius Auth" is not valid here: write an audit action such as radius\.auth/);
  t.regex(found[5]!, /this webhook url is already used at tenants\/acme\.yaml:18:14; make it unique/);
  t.regex(found[6]!, /list at least 1 item/);
  t.regex(found[7]!, /"lost" is not allowed here: use one of ok, failed, refused/);
  t.regex(found[8]!, /"not a url" is not a URL/);
});

test('MSP-wide: duplicate names, a bad syslog transport or host, and a lease shorter than the timeout', async (t) => {
  const found = await problemsWith(t, server(
    'integrations:',
    '  webhooks:',
    `    - { name: siem, url: "https://a.example.com/", events: ["*"], secret: ${SECRET} }`,
    `    - { name: SIEM, url: "https://b.example.com/", events: ["*"], secret: ${SECRET} }`,
    '  syslog:',
    '    - { host: "siem example", port: 514, transport: udp }',
    '    - { host: 127.0.0.1, port: 514, transport: relp }',
    '  delivery: { timeoutMs: 5000, leaseMs: 5000 }',
  ));
  const file = 'tenantdir.yaml';
  t.is(found.length, 4, found.join('\n'));
  t.regex(found[0]!, new RegExp(`^${file}:19:15: webhook name \`SIEM\` is already used at ${file}:18:15`));
  t.regex(found[1]!, new RegExp(`^${file}:21:15: "siem example" is not an IP address or host name`));
  t.regex(found[2]!, new RegExp(`^${file}:22:48: "relp" is not allowed here: use one of udp, tcp, tls`));
  t.regex(found[3]!, new RegExp(`^${file}:23:41: leaseMs \\(5000\\) must be more than timeoutMs \\(5000\\)`));
});
