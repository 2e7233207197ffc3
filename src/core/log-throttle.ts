// "Logged once per source per interval": an event is counted always, logged only when its key
// was not logged for that reason within the interval. Bounded, so a spoofed flood cannot grow it.
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly o: { intervalMs: number; maxKeys: number; now?: () => number }) {}

  /** Returns how many were suppressed since the last log line when this one should be logged. */
  shouldLog(key: string): { log: true; suppressed: number } | { log: false } {
    const now = (this.o.now ?? Date.now)();
    const e = this.last.get(key);
    if (e && now - e.at < this.o.intervalMs) {
      e.suppressed++;
      return { log: false };
    }
    if (!e && this.last.size >= this.o.maxKeys) this.prune(now);
    this.last.set(key, { at: now, suppressed: 0 });
    return { log: true, suppressed: e?.suppressed ?? 0 };
  }

  private prune(now: number): void {
    for (const [k, e] of this.last) if (now - e.at >= this.o.intervalMs) this.last.delete(k);
    // Still full of fresh keys: forget them all rather than grow (a flood, logged anyway).
    if (this.last.size >= this.o.maxKeys) this.last.clear();
  }
}
