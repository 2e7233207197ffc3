// Benchmark: the activity reports on the Mongo store at MSP scale. Loads N audit events (the
// authentications of a month, ok and failed, four methods, lockouts and security events) over T
// tenants with U users each through the store's own appendMany and users.upsertMany, then times
// the tenant report (src/directory/report.ts tenantReport) for a sample of tenants and the
// MSP-wide report over all of them, and records the RSS of this process and of the server.
//
//   npx tsx bench/reports/run.ts [--events 10000000] [--tenants 1000] [--users 50] [--days 30]
//       [--sample 20] [--label TEXT] [--keep-loaded]
//   MONGODB_URI=mongodb://127.0.0.1:PORT npx tsx bench/reports/run.ts ...   (SecantusDB, MongoDB)
//   without MONGODB_URI: an own FerretDB 1.24 (SQLite)
//   --reuse: the events are there already (a run with --keep-loaded): measure only
//
// Prints a table and one JSON line.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import type { TenantConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { mspReport, tenantReport } from '../../src/directory/report.ts';
import { openStore, type AuditEvent, type NewUser, type Store } from '../../src/store/index.ts';
import { startMongo } from '../../test/helpers/mongo-server.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    tenants: { type: 'string', default: '1000' },
    users: { type: 'string', default: '50' },
    days: { type: 'string', default: '30' },
    sample: { type: 'string', default: '20' },
    label: { type: 'string', default: '' },
    db: { type: 'string', default: 'reports_bench' },
    reuse: { type: 'boolean', default: false },
    'keep-loaded': { type: 'boolean', default: false },
    'max-load-seconds': { type: 'string', default: '1800' },
  },
});
const EVENTS = Number(values.events);
const TENANTS = Number(values.tenants);
const USERS = Number(values.users);
const DAYS = Number(values.days);
const SAMPLE = Math.min(Number(values.sample), TENANTS);
const MAX_LOAD_MS = Number(values['max-load-seconds']) * 1000;
/** Each tenant's events in batches of at most this many, tenants in turn: every tenant gets its share. */
const BATCH = Math.max(1, Math.min(5000, Math.ceil(EVENTS / TENANTS)));
const DAY = 86_400_000;
const NOW = new Date();

const tenantIds = Array.from({ length: TENANTS }, (_, i) => `t${String(i).padStart(4, '0')}`);
const config = (id: string) => ({
  id, mfa: { totp: 'optional', exemptGroups: [] }, passwordPolicy: { maxAgeDays: 90 },
}) as unknown as TenantConfig;

const METHODS: [string, string, string][] = [['radius', 'radius.auth', 'pap'], ['radius', 'radius.auth', 'ttls/pap'], ['ldap', 'ldap.auth', 'simple'], ['radius', 'radius.auth', 'mschapv2']];

/** A deterministic pseudo-random sequence (the same load every run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function eventFor(i: number, rnd: () => number): AuditEvent {
  const [protocol, action, method] = METHODS[i % METHODS.length]!;
  const failed = rnd() < 0.08;
  const at = new Date(NOW.getTime() - Math.floor(rnd() * DAYS * DAY));
  const user = `u${Math.floor(rnd() * USERS)}`;
  if (i % 5000 === 0) return { at, actor: 'system', action: 'user.lockout', target: user, outcome: 'ok', protocol: 'system', detail: { source: '10.0.0.1' } };
  return {
    at, actor: protocol === 'ldap' ? `ldap:uid=${user}` : 'radius:ap-1', action, target: user, outcome: failed ? 'failed' : 'ok', protocol: protocol as 'ldap' | 'radius',
    ...(failed ? { reason: 'bad-password' } : {}),
    detail: { method, credential: 'password', source: `192.0.2.${Math.floor(rnd() * 200)}`, ...(protocol === 'radius' ? { nas: 'ap-1' } : {}) },
  };
}

function user(uid: string, n: number, rnd: () => number): NewUser {
  return {
    uid, entryUUID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, cn: uid, sn: uid, uidNumber: 10_000 + n, gidNumber: 10_000 + n,
    homeDirectory: `/home/${uid}`, loginShell: '/bin/sh', sshPublicKeys: [], enabled: rnd() > 0.05, createdAt: NOW, modifiedAt: NOW, memberOf: [],
    credentials: { passwordHash: '$2b$04$abcdefghijklmnopqrstuu', passwordChangedAt: new Date(NOW.getTime() - Math.floor(rnd() * 100) * DAY), history: [] },
  };
}

function rssOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)]).toString().trim()) * 1024;
  } catch {
    return undefined;
  }
}

function serverPid(uri: string): number | undefined {
  const port = /:(\d+)/.exec(uri.replace(/^mongodb:\/\//, ''))?.[1];
  if (!port) return undefined;
  try {
    const out = execFileSync('sh', ['-c', `ss -ltnp 'sport = :${port}' | grep -o 'pid=[0-9]*' | head -1`]).toString();
    return Number(/pid=(\d+)/.exec(out)?.[1]) || undefined;
  } catch {
    return undefined;
  }
}

const mib = (b: number | undefined) => (b === undefined ? '?' : `${(b / 2 ** 20).toFixed(0)} MiB`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const external = process.env.MONGODB_URI;
const server = external ? undefined : await startMongo();
const uri = external ? `${external.replace(/\/+$/, '')}/${values.db}` : server!.dbUri(values.db);
const store: Store = await openStore({ uri, logger: silentLogger(), serverSelectionTimeoutMS: 30_000 });
const pid = serverPid(uri);
let loaded = 0;
let loadMs = 0;
try {
  const client = await new MongoClient(uri).connect();
  if (!values.reuse) {
    await client.db().collection('audit').deleteMany({});
    await client.db().collection('auditDaily').deleteMany({});
    await client.db().collection('users').deleteMany({});
    const rnd = lcg(42);
    const started = performance.now();
    // Users first: 1,000 tenants × 50.
    // A third of them logged in (lastLoginAt 0-39 days ago, by tenant), as recordLogin would have set it.
    for (const [n, id] of tenantIds.entries()) {
      const users = Array.from({ length: USERS }, (_, i) => ({
        ...user(`u${i}`, n * USERS + i, rnd), ...(i % 3 === 0 ? { lastLoginAt: new Date(NOW.getTime() - (n % 40) * DAY) } : {}),
      }));
      await store.tenant(id).users.upsertMany(users);
    }
    process.stderr.write(`users loaded in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    // Events in batches, each batch one tenant's, tenants in turn.
    let lastPrint = performance.now();
    for (let i = 0; i < EVENTS; i += BATCH) {
      const tenant = tenantIds[(i / BATCH) % TENANTS]!;
      const batch = Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, k) => eventFor(i + k, rnd));
      await store.tenant(tenant).audit.appendMany(batch);
      loaded += batch.length;
      if (performance.now() - lastPrint > 10_000) {
        lastPrint = performance.now();
        process.stderr.write(`loaded ${loaded} events in ${((lastPrint - started) / 1000).toFixed(0)} s, server RSS ${mib(rssOf(pid))}\n`);
      }
      if (performance.now() - started > MAX_LOAD_MS) {
        process.stderr.write(`load stopped at ${loaded} events: --max-load-seconds reached\n`);
        break;
      }
    }
    loadMs = performance.now() - started;
  } else {
    loaded = await client.db().collection('audit').estimatedDocumentCount();
  }
  await client.close();

  const since = new Date(NOW.getTime() - 7 * DAY);
  const q = { since, until: NOW, inactiveDays: 30, expiringDays: 14, unusedDays: 90 };
  // One warm-up, then the sample, one at a time.
  await tenantReport(config(tenantIds[0]!), store.tenant(tenantIds[0]!), q, NOW);
  const tenantMs: number[] = [];
  let sampleReport: Awaited<ReturnType<typeof tenantReport>> | undefined;
  for (let i = 0; i < SAMPLE; i++) {
    const id = tenantIds[Math.floor((i * TENANTS) / SAMPLE)]!;
    const t0 = performance.now();
    sampleReport = await tenantReport(config(id), store.tenant(id), q, NOW);
    tenantMs.push(performance.now() - t0);
  }
  const mspMs: number[] = [];
  let rows = 0;
  let counted = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await mspReport(tenantIds.map(config), store.tenants(tenantIds), { since, until: NOW, inactiveDays: 30 }, NOW);
    mspMs.push(performance.now() - t0);
    rows = r.rows.length;
    counted = r.rows.reduce((n, x) => n + x.authOk + x.authFailed, 0);
  }
  const result = {
    label: values.label || (external ? 'MONGODB_URI' : 'ferretdb-1.24-sqlite'), events: loaded, tenants: TENANTS, usersPerTenant: USERS, days: DAYS,
    loadSeconds: Math.round(loadMs / 1000), eventsPerSecond: loadMs ? Math.round(loaded / (loadMs / 1000)) : undefined,
    tenantReportMs: { p50: Math.round(pct(tenantMs, 50)), p95: Math.round(pct(tenantMs, 95)), max: Math.round(Math.max(...tenantMs)), n: tenantMs.length },
    mspReportMs: { p50: Math.round(pct(mspMs, 50)), max: Math.round(Math.max(...mspMs)), rows, authCounted7d: counted },
    sampleTenantAuth7d: sampleReport && { ok: sampleReport.authentications.ok, failed: sampleReport.authentications.failed },
    benchRss: process.memoryUsage().rss, serverRss: rssOf(pid),
  };
  process.stdout.write([
    `store            ${result.label}`,
    `events           ${loaded} over ${TENANTS} tenants × ${USERS} users, ${DAYS} days${loadMs ? `, loaded in ${result.loadSeconds} s (${result.eventsPerSecond}/s)` : ''}`,
    `tenant report    p50 ${result.tenantReportMs.p50} ms, p95 ${result.tenantReportMs.p95} ms, max ${result.tenantReportMs.max} ms (${SAMPLE} tenants, 7 days)`,
    `MSP-wide report  p50 ${result.mspReportMs.p50} ms, max ${result.mspReportMs.max} ms (${rows} rows, ${counted} authentications in 7 days)`,
    `RSS              bench (tenantdir side) ${mib(result.benchRss)}, server ${mib(result.serverRss)}`,
  ].join('\n') + '\n');
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await store.close();
  if (!values['keep-loaded']) await server?.stop();
}
