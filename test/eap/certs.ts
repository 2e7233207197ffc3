// Test PKI, made with openssl into a temp dir at test time (no private key is ever committed):
// a server CA with the server certificate (and a second one behind two intermediates and many
// SANs, over 6 KB as a chain), acme's client CA with alice's certificate and a revoked one plus
// its CRL, a foreign CA that also issues an "alice", and an MSP device CA issuing alice@acme.example
// and alice@globex.example.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  path(name: string): string;
  read(name: string): Buffer;
  remove(): void;
}

const DAYS = '2';
// EC keys: RSA key generation would make this take seconds.
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'tenantdir-eap-pki-'));
  const p = (n: string): string => join(dir, n);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const ext = (name: string, body: string): string => {
    writeFileSync(p(name), body);
    return p(name);
  };
  const caExt = ext('ca.ext', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
  const leafExt = (name: string, extra = ''): string =>
    ext(`${name}.ext`, `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n${extra}`);

  const rootCa = (name: string, cn: string): void => {
    ssl('req', '-x509', ...KEY, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${cn}`, '-days', DAYS,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  const issue = (name: string, subject: string, ca: string, extFile: string): void => {
    ssl('req', ...KEY, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`,
      '-days', DAYS, '-extfile', extFile);
  };

  rootCa('server-ca', 'tenantdir test server CA');
  issue('server', '/CN=radius.acme.example', 'server-ca', leafExt('server', 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:radius.acme.example\n'));
  // The long chain: two intermediates and a leaf with 220 SANs.
  issue('int1', '/CN=tenantdir test intermediate 1', 'server-ca', caExt);
  issue('int2', '/CN=tenantdir test intermediate 2', 'int1', caExt);
  const sans = ['DNS:radius.acme.example', ...Array.from({ length: 220 }, (_, i) => `DNS:ap-${i}.radius.acme.example`)].join(',');
  issue('long', '/CN=radius.acme.example', 'int2', leafExt('long', `extendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`));
  writeFileSync(p('long-chain.crt'), Buffer.concat(['long.crt', 'int2.crt', 'int1.crt'].map((f) => readFileSync(p(f)))));

  rootCa('acme-ca', 'acme client CA');
  const client = leafExt('client', 'extendedKeyUsage=clientAuth\n');
  issue('alice', '/CN=alice/O=Acme', 'acme-ca', client);
  issue('revoked', '/CN=alice/O=Acme/OU=lost laptop', 'acme-ca', client);
  issue('nobody', '/CN=nobody/O=Acme', 'acme-ca', client);
  // A device certificate naming its user only in the SAN (e-mail and Microsoft UPN).
  issue('laptop', '/CN=laptop-17/O=Acme', 'acme-ca', leafExt('laptop',
    'extendedKeyUsage=clientAuth\nsubjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@acme.example,email:alice@acme.example\n'));
  writeFileSync(p('index.txt'), '');
  writeFileSync(p('crlnumber'), '01\n');
  const caConf = ext('ca.cnf', [
    '[ca]', 'default_ca=acme', '[acme]', `database=${p('index.txt')}`, `crlnumber=${p('crlnumber')}`,
    'default_md=sha256', 'default_crl_days=2', `certificate=${p('acme-ca.crt')}`, `private_key=${p('acme-ca.key')}`, '',
  ].join('\n'));
  ssl('ca', '-config', caConf, '-revoke', 'revoked.crt');
  ssl('ca', '-config', caConf, '-gencrl', '-out', 'acme.crl');

  rootCa('evil-ca', 'somebody else');
  issue('evil-alice', '/CN=alice/O=Evil', 'evil-ca', client);

  // An MSP's device CA (Intune, AD CS) trusted by two tenants: the realm in the certificate
  // (CN, SAN e-mail and UPN alike) says whose alice each certificate is.
  rootCa('device-ca', 'MSP device CA');
  for (const realm of ['acme.example', 'globex.example']) {
    const name = `device-alice-${realm.split('.')[0]!}`;
    issue(name, `/CN=alice@${realm}/O=MSP devices`, 'device-ca', leafExt(name,
      `extendedKeyUsage=clientAuth\nsubjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@${realm},email:alice@${realm}\n`));
  }

  return pkiAt(dir);
}

/** A PKI made earlier (by makePki, in another process). */
export function pkiAt(dir: string): Pki {
  const p = (n: string): string => join(dir, n);
  return { dir, path: p, read: (n) => readFileSync(p(n)), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
