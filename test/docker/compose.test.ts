// Docker does not run on the project's machines, so this keeps docker/ honest instead: the
// compose file's mounts, environment and ports must match the config it mounts and the schema,
// and the image's HEALTHCHECK must work against the admin API that config describes.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon } from '../../src/daemon/index.ts';
import { certsOnce, configCopy } from '../daemon/helpers.ts';

const DOCKER = fileURLToPath(new URL('../../docker/', import.meta.url));
const compose = parse(readFileSync(join(DOCKER, 'compose.yaml'), 'utf8')) as {
  services: Record<string, { environment?: Record<string, string>; volumes?: string[]; ports?: string[]; command?: string[] }>;
  volumes?: Record<string, unknown>;
};
const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');
const service = compose.services.tenantdir!;
const configFiles = ['tenantdir.yaml', ...readdirSync(join(DOCKER, 'config/tenants')).map((f) => `tenants/${f}`)];
const configText = configFiles.map((f) => readFileSync(join(DOCKER, 'config', f), 'utf8')).join('\n');

test('the mounted config directory is the one the image serves, read-only', (t) => {
  const mount = service.volumes?.find((v) => v.includes(':/etc/tenantdir'));
  t.is(mount, './config:/etc/tenantdir:ro');
  t.regex(dockerfile, /CMD \["serve", "--config", "\/etc\/tenantdir"\]/);
  t.regex(dockerfile, /VOLUME \["\/etc\/tenantdir", "\/var\/lib\/tenantdir"\]/);
});

test('generated material goes to a writable data volume, not the config mount', (t) => {
  t.regex(dockerfile, /^ENV TENANTDIR_DATA=\/var\/lib\/tenantdir$/m);
  t.regex(dockerfile, /chown node:node \/var\/lib\/tenantdir/, 'the non-root user can write it');
  t.true((service.volumes ?? []).includes('tenantdir-data:/var/lib/tenantdir'));
  t.true('tenantdir-data' in (compose.volumes ?? {}));
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
    // Every published port is a configured listener, and every listener is published.
    const { ldap, ldaps, radius, http } = server.listen;
    const listeners = [`${ldap.port}`, ...(ldaps ? [`${ldaps.port}`] : []), `${radius.auth}/udp`, `${radius.acct}/udp`, `${http.port}`];
    t.deepEqual([...(service.ports ?? [])].sort(), listeners.map((p) => `${p.split('/')[0]}:${p}`).sort());
    t.is(server.listen.http.host, '0.0.0.0', 'the admin API must be reachable from outside the container');
    t.true(server.listen.http.tls, 'reachable from outside, so over HTTPS');
    t.true(dockerfile.includes(`https://127.0.0.1:${server.listen.http.port}/readyz`), 'HEALTHCHECK probes the configured admin port');
  } finally {
    for (const name of env) delete process.env[name];
  }
});

const certs = certsOnce();

test('the image\'s HEALTHCHECK command passes against an HTTPS admin API and fails once it is gone', async (t) => {
  const probe = JSON.parse(/^ {2}CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
  t.is(probe[0], 'node');
  const dir = await configCopy(await certs());
  const yaml = await readFile(join(dir, 'tenantdir.yaml'), 'utf8');
  await writeFile(join(dir, 'tenantdir.yaml'), yaml.replace(/^ {2}http: .*$/m, '  http: { port: 0, host: 127.0.0.1, tls: true }'));
  const d = await startDaemon({ configDir: dir, logger: silentLogger() });
  const run = () => promisify(execFile)(process.execPath, probe.slice(1).map((a) => a.replace(':9090/', `:${d.ports.http}/`)), { timeout: 5_000 });
  try {
    await t.notThrowsAsync(run());
  } finally {
    await d.close();
  }
  const gone = await t.throwsAsync(run());
  t.is((gone as { code?: number }).code, 1);
  await rm(dir, { recursive: true, force: true });
});
