// tenantdir import --tenant T FILE.csv|FILE.ldif: parses the file here, sends it in batches
// (users before groups, so group members exist), and reports each bad row as FILE:LINE.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { ImportBody, ImportResult, TenantJson } from '../../admin/api.ts';
import { ApiClient, CliError, UsageError } from '../client.ts';
import type { ImportScope } from '../import/ldif.ts';
import { RowError, type ParsedFile } from '../import/rows.ts';
import { printJson } from '../output.ts';
import { apiCommand, clientFor, type ApiOptions } from './common.ts';

/** Rows per request: half the server's limit, so a slow store still answers within the timeout. */
const BATCH_ROWS = 1000;
/** Bytes per request, well under the server's import body limit (4 MiB): rows with many SSH keys are long. */
const BATCH_BYTES = 1024 * 1024;
/** Groups go in smaller requests: each group is one membership write over its members. */
const GROUPS_PER_BATCH = 25;
const BATCH_TIMEOUT_MS = 300_000;

// Loaded on use, so that other commands start faster.
type Parser = (text: string, scope: ImportScope) => ParsedFile;
const csv = async (): Promise<Parser> => (await import('../import/csv.ts')).parseCsv;
const ldif = async (): Promise<Parser> => (await import('../import/ldif.ts')).parseLdif;
const PARSERS: Record<string, () => Promise<Parser>> = { '.csv': csv, '.ldif': ldif, '.ldf': ldif };

interface Report extends Omit<ImportResult, 'errors'> {
  file: string;
  skipped: number;
  errors: { line?: number; name?: string; message: string }[];
}

async function parseFile(file: string, scope: ImportScope): Promise<ParsedFile> {
  const load = PARSERS[extname(file).toLowerCase()];
  if (!load) throw new UsageError(`${file}: import takes .csv or .ldif files`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
  const parser = await load();
  try {
    return parser(text, scope);
  } catch (err) {
    // A file-level problem (unknown CSV column, broken quoting): nothing is sent.
    const line = (err as { lines?: number }).lines ?? 1;
    if (err instanceof RowError || (err as { code?: string }).code?.startsWith('CSV_')) {
      throw new CliError(`${file}:${line}: ${(err as Error).message}`);
    }
    throw err;
  }
}

/** Up to `maxRows` rows and BATCH_BYTES of JSON a request (a longer row goes alone). */
function chunks<T>(rows: T[], maxRows: number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (current.length > 0 && (current.length >= maxRows || bytes + size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function batches(parsed: ParsedFile): ImportBody[] {
  return [
    ...chunks(parsed.users, BATCH_ROWS).map((users) => ({ users })),
    ...chunks(parsed.groups, GROUPS_PER_BATCH).map((groups) => ({ groups })),
  ];
}

/** A progress bar on stderr, for a person at a terminal. */
async function progressBar(total: number) {
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar({ stream: process.stderr, format: 'importing {bar} {value}/{total} rows', hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}

export function importCommand(program: Command): void {
  apiCommand(program, 'import', 'bulk-provision users and groups from a CSV or LDIF file (idempotent)')
    .argument('<file>', 'FILE.csv (header row: uid,cn,sn,mail,password,groups,...) or FILE.ldif (slapcat/ldapsearch output)')
    .action(async (file: string, o: ApiOptions) => {
      const client = clientFor(o);
      // The tenant's base DN bounds what an LDIF file may name (and an unknown tenant stops here).
      const tenant = await client.request<TenantJson>('GET', ApiClient.tenantPath(o.tenant));
      const parsed = await parseFile(file, { tenant: tenant.id, baseDN: tenant.baseDN });
      const report: Report = {
        file, created: 0, updated: 0, unchanged: 0, failed: parsed.errors.length, skipped: parsed.skipped, errors: [...parsed.errors],
      };
      const total = parsed.users.length + parsed.groups.length;
      const bar = process.stderr.isTTY && !o.json ? await progressBar(total) : undefined;
      let sent = 0;
      try {
        for (const body of batches(parsed)) {
          const r = await client.request<ImportResult>('POST', ApiClient.tenantPath(o.tenant, 'import'), { body, timeoutMs: BATCH_TIMEOUT_MS });
          report.created += r.created;
          report.updated += r.updated;
          report.unchanged += r.unchanged;
          report.failed += r.failed;
          for (const e of r.errors) report.errors.push(e);
          sent += (body.users?.length ?? 0) + (body.groups?.length ?? 0);
          bar?.update(sent);
        }
      } catch (err) {
        // Import is idempotent, so running it again is the way to finish.
        if (err instanceof CliError) throw new CliError(`${err.message}\nimport stopped after ${sent} of ${total} rows; run it again to finish`);
        throw err;
      } finally {
        bar?.stop();
      }
      report.errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
      if (o.json) printJson(report);
      else {
        for (const e of report.errors) {
          process.stderr.write(`${file}:${e.line ?? '?'}: ${e.name ? `${e.name}: ` : ''}${e.message}\n`);
        }
        const skipped = report.skipped ? `, ${report.skipped} entries skipped (neither users nor groups)` : '';
        console.log(`${file} → ${o.tenant}: ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged, ${report.failed} failed${skipped}`);
      }
      if (report.failed > 0) process.exitCode = 1;
    });
}
