// The morning view: one row per tenant with the KPIs of the last 7 days (from the report API),
// and, for msp-admin, the configuration's health (the last reload and its problems).
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ConfigStatusJson, TenantJson } from '../../../src/admin/api.ts';
import { ApiError, enc, get, type Whoami } from '../api.ts';
import { rowOf, type MspReport, type OverviewRow, type TenantReport } from '../report.ts';
import { ago, downloadCsv, Link, Loading, Notice, pct, SortHeader, sortBy, Sparkline, when, type SortDir } from '../ui.tsx';

type ReportState = { kind: 'loading' } | { kind: 'ok'; rows: Map<string, OverviewRow> } | { kind: 'unavailable'; why: string };
const FIRST = 60;
const CHUNK = 200;
type Key = 'tenant' | 'users' | 'activeUsers' | 'successRate' | 'lockouts' | 'mfaCoverage' | 'lastActivity';

/** Per-tenant reports for a token without the MSP-wide one: its few tenants, a few at a time. */
async function perTenant(ids: string[]): Promise<Map<string, OverviewRow>> {
  const rows = new Map<string, OverviewRow>();
  for (let i = 0; i < ids.length; i += 4) {
    const got = await Promise.all(ids.slice(i, i + 4).map((id) => get<TenantReport>(`/tenants/${enc(id)}/report?since=7d`)));
    for (const r of got) rows.set(r.tenant, rowOf(r));
  }
  return rows;
}

export function ConfigHealth() {
  const [s, setS] = useState<ConfigStatusJson | null>(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    get<ConfigStatusJson>('/config/status').then(setS, (e: Error) => setErr(e.message));
  }, []);
  if (err) return <Notice kind="warn">Config health unavailable: {err}</Notice>;
  if (!s) return <Loading what="config health" />;
  const last = s.lastReload;
  return (
    <section aria-labelledby="config-h" class={`panel ${last && !last.ok ? 'panel-bad' : ''}`}>
      <h2 id="config-h">Configuration</h2>
      <p>
        In force since <time dateTime={s.loadedAt}>{when(s.loadedAt)}</time>, {s.tenants} tenant{s.tenants === 1 ? '' : 's'}.{' '}
        {last ? (
          <>Last reload <time dateTime={last.at}>{when(last.at)}</time> ({last.reason}):{' '}
            <strong data-testid="reload-outcome">{last.ok ? 'applied' : `refused, ${last.problems.length} problem(s) — the previous configuration keeps serving`}</strong></>
        ) : 'No reload since start.'}
      </p>
      {last && !last.ok && (
        <ul class="problems" data-testid="config-problems">
          {last.problems.map((p) => <li key={`${p.file}:${p.line}:${p.col}`}><code>{p.file}:{p.line}:{p.col}</code> {p.message}</li>)}
        </ul>
      )}
    </section>
  );
}

export function Overview(p: { who: Whoami }) {
  const [tenants, setTenants] = useState<TenantJson[] | null>(null);
  const [error, setError] = useState('');
  const [report, setReport] = useState<ReportState>({ kind: 'loading' });
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ key: Key; dir: SortDir }>({ key: 'tenant', dir: 'ascending' });

  useEffect(() => {
    const ctl = new AbortController();
    get<{ items: TenantJson[] }>('/tenants', ctl.signal).then((r) => setTenants(r.items), (e: Error) => setError(e.message));
    const load = p.who.may.msp
      ? get<MspReport>('/report?since=7d', ctl.signal).then((r) => new Map(r.rows.map((row) => [row.tenant, row])))
      : get<{ items: TenantJson[] }>('/tenants', ctl.signal).then((r) => perTenant(r.items.map((t) => t.id)));
    load.then((rows) => setReport({ kind: 'ok', rows }), (e: unknown) => {
      if (ctl.signal.aborted) return;
      const why = e instanceof ApiError && e.status === 404 ? 'this server has no report API yet' : (e as Error).message;
      setReport({ kind: 'unavailable', why });
    });
    return () => ctl.abort();
  }, [p.who]);

  const rows = useMemo(() => {
    if (!tenants) return [];
    const f = filter.trim().toLowerCase();
    const shown = f ? tenants.filter((t) => t.id.includes(f) || t.name.toLowerCase().includes(f)) : tenants;
    const r = report.kind === 'ok' ? report.rows : undefined;
    const val = (t: TenantJson): string | number | undefined => {
      if (sort.key === 'tenant') return t.id;
      const row = r?.get(t.id);
      if (!row) return undefined;
      if (sort.key === 'lastActivity') return row.lastActivity ?? undefined;
      return row[sort.key] ?? undefined;
    };
    return sortBy(shown, val, sort.dir);
  }, [tenants, filter, sort, report]);

  // The first screenful paints at once; the rest of a long list follows a chunk per frame, so a
  // thousand tenants do not hold the first paint back.
  const [shown, setShown] = useState(FIRST);
  useEffect(() => {
    if (shown >= rows.length) return;
    const id = requestAnimationFrame(() => setShown((n) => n + CHUNK));
    return () => cancelAnimationFrame(id);
  }, [shown, rows.length]);

  const onSort = (key: Key) => setSort((s) => ({ key, dir: s.key === key && s.dir === 'ascending' ? 'descending' : 'ascending' }));
  const exportCsv = () => {
    const r = report.kind === 'ok' ? report.rows : new Map<string, OverviewRow>();
    downloadCsv('tenants-7d.csv', ['tenant', 'name', 'users', 'activeUsers', 'authOk', 'authFailed', 'successRate', 'lockouts', 'mfaCoverage', 'lastActivity'],
      rows.map((t) => {
        const x = r.get(t.id);
        return [t.id, t.name, x?.users, x?.activeUsers, x?.authOk, x?.authFailed, x?.successRate, x?.lockouts, x?.mfaCoverage, x?.lastActivity];
      }));
  };

  const kpi = (t: TenantJson) => (report.kind === 'ok' ? report.rows.get(t.id) : undefined);
  const cellState = report.kind === 'loading' ? '…' : '—';
  return (
    <main id="main">
      <h1>Tenants</h1>
      {p.who.may.msp && <ConfigHealth />}
      {error && <Notice kind="error">{error}</Notice>}
      {report.kind === 'unavailable' && <Notice kind="warn" id="report-unavailable">Report unavailable ({report.why}): the tenants are listed without their activity figures.</Notice>}
      <div class="toolbar">
        <div class="field inline">
          <label for="tenant-filter">Filter tenants</label>
          <input id="tenant-filter" type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </div>
        <button type="button" onClick={exportCsv} disabled={!tenants}>Export CSV</button>
      </div>
      {!tenants && !error && <Loading what="tenants" />}
      {tenants && (
        <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
          <table class="grid fixed" data-testid="tenants" data-complete={shown >= rows.length ? 'true' : 'false'}>
            <caption class="sr-only">Tenants, last 7 days</caption>
            <colgroup>
              <col class="c-tenant" /><col class="c-num" /><col class="c-num" /><col class="c-num" /><col class="c-num" /><col class="c-num" /><col class="c-when" /><col class="c-spark" />
            </colgroup>
            <thead>
              <tr>
                <SortHeader k="tenant" label="Tenant" sort={sort} onSort={onSort} />
                <SortHeader k="users" label="Users" sort={sort} onSort={onSort} num />
                <SortHeader k="activeUsers" label="Active" sort={sort} onSort={onSort} num />
                <SortHeader k="successRate" label="Success" sort={sort} onSort={onSort} num />
                <SortHeader k="lockouts" label="Lockouts" sort={sort} onSort={onSort} num />
                <SortHeader k="mfaCoverage" label="MFA" sort={sort} onSort={onSort} num />
                <SortHeader k="lastActivity" label="Last activity" sort={sort} onSort={onSort} />
                <th scope="col">7 days</th>
              </tr>
            </thead>
            <tbody>
              {rows.slice(0, shown).map((t) => {
                const k = kpi(t);
                return (
                  <tr key={t.id} data-tenant={t.id}>
                    <th scope="row"><Link href={`/tenants/${enc(t.id)}`}>{t.id}</Link> <span class="muted">{t.name}</span></th>
                    <td class="num">{k ? k.users : cellState}</td>
                    <td class="num">{k ? k.activeUsers : cellState}</td>
                    <td class={`num ${k && k.successRate !== null && (k.successRate <= 1 ? k.successRate : k.successRate / 100) < 0.9 ? 'bad' : ''}`}>{k ? pct(k.successRate) : cellState}</td>
                    <td class={`num ${k && k.lockouts > 0 ? 'bad' : ''}`}>{k ? k.lockouts : cellState}</td>
                    <td class="num">{k ? pct(k.mfaCoverage) : cellState}</td>
                    <td>{k ? <time dateTime={k.lastActivity ?? undefined} title={when(k.lastActivity)}>{ago(k.lastActivity)}</time> : cellState}</td>
                    <td>{k ? <Sparkline days={k.byDay} label={`${t.id}: ${k.authOk} ok and ${k.authFailed} failed authentications in 7 days`} /> : cellState}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {rows.length === 0 && <p class="muted">No tenant matches.</p>}
        </div>
      )}
    </main>
  );
}
