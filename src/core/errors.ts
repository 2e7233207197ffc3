// Typed errors. Every error carries a stable `code` (documented in docs/errors.md, checked by a
// test), a `hint` for the operator, and `expose`: whether its message is safe to show a client.

export const ERROR_CODES = {
  TD_CONFIG_INVALID: 'the configuration did not validate',
  TD_STORE_UNAVAILABLE: 'the store (MongoDB) cannot be reached',
  TD_NOT_FOUND: 'the named object does not exist (or is not visible to the caller)',
  TD_CONFLICT: 'the object already exists, or was changed concurrently',
  TD_INVALID_INPUT: 'a request or record failed validation',
  TD_PASSWORD_POLICY: "a password does not meet the tenant's password policy",
  TD_UNAUTHENTICATED: 'no valid credentials were presented',
  TD_FORBIDDEN: "the caller's role does not allow this",
  TD_KEY_MISSING: 'a stored secret names a key that is not in secrets.keys',
  TD_INTERNAL: 'an unexpected internal error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorOptions {
  hint?: string;
  expose?: boolean;
  cause?: unknown;
}

export class TenantdirError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, o: ErrorOptions = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = o.hint;
    this.expose = o.expose ?? true;
  }
}

export class ConfigInvalid extends TenantdirError {
  constructor(message: string, o: ErrorOptions = {}) {
    super('TD_CONFIG_INVALID', message, o);
  }
}

export class StoreUnavailable extends TenantdirError {
  constructor(message: string, o: ErrorOptions = {}) {
    super('TD_STORE_UNAVAILABLE', message, {
      hint: 'check that MongoDB is running and storage.uri is right; tenantdir reconnects by itself',
      expose: false,
      ...o,
    });
  }
}

export class NotFound extends TenantdirError {
  constructor(message: string, o: ErrorOptions = {}) {
    super('TD_NOT_FOUND', message, o);
  }
}

export class Conflict extends TenantdirError {
  constructor(message: string, o: ErrorOptions = {}) {
    super('TD_CONFLICT', message, o);
  }
}

export class InvalidInput extends TenantdirError {
  constructor(message: string, o: ErrorOptions = {}) {
    super('TD_INVALID_INPUT', message, o);
  }
}

export class PasswordPolicyViolation extends TenantdirError {
  constructor(message: string, o: ErrorOptions = {}) {
    super('TD_PASSWORD_POLICY', message, o);
  }
}

export class Unauthenticated extends TenantdirError {
  constructor(message = 'a valid bearer token is required', o: ErrorOptions = {}) {
    super('TD_UNAUTHENTICATED', message, o);
  }
}

export class Forbidden extends TenantdirError {
  constructor(message: string, o: ErrorOptions = {}) {
    super('TD_FORBIDDEN', message, o);
  }
}

export function isTenantdirError(e: unknown): e is TenantdirError {
  return e instanceof TenantdirError;
}

/** Is this error of the given code? Matches on `code`, so it works across module copies. */
export function hasCode(e: unknown, code: ErrorCode): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}
