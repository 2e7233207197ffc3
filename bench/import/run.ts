// Benchmark: a migration from OpenLDAP. 100,000 users with {SSHA} hashes (as slapcat prints them)
// and 100 groups are imported into one tenant through the real path: the daemon on the Mongo
// store, `tenantdir import` as the client. Reports wall time, users/s, the daemon's RSS (before,
// peak, after) and CPU, the server time of each batch (from the daemon's request log), and the
// same for a second, idempotent import (everything unchanged). See README.md beside this file.
//
//   npx tsx bench/import/run.ts [--users 100000] [--groups 100]
//       [--store mongo|memory]      mongo (default): MONGODB_URI when set, else an own FerretDB/SQLite;
//                                   memory: the in-memory store, i.e. tenantdir's own cost alone
//       [--label TEXT]              what the store is, for the report (e.g. "ferretdb/postgresql")
//       [--db-pids PID,...]         also report the CPU of these processes and their descendants (an
//                                   external FerretDB and the PostgreSQL postmaster); an own FerretDB is found itself
//       [--cpu-prof DIR]            write a V8 CPU profile of the daemon into DIR (open in Chrome DevTools)
//       [--keep]                    with MONGODB_URI: leave the database for inspection (its URI goes to stderr)
//       [--quiet]                   no per-batch progress lines on stderr
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { startMongo, type TestMongo } from '../../test/helpers/mongo-server.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    groups: { type: 'string', default: '100' },
    store: { type: 'string', default: 'mongo' },
    label: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'db-pids': { type: 'string' },
    keep: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});
const USERS = Number(values.users);
const GROUPS = Number(values.groups);
const STORE = values.store;
if (!Number.isInteger(USERS) || USERS < 1 || !Number.isInteger(GROUPS) || GROUPS < 0) throw new Error('--users and --groups take whole numbers');
if (STORE !== 'mongo' && STORE !== 'memory') throw new Error('--store is mongo or memory');
const TOKEN = randomBytes(24).toString('hex');
const ROOT = new URL('../../', import.meta.url).pathname;
/** The CLI's rows per request (src/cli/commands/import.ts BATCH_ROWS): for the progress lines only. */
const CLI_BATCH_ROWS = 1000;
const USER_BATCHES = Math.ceil(USERS / CLI_BATCH_ROWS);
const BATCHES = USER_BATCHES + Math.ceil(GROUPS / CLI_BATCH_ROWS);
const started = performance.now();

function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
}

async function writeLdif(path: string): Promise<void> {
  const out = createWriteStream(path);
  const write = (s: string) => new Promise<void>((resolve) => (out.write(s) ? resolve() : out.once('drain', resolve)));
  // One hash reused: hashing 100k passwords would measure SHA-1, not the import.
  const hash = ssha('Migrated-Pass-1');
  for (let i = 0; i < USERS; i++) {
    const uid = `user${String(i).padStart(6, '0')}`;
    await write(
      `dn: uid=${uid},ou=people,dc=bench,dc=example\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\n` +
        `uid: ${uid}\ncn: User ${i}\nsn: ${i}\nmail: ${uid}@bench.example\nuidNumber: ${100000 + i}\ngidNumber: ${100000 + i}\n` +
        `homeDirectory: /home/${uid}\nloginShell: /bin/bash\nuserPassword: ${hash}\n\n`,
    );
  }
  for (let g = 0; g < GROUPS; g++) {
    const members = Array.from({ length: 50 }, (_, k) => `memberUid: user${String((g * 50 + k) % USERS).padStart(6, '0')}\n`).join('');
    await write(`dn: cn=group${g},ou=groups,dc=bench,dc=example\nobjectClass: posixGroup\ncn: group${g}\ngidNumber: ${5000 + g}\n${members}\n`);
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; ms: number; stdout: string; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, ms: performance.now() - t0, stdout, stderr }));
  });
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** User + system CPU seconds of a process so far (Linux clock ticks are 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Every process: its parent, command name and CPU seconds. */
async function processTable(): Promise<{ pid: number; ppid: number; comm: string; cpu: number }[]> {
  const rows = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      rows.push({
        pid: Number(name), ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, close),
        cpu: (Number(fields[11]) + Number(fields[12])) / 100,
      });
    } catch {
      // gone meanwhile
    }
  }
  return rows;
}

/**
 * CPU seconds of the database: the --db-pids processes and their descendants, and any
 * `ferretdb` this process started (startMongo's own). Processes that exited in between are missed.
 */
async function databaseCpuSeconds(): Promise<number | undefined> {
  const roots = new Set((values['db-pids'] ?? '').split(',').filter(Boolean).map(Number));
  const table = await processTable();
  for (const p of table) if (p.ppid === process.pid && p.comm === 'ferretdb') roots.add(p.pid);
  if (roots.size === 0) return undefined;
  const inTree = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table) if (!inTree.has(p.pid) && inTree.has(p.ppid)) (inTree.add(p.pid), (grew = true));
  }
  return table.filter((p) => inTree.has(p.pid)).reduce((a, p) => a + p.cpu, 0);
}

async function waitReady(url: string, daemon: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (daemon.exitCode !== null) throw new Error('the daemon exited during start-up');
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the daemon did not become ready in 30 s');
}

/** What is behind the URI, from buildInfo: FerretDB says so, MongoDB gives its version. */
async function describeServer(mongo: TestMongo): Promise<string> {
  const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    if (typeof info.ferretdbVersion === 'string') {
      return process.env.MONGODB_URI
        ? `ferretdb ${info.ferretdbVersion} at MONGODB_URI (backend not visible over the wire; see --label)`
        : `ferretdb ${info.ferretdbVersion} (sqlite, started by the bench)`;
    }
    return `mongodb ${String(info.version)} at MONGODB_URI`;
  } finally {
    await client.close();
  }
}

const s = (ms: number) => +(ms / 1000).toFixed(1);
const progress = (line: string) => {
  if (!values.quiet) process.stderr.write(`[bench +${Math.round((performance.now() - started) / 1000)}s] ${line}\n`);
};

/** Server milliseconds of each import request, in order, from the daemon's `admin.request` log lines. */
const batchMs: number[] = [];
let pass = 0;
function watchLog(daemon: ChildProcess): void {
  createInterface({ input: daemon.stdout! }).on('line', (line) => {
    let rec: { event?: string; route?: string; ms?: number; status?: number; level?: number; msg?: string };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      return;
    }
    if (rec.event === 'admin.request' && rec.route?.endsWith('/import') && typeof rec.ms === 'number') {
      batchMs.push(rec.ms);
      const n = batchMs.length;
      const kind = n <= USER_BATCHES ? 'users' : 'groups';
      progress(`import ${pass}: batch ${n}/${BATCHES} (${kind}) ${rec.ms} ms${rec.status === 200 ? '' : ` status ${rec.status}`}`);
    } else if ((rec.level ?? 0) >= (values.quiet ? 50 : 40)) {
      process.stderr.write(`[daemon] ${rec.msg ?? line}\n`);
    }
  });
}

/** Positions 0%, 25%, 50%, 75%, 100% of the user batches (growth with the collection), and the group batches. */
function batchSummary(ms: number[]) {
  const users = ms.slice(0, USER_BATCHES);
  const at = (f: number) => users[Math.min(users.length - 1, Math.round(f * (users.length - 1)))] ?? 0;
  return {
    serverSeconds: s(ms.reduce((a, b) => a + b, 0)),
    userBatchSecondsAt0_25_50_75_100pct: [0, 0.25, 0.5, 0.75, 1].map((f) => s(at(f))),
    groupBatchesSeconds: s(ms.slice(USER_BATCHES).reduce((a, b) => a + b, 0)),
  };
}

const mongo = STORE === 'mongo' ? await startMongo() : undefined;
const dir = await mkdtemp(join(tmpdir(), 'tenantdir-bench-import-'));
let daemon: ChildProcess | undefined;
let dbUri: string | undefined;
try {
  const server = mongo ? await describeServer(mongo) : 'memory (no database: tenantdir alone)';
  await mkdir(join(dir, 'tenants'));
  const port = 19000 + Math.floor(Math.random() * 1000);
  await writeFile(join(dir, 'tenantdir.yaml'), [
    'listen:',
    '  ldap: { port: 0, host: 127.0.0.1 }',
    '  radius: { auth: 0, acct: 0, host: 127.0.0.1 }',
    `  http: { port: ${port}, host: 127.0.0.1 }`,
    ...(mongo ? [`storage: { uri: "${(dbUri = mongo.dbUri(`bench_import_${Date.now()}`))}" }`] : []),
    // info: the daemon logs one `admin.request` line per request, with its server time.
    'log: { level: info }',
    `admins: [ { name: bench, token: "${TOKEN}", role: msp-admin } ]`,
    '',
  ].join('\n'));
  await writeFile(join(dir, 'tenants', 'bench.yaml'), 'id: bench\nname: Bench\nbaseDN: dc=bench,dc=example\n');
  const ldif = join(dir, 'users.ldif');
  await writeLdif(ldif);
  progress(`${server}: ${USERS} users, ${GROUPS} groups, LDIF written`);

  const env = { ...process.env, TENANTDIR_URL: `http://127.0.0.1:${port}`, TENANTDIR_TOKEN: TOKEN };
  const profDir = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;
  const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  daemon = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin/tenantdir.js'), 'serve', '--config', dir], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  watchLog(daemon);
  await waitReady(env.TENANTDIR_URL, daemon);
  const pid = daemon.pid!;

  /** One `tenantdir import` of the file, with the daemon's peak RSS (sampled every 250 ms) and CPU. */
  const importOnce = async () => {
    pass++;
    batchMs.length = 0;
    const cpu0 = await cpuSeconds(pid);
    const db0 = await databaseCpuSeconds();
    let peak = await rssMiB(pid);
    const sampler = setInterval(() => void rssMiB(pid).then((r) => (peak = Math.max(peak, r)), () => undefined), 250);
    const r = await run(process.execPath, [join(ROOT, 'bin/tenantdir.js'), 'import', '--tenant', 'bench', ldif], env);
    clearInterval(sampler);
    if (r.code !== 0) throw new Error(`import ${pass} failed (exit ${r.code}): ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 200)); // the last request's log line
    const after = await rssMiB(pid);
    const db1 = await databaseCpuSeconds();
    return {
      r, peak: Math.max(peak, after), after, daemonCpu: (await cpuSeconds(pid)) - cpu0,
      dbCpu: db0 === undefined || db1 === undefined ? undefined : db1 - db0, batches: batchSummary([...batchMs]),
    };
  };

  const rssBefore = await rssMiB(pid);
  const first = await importOnce();
  const second = await importOnce();
  const report = (x: typeof first) => ({
    ...x.batches,
    // Wall time outside the daemon's request handling: the CLI reading and parsing the LDIF, HTTP.
    clientAndTransferSeconds: s(x.r.ms - x.batches.serverSeconds * 1000),
    daemonCpuSeconds: +x.daemonCpu.toFixed(1),
    ...(x.dbCpu !== undefined && { databaseCpuSeconds: +x.dbCpu.toFixed(1) }),
    summary: x.r.stdout.trim().split('\n').slice(-3),
  });
  console.log(JSON.stringify({
    date: new Date().toISOString(),
    store: server,
    ...(values.label && { label: values.label }),
    users: USERS,
    groups: GROUPS,
    importSeconds: s(first.r.ms),
    usersPerSecond: Math.round(USERS / (first.r.ms / 1000)),
    reimportSeconds: s(second.r.ms),
    daemonRssMiB: {
      beforeImport: Math.round(rssBefore),
      peakDuringImport: Math.round(first.peak),
      afterImport: Math.round(first.after),
      peakDuringReimport: Math.round(second.peak),
      afterReimport: Math.round(second.after),
    },
    import: report(first),
    reimport: report(second),
  }, null, 2));
} finally {
  if (daemon && daemon.exitCode === null) {
    // Wait for the exit: a --cpu-prof profile is written as the daemon exits.
    const exited = new Promise((res) => daemon!.once('exit', res));
    daemon.kill('SIGTERM');
    await Promise.race([exited, new Promise((res) => setTimeout(res, 15_000))]);
  }
  if (values.keep && process.env.MONGODB_URI) process.stderr.write(`[bench] --keep: the database stays at ${dbUri}\n`);
  else await mongo?.stop();
  await rm(dir, { recursive: true, force: true });
}
