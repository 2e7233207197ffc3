// Docker does not run on the project's machines, so this keeps docker/ honest instead: the
// compose file's mounts, environment and ports must match the config it mounts and the schema.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.ts';

const DOCKER = fileURLToPath(new URL('../../docker/', import.meta.url));
const compose = parse(readFileSync(join(DOCKER, 'compose.yaml'), 'utf8')) as {
  services: Record<string, { environment?: Record<string, string>; volumes?: string[]; ports?: string[]; command?: string[] }>;
};
const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
const service = compose.services.tenantdir!;
const configFiles = ['tenantdir.yaml', ...readdirSync(join(DOCKER, 'config/tenants')).map((f) => `tenants/${f}`)];
const configText = configFiles.map((f) => readFileSync(join(DOCKER, 'config', f), 'utf8')).join('\n');

test('the mounted config directory is the one the image serves', (t) => {
  const mount = service.volumes?.find((v) => v.endsWith(':/etc/tenantdir'));
  t.is(mount, './config:/etc/tenantdir');
  t.regex(dockerfile, /CMD \["serve", "--config", "\/etc\/tenantdir"\]/);
  t.regex(dockerfile, /VOLUME \["\/etc\/tenantdir"\]/);
});

test('every ${VAR} the config uses is passed by compose, and compose passes nothing unused', (t) => {
  const used = new Set([...configText.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]));
  const passed = new Set(Object.keys(service.environment ?? {}));
  t.true(used.size > 0);
  t.deepEqual([...used].sort(), [...passed].sort());
});

test('the config validates against the schema with those variables set', async (t) => {
  const env = Object.keys(service.environment ?? {});
  for (const name of env) process.env[name] = `compose-test-value-${name.toLowerCase()}-0123456789`;
  try {
    const loaded = await loadConfig(join(DOCKER, 'config'));
    t.true(loaded.ok, loaded.ok ? '' : JSON.stringify(loaded.problems));
    if (!loaded.ok) return;
    const { server } = loaded.registry;
    // The store is the compose service, and the published ports are the ones configured.
    t.regex(server.storage.uri ?? '', /^mongodb:\/\/mongo:27017\//);
    t.truthy(compose.services.mongo);
    const published = new Set(service.ports ?? []);
    t.true(published.has(`${server.listen.ldap.port}:${server.listen.ldap.port}`));
    t.true(published.has(`${server.listen.radius.auth}:${server.listen.radius.auth}/udp`));
    t.true(published.has(`${server.listen.radius.acct}:${server.listen.radius.acct}/udp`));
    t.true(published.has(`${server.listen.http.port}:${server.listen.http.port}`));
    t.is(server.listen.http.host, '0.0.0.0', 'the admin API must be reachable from outside the container');
    t.true(dockerfile.includes(`http://127.0.0.1:${server.listen.http.port}/readyz`), 'HEALTHCHECK probes the configured admin port');
  } finally {
    for (const name of env) delete process.env[name];
  }
});
