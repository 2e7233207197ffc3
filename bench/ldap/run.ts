// LDAP benchmark: binds (service account), (uid=x) and (member=dn) searches at 8 and 32
// connections, 10 tenants x 1,000 users, against tenantdir on the memory store and on MongoDB
// (FerretDB unless MONGODB_URI is set), and OpenLDAP slapd (mdb) loaded with the same data, in
// one run, with our load generator (loadgen.ts) in a child process.
//
//   npx tsx bench/ldap/run.ts [--seconds 5] [--only memory,mongo,slapd] [--tenants 10]
//
// Needs slapd (.ci/ldap-deps.sh). Prints a table and the ratio of each result to slapd's.
import { spawn, execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { silentLogger } from '../../src/core/log.ts';
import { LdapFront } from '../../src/ldap/index.ts';
import { startMongo, type TestMongo } from '../../test/helpers/mongo-server.ts';
import { makeWorld } from '../../test/helpers/world.ts';
import { BENCH, SSHA, baseOf, benchConfig, benchUsers, groupsOf, pad } from './data.ts';
import type { LoadResult, LoadSpec } from './loadgen.ts';

const WORKLOADS: LoadSpec['workload'][] = ['bind', 'uid', 'member'];
const CONNECTIONS = [8, 32];

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    only: { type: 'string', default: 'memory,mongo,slapd' },
    tenants: { type: 'string', default: '10' },
  },
});
const seconds = Number(args.seconds);
const TENANTS = Number(args.tenants);
const only = new Set(String(args.only).split(','));


function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function loadgen(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL('./loadgen.ts', import.meta.url));
    execFile(process.execPath, ['--import', 'tsx', script, JSON.stringify(spec)], { timeout: (spec.seconds + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`loadgen: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as LoadResult);
    });
  });
}

type Row = LoadResult & { server: string; cpuUsPerOp: number };

/** CPU time (µs) the server has used so far: how much work an operation costs, whatever else the machine runs. */
type CpuClock = () => number;

const ownCpu: CpuClock = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** utime + stime of another process, from /proc (clock ticks of 10 ms on Linux). */
const processCpu = (pid: number): CpuClock => () => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};

async function measure(label: string, port: number, cpu: CpuClock): Promise<Row[]> {
  const out: Row[] = [];
  for (const workload of WORKLOADS) {
    for (const connections of CONNECTIONS) {
      const before = cpu();
      const r = await loadgen({ port, connections, seconds, workload, tenants: TENANTS, users: BENCH.users, bindDn: BENCH.bindDn, password: BENCH.password, base: BENCH.base });
      const cpuUsPerOp = Math.round((cpu() - before) / Math.max(r.ops, 1));
      process.stderr.write(`${label} ${workload} c=${connections}: ${r.opsPerSec} ops/s p50 ${r.p50ms} ms p99 ${r.p99ms} ms cpu ${cpuUsPerOp} µs/op errors ${r.errors}\n`);
      out.push({ server: label, ...r, cpuUsPerOp });
    }
  }
  return out;
}

// ------------------------------------------------------------------ tenantdir

async function benchTenantdir(label: string, storeUri?: string): Promise<Row[]> {
  const world = await makeWorld({ configDir: await benchConfig(TENANTS, storeUri), ...(storeUri ? { storeUri } : {}), seed: false });
  try {
    const t0 = Date.now();
    for (const t of world.registry.tenants) {
      await world.directory.importBatch(t, benchUsers(), { name: 'bench', protocol: 'system' });
    }
    process.stderr.write(`${label}: loaded ${TENANTS * BENCH.users} users in ${Date.now() - t0} ms\n`);
    const front = new LdapFront({ live: world.live, directory: world.directory, logger: silentLogger() });
    const { ldap } = await front.listen();
    try {
      return await measure(label, ldap, ownCpu);
    } finally {
      await front.close();
    }
  } finally {
    await world.close();
  }
}

// ------------------------------------------------------------------ slapd

function ldif(): string {
  const out: string[] = ['dn: dc=bench\nobjectClass: dcObject\nobjectClass: organization\ndc: bench\no: bench\n'];
  for (let k = 0; k < TENANTS; k++) {
    const b = baseOf(k);
    out.push(`dn: ${b}\nobjectClass: dcObject\nobjectClass: organization\ndc: t${k}\no: Tenant ${k}\n`);
    for (const ou of ['people', 'groups', 'services']) out.push(`dn: ou=${ou},${b}\nobjectClass: organizationalUnit\nou: ${ou}\n`);
    out.push(`dn: cn=bench,ou=services,${b}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\ncn: bench\nuserPassword: ${SSHA}\n`);
    for (let i = 0; i < BENCH.users; i++) {
      const uid = `u${pad(i)}`;
      out.push(`dn: uid=${uid},ou=people,${b}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nobjectClass: shadowAccount\n`
        + `uid: ${uid}\ncn: User ${i}\nsn: ${i}\nmail: ${uid}@t.example\nuidNumber: ${10000 + i}\ngidNumber: ${10000 + i}\n`
        + `homeDirectory: /home/${uid}\nloginShell: /bin/bash\n`);
    }
    for (let g = 0; g < BENCH.groups; g++) {
      const members = Array.from({ length: BENCH.users }, (_, i) => i).filter((i) => groupsOf(i).includes(`g${g}`));
      out.push(`dn: cn=g${g},ou=groups,${b}\nobjectClass: groupOfNames\nobjectClass: extensibleObject\ncn: g${g}\ngidNumber: ${20000 + g}\n`
        + members.map((i) => `member: uid=u${pad(i)},ou=people,${b}\nmemberUid: u${pad(i)}\n`).join(''));
    }
  }
  return out.join('\n');
}

async function benchSlapd(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-bench-slapd-'));
  await mkdir(join(dir, 'db'));
  const conf = join(dir, 'slapd.conf');
  await writeFile(conf, [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
    `pidfile ${dir}/slapd.pid`, 'modulepath /usr/lib/ldap', 'moduleload back_mdb',
    'database mdb', 'suffix "dc=bench"', 'rootdn "cn=admin,dc=bench"', `directory ${dir}/db`, 'maxsize 1073741824',
    'index objectClass eq', 'index uid,mail,cn,memberUid eq', 'index member eq', 'index uidNumber,gidNumber eq',
    'access to attrs=userPassword by anonymous auth by * none', 'access to * by * read', '',
  ].join('\n'));
  await writeFile(join(dir, 'data.ldif'), ldif());
  await new Promise<void>((resolve, reject) => execFile('slapadd', ['-q', '-f', conf, '-l', join(dir, 'data.ldif')], (err, _o, stderr) => (err ? reject(new Error(stderr)) : resolve())));
  const port = await freePort();
  const slapd = spawn('slapd', ['-f', conf, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
        s.on('error', () => resolve(false));
      });
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return await measure('slapd', port, processCpu(slapd.pid ?? 0));
  } finally {
    slapd.kill('SIGTERM');
    await new Promise((r) => slapd.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ main

const results: Row[] = [];
if (only.has('slapd')) results.push(...(await benchSlapd()));
if (only.has('memory')) results.push(...(await benchTenantdir('tenantdir-memory')));
if (only.has('mongo')) {
  let mongo: TestMongo | undefined;
  try {
    mongo = await startMongo();
    results.push(...(await benchTenantdir('tenantdir-mongo', mongo.dbUri('bench'))));
  } finally {
    await mongo?.stop();
  }
}

const peer = (r: LoadResult): LoadResult | undefined =>
  results.find((x) => x.server === 'slapd' && x.workload === r.workload && x.connections === r.connections);
console.log('| server | workload | conns | ops/s | p50 ms | p99 ms | CPU µs/op | errors | ops/s vs slapd |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const p = peer(r);
  const ratio = p && r.server !== 'slapd' ? `${Math.round((100 * r.opsPerSec) / p.opsPerSec)}%` : '';
  console.log(`| ${r.server} | ${r.workload} | ${r.connections} | ${r.opsPerSec} | ${r.p50ms} | ${r.p99ms} | ${r.cpuUsPerOp} | ${r.errors} | ${ratio} |`);
}
