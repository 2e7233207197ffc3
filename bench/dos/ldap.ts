// A raw LDAP connection for the probes: a TCP socket from a chosen loopback address, answers
// counted as they come, reading stopped on demand, writes bounded in time.
import { connect, type Socket } from 'node:net';
import { AnswerReader, bindRequest, type Answer } from './ber.ts';

export const RESULT = { success: 0, busy: 51, invalidCredentials: 49 } as const;

export class RawLdap {
  readonly answers: Answer[] = [];
  /** Answers by result code (search entries, which have none, are counted as -1). */
  readonly codes = new Map<number, number>();
  closedByServer = false;
  /** When the server closed it (Date.now()). */
  closedAt: number | undefined;
  private readonly reader = new AnswerReader();
  private waiters: { id: number; resolve: (a: Answer | undefined) => void }[] = [];
  private closedLocally = false;

  private constructor(readonly socket: Socket, private readonly keep: boolean) {
    socket.on('data', (chunk: Buffer) => {
      for (const a of this.reader.push(chunk)) {
        if (this.keep) this.answers.push(a);
        this.codes.set(a.resultCode ?? -1, (this.codes.get(a.resultCode ?? -1) ?? 0) + 1);
        this.waiters = this.waiters.filter((w) => (w.id === a.id && a.op !== 0x64 ? (w.resolve(a), false) : true));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!this.closedLocally) {
        this.closedByServer = true;
        this.closedAt = Date.now();
      }
      for (const w of this.waiters) w.resolve(undefined);
      this.waiters = [];
    });
  }

  /** Connects from `localAddress`; `keep` keeps every answer (not only the counts). */
  static open(port: number, localAddress = '127.0.0.1', o: { keep?: boolean; timeoutMs?: number } = {}): Promise<RawLdap> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress });
      const timer = setTimeout(() => { socket.destroy(); reject(new Error('connect timed out')); }, o.timeoutMs ?? 20_000);
      socket.once('connect', () => { clearTimeout(timer); socket.setNoDelay(true); resolve(new RawLdap(socket, o.keep ?? false)); });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
  }

  /** Sends `request` and waits for the answer (not a search entry) to message `id`. */
  ask(id: number, request: Buffer, timeoutMs = 20_000): Promise<Answer | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (a: Answer | undefined) => { clearTimeout(timer); resolve(a); };
      this.waiters.push({ id, resolve: done });
      this.socket.write(request);
    });
  }

  /** A simple bind; resolves to its result code, or undefined (no answer, or closed). */
  async bind(dn: string, password: string, id = 1, timeoutMs = 20_000): Promise<number | undefined> {
    return (await this.ask(id, bindRequest(id, dn, password), timeoutMs))?.resultCode;
  }

  /** Stops reading: whatever the server answers stays in its buffers (or the kernel's). */
  stopReading(): void {
    this.socket.pause();
  }

  /**
   * Writes `data` in slices, waiting for 'drain' between them, until it is all written or
   * `deadline` (a Date.now() value) passes; returns the bytes handed to the kernel or queued.
   */
  async writeUntil(data: Buffer, deadline: number, slice = 256 * 1024): Promise<number> {
    let at = 0;
    while (at < data.length && Date.now() < deadline && !this.socket.destroyed) {
      const part = data.subarray(at, at + slice);
      at += part.length;
      if (!this.socket.write(part)) {
        const drained = await new Promise<boolean>((resolve) => {
          const done = (ok: boolean) => {
            clearTimeout(timer);
            this.socket.off('drain', onDrain).off('close', onClose);
            resolve(ok);
          };
          const onDrain = () => done(true);
          const onClose = () => done(false);
          const timer = setTimeout(onClose, Math.max(0, deadline - Date.now()));
          this.socket.once('drain', onDrain).once('close', onClose);
        });
        if (!drained) break;
      }
    }
    return at;
  }

  close(): void {
    this.closedLocally = true;
    this.socket.destroy();
  }
}
