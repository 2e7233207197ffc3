// A tenant's report over 7 or 30 days: authentications per day by outcome, the top failing users
// and sources as bars, lockouts, users and MFA; exported as CSV in the browser.
import { useEffect, useState } from 'preact/hooks';
import type { TenantJson } from '../../../src/admin/api.ts';
import { ApiError, enc, get } from '../api.ts';
import type { TenantReport } from '../report.ts';
import { DayBars, downloadCsv, HBars, Loading, Notice, pct, when } from '../ui.tsx';

export function ReportTab(p: { tenant: TenantJson }) {
  const [since, setSince] = useState('7d');
  const [r, setR] = useState<TenantReport | null>(null);
  const [state, setState] = useState<'loading' | 'ok' | 'unavailable' | 'error'>('loading');
  const [error, setError] = useState('');
  useEffect(() => {
    setState('loading');
    get<TenantReport>(`/tenants/${enc(p.tenant.id)}/report?since=${since}`).then((x) => {
      setR(x);
      setState('ok');
    }, (e: unknown) => {
      if (e instanceof ApiError && e.status === 404 && e.code === 'TD_NOT_FOUND' && e.message.startsWith('no route')) setState('unavailable');
      else {
        setError((e as Error).message);
        setState('error');
      }
    });
  }, [p.tenant.id, since]);
  const exportCsv = () => {
    if (!r) return;
    const rows: (string | number | undefined)[][] = [
      ...r.authentications.byDay.map((d) => ['day', d.day, d.ok, d.failed]),
      ...r.authentications.byMethod.map((m) => ['method', `${m.protocol} ${m.method}`, m.ok, m.failed]),
      ...r.topFailingUsers.map((u) => ['failing-user', u.user, '', u.failures]),
      ...r.topFailingSources.map((s) => ['failing-source', s.nas ? `${s.source} (${s.nas})` : s.source, '', s.failures]),
      ...r.lockouts.users.map((l) => ['lockout', l.user, '', l.at]),
    ];
    downloadCsv(`${p.tenant.id}-report-${since}.csv`, ['section', 'key', 'ok', 'failed'], rows);
  };
  return (
    <section aria-labelledby="report-h">
      <h2 id="report-h">Report</h2>
      <div class="toolbar">
        <div class="field inline">
          <label for="report-since">Period</label>
          <select id="report-since" value={since} onChange={(e) => setSince((e.target as HTMLSelectElement).value)}>
            <option value="1d">last day</option><option value="7d">last 7 days</option><option value="30d">last 30 days</option>
          </select>
        </div>
        <button type="button" onClick={exportCsv} disabled={!r || state !== 'ok'}>Export CSV</button>
      </div>
      {state === 'loading' && <Loading what="the report" />}
      {state === 'unavailable' && <Notice kind="warn" id="report-unavailable">Report unavailable: this server has no report API yet.</Notice>}
      {state === 'error' && <Notice kind="error">{error}</Notice>}
      {state === 'ok' && r && (
        <>
          <p class="muted">{when(r.since)} to {when(r.until)}; last activity {when(r.lastActivity)}.</p>
          <div class="kpis">
            <div><span class="kpi">{r.authentications.ok + r.authentications.failed}</span> authentications</div>
            <div><span class="kpi">{pct(r.authentications.successRate)}</span> succeeded</div>
            <div><span class="kpi">{r.lockouts.count}</span> lockouts</div>
            <div><span class="kpi">{r.users.active}</span> of {r.users.total} users active</div>
            <div><span class="kpi">{pct(r.mfa.coverage)}</span> MFA coverage</div>
          </div>
          <div class="columns">
            <DayBars days={r.authentications.byDay} title="Authentications per day" />
            <HBars title="Top failing users" empty="No failed logins." rows={r.topFailingUsers.map((u) => ({ label: u.user, value: u.failures }))} />
            <HBars title="Top failing NAS and sources" empty="No failing source." rows={r.topFailingSources.map((s) => ({ label: s.nas ? `${s.nas} ${s.source}` : s.source, value: s.failures }))} />
          </div>
          {r.suspicious.length > 0 && (
            <>
              <h3>Suspicious activity</h3>
              <ul>{r.suspicious.map((s, i) => <li key={i}>{when(s.at)} <strong>{s.kind}</strong> {s.user ?? ''} {s.source ?? ''} <span class="muted">{s.detail ? Object.entries(s.detail).map(([k, v]) => `${k}=${v}`).join(' ') : ''}</span></li>)}</ul>
            </>
          )}
          <h3>Users</h3>
          <p>{r.users.enabled} enabled, {r.users.disabled} disabled, {r.users.expired} expired; {r.users.neverLoggedIn.count} never logged in; {r.users.inactive.count} inactive for {r.users.inactive.days} days.</p>
          {r.passwordsExpiring.users.length > 0 && <p>Passwords expiring within {r.passwordsExpiring.days} days: {r.passwordsExpiring.users.map((u) => u.user).join(', ')}.</p>}
          {r.appPasswordsUnused.items.length > 0 && <p>App passwords unused for {r.appPasswordsUnused.days} days: {r.appPasswordsUnused.items.map((a) => `${a.user}/${a.name}`).join(', ')}.</p>}
        </>
      )}
    </section>
  );
}
