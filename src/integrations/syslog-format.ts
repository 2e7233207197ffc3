// An audit event as an RFC 5424 syslog message:
//   <PRI>1 TIMESTAMP HOSTNAME tenantdir PROCID MSGID [tenantdir@32473 ...][tenantdir-detail@32473 ...] MSG
// MSGID is the action; the structured data carries the fields (values UTF-8, escaped per §6.3.3);
// MSG is a short text (structured) or the event as JSON (json), kept to printable ASCII (non-ASCII
// as \u escapes), which RFC 5424 allows without a BOM. 32473 is the private enterprise number
// RFC 5612 reserves for documentation: tenantdir has none of its own yet.
import type { AuditEvent } from '../store/index.ts';
import { publicEvent } from './payload.ts';

export type SyslogFormat = 'structured' | 'json';

const ENTERPRISE = 32473;
const APP_NAME = 'tenantdir';
/** RFC 5424 facilities: authentications go to authpriv (10), everything else to log audit (13). */
const AUTHPRIV = 10;
const LOG_AUDIT = 13;
/** ok → informational (6), refused → notice (5), failed → warning (4). */
const SEVERITY: Record<AuditEvent['outcome'], number> = { ok: 6, refused: 5, failed: 4 };

export interface Origin {
  hostname: string;
  procid: number;
}

/** PRINTUSASCII (33-126), at most `max` characters, or the NILVALUE. */
function header(s: string | undefined, max: number): string {
  const clean = (s ?? '').replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** SD-NAME: PRINTUSASCII except = SP ] ", at most 32 characters. */
function sdName(s: string): string {
  return s.replace(/[^\x21-\x7e]|[=\]"]/g, '_').slice(0, 32) || '_';
}

/** PARAM-VALUE: UTF-8 with ", \ and ] escaped. */
function sdValue(v: string | number | boolean): string {
  return String(v).replace(/["\\\]]/g, '\\$&');
}

function element(id: string, params: [string, string | number | boolean | undefined][]): string {
  const present = params.filter((p): p is [string, string | number | boolean] => p[1] !== undefined);
  return present.length === 0 ? '' : `[${id}${present.map(([k, v]) => ` ${sdName(k)}="${sdValue(v)}"`).join('')}]`;
}

/** Printable ASCII only: anything else as a JSON-style \u escape. */
function ascii(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function facility(action: string): number {
  return /\.(auth|service-auth)$|^user\.lockout$/.test(action) ? AUTHPRIV : LOG_AUDIT;
}

export function syslogMessage(tenantId: string, event: AuditEvent, format: SyslogFormat, origin: Origin): string {
  const e = publicEvent(event);
  const pri = facility(e.action) * 8 + SEVERITY[e.outcome];
  const head = `<${pri}>1 ${e.at.toISOString()} ${header(origin.hostname, 255)} ${APP_NAME} ${origin.procid} ${header(e.action, 32)}`;
  if (format === 'json') return `${head} - ${ascii(JSON.stringify({ tenant: tenantId, ...e }))}`;
  const sd = element(`${APP_NAME}@${ENTERPRISE}`, [
    ['tenant', tenantId], ['action', e.action], ['outcome', e.outcome], ['actor', e.actor],
    ['target', e.target], ['protocol', e.protocol], ['reason', e.reason],
  ]) + element(`${APP_NAME}-detail@${ENTERPRISE}`, Object.entries(e.detail ?? {}));
  const text = `${e.action} ${e.outcome}${e.target === undefined ? '' : ` ${e.target}`} (tenant ${tenantId})`;
  return `${head} ${sd} ${ascii(text)}`;
}
