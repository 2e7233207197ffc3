// Process warnings (MaxListenersExceededWarning, deprecations, experimental features) as log
// lines: Node prints each one raw to stderr, where a JSON log reader sees neither what nor how
// often. One line per kind of warning a minute, with how many were not logged since.
import { LogThrottle } from '../core/log-throttle.ts';
import type { Logger } from '../core/log.ts';

/** Where the warning was raised: enough frames to find the emitter, not a page of them. */
const STACK_FRAMES = 6;

/** Logs each process warning through `log`, a line per kind a minute; returns the function that stops it. */
export function logProcessWarnings(log: Logger, o: { now?: () => number } = {}): () => void {
  const throttle = new LogThrottle({ intervalMs: 60_000, maxKeys: 64, ...(o.now ? { now: o.now } : {}) });
  const onWarning = (w: Error & { code?: string }): void => {
    const verdict = throttle.shouldLog(`${w.name}:${w.code ?? ''}`);
    if (!verdict.log) return;
    // Picked fields only: a MaxListenersExceededWarning carries the emitter (a whole socket) too.
    log.warn({
      event: 'process.warning',
      outcome: 'warning',
      name: w.name,
      ...(w.code ? { code: w.code } : {}),
      ...(verdict.suppressed ? { suppressed: verdict.suppressed } : {}),
      stack: w.stack?.split('\n').slice(1, 1 + STACK_FRAMES).map((l) => l.trim()),
    }, w.message);
  };
  process.on('warning', onWarning);
  return () => process.off('warning', onWarning);
}

/**
 * The listeners that print warnings now: Node's own, which writes each one raw to stderr (unless
 * --no-warnings). Taken before the daemon starts; silenced once it logs warnings itself, so that
 * a warning while starting still reaches the operator.
 */
export function defaultWarningPrinters(): { silence(): void } {
  const printers = process.listeners('warning');
  return {
    silence: () => {
      for (const p of printers) process.off('warning', p);
    },
  };
}
