// The CLI's way to a running daemon: its admin HTTP API. Errors come back as CliError with the
// API's own message, so the CLI says what the server said.
import type { ErrorBody, PageJson } from '../admin/api.ts';
import { readEvents, type StreamMessage } from './event-stream.ts';

/** Exit status 1: refused or invalid. */
export class CliError extends Error {}
/** Exit status 2: the command line itself is wrong. */
export class UsageError extends Error {}
/** The daemon did not answer (down, restarting, or a network fault): worth trying again. */
export class Unreachable extends CliError {}

export const DEFAULT_URL = 'http://127.0.0.1:9090';
// The server keeps this as the audit event's detail.agent (admin/context.ts CLI_USER_AGENT); the protocol is always admin.
const USER_AGENT = 'tenantdir-cli/0.1';
const TIMEOUT_MS = 30_000;

export interface ConnectionOptions {
  url?: string;
  token?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

export class ApiClient {
  private readonly base: string;

  constructor(private readonly o: { url: string; token: string }) {
    this.base = o.url.replace(/\/+$/, '');
  }

  static from(opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): ApiClient {
    const token = opts.token ?? env.TENANTDIR_TOKEN;
    if (!token) throw new UsageError('no admin token: set TENANTDIR_TOKEN (or pass --token)');
    const url = opts.url ?? env.TENANTDIR_URL ?? DEFAULT_URL;
    if (!/^https?:\/\//.test(url)) throw new UsageError(`--url "${url}" must start with http:// or https://`);
    return new ApiClient({ url, token });
  }

  /** A path under /api/v1/tenants/<tenant>/, each segment escaped. */
  static tenantPath(tenant: string, ...segments: string[]): string {
    return ['/api/v1/tenants', tenant, ...segments].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
  }

  async request<T>(method: string, path: string, o: { body?: unknown; query?: Query; timeoutMs?: number } = {}): Promise<T> {
    const timeoutMs = o.timeoutMs ?? TIMEOUT_MS;
    const res = await this.fetch(this.url(path, o.query), {
      method,
      headers: o.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    }, timeoutMs);
    const text = await res.text();
    if (!res.ok) throw new CliError(errorMessage(res.status, text));
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * A Server-Sent Events stream (GET): its messages once the server has answered 200. The
   * connection is given up, and the iteration throws, when nothing at all (not even a
   * heartbeat) arrives for `idleMs`.
   */
  async events(path: string, o: { query?: Query; lastEventId?: string; idleMs: number }): Promise<AsyncGenerator<StreamMessage>> {
    const abort = new AbortController();
    const idle = setTimeout(() => abort.abort(new DOMException('no data', 'TimeoutError')), o.idleMs);
    let res: Response;
    try {
      res = await this.fetch(this.url(path, o.query), {
        headers: { accept: 'text/event-stream', ...(o.lastEventId === undefined ? {} : { 'last-event-id': o.lastEventId }) },
        signal: abort.signal,
      }, o.idleMs);
      if (!res.ok || !res.body) throw new CliError(errorMessage(res.status, await res.text()));
    } catch (err) {
      clearTimeout(idle);
      throw err;
    }
    const body = res.body as unknown as AsyncIterable<Uint8Array>;
    async function* watched(): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of body) {
          idle.refresh();
          yield chunk;
        }
      } finally {
        clearTimeout(idle);
        abort.abort();
      }
    }
    return readEvents(watched());
  }

  private url(path: string, query: Query = {}): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    return `${this.base}${path}${qs.size ? `?${qs}` : ''}`;
  }

  /** fetch with our token and user agent; what cannot reach the server becomes a CliError that says why. */
  private async fetch(url: string, init: RequestInit & { headers: Record<string, string> }, timeoutMs: number): Promise<Response> {
    try {
      return await fetch(url, { ...init, headers: { authorization: `Bearer ${this.o.token}`, 'user-agent': USER_AGENT, ...init.headers } });
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new Unreachable(`tenantdir at ${this.o.url} did not answer within ${timeoutMs / 1000} s`);
      }
      if (UNTRUSTED_CERTIFICATE.has(causeCode(err))) {
        throw new CliError(`tenantdir at ${this.o.url} has a certificate this machine does not trust (${reason(err)}): `
          + 'set NODE_EXTRA_CA_CERTS to its CA file (the development certificate: <data dir>/certs/dev-server.crt)');
      }
      throw new Unreachable(`cannot reach tenantdir at ${this.o.url}: ${reason(err)}; is it running? set --url or TENANTDIR_URL`);
    }
  }

  /** Every item of a paged list, following cursors, at most `max`. */
  async all<T>(path: string, query: Query, max: number): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request<PageJson<T>>('GET', path, { query: { ...query, limit: Math.min(500, max - items.length), cursor } });
      items.push(...page.items);
      cursor = page.next;
    } while (cursor !== undefined && items.length < max);
    return items;
  }
}

/** TLS verification failures: the server answered, but is not trusted. */
const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED',
]);

function causeCode(err: unknown): string {
  const code = ((err as { cause?: { code?: unknown } }).cause)?.code;
  return typeof code === 'string' ? code : '';
}

function reason(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

function errorMessage(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error?.message) return body.error.message;
  } catch {
    // not our JSON: something else answers on that port
  }
  return `the server answered HTTP ${status}; is --url the tenantdir admin API?`;
}
