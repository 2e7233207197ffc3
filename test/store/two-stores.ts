// Two stores (two tenantdir processes) on one database: concurrent read-modify-writes and
// counters lose nothing. Shared by the Mongo suites of every engine that promises it.
import type { ExecutionContext } from 'ava';
import { silentLogger } from '../../src/core/log.ts';
import { openStore, type NewUser } from '../../src/store/index.ts';

/** A user record for tests that need one. */
export const ALICE: NewUser = {
  uid: 'alice', entryUUID: '0b6c1bd4-8a4e-4cf5-9a3e-1b2f0c9d7e61', cn: 'Alice', sn: 'A',
  uidNumber: 10_001, gidNumber: 100, homeDirectory: '/home/alice', loginShell: '/bin/sh',
  sshPublicKeys: [], enabled: true, createdAt: new Date(0), modifiedAt: new Date(0), memberOf: [],
};

export async function twoStoresLoseNothing(t: ExecutionContext, uri: string): Promise<void> {
  const logger = silentLogger();
  const [one, two] = await Promise.all([openStore({ uri, logger }), openStore({ uri, logger })]);
  t.teardown(() => Promise.all([one.close(), two.close()]));
  await one.tenant('acme').users.create(ALICE);
  const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
  await Promise.all(keys.map((k, i) => (i % 2 ? one : two).tenant('acme').users
    .update('alice', (u) => ({ ...u, sshPublicKeys: [...u.sshPublicKeys, k] }))));
  const policy = { now: new Date(), windowMs: 60_000, threshold: 100, lockMs: 1 };
  await Promise.all(keys.map((_, i) => (i % 2 ? two : one).tenant('acme').lockouts.registerFailure('alice', policy)));
  t.deepEqual((await one.tenant('acme').users.get('alice'))?.sshPublicKeys.sort(), keys.sort());
  t.is((await two.tenant('acme').lockouts.get('alice'))?.failures, 20);
}
