// The benchmark's data set, one definition for every server: N tenants (dc=t<k>,dc=bench) of
// 1,000 users each, 20 groups of 100 members (every user in two), and a service account `bench`
// with an {SSHA} password (cheap to verify, as slapd's is).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImportBatch } from '../../src/directory/index.ts';

export const BENCH = {
  users: 1000,
  groups: 20,
  password: 'bench-secret-1',
  bindDn: 'cn=bench,ou=services,dc=t{k},dc=bench',
  base: 'dc=t{k},dc=bench',
};

const SALT = Buffer.from('benchsalt');
export const SSHA = `{SSHA}${Buffer.concat([createHash('sha1').update(BENCH.password).update(SALT).digest(), SALT]).toString('base64')}`;

export const pad = (n: number): string => String(n).padStart(4, '0');
export const baseOf = (k: number): string => BENCH.base.replace('{k}', String(k));
/** The two groups of user i. */
export const groupsOf = (i: number): string[] => [`g${i % BENCH.groups}`, `g${(i + 7) % BENCH.groups}`];

/** A tenantdir config directory for `tenants` tenants (memory store unless `storeUri`). */
export async function benchConfig(tenants: number, storeUri?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-bench-'));
  await mkdir(join(dir, 'tenants'));
  await writeFile(join(dir, 'tenantdir.yaml'), [
    'listen:', '  ldap: { port: 0, host: 127.0.0.1 }', '  radius: { auth: 0, acct: 0, host: 127.0.0.1 }', '  http: { port: 0 }',
    ...(storeUri ? ['storage:', `  uri: "${storeUri}"`] : []), 'log: { level: warn }', '',
  ].join('\n'));
  for (let k = 0; k < tenants; k++) {
    await writeFile(join(dir, 'tenants', `t${k}.yaml`), [
      `id: t${k}`, `name: Tenant ${k}`, `baseDN: ${baseOf(k)}`,
      'ldap:', '  serviceAccounts:', `    - { name: bench, passwordHash: "${SSHA}", access: read }`, '',
    ].join('\n'));
  }
  return dir;
}

/** One tenant's users and groups, for the directory's bulk import. */
export function benchUsers(): ImportBatch {
  return {
    groups: Array.from({ length: BENCH.groups }, (_, g) => ({ name: `g${g}` })),
    users: Array.from({ length: BENCH.users }, (_, i) => ({
      uid: `u${pad(i)}`, cn: `User ${i}`, sn: `${i}`, mail: `u${pad(i)}@t.example`, groups: groupsOf(i),
    })),
  };
}
