// One POST to a webhook receiver: node:http(s) rather than fetch, for a per-destination CA and
// one deadline covering connect, TLS and the answer. Redirects are not followed (a 3xx is a
// failure), and the answer is read only as far as a small limit, then dropped.
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface PostOptions {
  timeoutMs: number;
  /** PEM file of the CA the receiver's certificate must chain to. */
  ca?: string;
  signal: AbortSignal;
}

/** The HTTP status, or a short reason (an error code, "timeout") when there was none. */
export type PostResult = { status: number } | { error: string };

/** An answer's body is read only this far: receivers say little, and we keep none of it. */
const ANSWER_LIMIT = 16 * 1024;

export class Poster {
  private readonly http = new HttpAgent({ keepAlive: true });
  private readonly https = new HttpsAgent({ keepAlive: true });
  private readonly cas = new Map<string, Promise<Buffer>>();

  async post(url: URL, body: string, headers: Record<string, string>, o: PostOptions): Promise<PostResult> {
    const signal = AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]);
    try {
      const tls = url.protocol === 'https:';
      const ca = tls && o.ca !== undefined ? await this.ca(o.ca) : undefined;
      const send = tls ? httpsRequest : httpRequest;
      const status = await new Promise<number>((resolve, reject) => {
        const req = send(url, {
          method: 'POST',
          agent: tls ? this.https : this.http,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          signal,
          ...(ca ? { ca } : {}),
        }, (res: IncomingMessage) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > ANSWER_LIMIT) res.destroy();
          });
          res.on('close', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
      return { status };
    } catch (err) {
      if (o.signal.aborted) return { error: 'stopped' };
      if (signal.aborted) return { error: `no answer within ${o.timeoutMs} ms` };
      const e = err as NodeJS.ErrnoException;
      return { error: e.code ?? e.message };
    }
  }

  /** Read once per file: a reload that changes the file's content needs a new path or a restart. */
  private ca(file: string): Promise<Buffer> {
    let ca = this.cas.get(file);
    if (!ca) {
      ca = readFile(file);
      ca.catch(() => this.cas.delete(file));
      this.cas.set(file, ca);
    }
    return ca;
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
