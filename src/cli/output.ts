// What commands print: aligned tables for people, JSON with --json for scripts.

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to the widest cell; a header row in capitals. */
export function printTable(columns: string[], rows: (string | number | boolean | undefined)[][]): void {
  const cells = [columns.map((c) => c.toUpperCase()), ...rows.map((r) => r.map((v) => (v === undefined ? '' : String(v))))];
  // A reduce, not Math.max(...): spreading 100,000 rows as arguments throws RangeError.
  const widths = columns.map((_, i) => cells.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0));
  for (const r of cells) {
    process.stdout.write(`${r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ')}\n`);
  }
}

/** One record as `key: value` lines, skipping empty values. */
export function printRecord(record: object): void {
  const entries = Object.entries(record).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0));
  const width = Math.max(...entries.map(([k]) => k.length));
  for (const [k, v] of entries) {
    process.stdout.write(`${`${k}:`.padEnd(width + 2)}${Array.isArray(v) ? v.join(', ') : String(v)}\n`);
  }
}

/** Prints `value` as JSON with --json, otherwise what `human` prints. */
export function print(json: boolean | undefined, value: unknown, human: () => void): void {
  if (json) printJson(value);
  else human();
}
