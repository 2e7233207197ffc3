// A test's own reader of Server-Sent Events over fetch (not the CLI's): messages and comments
// as they arrive, each wait bounded.
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

export interface SseReader {
  status: number;
  headers: Headers;
  /** Error bodies (non-200) as text. */
  text: string;
  /** The next message, or the next heartbeat comment with `comments`; rejects after `ms`. */
  next(ms?: number, o?: { comments?: boolean }): Promise<SseMessage>;
  /** Resolves when the server ends the stream; rejects after `ms`. */
  closed(ms?: number): Promise<void>;
  close(): void;
}

export async function openSse(url: string, token: string | undefined, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, signal: abort.signal });
  if (res.status !== 200 || !res.body) {
    return { status: res.status, headers: res.headers, text: await res.text(), next: () => Promise.reject(new Error('no stream')), closed: async () => undefined, close: () => abort.abort() };
  }
  const queue: SseMessage[] = [];
  let waiter: (() => void) | undefined;
  let ended = false;
  let buffer = '';
  const wake = () => { waiter?.(); waiter = undefined; };
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const m: SseMessage = { event: 'message', data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) m.event = `:${line.slice(1).trim()}`;
            else if (line.startsWith('data: ')) data.push(line.slice(6));
            else if (line.startsWith('id: ')) m.id = line.slice(4);
            else if (line.startsWith('event: ')) m.event = line.slice(7);
            else if (line.startsWith('retry: ')) m.event = 'retry';
          }
          m.data = data.join('\n');
          queue.push(m);
        }
        wake();
      }
    } catch {
      // aborted by close()
    }
    ended = true;
    wake();
  })();
  const wait = (ms: number, what: string) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    waiter = () => { clearTimeout(timer); resolve(); };
  });
  return {
    status: res.status,
    headers: res.headers,
    text: '',
    async next(ms = 5000, o = {}) {
      const deadline = Date.now() + ms;
      for (;;) {
        const i = queue.findIndex((m) => m.event !== 'retry' && (o.comments || !m.event.startsWith(':')));
        if (i >= 0) {
          const [m] = queue.splice(0, i + 1).slice(-1);
          return m!;
        }
        if (ended) throw new Error('the stream ended');
        await wait(Math.max(1, deadline - Date.now()), 'message');
      }
    },
    async closed(ms = 5000) {
      const deadline = Date.now() + ms;
      while (!ended) await wait(Math.max(1, deadline - Date.now()), 'end of stream');
    },
    close: () => abort.abort(),
  };
}
