// Process warnings go to the log, one line per kind a minute, instead of raw stderr: in this
// process with a fake clock, and in `tenantdir serve`, whose stderr stays free of them.
import { EventEmitter } from 'node:events';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { silentLogger } from '../../src/core/log.ts';
import { startDaemon } from '../../src/daemon/index.ts';
import { logProcessWarnings } from '../../src/daemon/warnings.ts';
import { constructed, integer, octets, tlv } from '../../src/ldap/ber.ts';
import { message, simpleBind, whoami } from '../ldap/wire.ts';
import { captureLogger, certsOnce, configCopy, events, serve, until } from './helpers.ts';

// One development certificate for both daemons of this file: an RSA key takes a while.
const sharedCerts = certsOnce();

/** Runs `body` with Node's own stderr printer of warnings off, so this file's output stays clean. */
async function withoutPrinters(body: () => Promise<void>): Promise<void> {
  const printers = process.listeners('warning');
  for (const p of printers) process.off('warning', p);
  try {
    await body();
  } finally {
    for (const p of printers) process.on('warning', p);
  }
}

const tick = () => new Promise((r) => setImmediate(r));

test.serial('one log line per kind of warning a minute, with the count left out; never the emitter', async (t) => {
  await withoutPrinters(async () => {
    const { logger, lines } = captureLogger();
    let now = 0;
    const stop = logProcessWarnings(logger, { now: () => now });
    try {
      // Real MaxListenersExceededWarnings: a warning per event name that passes the limit.
      const emitter = new EventEmitter().setMaxListeners(1);
      for (const event of ['a', 'b', 'c']) for (let i = 0; i < 2; i++) emitter.on(event, () => undefined);
      process.emitWarning('old API', { code: 'DEP_PROBE', type: 'DeprecationWarning' });
      await tick();
      const logged = lines.filter((l) => l.event === 'process.warning');
      t.deepEqual(logged.map((l) => [l.name, l.code]), [['MaxListenersExceededWarning', undefined], ['DeprecationWarning', 'DEP_PROBE']]);
      t.regex(String(logged[0]?.msg), /2 a listeners added to \[EventEmitter\]/);
      t.like(logged[0], { level: 40, outcome: 'warning' });
      t.false('emitter' in (logged[0] ?? {}), 'the emitter (a socket, in the daemon) is not logged');
      t.true(Array.isArray(logged[0]?.stack) && (logged[0]?.stack as string[]).length <= 6);

      now += 60_001;
      emitter.setMaxListeners(1).on('d', () => undefined).on('d', () => undefined);
      await tick();
      const next = lines.filter((l) => l.event === 'process.warning').slice(2);
      t.is(next.length, 1);
      t.like(next[0], { name: 'MaxListenersExceededWarning', suppressed: 2 });
    } finally {
      stop();
    }
    process.emitWarning('after stop', { code: 'DEP_AFTER' });
    await tick();
    t.false(lines.some((l) => l.code === 'DEP_AFTER'), 'stopped with the daemon');
  });
});

test('tenantdir serve logs warnings as JSON lines, and none reaches stderr raw', async (t) => {
  const dir = await configCopy(await sharedCerts());
  // Loaded before the CLI: on SIGUSR2, an emitter past its listener limit and a warning of our
  // own, then (after the warnings, which Node emits on the next tick) a marker line on stdout.
  const probe = join(dir, 'warn-on-usr2.mjs');
  await writeFile(probe, [
    "import { EventEmitter } from 'node:events';",
    'let n = 0;',
    "process.on('SIGUSR2', () => {",
    '  const e = new EventEmitter();',
    "  for (let i = 0; i < 11; i++) e.on('data', () => undefined);",
    "  process.emitWarning('probe warning', { code: 'TD_PROBE' });",
    "  setImmediate(() => process.stdout.write(JSON.stringify({ event: 'probe.usr2', n: ++n }) + '\\n'));",
    '});',
  ].join('\n'));
  const p = serve(['--config', dir], { env: { NODE_OPTIONS: `--import=${probe}` } });
  try {
    await until('tenantdir to start', () => events(p).some((l) => l.event === 'daemon.start'), 8_000);
    for (let n = 1; n <= 3; n++) {
      process.kill(p.child.pid!, 'SIGUSR2');
      await until(`SIGUSR2 ${n} handled`, () => events(p).some((l) => l.event === 'probe.usr2' && l.n === n), 5_000);
    }
    const logged = events(p).filter((l) => l.event === 'process.warning');
    t.deepEqual(logged.map((l) => l.name).sort(), ['MaxListenersExceededWarning', 'Warning'], 'three of each, one line each');
    t.like(logged.find((l) => l.code === 'TD_PROBE'), { msg: 'probe warning', outcome: 'warning' });
    t.notRegex(p.stderr(), /Warning|\(node:\d+\)/);
  } finally {
    p.kill();
    await rm(dir, { recursive: true, force: true });
  }
});

/** A whole-tree search of acme for (objectClass=*), every attribute. */
const treeSearch = (id: number) => message(id, constructed(0x63, [
  octets('dc=acme,dc=example'), integer(2, 0x0a), integer(0, 0x0a), integer(0), integer(0), tlv(0x01, Buffer.from([0])),
  tlv(0x87, Buffer.from('objectClass')), constructed(0x30, []),
]));

/** bcrypt cost 4 of "Reader-Secret-1" (the fixture's service account's): seeding hashes nothing. */
const READER_HASH = '$2b$04$MKi3kozkgAWMalhAIqssj.VU3StTi/Wxc0Pb1noMMszPmwuCTcx7m';
const CONNECTIONS = 2;
const SEARCHES = 16;

// The attack's shape, smaller (220 connections of 64 searches there): each waiting search added a
// 'drain' and a 'close' listener to its socket (src/ldap/connection.ts drained(), before searches
// took turns), so MaxListenersExceededWarning from a connection's 11th waiting search on.
test.serial('pipelined searches whose answers are never read add no listener per search', async (t) => {
  const dir = await configCopy(await sharedCerts());
  await writeFile(join(dir, 'tenantdir.yaml'), `${await readFile(join(dir, 'tenantdir.yaml'), 'utf8')}storage: { seed: seed.yaml }\n`);
  // 10 users with 1 MB of SSH keys in all: answers far larger than the kernel's socket buffers.
  const keys = Array.from({ length: 7 }, (_, k) => `"ssh-rsa ${String.fromCharCode(65 + k).repeat(15_000)} key${k}"`).join(', ');
  const users = Array.from({ length: 10 }, (_, i) => `      - { uid: u${i}, cn: U${i}, sn: U, passwordHash: "${READER_HASH}", sshPublicKeys: [${keys}] }`);
  await writeFile(join(dir, 'seed.yaml'), ['tenants:', '  acme:', '    users:', ...users, ''].join('\n'));
  const warnings: Error[] = [];
  const collect = (w: Error) => warnings.push(w);
  process.on('warning', collect);
  const d = await startDaemon({ configDir: dir, logger: silentLogger() });
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < CONNECTIONS; i++) {
      const s = connect(d.ports.ldap, '127.0.0.1');
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      s.pause();
      s.write(Buffer.concat([simpleBind(1, 'uid=u1,ou=people,dc=acme,dc=example', 'Reader-Secret-1'), ...Array.from({ length: SEARCHES }, (_, j) => treeSearch(2 + j))]));
      sockets.push(s);
    }
    // The server has taken every pipelined request once a later client is answered.
    const probe = connect(d.ports.ldap, '127.0.0.1');
    sockets.push(probe);
    const answered = new Promise<void>((resolve) => probe.once('data', () => resolve()));
    probe.write(Buffer.concat([simpleBind(1, 'uid=u2,ou=people,dc=acme,dc=example', 'Reader-Secret-1'), whoami(2)]));
    await answered;
    await new Promise((r) => setTimeout(r, 500));
    t.deepEqual(warnings.map((w) => w.message), []);
  } finally {
    process.off('warning', collect);
    for (const s of sockets) s.destroy();
    await d.close();
    await rm(dir, { recursive: true, force: true });
  }
});
