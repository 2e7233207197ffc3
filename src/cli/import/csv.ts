// CSV import files: a header row naming user attributes (any order, case-insensitive), one
// user a row. `groups` is ;-separated, `sshPublicKey` holds one key a line.
import { parse } from 'csv-parse/sync';
import { emptyParsed, importUser, RowError, USER_COLUMNS, type Fields, type ParsedFile } from './rows.ts';

const COLUMN = new Map(USER_COLUMNS.map((c) => [c.toLowerCase(), c.toLowerCase()]));
COLUMN.set('group', 'groups');
COLUMN.set('sshpublickeys', 'sshpublickey');

/** Throws RowError (line 1) for a header that names no uid or an unknown column. */
export function parseCsv(text: string): ParsedFile {
  const out = emptyParsed();
  const records = parse(text, {
    bom: true, info: true, comment: '#', skip_empty_lines: true, relax_column_count: true, trim: true,
  }) as unknown as { record: string[]; info: { lines: number } }[];
  const [head, ...rows] = records;
  if (!head) return out;
  const columns = head.record.map((h) => {
    const c = COLUMN.get(h.toLowerCase());
    if (!c) throw new RowError(`unknown column "${h}"; columns are ${USER_COLUMNS.join(', ')}`);
    return c;
  });
  if (!columns.includes('uid')) throw new RowError('the header row names no uid column');
  for (const { record, info } of rows) {
    // info.lines is where the record ends; a quoted field may span lines.
    const line = info.lines - record.reduce((n, v) => n + (v.match(/\n/g)?.length ?? 0), 0);
    try {
      if (record.length !== columns.length) {
        throw new RowError(`${record.length} fields where the header has ${columns.length}`);
      }
      const f: Fields = new Map();
      columns.forEach((c, i) => {
        const v = record[i] ?? '';
        f.set(c, c === 'groups' ? v.split(';').map((s) => s.trim()) : c === 'sshpublickey' ? v.split(/\r?\n/) : [v]);
      });
      out.users.push(importUser(f, line));
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      out.errors.push({ line, message: err.message });
    }
  }
  return out;
}
