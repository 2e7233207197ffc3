// The CLI's way to a running daemon: its admin HTTP API. Errors come back as CliError with the
// API's own message, so the CLI says what the server said.
import type { ErrorBody, PageJson } from '../admin/api.ts';

/** Exit status 1: refused or invalid. */
export class CliError extends Error {}
/** Exit status 2: the command line itself is wrong. */
export class UsageError extends Error {}

export const DEFAULT_URL = 'http://127.0.0.1:9090';
// The server audits requests with this prefix (admin/context.ts CLI_USER_AGENT) as protocol `cli`.
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
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const url = `${this.base}${path}${qs.size ? `?${qs}` : ''}`;
    const timeoutMs = o.timeoutMs ?? TIMEOUT_MS;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.o.token}`,
          'user-agent': USER_AGENT,
          ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new CliError(`tenantdir at ${this.o.url} did not answer within ${timeoutMs / 1000} s`);
      }
      if (UNTRUSTED_CERTIFICATE.has(causeCode(err))) {
        throw new CliError(`tenantdir at ${this.o.url} has a certificate this machine does not trust (${reason(err)}): `
          + 'set NODE_EXTRA_CA_CERTS to its CA file (the development certificate: <data dir>/certs/dev-server.crt)');
      }
      throw new CliError(`cannot reach tenantdir at ${this.o.url}: ${reason(err)}; is it running? set --url or TENANTDIR_URL`);
    }
    const text = await res.text();
    if (!res.ok) throw new CliError(errorMessage(res.status, text));
    return (text ? JSON.parse(text) : undefined) as T;
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
