// The test MongoDB. startMongo() gives a test file a server: the one MONGODB_URI names when it
// is set (a real MongoDB), otherwise a FerretDB (MongoDB wire protocol on SQLite) started for
// this process on a free 127.0.0.1 port. startFerretDb() always starts one of its own, for
// tests that kill and restart it; startSecantusDb() one of the engine with a query planner.
// No server at all is an error, never a skip.
//
//   const mongo = await startMongo();
//   const store = await openStore({ uri: mongo.dbUri('users'), logger });
//   ...
//   await mongo.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';

export interface TestMongo {
  /** The server's URI, without a database. */
  readonly uri: string;
  /**
   * The URI of the database `<name>_<run id>`: the run id is random per startMongo() call, so
   * runs never share data, and the same name gives the same database within one run. Keep
   * `name` short, of letters, digits, `_` and `-` (FerretDB allows 63 characters in all).
   */
  dbUri(name: string): string;
  /** Drops this run's databases (MONGODB_URI) or stops the server (FerretDB). Idempotent. */
  stop(): Promise<void>;
}

export interface OwnFerretDb extends TestMongo {
  /** SIGKILLs the server and waits for it to exit; its data stays. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers a ping. */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;

/** MONGODB_URI when set, else a FerretDB of this process. */
export async function startMongo(): Promise<TestMongo> {
  const external = process.env.MONGODB_URI;
  if (!external) return startFerretDb();
  const databases = new Set<string>();
  const runId = randomBytes(4).toString('hex');
  const uri = withDatabase(external, '');
  return {
    uri,
    dbUri(name) {
      const db = `${name}_${runId}`;
      databases.add(db);
      return withDatabase(external, db);
    },
    async stop() {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
      try {
        for (const db of databases) await client.db(db).dropDatabase();
        databases.clear();
      } finally {
        await client.close();
      }
    },
  };
}

/** A FerretDB of this process, on a free port of 127.0.0.1 with a fresh data directory. */
export async function startFerretDb(): Promise<OwnFerretDb> {
  const bin = await ferretDbBinary();
  return startOwn('ferretdb', bin, (port, dir) => [
    '--handler=sqlite', `--sqlite-url=file:${dir}/`, `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${dir}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error',
  ]);
}

/**
 * A SecantusDB of this process (WiredTiger with a query planner: indexes, explain() and
 * concurrency behave as on MongoDB), on a free port with a fresh storage directory.
 */
export async function startSecantusDb(): Promise<OwnFerretDb> {
  const venv = process.env.TENANTDIR_SECANTUSDB_VENV || join(homedir(), '.cache/tenantdir/secantusdb');
  const bin = join(venv, 'bin/secantusd-py');
  try {
    await access(bin, constants.X_OK);
  } catch {
    throw new Error(`The SecantusDB tests need ${bin}: install it with bash .ci/install-secantusdb.sh (a venv from PyPI), or set TENANTDIR_SECANTUSDB_VENV.`);
  }
  return startOwn('secantusdb', bin, (port, dir) => ['--host', '127.0.0.1', '--port', String(port), '--storage-path', dir, '--log-level', 'ERROR']);
}

/** A server binary of this process on a free port and a fresh data directory, killable and restartable. */
async function startOwn(name: string, bin: string, args: (port: number, dir: string) => string[]): Promise<OwnFerretDb> {
  const dir = await mkdtemp(join(tmpdir(), `tenantdir-${name}-`));
  const port = await freePort();
  const uri = `mongodb://127.0.0.1:${port}/`;
  const runId = randomBytes(4).toString('hex');
  let proc: Proc | undefined;
  const start = async (): Promise<void> => {
    proc = launch(bin, args(port, dir));
    await ready(name, uri, proc);
  };
  const kill = async (): Promise<void> => {
    if (proc) await killAndWait(name, proc.child);
    proc = undefined;
  };
  try {
    await start();
  } catch (e) {
    await kill();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    uri,
    dbUri: (db) => `${uri}${db}_${runId}`,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function ferretDbBinary(): Promise<string> {
  const bin = process.env.TENANTDIR_FERRETDB || join(homedir(), '.cache/tenantdir/bin/ferretdb');
  try {
    await access(bin, constants.X_OK);
    return bin;
  } catch {
    throw new Error(
      `The Mongo tests need a MongoDB server and there is none: MONGODB_URI is not set and no `
      + `FerretDB binary is at ${bin}. Either set MONGODB_URI=mongodb://host:27017 (a real MongoDB; `
      + `each run uses fresh random database names), or build FerretDB v1.24.2 there `
      + `(bash .ci/install-ferretdb.sh), or point TENANTDIR_FERRETDB at a ferretdb binary.`,
    );
  }
}

/** Children still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** A started server process and the tail of its stderr, for the error if it dies starting. */
interface Proc {
  child: ChildProcess;
  stderr(): string;
}

function launch(bin: string, args: string[]): Proc {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let tail = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    tail = (tail + s).slice(-2_000);
  });
  return { child, stderr: () => tail };
}

/** Waits, bounded, until the server answers a ping; fails at once if the process exits. */
async function ready(name: string, uri: string, { child, stderr }: Proc): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited while starting (${child.exitCode ?? child.signalCode}):\n${stderr()}`);
    }
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.close();
    }
  }
  throw new Error(`${name} did not answer a ping at ${uri} within ${READY_TIMEOUT_MS} ms: ${String(last)}\n${stderr()}`);
}

async function killAndWait(name: string, child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    exited,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} (pid ${child.pid}) did not exit`)), EXIT_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A port that was free a moment ago: bind port 0, read it, close. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The URI with its database path replaced, options kept. */
function withDatabase(uri: string, db: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!m) throw new Error(`MONGODB_URI must be a mongodb:// or mongodb+srv:// URI`);
  return `${m[1]}/${db}${m[2] ?? ''}`;
}
