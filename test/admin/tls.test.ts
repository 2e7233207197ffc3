// listen.http.tls: the admin API over HTTPS with the server certificate (the development one
// when tls is not configured), a reloaded certificate for new connections, and no plaintext
// listener on the same port.
import { X509Certificate } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.ts';
import { captureLogger, certsOnce, configCopy, REPO, TOKEN, type LogLine } from '../daemon/helpers.ts';

const certsA = certsOnce();
const certsB = certsOnce();

/** GET over HTTPS trusting only `ca`: the status and the fingerprint of the certificate served. */
function httpsGet(port: number, path: string, ca: Buffer): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, ca, servername: 'localhost', agent: false, timeout: 5_000 }, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

const fingerprintOf = async (file: string) => new X509Certificate(await readFile(file)).fingerprint256;

interface Setup {
  /** listen.http, as YAML. */
  http: string;
  /** A folder of dev-server.{crt,key} to copy into certs/. */
  certs?: string;
  /** `tls:` of tenantdir.yaml, as the certificate and key to copy into pki/server.{crt,key}. */
  tls?: string;
}

async function withDaemon(o: Setup, body: (d: RunningDaemon, dir: string, lines: LogLine[]) => Promise<void>): Promise<void> {
  const dir = await configCopy(o.certs);
  let yaml = (await readFile(join(dir, 'tenantdir.yaml'), 'utf8')).replace(/^ {2}http: .*$/m, `  http: ${o.http}`);
  if (o.tls) {
    await mkdir(join(dir, 'pki'));
    await cp(join(o.tls, 'dev-server.crt'), join(dir, 'pki', 'server.crt'));
    await cp(join(o.tls, 'dev-server.key'), join(dir, 'pki', 'server.key'));
    yaml += 'tls: { cert: pki/server.crt, key: pki/server.key }\n';
  }
  await writeFile(join(dir, 'tenantdir.yaml'), yaml);
  const { logger, lines } = captureLogger();
  const d = await startDaemon({ configDir: dir, logger });
  try {
    await body(d, dir, lines);
  } finally {
    await d.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('listen.http.tls serves the admin API over HTTPS with the development certificate', async (t) => {
  await withDaemon({ http: '{ port: 0, host: 127.0.0.1, tls: true }', certs: await certsA() }, async (d, dir, lines) => {
    const cert = join(dir, 'certs', 'dev-server.crt');
    const r = await httpsGet(d.ports.http, '/readyz', await readFile(cert));
    t.is(r.status, 200);
    t.is(r.fingerprint, await fingerprintOf(cert), 'the same certificate LDAPS uses');
    await t.throwsAsync(fetch(`http://127.0.0.1:${d.ports.http}/healthz`), undefined, 'no plaintext HTTP on the TLS port');
    t.like(lines.find((l) => l.event === 'admin.listen'), { tls: true });
    t.regex(String(lines.find((l) => l.event === 'admin.listen')?.msg), /https:\/\/127\.0\.0\.1:/);
  });
});

test('a reloaded certificate is served to new connections', async (t) => {
  const [a, b] = [await certsA(), await certsB()];
  await withDaemon({ http: '{ port: 0, host: 127.0.0.1, tls: true }', tls: a }, async (d, dir) => {
    // One CA each: both certificates have the same subject, which would confuse a bundle of two.
    const before = await httpsGet(d.ports.http, '/healthz', await readFile(join(a, 'dev-server.crt')));
    t.is(before.fingerprint, await fingerprintOf(join(a, 'dev-server.crt')));
    await cp(join(b, 'dev-server.crt'), join(dir, 'pki', 'server.crt'));
    await cp(join(b, 'dev-server.key'), join(dir, 'pki', 'server.key'));
    t.true(await d.reload('test'));
    // The certificate is read after the reload answers: wait, bounded, until B is served.
    const caB = await readFile(join(b, 'dev-server.crt'));
    let after: { status: number; fingerprint: string } | undefined;
    for (let i = 0; i < 50 && !after; i++) {
      after = await httpsGet(d.ports.http, '/healthz', caB).catch(() => undefined);
      if (!after) await new Promise((r) => setTimeout(r, 100));
    }
    t.is(after?.status, 200);
    t.is(after?.fingerprint, await fingerprintOf(join(b, 'dev-server.crt')));
  });
});

test('a loopback admin API without TLS is not warned about', async (t) => {
  await withDaemon({ http: '{ port: 0, host: 127.0.0.1 }', certs: await certsA() }, async (_d, _dir, lines) => {
    t.like(lines.find((l) => l.event === 'admin.listen'), { tls: false });
    t.is(lines.filter((l) => l.event === 'admin.plaintext').length, 0);
  });
});

test('the CLI reaches the HTTPS admin API when it trusts the certificate (NODE_EXTRA_CA_CERTS)', async (t) => {
  await withDaemon({ http: '{ port: 0, host: 127.0.0.1, tls: true }', certs: await certsA() }, async (d, dir) => {
    const cli = (env: Record<string, string>) => promisify(execFile)(process.execPath, ['bin/tenantdir.js', 'user', 'list', '--tenant', 'acme'], {
      cwd: REPO, timeout: 8_000,
      env: { ...process.env, TENANTDIR_URL: `https://localhost:${d.ports.http}`, TENANTDIR_TOKEN: TOKEN, ...env },
    });
    const refused = await t.throwsAsync(cli({}));
    t.regex(String((refused as { stderr?: string }).stderr), /tenantdir at https:\/\/localhost:\d+ has a certificate this machine does not trust \(.*\): set NODE_EXTRA_CA_CERTS/);
    await t.notThrowsAsync(cli({ NODE_EXTRA_CA_CERTS: join(dir, 'certs', 'dev-server.crt') }));
  });
});
