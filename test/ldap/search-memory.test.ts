// What a search holds while it waits for its next turn: only its cursor. A client that pipelines
// searches and never reads keeps every one of them waiting, so anything more adds up per search.
import test from 'ava';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { User } from '../../src/directory/index.ts';
import { DEFAULT_LIMITS } from '../../src/ldap/index.ts';
import { locate } from '../../src/ldap/entries.ts';
import { search } from '../../src/ldap/search.ts';
import { makeWorld } from '../helpers/world.ts';
import { FIXTURES } from './helpers.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const SEARCHES = 200;

test('searches waiting for their next turn hold none of the batch they sent', async (t) => {
  const world = await makeWorld({ configDir: FIXTURES });
  t.teardown(() => world.close());
  const tenant = world.registry.byId('acme');
  if (!tenant) return t.fail('the fixture has no acme tenant');
  const dir = world.directory.tenant(tenant);
  const base = locate(tenant, 'ou=people,dc=acme,dc=example');
  if (base.kind === 'none') return t.fail('ou=people is not in acme');
  // A tenant with more users than a batch: the first page is a full batch and says there is more.
  const [alice] = (await dir.findUsers({ all: true }, { limit: 1 })).items;
  if (!alice) return t.fail('acme has no users');
  dir.findUsers = async (_q, p) => p.after !== undefined ? { items: [] } : {
    items: Array.from({ length: 100 }, (_, n) => ({ ...alice, uid: `user${n}`, cn: `User ${n} ${'x'.repeat(200)}` } as User)),
    next: 'user99',
  };

  let secondTurns = 0;
  let grant!: () => void;
  const granted = new Promise<void>((resolve) => (grant = resolve));
  const run = (): Promise<unknown> => {
    let turns = 0;
    return search({
      tenant, dir, limits: DEFAULT_LIMITS, base, scope: 'one', filter: { kind: 'present', attr: 'objectClass' },
      attributes: [], sizeLimit: 0, deadline: Date.now() + 120_000,
    }, {
      signal: new AbortController().signal,
      entry: () => undefined,
      // The first turn at once; the second only when the test grants it, like a client that is not reading.
      turn: async () => {
        if (++turns === 2) { secondTurns++; await granted; }
        return () => undefined;
      },
    });
  };

  gc();
  const before = v8.getHeapStatistics().used_heap_size;
  const searches = Array.from({ length: SEARCHES }, run);
  for (let i = 0; i < 10_000 && secondTurns < SEARCHES; i++) await new Promise((r) => setImmediate(r));
  t.is(secondTurns, SEARCHES, 'every search sent its first batch and waits for its second turn');
  gc();
  const held = v8.getHeapStatistics().used_heap_size - before;
  // 200 searches × 100 entries of ~1 KB would be ~20 MB; a cursor and a few promises each, far less.
  t.true(held < 6 * 1024 * 1024, `the waiting searches hold ${(held / 1048576).toFixed(1)} MiB`);
  t.log(`${SEARCHES} waiting searches hold ${(held / 1048576).toFixed(1)} MiB`);

  grant();
  await Promise.all(searches);
});
