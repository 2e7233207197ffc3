// Passwords come from stdin, never from argv (where `ps` and shell history would keep them):
// piped, the first line; at a terminal, a prompt without echo, asked twice.
import { CliError } from './client.ts';

const MAX_BYTES = 64 * 1024;

export async function readPassword(o: { prompt: string; confirm?: boolean }): Promise<string> {
  if (!process.stdin.isTTY) return firstLine();
  const value = await promptHidden(`${o.prompt}: `);
  if (o.confirm && (await promptHidden('again: ')) !== value) throw new CliError('the passwords do not match');
  return value;
}

async function firstLine(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) {
    data += String(chunk);
    if (data.includes('\n') || data.length > MAX_BYTES) break;
  }
  const line = data.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new CliError('no password on stdin: pipe it in, e.g. printf "%s\\n" "$PW" | tenantdir ...');
  return line;
}

function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          done();
          reject(new CliError('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
