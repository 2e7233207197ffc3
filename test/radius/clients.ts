// The real RADIUS clients the interop tests drive: radclient (freeradius-utils) and an
// independent pyrad client (interop/pyrad_client.py). Install them with .ci/radius-deps.sh; a
// missing client fails the test rather than skipping it. Every run is bounded.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYRAD_CLIENT = fileURLToPath(new URL('./interop/pyrad_client.py', import.meta.url));

export function run(cmd: string, args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 8000 }, (err, stdout, stderr) => {
      if (err && typeof err.code === 'string') return reject(new Error(`${cmd} cannot run (${err.code}): run .ci/radius-deps.sh`));
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}${stderr}` });
    });
    child.stdin?.end(input ?? '');
  });
}

/** radclient to 127.0.0.1:port, one try of one second; `attrs` as radclient reads them. */
export function radclient(port: number, type: string, secret: string, attrs: string): Promise<{ code: number; out: string }> {
  return run('radclient', ['-x', '-r', '1', '-t', '1', `127.0.0.1:${port}`, type, secret], `${attrs}\n`);
}

/** The pyrad client with these arguments (see pyrad_client.py); its one JSON line. */
export async function pyrad(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await run('/usr/bin/python3', [PYRAD_CLIENT, JSON.stringify(args)]);
  const last = r.out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`pyrad client failed:\n${r.out}`);
  }
}
