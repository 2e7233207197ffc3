// The console's only way to the server: the admin API with the bearer token in the
// Authorization header. No cookies are sent or set (credentials: 'omit'), so no other site can
// make a request in the caller's name. The token lives in sessionStorage (this tab, until it
// closes or the user signs out), never in a URL, a log or localStorage.
import type { WhoamiJson } from '../../src/admin/api.ts';

const KEY = 'tenantdir.console.token';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

type Listener = () => void;
const signedOut = new Set<Listener>();
let expiredMessage = '';

export const session = {
  token(): string | null {
    return sessionStorage.getItem(KEY);
  },
  set(token: string): void {
    sessionStorage.setItem(KEY, token);
    expiredMessage = '';
  },
  clear(message = ''): void {
    sessionStorage.removeItem(KEY);
    expiredMessage = message;
    for (const l of signedOut) l();
  },
  /** Why the last session ended, when it was not the user's own sign-out. */
  message(): string {
    return expiredMessage;
  },
  onSignOut(l: Listener): () => void {
    signedOut.add(l);
    return () => signedOut.delete(l);
  },
};

const EXPIRED = 'Your token is no longer accepted (expired or revoked). Sign in again.';

function headers(token: string | null, body: boolean): HeadersInit {
  return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), accept: 'application/json' };
}

/** One API call; a 401 ends the session (back to sign-in with a message). */
export async function api<T = unknown>(method: string, path: string, body?: unknown, o: { token?: string; signal?: AbortSignal } = {}): Promise<T> {
  const token = o.token ?? session.token();
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers: headers(token, body !== undefined),
    credentials: 'omit',
    cache: 'no-store',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (res.status === 401 && o.token === undefined) session.clear(EXPIRED);
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `HTTP ${res.status}`);
  }
  return json as T;
}

/** Prefetched answers, usable for a few seconds (a page that mounts at once), then fetched anew. */
const early = new Map<string, { at: number; p: Promise<unknown> }>();
const EARLY_MS = 5_000;

/** Starts a GET that a page about to mount will want; get() takes it over once. */
export function prefetch(path: string): void {
  const p = api('GET', path);
  p.catch(() => undefined);
  early.set(path, { at: Date.now(), p });
}

export function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  const started = early.get(path);
  early.delete(path);
  if (started && Date.now() - started.at < EARLY_MS) return started.p as Promise<T>;
  return api<T>('GET', path, undefined, signal ? { signal } : {});
}

export type Whoami = WhoamiJson;

export const enc = encodeURIComponent;

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Server-Sent Events over fetch(): EventSource cannot send an Authorization header. Reads the
 * stream and calls `onEvent` per event until `signal` aborts or the server ends it; resumes with
 * Last-Event-ID after a dropped connection, a bounded number of times in a row.
 */
export async function stream(path: string, onEvent: (e: SseEvent) => void, o: { signal: AbortSignal; onState?: (s: 'open' | 'reconnecting' | 'closed') => void }): Promise<void> {
  let lastId: string | undefined;
  for (let attempt = 0; attempt < 5 && !o.signal.aborted; attempt++) {
    let ended = false;
    try {
      const res = await fetch(`/api/v1${path}`, {
        headers: { ...headers(session.token(), false), accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) },
        credentials: 'omit',
        cache: 'no-store',
        signal: o.signal,
      });
      if (res.status === 401) {
        session.clear(EXPIRED);
        return;
      }
      if (!res.ok || !res.body) throw new ApiError(res.status, `HTTP_${res.status}`, `the stream answered ${res.status}`);
      o.onState?.('open');
      attempt = 0;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const e: SseEvent = { event: 'message', data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const i = line.indexOf(':');
            const field = i < 0 ? line : line.slice(0, i);
            const v = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
            if (field === 'event') e.event = v;
            else if (field === 'data') data.push(v);
            else if (field === 'id') e.id = v;
          }
          e.data = data.join('\n');
          if (e.id) lastId = e.id;
          if (e.event === 'end') ended = true;
          if (data.length > 0 || e.event !== 'message') onEvent(e);
        }
      }
    } catch (err) {
      if (o.signal.aborted) break;
      if (err instanceof ApiError && err.status !== 503) throw err;
    }
    if (ended || o.signal.aborted) break;
    o.onState?.('reconnecting');
    await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
  }
  o.onState?.('closed');
}
