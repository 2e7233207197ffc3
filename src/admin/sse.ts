// Server-Sent Events (HTML Living Standard, "event streams") over one HTTP response. Bounded:
// what the client has not read yet is counted, and a client that falls more than
// maxQueuedBytes behind is disconnected, not buffered; it resumes with Last-Event-ID. A comment
// line every heartbeatMs keeps proxies and load balancers from closing an idle stream.
import { PassThrough } from 'node:stream';

export interface SseLimits {
  /** Milliseconds between heartbeat comments. */
  heartbeatMs: number;
  /** Bytes written but not yet taken by the client, at most. */
  maxQueuedBytes: number;
}

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** Why a stream ended: the client went away, fell behind, or the server ended it. */
export type SseEnd = 'client-closed' | 'slow' | 'ended';

/** The reconnection delay the client is told to use (the `retry` field), in ms. */
const RETRY_MS = 3000;

export class SseStream {
  /** The response body: hand it to reply.send(). */
  readonly body = new PassThrough();
  private readonly timer: NodeJS.Timeout;
  private finished: SseEnd | undefined;
  private readonly listeners: ((why: SseEnd) => void)[] = [];

  constructor(private readonly limits: SseLimits) {
    this.timer = setInterval(() => this.write(': keep-alive\n\n'), limits.heartbeatMs);
    this.timer.unref();
    // The client went away: fastify destroys the body, or the socket closes under it.
    this.body.once('close', () => this.finish('client-closed'));
    this.write(`retry: ${RETRY_MS}\n\n`);
  }

  /** Writes one message; false once the stream is over (then nothing is written). */
  send(m: SseMessage): boolean {
    const lines = [
      ...(m.id === undefined ? [] : [`id: ${m.id}`]),
      ...(m.event === undefined ? [] : [`event: ${m.event}`]),
      // A newline in the data would end the field; each line goes in a data field of its own.
      ...m.data.split('\n').map((l) => `data: ${l}`),
    ];
    return this.write(`${lines.join('\n')}\n\n`);
  }

  /** Sends a last message, if any, and ends the response. */
  end(last?: SseMessage): void {
    if (this.finished) return;
    // A client too far behind for the last message is cut off as slow instead.
    if (last && !this.send(last)) return;
    this.finish('ended');
    this.body.end();
  }

  /** Called once, when the stream is over for whatever reason. */
  onEnd(listener: (why: SseEnd) => void): void {
    if (this.finished) listener(this.finished);
    else this.listeners.push(listener);
  }

  get ended(): boolean {
    return this.finished !== undefined;
  }

  private write(text: string): boolean {
    if (this.finished) return false;
    if (this.body.writableLength + this.body.readableLength + Buffer.byteLength(text) > this.limits.maxQueuedBytes) {
      this.finish('slow');
      this.body.destroy();
      return false;
    }
    this.body.write(text);
    return true;
  }

  private finish(why: SseEnd): void {
    if (this.finished) return;
    this.finished = why;
    clearInterval(this.timer);
    for (const l of this.listeners.splice(0)) l(why);
  }
}
