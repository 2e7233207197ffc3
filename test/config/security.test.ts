// The tenant's security thresholds: defaults, every key, and mistakes at their file:line:col.
import test from 'ava';
import { DEFAULTS, loadConfig } from '../../src/config/index.ts';
import { configDir, oneProblem, yaml } from './helpers.ts';

const globex = (...lines: string[]) => ({ 'tenants/globex.yaml': yaml('id: globex', 'name: Globex', 'baseDN: dc=globex,dc=example', ...lines) });

test('security: absent, every threshold has its default', async (t) => {
  const loaded = await loadConfig(await configDir(t, globex()));
  if (!loaded.ok) return t.fail(loaded.problems.map((p) => p.message).join('\n'));
  t.deepEqual(loaded.registry.byId('globex')?.security, DEFAULTS.tenant.security);
  t.deepEqual(loaded.registry.byId('globex')?.security, {
    userFailures: { enabled: true, count: 10, sources: 3, minutes: 15 },
    spraying: { enabled: true, users: 10, minutes: 15 },
    newNas: true,
  });
});

test('security: given keys are kept, the others take their defaults', async (t) => {
  const loaded = await loadConfig(await configDir(t, globex(
    'security:',
    '  userFailures: { count: 4, sources: 2 }',
    '  spraying: { enabled: false }',
    '  newNas: false',
  )));
  if (!loaded.ok) return t.fail(loaded.problems.map((p) => p.message).join('\n'));
  t.deepEqual(loaded.registry.byId('globex')?.security, {
    userFailures: { enabled: true, count: 4, sources: 2, minutes: 15 },
    spraying: { enabled: false, users: 10, minutes: 15 },
    newNas: false,
  });
});

test('security: a window out of range, a typo and more sources than failures are refused where written', async (t) => {
  await oneProblem(t, await configDir(t, globex('security:', '  spraying: { users: 5, minutes: 0 }')),
    'tenants/globex.yaml:5:34', /must be from 1 to 1440, got 0/);
  await oneProblem(t, await configDir(t, globex('security:', '  newNAS: true')),
    'tenants/globex.yaml:5:3', /unknown key `newNAS`; did you mean `newNas`\?/);
  await oneProblem(t, await configDir(t, globex('security:', '  userFailures: { count: 3, sources: 5 }')),
    'tenants/globex.yaml:5:38', /sources \(5\) is more than its count \(3\).*lower sources or raise count/);
});
