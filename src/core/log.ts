// One pino logger for the daemon. Components take a child (`log.child({ component, tenant })`)
// and log one event a line with `event` and `outcome`. Secrets are removed by pino's own
// redaction, so no call site has to remember it.
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/** Every key name that may hold a secret, at any depth we log. */
const SECRET_KEYS = [
  'password', 'newPassword', 'oldPassword', 'passwordHash', 'ntHash', 'hash', 'secret',
  'token', 'authorization', 'sharedSecret', 'credentials', 'totpSecret', 'key',
];

export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export interface LogOptions {
  level?: string;
  /** Pretty-print for a person at a terminal; JSON lines otherwise. */
  pretty?: boolean;
  destination?: DestinationStream;
}

export function createLogger(o: LogOptions = {}): Logger {
  const options: LoggerOptions = {
    level: o.level ?? 'info',
    base: { service: 'tenantdir' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (o.destination) return pino(options, o.destination);
  if (o.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(options);
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
