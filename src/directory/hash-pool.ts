// Worker threads that check password hashes, so that no hash (bcrypt, SHA-crypt, salted SHA) runs
// on the event loop. Each thread checks one job at a time; fair-queue.ts decides whose job runs.
// The worker is plain JavaScript evaluated from a string: it needs no TypeScript loader, and it
// only runs primitive checks, which passwords.ts chooses.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { TenantdirError } from '../core/errors.ts';

/** One stored hash, in the form the worker checks. */
export type HashCheck =
  | { kind: 'bcrypt'; hash: string }
  | { kind: 'sha-crypt'; hash: string }
  /** {SSHA}, {SSHA512}, {SHA}: digest(password ‖ salt) compared in constant time. */
  | { kind: 'digest'; algorithm: 'sha1' | 'sha512'; digest: Uint8Array; salt: Uint8Array };

interface Job {
  password: string;
  checks: HashCheck[];
  resolve(results: boolean[]): void;
  reject(err: Error): void;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash, timingSafeEqual } = require('node:crypto');
const bcrypt = require(workerData.bcrypt);
const unixcrypt = import(workerData.unixcrypt);
function digestMatches(password, c) {
  const actual = createHash(c.algorithm).update(password, 'utf8').update(c.salt).digest();
  return actual.length === c.digest.length && timingSafeEqual(actual, c.digest);
}
parentPort.on('message', async ({ password, checks }) => {
  try {
    const { verify } = await unixcrypt;
    parentPort.postMessage({ results: checks.map((c) =>
      c.kind === 'bcrypt' ? bcrypt.compareSync(password, c.hash)
        : c.kind === 'sha-crypt' ? verify(password, c.hash)
        : digestMatches(password, c)) });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
});
`;

/** A hash worker died or failed: the check has no verdict (an internal error, not a "no"). */
export class HashWorkerFailed extends TenantdirError {
  constructor(message: string) {
    super('TD_INTERNAL', `password check failed: ${message}`, { hint: 'a hash worker thread failed; it is restarted for the next check' });
  }
}

export class HashPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly waiting: Job[] = [];
  private readonly paths: { bcrypt: string; unixcrypt: string };

  constructor(private readonly threads: number) {
    this.paths = { bcrypt: createRequire(import.meta.url).resolve('bcrypt'), unixcrypt: import.meta.resolve('unixcrypt') };
  }

  /** Checks `password` against each of `checks`, in one worker: one result per check. */
  run(password: string, checks: HashCheck[]): Promise<boolean[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ password, checks, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every thread; jobs in progress fail. */
  async close(): Promise<void> {
    const all = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(all.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const worker = this.idle.pop() ?? (this.busy.size < this.threads ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.waiting.shift()!;
      this.busy.set(worker, job);
      // A thread with work keeps the process alive until the answer; an idle one does not.
      worker.ref();
      worker.postMessage({ password: job.password, checks: job.checks });
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: this.paths });
    worker.unref();
    worker.on('message', (m: { results?: boolean[]; error?: string }) => {
      const job = this.busy.get(worker);
      this.busy.delete(worker);
      worker.unref();
      this.idle.push(worker);
      if (m.results) job?.resolve(m.results);
      else job?.reject(new HashWorkerFailed(m.error ?? 'no result'));
      this.dispatch();
    });
    const lost = (why: string) => {
      const job = this.busy.get(worker);
      this.busy.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      job?.reject(new HashWorkerFailed(why));
      this.dispatch();
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`worker exited with code ${code}`));
    return worker;
  }
}
