// tenantdir report --tenant T [--since 7d] [--json | --csv], tenantdir report --all: the activity
// report of one tenant (GET /api/v1/tenants/T/report), or one row per tenant the token may see
// (GET /api/v1/report). Tables on a terminal, the API's JSON with --json, CSV with --csv.
//
// CSV layout (--tenant): one table per section, each with its own header row whose first column
// is `section` and names it (summary, byMethod, byDay, topFailingUsers, topFailingSources,
// lockouts, neverLoggedIn, inactive, passwordsExpiring, appPasswordsUnused, suspicious), the
// sections separated by an empty line. `summary` is metric,value rows. --all is one table, a
// row per tenant. Cells are quoted as RFC 4180 says (a comma, quote or line break quotes the
// cell, quotes doubled), and a text cell that a spreadsheet would run as a formula (starting
// with = + - @) is prefixed with a single quote.
import { InvalidArgumentError, type Command } from 'commander';
import type { MspReportJson, TenantReportJson } from '../../admin/api.ts';
import { ApiClient, DEFAULT_URL, UsageError } from '../client.ts';
import { printJson, printTable } from '../output.ts';
import { integer } from './common.ts';

interface ReportOptions {
  tenant?: string;
  all?: boolean;
  since: string;
  inactiveDays: number;
  expiringDays: number;
  unusedDays: number;
  json?: boolean;
  csv?: boolean;
  url?: string;
  token?: string;
}

type Cell = string | number | boolean | null | undefined;

/** One CSV cell (RFC 4180), safe to open in a spreadsheet. */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') return String(v);
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvTable(section: string, columns: string[], rows: Cell[][]): string {
  return [['section', ...columns], ...rows.map((r) => [section, ...r])].map((r) => r.map(csvCell).join(',')).join('\r\n');
}

const pct = (r: number | null): string => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const when = (s: string | null | undefined): string => (s ? s.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z') : '-');
const BARS = '▁▂▃▄▅▆▇█';

/** The days' totals as a one-line chart: the busiest day is the tallest bar. */
export function sparkline(days: { ok: number; failed: number }[]): string {
  const max = days.reduce((m, d) => Math.max(m, d.ok + d.failed), 0);
  return days.map((d) => (max === 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.round(((d.ok + d.failed) / max) * (BARS.length - 1)))])).join('');
}

function tenantCsv(r: TenantReportJson): string {
  const a = r.authentications;
  const summary: Cell[][] = [
    ['tenant', r.tenant], ['since', r.since], ['until', r.until], ['generatedAt', r.generatedAt], ['lastActivity', r.lastActivity],
    ['authOk', a.ok], ['authFailed', a.failed], ['successRate', a.successRate], ['lockouts', r.lockouts.count],
    ['usersTotal', r.users.total], ['usersEnabled', r.users.enabled], ['usersDisabled', r.users.disabled], ['usersExpired', r.users.expired],
    ['usersActive', r.users.active], ['neverLoggedIn', r.users.neverLoggedIn.count], [`inactive${r.users.inactive.days}d`, r.users.inactive.count],
    ['mfaEnrolled', r.mfa.enrolled], ['mfaRequired', r.mfa.required], ['mfaExempt', r.mfa.exempt], ['mfaCoverage', r.mfa.coverage],
    ['passwordsExpiring', r.passwordsExpiring.count], ['appPasswordsUnused', r.appPasswordsUnused.count], ['suspicious', r.suspicious.length],
  ];
  return [
    csvTable('summary', ['metric', 'value'], summary),
    csvTable('byMethod', ['protocol', 'method', 'ok', 'failed'], a.byMethod.map((m) => [m.protocol, m.method, m.ok, m.failed])),
    csvTable('byDay', ['day', 'ok', 'failed'], a.byDay.map((d) => [d.day, d.ok, d.failed])),
    csvTable('topFailingUsers', ['user', 'failures', 'lastAt'], r.topFailingUsers.map((u) => [u.user, u.failures, u.lastAt])),
    csvTable('topFailingSources', ['source', 'nas', 'failures', 'lastAt'], r.topFailingSources.map((s) => [s.source, s.nas, s.failures, s.lastAt])),
    csvTable('lockouts', ['user', 'at'], r.lockouts.users.map((u) => [u.user, u.at])),
    csvTable('neverLoggedIn', ['user'], r.users.neverLoggedIn.users.map((u) => [u])),
    csvTable('inactive', ['user', 'lastLoginAt'], r.users.inactive.users.map((u) => [u.user, u.lastLoginAt])),
    csvTable('passwordsExpiring', ['user', 'expiresAt'], r.passwordsExpiring.users.map((u) => [u.user, u.expiresAt])),
    csvTable('appPasswordsUnused', ['user', 'name', 'lastUsedAt'], r.appPasswordsUnused.items.map((x) => [x.user, x.name, x.lastUsedAt])),
    csvTable('suspicious', ['kind', 'user', 'source', 'at', 'detail'], r.suspicious.map((s) => [s.kind, s.user, s.source, s.at, JSON.stringify(s.detail)])),
  ].join('\r\n\r\n') + '\r\n';
}

function section(title: string): void {
  process.stdout.write(`\n${title}\n`);
}

/** A table, or `(none)` for an empty list. */
function table(columns: string[], rows: (string | number | undefined)[][]): void {
  if (rows.length === 0) process.stdout.write('(none)\n');
  else printTable(columns, rows);
}

/** A list that is capped: "(showing 100 of 250)" when it is. */
function shown(count: number, listed: number): string {
  return listed < count ? ` (showing ${listed} of ${count})` : '';
}

function tenantTables(r: TenantReportJson): void {
  const a = r.authentications;
  process.stdout.write(`Report for ${r.tenant}: ${when(r.since)} to ${when(r.until)}\n`);
  process.stdout.write(`Last authentication: ${when(r.lastActivity)}\n`);
  section(`AUTHENTICATIONS: ${a.ok} ok, ${a.failed} failed, success rate ${pct(a.successRate)}`);
  table(['protocol', 'method', 'ok', 'failed'], a.byMethod.map((m) => [m.protocol || '-', m.method || '-', m.ok, m.failed]));
  section(`BY DAY ${sparkline(a.byDay)}`);
  table(['day', 'ok', 'failed'], a.byDay.map((d) => [d.day, d.ok, d.failed]));
  section('TOP FAILING USERS');
  table(['user', 'failures', 'last'], r.topFailingUsers.map((u) => [u.user, u.failures, when(u.lastAt)]));
  section('TOP FAILING SOURCES');
  table(['source', 'nas', 'failures', 'last'], r.topFailingSources.map((s) => [s.source, s.nas ?? '-', s.failures, when(s.lastAt)]));
  section(`LOCKOUTS: ${r.lockouts.count}${shown(r.lockouts.count, r.lockouts.users.length)}`);
  table(['user', 'at'], r.lockouts.users.map((u) => [u.user, when(u.at)]));
  const u = r.users;
  section(`USERS: ${u.total} total, ${u.enabled} enabled, ${u.disabled} disabled, ${u.expired} expired, ${u.active} active in the last ${u.inactive.days} days`);
  process.stdout.write(`never logged in: ${u.neverLoggedIn.count}${shown(u.neverLoggedIn.count, u.neverLoggedIn.users.length)}  ${u.neverLoggedIn.users.join(' ')}\n`);
  process.stdout.write(`inactive for ${u.inactive.days} days: ${u.inactive.count}${shown(u.inactive.count, u.inactive.users.length)}  ${u.inactive.users.map((x) => x.user).join(' ')}\n`);
  section(`MFA: ${r.mfa.enrolled} enrolled, ${r.mfa.required} required, ${r.mfa.exempt} exempt, coverage ${pct(r.mfa.coverage)}`);
  section(r.passwordsExpiring.days === 0 && r.passwordsExpiring.count === 0 ? 'PASSWORDS EXPIRING: none (no passwordPolicy.maxAgeDays, or no days asked)'
    : `PASSWORDS EXPIRING within ${r.passwordsExpiring.days} days: ${r.passwordsExpiring.count}${shown(r.passwordsExpiring.count, r.passwordsExpiring.users.length)}`);
  table(['user', 'expires'], r.passwordsExpiring.users.map((x) => [x.user, when(x.expiresAt)]));
  section(`APP PASSWORDS UNUSED for ${r.appPasswordsUnused.days} days: ${r.appPasswordsUnused.count}${shown(r.appPasswordsUnused.count, r.appPasswordsUnused.items.length)}`);
  table(['user', 'name', 'last used'], r.appPasswordsUnused.items.map((x) => [x.user, x.name, when(x.lastUsedAt)]));
  section(`SUSPICIOUS: ${r.suspicious.length}`);
  table(['kind', 'user', 'source', 'at'], r.suspicious.map((s) => [s.kind, s.user ?? '-', s.source ?? '-', when(s.at)]));
}

function mspCsv(r: MspReportJson): string {
  const header = ['tenant', 'users', 'activeUsers', 'authOk', 'authFailed', 'successRate', 'lockouts', 'mfaCoverage', 'lastActivity', 'byDay'];
  const rows = r.rows.map((x): Cell[] => [
    x.tenant, x.users, x.activeUsers, x.authOk, x.authFailed, x.successRate, x.lockouts, x.mfaCoverage, x.lastActivity,
    x.byDay.map((d) => `${d.day}=${d.ok}/${d.failed}`).join(' '),
  ]);
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function mspTable(r: MspReportJson): void {
  process.stdout.write(`All tenants: ${when(r.since)} to ${when(r.until)}\n\n`);
  printTable(['tenant', 'users', 'active', 'auth ok', 'failed', 'success', 'lockouts', 'mfa', 'last activity', 'by day'],
    r.rows.map((x) => [x.tenant, x.users, x.activeUsers, x.authOk, x.authFailed, pct(x.successRate), x.lockouts, pct(x.mfaCoverage), when(x.lastActivity), sparkline(x.byDay)]));
}

const SINCE = /^([0-9]{1,6}[dhm]|[0-9]{4}-[0-9]{2}-[0-9]{2}.*)$/;

export function reportCommand(program: Command): void {
  program
    .command('report')
    .description('activity and KPIs of a tenant (--tenant T), or one row per tenant (--all)')
    .option('--tenant <id>', 'the tenant')
    .option('--all', 'every tenant the token may see, one row each')
    .option('--since <when>', 'how far back: 7d, 24h, 90m, or an ISO date-time (at most 366 days)', (v: string) => {
      if (!SINCE.test(v)) throw new InvalidArgumentError('expected a duration such as 7d, 24h, 90m, or an ISO date-time');
      return v;
    }, '7d')
    .option('--inactive-days <n>', 'users who logged in, but not within this many days, are inactive', integer(0, 3650), 30)
    .option('--expiring-days <n>', 'passwords expiring within this many days', integer(0, 3650), 14)
    .option('--unused-days <n>', 'app passwords not used within this many days', integer(0, 3650), 90)
    .option('--json', 'print the API\'s JSON, for scripts')
    .option('--csv', 'print CSV (one table per section, see the README), for the client\'s monthly report')
    .option('--url <url>', `admin API of the daemon (env TENANTDIR_URL; default ${DEFAULT_URL})`)
    .option('--token <token>', 'admin token (env TENANTDIR_TOKEN, preferred: argv is visible to other users)')
    .action(async (o: ReportOptions) => {
      if ((o.tenant === undefined) === (o.all !== true)) throw new UsageError('give either --tenant T or --all');
      if (o.json && o.csv) throw new UsageError('give --json or --csv, not both');
      const client = ApiClient.from(o);
      if (o.all) {
        const r = await client.request<MspReportJson>('GET', '/api/v1/report', { query: { since: o.since, inactiveDays: o.inactiveDays } });
        if (o.json) printJson(r);
        else if (o.csv) process.stdout.write(mspCsv(r));
        else mspTable(r);
        return;
      }
      const r = await client.request<TenantReportJson>('GET', ApiClient.tenantPath(o.tenant!, 'report'), {
        query: { since: o.since, inactiveDays: o.inactiveDays, expiringDays: o.expiringDays, unusedDays: o.unusedDays },
      });
      if (o.json) printJson(r);
      else if (o.csv) process.stdout.write(tenantCsv(r));
      else tenantTables(r);
    });
}
