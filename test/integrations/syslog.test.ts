// Syslog to rsyslog, the receiver a SIEM deployment runs: RFC 5424 over UDP, TCP with octet
// counting (RFC 6587) and TLS (RFC 5425), parsed by rsyslog itself; per tenant and MSP-wide; and
// the bounded queue of a destination that is down, which drops the oldest and counts them.
import { createServer, type Socket } from 'node:net';
import test from 'ava';
import type { AuditInput } from '../../src/audit/index.ts';
import { syslogMessage } from '../../src/integrations/index.ts';
import { makeWorld, until } from './helpers.ts';
import { startRsyslog } from './rsyslog.ts';

const auth = (target: string, over: Partial<AuditInput> = {}): AuditInput => ({
  actor: 'radius:ap', action: 'radius.auth', target, outcome: 'failed', protocol: 'radius', reason: 'bad-password',
  detail: { nas: 'ap', source: '192.0.2.7' }, ...over,
});

test('rsyslog receives RFC 5424 over udp, tcp and tls: per tenant and MSP-wide, each labelled with its tenant', async (t) => {
  const rs = await startRsyslog(t);
  const w = await makeWorld(t, {
    acme: ['  syslog:',
      `    - { host: 127.0.0.1, port: ${rs.tcp}, transport: tcp }`,
      `    - { host: 127.0.0.1, port: ${rs.tls}, transport: tls, ca: ${rs.ca}, events: ["radius.*"], outcomes: [failed] }`],
    msp: ['  syslog:', `    - { host: 127.0.0.1, port: ${rs.udp}, transport: udp, format: json }`],
  });
  // A value with a line feed and the characters RFC 5424 escapes: octet counting keeps it one message.
  await w.tenant('acme').record(auth('alice', { detail: { nas: 'ap "one"', note: 'line1\nline2 [x] back\\slash' } }));
  await w.tenant('acme').record(auth('bob', { outcome: 'ok', reason: undefined }));
  await w.tenant('globex').record(auth('carol'));
  await until('6 messages in rsyslog', async () => (await rs.messages()).length >= 6, 8_000);
  await new Promise((r) => setTimeout(r, 200));
  const got = await rs.messages();
  const by = (input: string) => got.filter((m) => m.input === input);

  t.deepEqual(by('tcp').map((m) => m.msg).sort(), ['radius.auth failed alice (tenant acme)', 'radius.auth ok bob (tenant acme)']);
  t.deepEqual(by('tls').map((m) => m.msg), ['radius.auth failed alice (tenant acme)'], 'tls: only failed radius.* events');
  const udp = by('udp').map((m) => JSON.parse(m.msg) as { tenant: string; target: string });
  t.deepEqual(udp.map((m) => `${m.tenant}:${m.target}`).sort(), ['acme:alice', 'acme:bob', 'globex:carol']);
  t.is(got.length, 6);

  const alice = by('tcp').find((m) => m.msg.includes('alice'))!;
  t.is(alice.version, '1');
  t.is(alice.pri, String(10 * 8 + 4), 'authpriv.warning for a failed authentication');
  t.is(alice.app, 'tenantdir');
  t.is(alice.procid, String(process.pid));
  t.is(alice.msgid, 'radius.auth');
  t.true(Number.isFinite(Date.parse(alice.time)));
  t.regex(alice.sd, /^\[tenantdir@32473 tenant="acme" action="radius\.auth" outcome="failed" actor="radius:ap" target="alice" protocol="radius" reason="bad-password"\]/);
  t.true(alice.sd.includes('[tenantdir-detail@32473 nas="ap \\"one\\"" note="line1'), alice.sd);
  t.true(alice.sd.includes('line2 [x\\] back\\\\slash"]'), alice.sd);
  t.is(by('tcp').find((m) => m.msg.includes('bob'))?.pri, String(10 * 8 + 6), 'authpriv.info for a success');

  const status = await w.integrations.status('acme');
  t.deepEqual(status.syslog.map((s) => [s.transport, s.sent, s.dropped, s.connected]), [['tcp', 2, 0, true], ['tls', 1, 0, true]]);
  t.like((await w.integrations.mspStatus()).syslog[0], { scope: 'msp', transport: 'udp', sent: 3, dropped: 0 });
});

test('a syslog destination that is down: the queue holds syslogQueue messages, drops the oldest, and sends the rest once it is up', async (t) => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const w = await makeWorld(t, {
    server: [],
    msp: ['  syslogQueue: 5'],
    acme: ['  syslog:', `    - { host: 127.0.0.1, port: ${port}, transport: tcp }`],
  });
  for (let i = 0; i < 12; i++) await w.tenant('acme').record(auth(`u${i}`));
  await until('a failed connection', async () => (await w.integrations.status('acme')).syslog[0]!.errors >= 1);
  t.like((await w.integrations.status('acme')).syslog[0], { sent: 0, dropped: 7, queued: 5, connected: false });

  // Now a receiver (a plain TCP server reading octet-counted frames) comes up on that port.
  const frames: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s: Socket) => {
    sockets.add(s);
    let buf = Buffer.alloc(0);
    s.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      for (let m = /^(\d+) /.exec(buf.toString('latin1')); m; m = /^(\d+) /.exec(buf.toString('latin1'))) {
        const start = m[0].length;
        const len = Number(m[1]);
        if (buf.length < start + len) break;
        frames.push(buf.subarray(start, start + len).toString('utf8'));
        buf = buf.subarray(start + len);
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  await until('the 5 queued messages', () => frames.length >= 5, 8_000);
  t.deepEqual(frames.map((f) => /radius\.auth failed (u\d+)/.exec(f)?.[1]), ['u7', 'u8', 'u9', 'u10', 'u11']);
  t.like((await w.integrations.status('acme')).syslog[0], { sent: 5, dropped: 7, queued: 0, connected: true });
});

test('the message: PRI by facility and outcome, NILVALUEs, ASCII-only MSG, json format', (t) => {
  const origin = { hostname: 'dir 1.example', procid: 42 };
  const at = new Date('2024-05-01T10:00:00.123Z');
  const admin = { at, actor: 'ops', action: 'user.create', target: 'zoë', outcome: 'ok' as const };
  t.is(syslogMessage('acme', admin, 'structured', origin),
    '<110>1 2024-05-01T10:00:00.123Z dir_1.example tenantdir 42 user.create [tenantdir@32473 tenant="acme" action="user.create" outcome="ok" actor="ops" target="zoë"] user.create ok zo\\u00eb (tenant acme)');
  t.is(syslogMessage('acme', { ...admin, outcome: 'refused' }, 'structured', origin).slice(0, 5), '<109>', 'log audit.notice');
  const json = syslogMessage('acme', { ...admin, detail: { password: 'x', source: '::1' } }, 'json', origin);
  t.true(json.startsWith('<110>1 2024-05-01T10:00:00.123Z dir_1.example tenantdir 42 user.create - {'));
  t.deepEqual(JSON.parse(json.slice(json.indexOf('{'))), { tenant: 'acme', at: at.toISOString(), actor: 'ops', action: 'user.create', target: 'zoë', outcome: 'ok', detail: { source: '::1' } });
  t.true(/^[\x20-\x7e]*$/.test(json), 'MSG is printable ASCII: no BOM needed');
  t.regex(syslogMessage('acme', { ...admin, action: 'ldap.service-auth', outcome: 'failed' }, 'structured', origin), /^<84>1 /);
});
