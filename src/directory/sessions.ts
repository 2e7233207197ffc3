// RADIUS accounting as sessions, for the admin API. The store folds each record into its
// session as it arrives (store/records.ts sessionChange); this says which sessions are active
// and how long each has lasted.
import type { SessionRecord, TenantStore } from '../store/index.ts';

/**
 * A session is active while it has no stop and its NAS sent a record within this many hours.
 * tenantdir sends no Acct-Interim-Interval, so the NAS's interval is not known; a day covers
 * any interim interval a NAS is configured with, and a NAS that sends none at all.
 */
export const ACTIVE_WITHIN_HOURS = 24;
const HOUR_MS = 3_600_000;

export interface SessionFilter {
  user?: string;
  /** Only active sessions (see ACTIVE_WITHIN_HOURS). */
  active?: boolean;
  /** Only sessions with a record at or after this instant. */
  since?: Date;
  limit: number;
}

export interface Session extends SessionRecord {
  active: boolean;
  /** Seconds: to the stop; to now while active; to the last record for one that went quiet. */
  duration: number;
}

export async function listSessions(store: TenantStore, q: SessionFilter, now: Date): Promise<Session[]> {
  const activeSince = new Date(now.getTime() - ACTIVE_WITHIN_HOURS * HOUR_MS);
  const found = await store.accounting.sessions({
    limit: q.limit,
    ...(q.user === undefined ? {} : { user: q.user }),
    ...(q.since === undefined ? {} : { since: q.since }),
    ...(q.active ? { activeSince } : {}),
  });
  return found.map((s) => {
    const active = s.stoppedAt === undefined && s.lastAt >= activeSince;
    const end = s.stoppedAt ?? (active ? now : s.lastAt);
    const elapsed = Math.max(0, Math.round((end.getTime() - s.startedAt.getTime()) / 1000));
    return { ...s, active, duration: s.stoppedAt && s.sessionTime !== undefined ? s.sessionTime : elapsed };
  });
}
