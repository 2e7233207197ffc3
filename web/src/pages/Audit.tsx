// The live audit tail: the streaming route read with fetch() (the bearer header; EventSource
// cannot send one), filtered by tenant, user and outcome; the newest first, bounded.
import { useEffect, useState } from 'preact/hooks';
import type { AuditEventJson, TenantJson } from '../../../src/admin/api.ts';
import { enc, get, stream, type Whoami } from '../api.ts';
import { downloadCsv, Notice, when } from '../ui.tsx';

const KEEP = 500;

export function AuditPage(p: { who: Whoami }) {
  const [tenants, setTenants] = useState<string[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    get<{ items: TenantJson[] }>('/tenants').then((r) => setTenants(r.items.map((t) => t.id)), (e: Error) => setError(e.message));
  }, []);
  return (
    <main id="main">
      <h1>Audit</h1>
      {error && <Notice kind="error">{error}</Notice>}
      {tenants && tenants.length === 0 && <p class="muted">No tenants.</p>}
      {tenants && tenants.length > 0 && <AuditTail who={p.who} tenants={tenants} />}
    </main>
  );
}

export function AuditTail(p: { who: Whoami; tenants: string[]; fixedTenant?: string }) {
  const [tenant, setTenant] = useState(p.fixedTenant ?? p.tenants[0]!);
  const [user, setUser] = useState('');
  const [applied, setApplied] = useState('');
  const [outcome, setOutcome] = useState('');
  const [events, setEvents] = useState<(AuditEventJson & { id: string })[]>([]);
  const [state, setState] = useState('connecting');
  const [error, setError] = useState('');

  useEffect(() => {
    const id = setTimeout(() => setApplied(user.trim()), 400);
    return () => clearTimeout(id);
  }, [user]);

  useEffect(() => {
    const ctl = new AbortController();
    setEvents([]);
    setError('');
    setState('connecting');
    const q = new URLSearchParams({ backlog: '50' });
    if (applied) q.set('target', applied);
    if (outcome) q.set('outcome', outcome);
    stream(`/tenants/${enc(tenant)}/audit/stream?${q}`, (e) => {
      if (e.event === 'audit') {
        const ev = JSON.parse(e.data) as AuditEventJson;
        setEvents((list) => [{ ...ev, id: e.id ?? `${ev.at}-${list.length}` }, ...list].slice(0, KEEP));
      } else if (e.event === 'gap') setError('Some events were missed while disconnected; list them from the audit page of the API.');
      else if (e.event === 'end') setState(`ended (${(JSON.parse(e.data || '{}') as { reason?: string }).reason ?? 'by the server'})`);
    }, { signal: ctl.signal, onState: (s) => setState((prev) => (prev.startsWith('ended') ? prev : s === 'open' ? 'live' : s)) })
      .catch((e: Error) => !ctl.signal.aborted && setError(e.message));
    return () => ctl.abort();
  }, [tenant, applied, outcome]);

  const exportCsv = () => downloadCsv(`${tenant}-audit.csv`, ['at', 'actor', 'action', 'target', 'outcome', 'protocol', 'reason'],
    events.map((e) => [e.at, e.actor, e.action, e.target, e.outcome, e.protocol, e.reason]));

  return (
    <section aria-labelledby="tail-h">
      <h2 id="tail-h">Live tail <span class="badge" data-testid="tail-state" aria-live="polite">{state}</span></h2>
      <form class="toolbar" onSubmit={(e) => e.preventDefault()} action="" method="get" aria-label="Filters">
        {!p.fixedTenant && (
          <div class="field inline">
            <label for="tail-tenant">Tenant</label>
            <select id="tail-tenant" value={tenant} onChange={(e) => setTenant((e.target as HTMLSelectElement).value)}>
              {p.tenants.map((t) => <option key={t} value={t}>{t}</option>)}
            </select>
          </div>
        )}
        <div class="field inline">
          <label for="tail-user">User (exact)</label>
          <input id="tail-user" type="search" value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} />
        </div>
        <div class="field inline">
          <label for="tail-outcome">Outcome</label>
          <select id="tail-outcome" value={outcome} onChange={(e) => setOutcome((e.target as HTMLSelectElement).value)}>
            <option value="">any</option><option value="ok">ok</option><option value="failed">failed</option><option value="refused">refused</option>
          </select>
        </div>
        <button type="button" onClick={exportCsv} disabled={events.length === 0}>Export CSV</button>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)">
        <table class="grid" data-testid="audit-tail">
          <caption class="sr-only">Audit events of {tenant}, newest first</caption>
          <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Detail</th></tr></thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id} data-action={e.action} data-target={e.target}>
                <td><time dateTime={e.at}>{when(e.at)}</time></td>
                <td>{e.action}{e.protocol ? <span class="muted"> {e.protocol}</span> : null}</td>
                <td>{e.target ?? ''}</td>
                <td><span class={`badge outcome-${e.outcome}`}>{e.outcome}</span>{e.reason ? ` ${e.reason}` : ''}</td>
                <td>{e.actor}</td>
                <td class="muted">{e.detail ? Object.entries(e.detail).map(([k, v]) => `${k}=${v}`).join(' ') : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {events.length === 0 && <p class="muted">No events yet; new ones appear here as they happen.</p>}
    </section>
  );
}
