// Shared pieces: links that use the router, a sortable table header, inline-SVG charts, notices.
import type { ComponentChildren, JSX } from 'preact';
import { navigate } from './router.ts';

export function Link(p: { href: string; children: ComponentChildren; class?: string; 'aria-current'?: 'page' | undefined }) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(p.href);
  };
  return <a href={p.href} class={p.class} aria-current={p['aria-current']} onClick={onClick}>{p.children}</a>;
}

export function Notice(p: { kind: 'error' | 'info' | 'ok' | 'warn'; children: ComponentChildren; id?: string }) {
  return <div id={p.id} class={`notice notice-${p.kind}`} role={p.kind === 'error' ? 'alert' : 'status'}>{p.children}</div>;
}

export function Loading(p: { what: string }) {
  return <p class="muted" role="status" aria-live="polite">Loading {p.what}…</p>;
}

/** A fraction (0..1) or a percentage as "97.5 %"; a dash for nothing. */
export function pct(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const p = v <= 1 ? v * 100 : v;
  return `${p >= 99.95 || p === 0 ? p.toFixed(0) : p.toFixed(1)} %`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.round((now - new Date(iso).getTime()) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export type SortDir = 'ascending' | 'descending';

/** A column header that sorts its table; aria-sort says how. */
export function SortHeader<K extends string>(p: { k: K; label: string; sort: { key: K; dir: SortDir }; onSort: (k: K) => void; num?: boolean }) {
  const active = p.sort.key === p.k;
  return (
    <th scope="col" aria-sort={active ? p.sort.dir : 'none'} class={p.num ? 'num' : undefined}>
      <button type="button" class="sort" onClick={() => p.onSort(p.k)}>
        {p.label}<span aria-hidden="true">{active ? (p.sort.dir === 'ascending' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

export function sortBy<T>(rows: readonly T[], key: (r: T) => string | number | undefined, dir: SortDir): T[] {
  const sign = dir === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === y) return 0;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    return (x < y ? -1 : 1) * sign;
  });
}

export interface Day {
  day: string;
  ok: number;
  failed: number;
}

/** Authentications per day as a tiny line (ok) with failed days marked; inline SVG. */
export function Sparkline(p: { days: readonly Day[]; label: string }) {
  const w = 84;
  const h = 22;
  const max = Math.max(1, ...p.days.map((d) => d.ok + d.failed));
  const n = Math.max(1, p.days.length - 1);
  const pts = p.days.map((d, i) => `${((i / n) * (w - 4) + 2).toFixed(1)},${(h - 2 - ((d.ok + d.failed) / max) * (h - 4)).toFixed(1)}`).join(' ');
  return (
    <svg class="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={p.label}>
      {p.days.length > 0 && <polyline points={pts} fill="none" stroke="currentColor" stroke-width="1.5" />}
      {p.days.map((d, i) => (d.failed > 0
        ? <circle key={d.day} cx={((i / n) * (w - 4) + 2).toFixed(1)} cy={(h - 2 - ((d.ok + d.failed) / max) * (h - 4)).toFixed(1)} r="2" class="spark-failed" />
        : null))}
    </svg>
  );
}

/** Stacked bars per day: ok and failed authentications. */
export function DayBars(p: { days: readonly Day[]; title: string }) {
  const w = 560;
  const h = 180;
  const pad = 28;
  const max = Math.max(1, ...p.days.map((d) => d.ok + d.failed));
  const bw = p.days.length > 0 ? (w - pad) / p.days.length : 0;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h + 24}`} role="img" aria-label={`${p.title}: ${p.days.map((d) => `${d.day} ${d.ok} ok, ${d.failed} failed`).join('; ')}`}>
        <line x1={pad} y1={h} x2={w} y2={h} class="axis" />
        <text x={pad - 4} y={12} class="tick" text-anchor="end">{max}</text>
        <text x={pad - 4} y={h} class="tick" text-anchor="end">0</text>
        {p.days.map((d, i) => {
          const okH = (d.ok / max) * (h - 10);
          const failH = (d.failed / max) * (h - 10);
          const x = pad + i * bw + bw * 0.15;
          return (
            <g key={d.day}>
              <rect x={x} y={h - okH} width={bw * 0.7} height={okH} class="bar-ok" />
              <rect x={x} y={h - okH - failH} width={bw * 0.7} height={failH} class="bar-failed" />
              <text x={x + bw * 0.35} y={h + 16} class="tick" text-anchor="middle">{d.day.slice(5)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>{p.title} <span class="key key-ok">ok</span> <span class="key key-failed">failed</span></figcaption>
    </figure>
  );
}

/** Horizontal bars: the top N of something, labelled. */
export function HBars(p: { rows: readonly { label: string; value: number }[]; title: string; empty: string }) {
  const max = Math.max(1, ...p.rows.map((r) => r.value));
  const rowH = 22;
  const w = 560;
  const labelW = 200;
  if (p.rows.length === 0) return <figure class="chart"><p class="muted">{p.empty}</p><figcaption>{p.title}</figcaption></figure>;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${p.rows.length * rowH}`} role="img" aria-label={`${p.title}: ${p.rows.map((r) => `${r.label} ${r.value}`).join('; ')}`}>
        {p.rows.map((r, i) => (
          <g key={r.label}>
            <text x={labelW - 6} y={i * rowH + 15} class="tick" text-anchor="end">{r.label.length > 28 ? `${r.label.slice(0, 27)}…` : r.label}</text>
            <rect x={labelW} y={i * rowH + 4} width={Math.max(1, (r.value / max) * (w - labelW - 40))} height={rowH - 8} class="bar-failed" />
            <text x={labelW + (r.value / max) * (w - labelW - 40) + 4} y={i * rowH + 15} class="tick">{r.value}</text>
          </g>
        ))}
      </svg>
      <figcaption>{p.title}</figcaption>
    </figure>
  );
}

/** A client-side CSV download (nothing leaves the browser). */
export function downloadCsv(name: string, header: readonly string[], rows: readonly (readonly (string | number | undefined | null)[])[]): void {
  const cell = (v: string | number | undefined | null) => {
    const s = v === undefined || v === null ? '' : String(v);
    // A leading = + - @ would be a formula in a spreadsheet.
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const text = [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Field(p: { id: string; label: string; error?: string | undefined; hint?: string; children: (describedBy: string | undefined) => JSX.Element }) {
  const described = [p.hint ? `${p.id}-hint` : '', p.error ? `${p.id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      {p.children(described)}
      {p.hint && <small id={`${p.id}-hint`} class="muted">{p.hint}</small>}
      {p.error && <small id={`${p.id}-error`} class="field-error" role="alert">{p.error}</small>}
    </div>
  );
}

export function NotFound(p: { what?: string }) {
  return (
    <main id="main">
      <h1>Not found</h1>
      <p>{p.what ?? 'There is no such page.'}</p>
      <p><Link href="/">Back to the tenants</Link></p>
    </main>
  );
}
