// CSV import, in the browser: the file is read and parsed here with the CLI's own reader (same
// columns, same line numbers), then sent in batches to the import route; a progress bar, and
// each refused row by its line.
import { useState } from 'preact/hooks';
import type { ImportResult, TenantJson } from '../../../src/admin/api.ts';
import { parseCsv } from '../../../src/cli/import/csv.ts';
import { RowError } from '../../../src/cli/import/rows.ts';
import { api, enc, type Whoami } from '../api.ts';
import { Notice } from '../ui.tsx';

/** Rows per request: the route takes up to MAX_IMPORT_BATCH; smaller batches move the bar. */
const BATCH = 100;

interface Totals { created: number; updated: number; unchanged: number; failed: number }

export function ImportTab(p: { who: Whoami; tenant: TenantJson }) {
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [totals, setTotals] = useState<Totals | null>(null);
  const [errors, setErrors] = useState<{ line?: number; name?: string; message: string }[]>([]);
  const [fatal, setFatal] = useState('');
  const [busy, setBusy] = useState(false);
  const [fileName, setFileName] = useState('');
  if (!p.who.may.write) return <Notice kind="info">Importing users needs a tenant-admin or msp-admin token.</Notice>;

  const run = async (file: File) => {
    setBusy(true);
    setFatal('');
    setErrors([]);
    setTotals(null);
    setFileName(file.name);
    try {
      const parsed = parseCsv(await file.text());
      const rowErrors: { line?: number; name?: string; message: string }[] = parsed.errors.map((e) => ({ line: e.line, message: e.message }));
      const total = parsed.users.length;
      const sum: Totals = { created: 0, updated: 0, unchanged: 0, failed: rowErrors.length };
      setProgress({ done: 0, total });
      for (let i = 0; i < total; i += BATCH) {
        const r = await api<ImportResult>('POST', `/tenants/${enc(p.tenant.id)}/import`, { users: parsed.users.slice(i, i + BATCH) });
        sum.created += r.created;
        sum.updated += r.updated;
        sum.unchanged += r.unchanged;
        sum.failed += r.failed;
        rowErrors.push(...r.errors);
        setProgress({ done: Math.min(total, i + BATCH), total });
        setErrors([...rowErrors]);
        setTotals({ ...sum });
      }
      rowErrors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
      setErrors(rowErrors);
      setTotals(sum);
    } catch (e) {
      setFatal(e instanceof RowError ? `${file.name}:1: ${e.message}` : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="import-h">
      <h2 id="import-h">Import users from CSV</h2>
      <p>A header row names the columns (any order): <code>uid</code> and any of <code>cn, sn, givenName, mail, telephoneNumber, title, password, passwordHash, groups</code> (<code>;</code>-separated), <code>enabled, expiresAt</code>. Importing again is safe: unchanged rows stay unchanged.</p>
      <div class="field">
        <label for="csv-file">CSV file</label>
        <input id="csv-file" type="file" accept=".csv,text/csv" disabled={busy} onChange={(e) => {
          const f = (e.target as HTMLInputElement).files?.[0];
          if (f) void run(f);
        }} />
      </div>
      {progress && (
        <div class="progress">
          <label for="import-progress">Imported {progress.done} of {progress.total} rows{fileName ? ` of ${fileName}` : ''}</label>
          <progress id="import-progress" max={Math.max(1, progress.total)} value={progress.done}>{progress.done}</progress>
        </div>
      )}
      {fatal && <Notice kind="error">{fatal}</Notice>}
      {totals && !busy && <Notice kind={totals.failed ? 'warn' : 'ok'} id="import-summary">{totals.created} created, {totals.updated} updated, {totals.unchanged} unchanged, {totals.failed} failed.</Notice>}
      {errors.length > 0 && (
        <div class="scroll" tabIndex={0} role="region" aria-label="Table (scrolls sideways)"><table class="grid" data-testid="import-errors">
          <caption>Rows not imported</caption>
          <thead><tr><th scope="col" class="num">Line</th><th scope="col">uid</th><th scope="col">Problem</th></tr></thead>
          <tbody>{errors.map((e, i) => <tr key={i}><td class="num">{e.line ?? ''}</td><td>{e.name ?? ''}</td><td>{e.message}</td></tr>)}</tbody>
        </table></div>
      )}
    </section>
  );
}
