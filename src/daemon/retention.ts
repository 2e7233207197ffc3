// Retention: deletes audit events, accounting records and webhook deliveries (dead, or never
// delivered) older than the configured days.
// A periodic purge works on every MongoDB-compatible server, TTL indexes or not.
import type { LiveRegistry } from '../config/index.ts';
import type { Logger } from '../core/log.ts';
import type { Store } from '../store/index.ts';

const DAY_MS = 86_400_000;
/** How often to purge (ms). */
const PURGE_INTERVAL_MS = 3_600_000;
/** First purge shortly after start, off the start-up path. */
const FIRST_PURGE_MS = 60_000;

export function startRetention(o: { live: LiveRegistry; store: Store; logger: Logger }): { stop(): void; runOnce(now?: Date): Promise<void> } {
  const log = o.logger.child({ component: 'retention' });
  const runOnce = async (now = new Date()): Promise<void> => {
    const { server, tenants } = o.live.current();
    const auditBefore = new Date(now.getTime() - server.retention.auditDays * DAY_MS);
    const accountingBefore = new Date(now.getTime() - server.retention.accountingDays * DAY_MS);
    for (const t of tenants) {
      try {
        const scoped = o.store.tenant(t.id);
        const audit = await scoped.audit.purge(auditBefore);
        const accounting = await scoped.accounting.purge(accountingBefore);
        const outbox = await scoped.outbox.purge(auditBefore);
        if (audit + accounting + outbox > 0) log.info({ event: 'retention.purge', tenant: t.id, outcome: 'ok', audit, accounting, outbox }, 'purged old records');
      } catch (err) {
        log.warn({ event: 'retention.purge', tenant: t.id, outcome: 'failed', err }, 'purge failed; will retry next round');
      }
    }
  };
  const tick = () => void runOnce();
  const first = setTimeout(tick, FIRST_PURGE_MS);
  const every = setInterval(tick, PURGE_INTERVAL_MS);
  first.unref();
  every.unref();
  return {
    runOnce,
    stop: () => {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
