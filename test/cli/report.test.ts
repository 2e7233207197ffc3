// tenantdir report: CSV cells as RFC 4180 quotes them and safe in a spreadsheet, the sparkline,
// and its usage errors (exit 2). The numbers, through a running daemon: test/daemon/report.test.ts.
import test from 'ava';
import { csvCell, sparkline } from '../../src/cli/commands/report.ts';
import { cli } from './run.ts';

test('csvCell quotes commas, quotes and line breaks, and defuses formulas', (t) => {
  t.is(csvCell('plain'), 'plain');
  t.is(csvCell(3), '3');
  t.is(csvCell(0.375), '0.375');
  t.is(csvCell(null), '');
  t.is(csvCell(undefined), '');
  t.is(csvCell('a,b'), '"a,b"');
  t.is(csvCell('say "hi"'), '"say ""hi"""');
  t.is(csvCell('two\nlines'), '"two\nlines"');
  t.is(csvCell(' padded'), '" padded"');
  t.is(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  t.is(csvCell('+1'), "'+1");
  t.is(csvCell('@sum'), "'@sum");
});

test('sparkline: the busiest day is the tallest bar; a quiet range is flat', (t) => {
  t.is(sparkline([{ ok: 0, failed: 0 }, { ok: 1, failed: 1 }, { ok: 4, failed: 0 }]), '▁▅█');
  t.is(sparkline([{ ok: 0, failed: 0 }, { ok: 0, failed: 0 }]), '▁▁');
});

test('report needs --tenant or --all (not both), and --json or --csv (not both): exit 2', async (t) => {
  const env = { TENANTDIR_URL: 'http://127.0.0.1:9', TENANTDIR_TOKEN: 'x'.repeat(32) };
  for (const args of [['report'], ['report', '--tenant', 'acme', '--all'], ['report', '--all', '--json', '--csv'], ['report', '--all', '--since', 'yesterday']]) {
    const r = await cli(args, { env });
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
});
