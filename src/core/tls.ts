// TLS material for LDAPS, StartTLS, EAP and the admin API. With no `tls` in the config, a
// self-signed development certificate is made once in the data directory's certs/ folder (the
// config directory unless TENANTDIR_DATA says otherwise; never committed) and reused, so clients
// can pin it across restarts.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import selfsigned from 'selfsigned';
import { ConfigInvalid } from './errors.ts';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** Where it came from, for the log. */
  source: 'config' | 'dev-generated' | 'dev-reused';
  certPath: string;
}

export interface TlsPaths {
  cert: string;
  key: string;
  ca?: string;
}

/** The options node:tls takes for a server with this material (createServer, setSecureContext). */
export function tlsOptions(m: TlsMaterial): { cert: Buffer; key: Buffer; ca?: Buffer } {
  return { cert: m.cert, key: m.key, ...(m.ca ? { ca: m.ca } : {}) };
}

/** Reads the configured certificate and key (absolute paths). */
export async function readTls(paths: TlsPaths): Promise<TlsMaterial> {
  try {
    return {
      cert: await readFile(paths.cert),
      key: await readFile(paths.key),
      ...(paths.ca ? { ca: await readFile(paths.ca) } : {}),
      source: 'config',
      certPath: paths.cert,
    };
  } catch (cause) {
    throw new ConfigInvalid(`cannot read the TLS certificate or key (${paths.cert}, ${paths.key})`, {
      hint: 'check tls.cert and tls.key in tenantdir.yaml', cause,
    });
  }
}

/** A self-signed development certificate in `dir`, made on first use. */
export async function devTls(dir: string): Promise<TlsMaterial> {
  const certPath = join(dir, 'dev-server.crt');
  const keyPath = join(dir, 'dev-server.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { cert: await readFile(certPath), key: await readFile(keyPath), source: 'dev-reused', certPath };
  }
  const notBefore = new Date(Date.now() - 60_000);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'tenantdir development' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: new Date(notBefore.getTime() + 825 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: hostname() },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  // The last level alone: Node's recursive mkdir says ENOENT where the reason is EROFS or EACCES.
  await mkdir(dirname(dir), { recursive: true });
  await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert);
  return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private), source: 'dev-generated', certPath };
}
