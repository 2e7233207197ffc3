// The web console: the built single-page app (web/, built by `npm ci`'s prepare script into
// dist/console/) served at / on listen.http. Its files are read once, at start. Every answer
// carries a strict Content-Security-Policy: the app is only same-origin scripts and styles,
// talks only to this origin, and cannot be framed. Any GET outside /api/ that names no file
// is a route of the app (/tenants/acme/users/alice) and gets index.html; the API's unknown
// paths stay JSON 404s (server.ts).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** dist/console of this package, where `vite build` writes. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console', import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** At most this many files, this deep: the build's output is a handful. */
const MAX_FILES = 500;

interface ConsoleFile {
  body: Buffer;
  type: string;
  /** Hashed names under assets/ never change: cache them for good. */
  immutable: boolean;
}

/** Reads the built files, keyed by URL path (/index.html, /assets/index-abc123.js). */
function readBuild(dir: string): Map<string, ConsoleFile> {
  const files = new Map<string, ConsoleFile>();
  if (!existsSync(join(dir, 'index.html'))) return files;
  const walk = (d: string, depth: number) => {
    for (const name of readdirSync(d)) {
      const abs = join(d, name);
      if (statSync(abs).isDirectory()) {
        if (depth < 3) walk(abs, depth + 1);
        continue;
      }
      if (files.size >= MAX_FILES) return;
      const path = `/${relative(dir, abs).split('\\').join('/')}`;
      files.set(path, { body: readFileSync(abs), type: TYPES[extname(name)] ?? 'application/octet-stream', immutable: path.startsWith('/assets/') });
    }
  };
  walk(dir, 0);
  return files;
}

/** The headers of every console answer. */
export function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}

const NOT_BUILT = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tenantdir console</title></head>'
  + '<body><h1>The console is not built</h1><p>Run <code>npm ci</code> (its prepare script builds it) or '
  + '<code>npm run build:console</code>, then restart tenantdir. The admin API is under /api/v1/.</p></body></html>';

export interface ConsoleHandler {
  /** For the not-found handler: answers a GET of an app route with index.html; false when it is not one. */
  fallback(method: string, url: string, reply: FastifyReply): boolean;
}

export function consoleRoutes(app: FastifyInstance, dir = CONSOLE_DIR): ConsoleHandler {
  const files = readBuild(dir);
  const config = { access: 'public' } as const;
  const index = (reply: FastifyReply) => {
    const f = files.get('/index.html');
    securityHeaders(reply).header('cache-control', 'no-cache');
    if (!f) return reply.status(503).type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.type(f.type).send(f.body);
  };
  app.get('/', { config }, async (_req, reply) => index(reply));
  app.get<{ Params: { '*': string } }>('/assets/*', { config }, async (req, reply) => {
    const f = files.get(`/assets/${req.params['*']}`);
    securityHeaders(reply);
    if (!f) return reply.status(404).type('text/plain; charset=utf-8').send('not found');
    return reply.header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache').type(f.type).send(f.body);
  });
  return {
    fallback(method, url, reply) {
      if (method !== 'GET' && method !== 'HEAD') return false;
      if (!isAppPath(url)) return false;
      void index(reply);
      return true;
    },
  };
}

/** Paths of the app: not the API, SCIM, metrics or health probes. */
export function isAppPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return !/^\/(api|scim|metrics|healthz|readyz)(\/|$)/.test(path);
}
