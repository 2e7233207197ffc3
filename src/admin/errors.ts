// Every error the admin API sends goes through here: one status per error code, and one body
// shape, `{ error: { code, message } }`. Like oidc-provider's err_out, anything that is not a
// TenantdirError the client may see becomes TD_INTERNAL with no internals.
import type { FastifyError } from 'fastify';
import { isTenantdirError, type ErrorCode } from '../core/errors.ts';
import type { ErrorBody } from './api.ts';

const STATUS: Record<ErrorCode, number> = {
  TD_NOT_FOUND: 404,
  TD_CONFLICT: 409,
  TD_INVALID_INPUT: 400,
  TD_PASSWORD_POLICY: 422,
  TD_UNAUTHENTICATED: 401,
  TD_FORBIDDEN: 403,
  TD_STORE_UNAVAILABLE: 503,
  TD_CONFIG_INVALID: 500,
  TD_KEY_MISSING: 500,
  TD_INTERNAL: 500,
};

export interface ErrorReply {
  status: number;
  body: ErrorBody;
  /** Worth an error log line: the client got no detail, the operator needs it. */
  internal: boolean;
}

/** `bodyLimit`: the route's, named when a body is over it. */
export function toErrorReply(err: unknown, bodyLimit?: number): ErrorReply {
  if (isTenantdirError(err)) {
    const status = STATUS[err.code];
    const message = err.expose ? err.message : status === 503 ? 'the directory store is unavailable; try again shortly' : 'internal error';
    return { status, body: { error: { code: err.code, message } }, internal: !err.expose };
  }
  const fe = err as Partial<FastifyError>;
  if (fe.validation) return invalid(400, validationMessage(fe as FastifyError));
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && bodyLimit !== undefined) {
    return invalid(413, `the request body is larger than this route's limit of ${kib(bodyLimit)}`);
  }
  // fastify's own client errors: bad JSON, body too large, unsupported content type, ...
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 && fe.message) {
    return invalid(fe.statusCode, fe.message);
  }
  return { status: 500, body: { error: { code: 'TD_INTERNAL', message: 'internal error' } }, internal: true };
}

const kib = (bytes: number): string => (bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`);

function invalid(status: number, message: string): ErrorReply {
  return { status, body: { error: { code: 'TD_INVALID_INPUT', message } }, internal: false };
}

/** ajv says "must NOT have additional properties" without naming it; name it. */
function validationMessage(err: FastifyError): string {
  const first = err.validation?.[0];
  const extra = (first?.params as { additionalProperty?: unknown } | undefined)?.additionalProperty;
  return typeof extra === 'string' ? `${err.message}: "${extra}"` : err.message;
}
