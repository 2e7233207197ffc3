// What a webhook receives: the body (JSON, the same on every attempt of one delivery) and its
// signature, in the Stripe/GitHub convention: `Tenantdir-Signature: t=<unix>,v1=<hex>` where
// v1 = HMAC-SHA-256(secret, "<t>.<body>"). docs/integrations.md shows how to verify it.
import { createHmac } from 'node:crypto';
import type { AuditEvent, OutboxItem } from '../store/index.ts';

export const SIGNATURE_HEADER = 'tenantdir-signature';

/** Audit events never hold secrets; a detail key that looks like one is left out all the same. */
const SECRET_LIKE = /pass|secret|token|hash/i;

/** The event as sent: a copy without secret-looking detail. */
export function publicEvent(e: AuditEvent): AuditEvent {
  if (!e.detail) return e;
  return { ...e, detail: Object.fromEntries(Object.entries(e.detail).filter(([k]) => !SECRET_LIKE.test(k))) };
}

export function webhookBody(tenantId: string, item: Pick<OutboxItem, 'id' | 'event' | 'createdAt'>): string {
  return JSON.stringify({
    id: item.id,
    type: item.event.action,
    tenant: tenantId,
    createdAt: item.createdAt.toISOString(),
    event: publicEvent(item.event),
  });
}

/** The Tenantdir-Signature header value for `body` sent at unix time `t` (seconds). */
export function signature(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}
