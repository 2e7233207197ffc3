// rsyslogd (Debian's rsyslog + rsyslog-gnutls, .ci/syslog-deps.sh) as the SIEM: UDP, TCP and TLS
// listeners on 127.0.0.1, each message parsed by its RFC 5424 parser and written back as one
// JSON line with the fields it found. Started in the foreground with its own config, per test.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { devTls } from '../../src/core/tls.ts';
import { until } from './helpers.ts';

const RSYSLOGD = '/usr/sbin/rsyslogd';

/** One message as rsyslog parsed it. */
export interface Parsed {
  input: 'udp' | 'tcp' | 'tls';
  pri: string;
  version: string;
  time: string;
  host: string;
  app: string;
  procid: string;
  msgid: string;
  sd: string;
  msg: string;
}

export interface Rsyslog {
  udp: number;
  tcp: number;
  tls: number;
  /** The PEM certificate of its TLS listener (self-signed, for 127.0.0.1). */
  ca: string;
  messages(): Promise<Parsed[]>;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export async function startRsyslog(t: ExecutionContext): Promise<Rsyslog> {
  if (!existsSync(RSYSLOGD)) throw new Error(`${RSYSLOGD} is missing: run .ci/syslog-deps.sh (Debian packages rsyslog, rsyslog-gnutls)`);
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-rsyslog-'));
  const tls = await devTls(dir);
  const key = join(dir, 'dev-server.key');
  const out = join(dir, 'messages.jsonl');
  const udp = await freeUdpPort();
  const field = (name: string, property: string) => `  property(outname="${name}" name="${property}" format="jsonf")`;
  await writeFile(join(dir, 'rsyslog.conf'), [
    `global(workDirectory="${dir}" defaultNetstreamDriverCAFile="${tls.certPath}" defaultNetstreamDriverCertFile="${tls.certPath}" defaultNetstreamDriverKeyFile="${key}")`,
    'module(load="imudp")',
    'module(load="imtcp")',
    `input(type="imudp" name="udp" address="127.0.0.1" port="${udp}")`,
    `input(type="imtcp" name="tcp" address="127.0.0.1" port="0" listenPortFileName="${dir}/tcp.port")`,
    `input(type="imtcp" name="tls" address="127.0.0.1" port="0" listenPortFileName="${dir}/tls.port" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")`,
    'template(name="parsed" type="list" option.jsonf="on") {',
    field('input', 'inputname'), field('pri', 'pri'), field('version', 'protocol-version'), field('time', 'timereported'),
    field('host', 'hostname'), field('app', 'app-name'), field('procid', 'procid'), field('msgid', 'msgid'),
    field('sd', 'structured-data'), field('msg', 'msg'),
    '}',
    `action(type="omfile" file="${out}" template="parsed" flushOnTXEnd="on" asyncWriting="off")`,
  ].join('\n'));
  const proc: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let said = '';
  proc.stdout!.on('data', (b: Buffer) => (said += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (said += b.toString()));
  t.teardown(async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });
  const port = async (name: string) => {
    const file = join(dir, `${name}.port`);
    return existsSync(file) ? Number((await readFile(file, 'utf8')).trim()) : 0;
  };
  await until('rsyslogd to listen', async () => (await port('tcp')) > 0 && (await port('tls')) > 0, 8_000)
    .catch((err: Error) => Promise.reject(new Error(`${err.message}: ${said}`)));
  return {
    udp,
    tcp: await port('tcp'),
    tls: await port('tls'),
    ca: tls.certPath,
    async messages() {
      if (!existsSync(out)) return [];
      return (await readFile(out, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Parsed);
    },
  };
}
