// Benchmark: a migration from OpenLDAP. 100,000 users with {SSHA} hashes (as slapcat prints them)
// and 100 groups are imported into one tenant through the real path: the daemon on the Mongo
// store, `tenantdir import` as the client. Reports wall time, users/s, the daemon's RSS after,
// and the time of a second, idempotent import (everything unchanged).
//
//   npx tsx bench/import/run.ts [--users 100000]          (FerretDB, or MONGODB_URI when set)
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startMongo } from '../../test/helpers/mongo-server.ts';

const { values } = parseArgs({ options: { users: { type: 'string', default: '100000' }, groups: { type: 'string', default: '100' } } });
const USERS = Number(values.users);
const GROUPS = Number(values.groups);
const TOKEN = randomBytes(24).toString('hex');
const ROOT = new URL('../../', import.meta.url).pathname;

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
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, ms: performance.now() - started, stdout, stderr }));
  });
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
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

const mongo = await startMongo();
const dir = await mkdtemp(join(tmpdir(), 'tenantdir-bench-import-'));
await mkdir(join(dir, 'tenants'));
const port = 19000 + Math.floor(Math.random() * 1000);
await writeFile(join(dir, 'tenantdir.yaml'), [
  'listen:',
  '  ldap: { port: 0, host: 127.0.0.1 }',
  '  radius: { auth: 0, acct: 0, host: 127.0.0.1 }',
  `  http: { port: ${port}, host: 127.0.0.1 }`,
  `storage: { uri: "${mongo.dbUri(`bench_import_${Date.now()}`)}" }`,
  'log: { level: warn }',
  `admins: [ { name: bench, token: "${TOKEN}", role: msp-admin } ]`,
  '',
].join('\n'));
await writeFile(join(dir, 'tenants', 'bench.yaml'), 'id: bench\nname: Bench\nbaseDN: dc=bench,dc=example\n');
const ldif = join(dir, 'users.ldif');
await writeLdif(ldif);

const env = { ...process.env, TENANTDIR_URL: `http://127.0.0.1:${port}`, TENANTDIR_TOKEN: TOKEN };
const daemon = spawn(process.execPath, [join(ROOT, 'bin/tenantdir.js'), 'serve', '--config', dir], { env, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  await waitReady(env.TENANTDIR_URL, daemon);
  const rssBefore = await rssMiB(daemon.pid!);
  const first = await run(process.execPath, [join(ROOT, 'bin/tenantdir.js'), 'import', '--tenant', 'bench', ldif], env);
  if (first.code !== 0) throw new Error(`import failed: ${first.stderr}`);
  const rssAfter = await rssMiB(daemon.pid!);
  const second = await run(process.execPath, [join(ROOT, 'bin/tenantdir.js'), 'import', '--tenant', 'bench', ldif], env);
  console.log(JSON.stringify({
    store: process.env.MONGODB_URI ? 'mongodb (MONGODB_URI)' : 'ferretdb 1.24 (sqlite)',
    users: USERS,
    groups: GROUPS,
    importSeconds: +(first.ms / 1000).toFixed(1),
    usersPerSecond: Math.round(USERS / (first.ms / 1000)),
    reimportSeconds: +(second.ms / 1000).toFixed(1),
    daemonRssMiB: { beforeImport: Math.round(rssBefore), afterImport: Math.round(rssAfter) },
    firstSummary: first.stdout.trim().split('\n').slice(-3),
    reimportSummary: second.stdout.trim().split('\n').slice(-3),
  }, null, 2));
} finally {
  daemon.kill('SIGTERM');
  await mongo.stop();
}
