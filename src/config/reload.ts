// Reload: on SIGHUP (the daemon calls reload()) or a change in the config directory, load the
// whole configuration again. Valid: swap the registry in one step. Invalid: log every problem
// and keep serving the last good registry, like glauth.
//
// What a reload does not change (the daemon reads it once, at start):
// - `listen`: sockets are bound at start;
// - `storage`: the store connection is opened at start;
// - `eap` (limits): the EAP server sizes its conversation table at start.
// Everything else (tenants, NAS clients, admins, policies, tls, log level as read by the fronts
// through LiveRegistry) takes effect with the swap. A change to a restart-only section is
// logged as a warning.
import { watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../core/log.ts';
import { loadConfig, TENANTS_DIR, type LoadResult } from './load.ts';
import type { LiveRegistry, Registry } from './registry.ts';
import { formatProblem, type ConfigProblem } from './source.ts';

export interface ReloaderOptions {
  /** The config directory, as given on the command line. */
  dir: string;
  live: LiveRegistry;
  logger: Logger;
  /** Editors write a file in several steps; wait this long after the last change. */
  debounceMs?: number;
  /** Told of each reload's outcome (metrics). */
  onReloaded?: (ok: boolean) => void;
  /** Told of each reload that read the files (for the tenants' audit trails). Must not throw. */
  onReload?: (r: ReloadReport) => void;
}

/**
 * One reload, per tenant it concerns: `ok`, with the tenants added, changed and removed and
 * their files; `invalid`, with the files that have problems and the tenants they belong to
 * (the last good configuration keeps serving).
 */
export interface ReloadReport {
  outcome: 'ok' | 'invalid';
  reason: string;
  /** Tenant id → its file(s) that changed or have problems. */
  tenants: Map<string, string[]>;
  /** Every file with a problem (invalid only). */
  files: string[];
  problems: number;
}

const RESTART_ONLY = ['listen', 'storage', 'eap'] as const;

/** The last reload and how it went, for the console's config health. */
export interface ReloadStatus {
  at: Date;
  reason: string;
  ok: boolean;
  /** Every problem of a refused reload, file:line:col; empty when it was applied. */
  problems: readonly ConfigProblem[];
  warnings: readonly ConfigProblem[];
}

export class ConfigReloader {
  readonly #o: Required<Omit<ReloaderOptions, 'onReloaded'>> & Pick<ReloaderOptions, 'onReloaded'>;
  readonly #log: Logger;
  /** Watched directory → its watcher: the config dir and, once it exists, tenants/. */
  readonly #watchers = new Map<string, FSWatcher>();
  #timer: NodeJS.Timeout | undefined;
  /** Reloads run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #last: ReloadStatus | undefined;

  constructor(o: ReloaderOptions) {
    this.#o = { debounceMs: 300, onReload: () => undefined, ...o };
    this.#log = o.logger.child({ component: 'config' });
  }

  /** Watches the config dir and tenants/. Watching directories, not files, survives rename-on-save. */
  start(): void {
    this.#watch(resolve(this.#o.dir));
    this.#watchTenants();
  }

  /** Loads the whole configuration and swaps it in if it is valid. */
  reload(reason: string): Promise<LoadResult> {
    const run = this.#queue.then(() => this.#reloadNow(reason));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The last reload (undefined before the first): when, why, and its problems if it was refused. */
  status(): ReloadStatus | undefined {
    return this.#last;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  async #reloadNow(reason: string): Promise<LoadResult> {
    const result = await loadConfig(this.#o.dir);
    this.#last = { at: new Date(), reason, ok: result.ok, problems: result.ok ? [] : result.problems, warnings: result.warnings };
    this.#o.onReloaded?.(result.ok);
    if (!result.ok) {
      for (const p of result.problems) this.#log.error({ event: 'config.problem', outcome: 'invalid' }, formatProblem(p));
      this.#log.error({ event: 'config.reload', outcome: 'invalid', reason, problems: result.problems.length },
        `configuration has ${result.problems.length} problem(s); keeping the last good one`);
      const files = [...new Set(result.problems.map((p) => p.file))];
      const tenants = new Map<string, string[]>();
      for (const t of this.#o.live.current().tenants) if (files.includes(t.file)) tenants.set(t.id, [t.file]);
      this.#o.onReload({ outcome: 'invalid', reason, tenants, files, problems: result.problems.length });
      return result;
    }
    for (const w of result.warnings) this.#log.warn({ event: 'config.warning', outcome: 'warning' }, formatProblem(w));
    const previous = this.#o.live.current();
    const next = result.registry;
    const diff = tenantDiff(previous, next);
    const restart = RESTART_ONLY.filter((s) => JSON.stringify(previous.server[s]) !== JSON.stringify(next.server[s]));
    this.#o.live.replace(next);
    this.#log.info({ event: 'config.reload', outcome: 'ok', reason, tenants: next.tenants.length, ...diff },
      `configuration reloaded: ${next.tenants.length} tenant(s)`);
    const fileOf = new Map([...previous.tenants, ...next.tenants].map((t) => [t.id, t.file]));
    const touched = new Map([...diff.added, ...diff.changed, ...diff.removed].map((id) => [id, [fileOf.get(id) ?? '']]));
    this.#o.onReload({ outcome: 'ok', reason, tenants: touched, files: [], problems: 0 });
    if (restart.length > 0) {
      this.#log.warn({ event: 'config.restart_required', outcome: 'warning', sections: restart },
        `${restart.join(', ')} changed: restart tenantdir for that to take effect`);
    }
    return result;
  }

  #watch(dir: string): void {
    if (this.#closed || this.#watchers.has(dir)) return;
    let w: FSWatcher;
    try {
      w = watch(dir, (_event, name) => this.#changed(dir, name));
    } catch {
      return; // not there (yet): tenants/ is watched once the config dir sees it appear
    }
    // A watched directory that is removed errors or goes quiet: forget it, look again later.
    w.on('error', () => this.#unwatch(dir));
    this.#watchers.set(dir, w);
  }

  #unwatch(dir: string): void {
    this.#watchers.get(dir)?.close();
    this.#watchers.delete(dir);
  }

  #watchTenants(): void {
    const tenants = join(resolve(this.#o.dir), TENANTS_DIR);
    this.#unwatch(tenants);
    this.#watch(tenants);
  }

  #changed(dir: string, name: string | null): void {
    if (dir === resolve(this.#o.dir) && (name === TENANTS_DIR || name === null)) this.#watchTenants();
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.reload(`file changed: ${name ?? dir}`).catch((err: unknown) => {
        this.#log.error({ event: 'config.reload', outcome: 'error', err }, 'configuration reload failed');
      });
    }, this.#o.debounceMs);
    this.#timer.unref();
  }
}

/** Tenant ids added, removed and changed between two registries. */
function tenantDiff(prev: Registry, next: Registry): { added: string[]; removed: string[]; changed: string[] } {
  const before = new Map(prev.tenants.map((t) => [t.id, JSON.stringify(t)]));
  const after = new Map(next.tenants.map((t) => [t.id, JSON.stringify(t)]));
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed: [...after].filter(([id, json]) => before.has(id) && before.get(id) !== json).map(([id]) => id),
  };
}
