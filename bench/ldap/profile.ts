// CPU profile of the LDAP front under one workload (memory store, one tenant of 1,000 users):
//   node --cpu-prof --cpu-prof-dir=/tmp/ldap-prof --import tsx bench/ldap/profile.ts uid
// then open the .cpuprofile in Chrome DevTools (or summarise it with bench/ldap/summarise.ts).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../src/core/log.ts';
import { LdapFront } from '../../src/ldap/index.ts';
import { makeWorld } from '../../test/helpers/world.ts';
import { BENCH, benchConfig, benchUsers } from './data.ts';
import type { LoadSpec } from './loadgen.ts';

const workload = (process.argv[2] ?? 'uid') as LoadSpec['workload'];
const world = await makeWorld({ configDir: await benchConfig(1), seed: false });
for (const t of world.registry.tenants) await world.directory.importBatch(t, benchUsers(), { name: 'bench', protocol: 'system' });
const front = new LdapFront({ live: world.live, directory: world.directory, logger: silentLogger() });
const { ldap } = await front.listen();
const spec: LoadSpec = { port: ldap, connections: 8, seconds: 5, workload, tenants: 1, users: BENCH.users, bindDn: BENCH.bindDn, password: BENCH.password, base: BENCH.base };
const cpu0 = process.cpuUsage();
const out = await new Promise<string>((resolve) => execFile(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./loadgen.ts', import.meta.url)), JSON.stringify(spec)], (_e, so, se) => resolve(so + se)));
const cpu = process.cpuUsage(cpu0);
const ops = (JSON.parse(out) as { ops: number }).ops;
process.stdout.write(`${out.trim()}\nserver CPU ${Math.round((cpu.user + cpu.system) / ops)} µs/op\n`);
await front.close();
await world.close();
