// `tenantdir serve` as a process, the way operators start it: through `npm start` (whose script
// execs the daemon, so that it is npm's own child and carries the name `tenantdir serve`), with
// the config mounted read-only (a private mount namespace) and generated material in
// TENANTDIR_DATA, and with the admin API on every address without TLS (in a network namespace
// of its own, so nothing outside can reach it).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { configCopy, events, exitWithin, REPO, serve, until, type LogLine, type ServeProcess } from './helpers.ts';

const run = promisify(execFile);
// One process at a time: five Node processes starting at once on two cores take 8 s each.
const dirs: string[] = [];
test.after.always(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** The fixture config without a certificate: the daemon must make one. */
async function bareConfig(): Promise<string> {
  const d = await configCopy();
  dirs.push(d);
  return d;
}

const started = (p: ServeProcess) => until('tenantdir to start', () => events(p).some((l) => l.event === 'daemon.start'), 20_000)
  .catch((err: Error) => {
    throw new Error(`${err.message}; it wrote:\n${p.stdout()}${p.stderr()}`);
  });
const logged = (p: ServeProcess, match: (l: LogLine) => boolean, what: string) => until(what, () => events(p).some(match), 5_000);

/** Runs the command line inside a mount namespace where `dir` is read-only. */
const readOnly = (dir: string) => ['unshare', '-m', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"', 'sh', dir];

test.serial('npm start execs the daemon: SIGHUP to `tenantdir serve` reloads, SIGTERM to npm stops it', async (t) => {
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } };
  t.regex(pkg.scripts.start, /^exec node bin\/tenantdir\.js serve --config config\/example$/);
  // The same script in a package of its own, on the test config: npm → node, no shell or tsx between.
  const [config, data, app] = [await bareConfig(), await tempDir('tenantdir-data-'), await tempDir('tenantdir-npm-')];
  await symlink(join(REPO, 'bin'), join(app, 'bin'));
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'npm-start-test', private: true, scripts: { start: pkg.scripts.start.replace('config/example', config) } }));
  const npm = serve([], { env: { TENANTDIR_DATA: data }, command: ['npm', 'start', '--silent'], cwd: app });
  try {
    await started(npm);
    const { stdout } = await run('pgrep', ['-P', String(npm.child.pid), '-x', 'tenantdir serve']);
    const pids = stdout.trim().split('\n');
    t.is(pids.length, 1, 'the daemon is npm\'s child and is called `tenantdir serve`');
    t.true(existsSync(join(data, 'certs', 'dev-server.crt')), 'the development certificate is made in TENANTDIR_DATA');
    t.false(existsSync(join(config, 'certs')), 'and not in the config directory');

    const reloaded = (l: LogLine) => l.event === 'config.reload' && l.reason === 'SIGHUP' && l.outcome === 'ok';
    t.false(events(npm).some(reloaded));
    process.kill(Number(pids[0]), 'SIGHUP');
    await logged(npm, reloaded, 'the SIGHUP reload');
    t.is(npm.child.exitCode, null, 'npm and the daemon are still running');

    npm.child.kill('SIGTERM'); // npm forwards SIGTERM (and SIGINT) to its child; not SIGHUP
    await exitWithin(npm, 5_000);
    t.true(events(npm).some((l) => l.event === 'daemon.stop'));
  } finally {
    npm.kill(); // npm killed does not take its child with it: the group does
  }
});

test.serial('a read-only config without tls or TENANTDIR_DATA: one line saying what to do, exit 1', async (t) => {
  const config = await bareConfig();
  const p = serve(['--config', config], { wrap: readOnly(config) });
  const { code } = await exitWithin(p, 8_000).finally(p.kill);
  t.is(code, 1);
  const lines = p.stderr().trim().split('\n');
  t.is(lines.length, 1, p.stderr());
  t.regex(lines[0]!, /^tenantdir: cannot start: cannot write the development certificate to .*\/certs \((EROFS|EACCES)\).*set TENANTDIR_DATA to a writable directory/);
  t.notRegex(p.stderr() + p.stdout(), /\n\s+at /, 'no stack trace');
});

test.serial('a read-only config with TENANTDIR_DATA starts and keeps the certificate there', async (t) => {
  const [config, data] = [await bareConfig(), await tempDir('tenantdir-data-')];
  const p = serve(['--config', config], { wrap: readOnly(config), env: { TENANTDIR_DATA: data } });
  try {
    await started(p);
    t.true(existsSync(join(data, 'certs', 'dev-server.key')));
    p.child.kill('SIGTERM');
    t.is((await exitWithin(p, 5_000)).code, 0);
  } finally {
    p.kill();
  }
});

test.serial('TENANTDIR_DATA where a file is: the same one line, exit 1', async (t) => {
  const [config, data] = [await bareConfig(), await tempDir('tenantdir-data-')];
  await writeFile(join(data, 'certs'), 'not a directory');
  const p = serve(['--config', config], { env: { TENANTDIR_DATA: data } });
  t.is((await exitWithin(p, 8_000).finally(p.kill)).code, 1);
  t.regex(p.stderr(), /^tenantdir: cannot start: cannot write the development certificate to .*\/certs \((EEXIST|ENOTDIR)\)[^\n]*\n$/);
});

test.serial('an admin API on every address without TLS is warned about, once', async (t) => {
  const config = await bareConfig();
  const yaml = await readFile(join(config, 'tenantdir.yaml'), 'utf8');
  // A network namespace of its own: 0.0.0.0 there is reachable from nowhere.
  await writeFile(join(config, 'tenantdir.yaml'), yaml.replaceAll('host: 127.0.0.1', 'host: 0.0.0.0'));
  const p = serve(['--config', config], { wrap: ['unshare', '-n'] });
  try {
    await started(p);
    const warnings = events(p).filter((l) => l.event === 'admin.plaintext');
    t.is(warnings.length, 1);
    t.like(warnings[0], { level: 40, host: '0.0.0.0', outcome: 'warning' });
    t.regex(String(warnings[0]?.msg), /listen\.http\.tls: true/);
  } finally {
    p.child.kill('SIGTERM');
    await exitWithin(p, 5_000).finally(p.kill);
  }
});
