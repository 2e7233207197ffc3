// The generated files are up to date, the schemas document every key, and every default
// satisfies its own schema. Run `npm run schema` after changing src/config/schema.ts.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import test from 'ava';
import { DEFAULTS } from '../../src/config/defaults.ts';
import { renderSchemaFiles } from '../../src/config/jsonschema.ts';
import { SeedFile, ServerFile, TenantFile } from '../../src/config/schema.ts';

const SCHEMAS = { ServerFile, TenantFile, SeedFile };

/** Every sub-schema with its path, e.g. `ServerFile.listen.ldap.port`. */
function* walk(s: TSchema, path: string): Generator<[string, TSchema]> {
  yield [path, s];
  for (const [k, sub] of Object.entries((s.properties ?? {}) as Record<string, TSchema>)) yield* walk(sub, `${path}.${k}`);
  for (const sub of Object.values((s.patternProperties ?? {}) as Record<string, TSchema>)) yield* walk(sub, `${path}.*`);
  if (s.items) yield* walk(s.items as TSchema, `${path}[]`);
}

test('the committed JSON Schema files and docs/configuration.md are up to date (npm run schema)', async (t) => {
  const files = renderSchemaFiles();
  t.deepEqual([...files.keys()].sort(), [
    'config/schema/seed.schema.json', 'config/schema/tenant.schema.json', 'config/schema/tenantdir.schema.json', 'docs/configuration.md',
  ]);
  for (const [file, content] of files) {
    t.is(await readFile(file, 'utf8'), content, `${file} is stale: run npm run schema`);
  }
});

test('the JSON Schemas are draft-07, closed, and keep descriptions and defaults', (t) => {
  const server = JSON.parse(renderSchemaFiles().get('config/schema/tenantdir.schema.json') ?? '{}') as TSchema;
  t.is(server.$schema, 'http://json-schema.org/draft-07/schema#');
  t.is(server.properties.listen.properties.ldap.properties.port.default, DEFAULTS.server.listen.ldap.port);
  t.is(server.properties.passwords.properties.bcryptCost.maximum, 15);
  for (const [path, s] of walk(server, 'tenantdir')) {
    if (s.type === 'object' && s.properties) t.is(s.additionalProperties, false, path);
  }
  t.false(JSON.stringify(server).includes('tenantdir.config.rule'));
});

test('every key has a description', (t) => {
  const missing: string[] = [];
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    for (const [path, s] of walk(schema, name)) {
      if (path !== name && typeof s.description !== 'string') missing.push(path);
    }
  }
  t.deepEqual(missing, []);
});

test('every default satisfies its own schema', (t) => {
  let checked = 0;
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    for (const [path, s] of walk(schema, name)) {
      if (s.default === undefined) continue;
      checked++;
      t.true(Value.Check(s, s.default), `${path}: ${JSON.stringify(s.default)}`);
    }
  }
  t.true(checked > 40, `only ${checked} defaults found`);
});

test('every example YAML file starts with a $schema line that points at its schema', async (t) => {
  const expected: Record<string, string> = {
    'tenantdir.yaml': 'config/schema/tenantdir.schema.json',
    'seed.yaml': 'config/schema/seed.schema.json',
    'tenants/acme.yaml': 'config/schema/tenant.schema.json',
    'tenants/globex.yaml': 'config/schema/tenant.schema.json',
  };
  const found = [
    ...(await readdir('config/example')).filter((f) => f.endsWith('.yaml')),
    ...(await readdir('config/example/tenants')).map((f) => `tenants/${f}`),
  ].sort();
  t.deepEqual(found, Object.keys(expected).sort());
  for (const [file, schema] of Object.entries(expected)) {
    const first = (await readFile(join('config/example', file), 'utf8')).split('\n')[0] ?? '';
    const m = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    t.truthy(m, `${file}: ${first}`);
    t.is(resolve(dirname(join('config/example', file)), m?.[1] ?? ''), resolve(schema), file);
  }
});
