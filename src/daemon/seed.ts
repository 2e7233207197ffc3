// Loading the seed file after the listeners are up. Hashing is the slow part (bcrypt cost 12 is
// ~5 passwords/s per core), so a tenant being seeded is unavailable to the fronts (LDAP answers
// unavailable, RADIUS stays silent, the API 503) rather than answering "no such user", and the
// log says how far it got.
import type { Registry, SeedData } from '../config/index.ts';
import { StoreUnavailable } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import type { Directory, ImportSummary } from '../directory/index.ts';
import type { Store } from '../store/index.ts';

/** Users per import batch: small enough that progress shows every few seconds at cost 12. */
const CHUNK = 10;
/** A progress line when this long has passed since the last one, or another quarter is done. */
const PROGRESS_MS = 2_000;
const PROGRESS_STEPS = 4;
const ACTOR = { name: 'seed', protocol: 'system' } as const;

interface Progress {
  done: number;
  total: number;
}

export class Seeder {
  /** Tenants whose seed is loading, by id. */
  private readonly loading = new Map<string, Progress>();

  constructor(private readonly seed: SeedData | undefined) {
    for (const [id, data] of Object.entries(seed?.tenants ?? {})) this.loading.set(id, { done: 0, total: data.users?.length ?? 0 });
  }

  /** For /readyz: true, or which tenant is still loading. */
  status(): true | string {
    const [id, p] = this.loading.entries().next().value ?? [];
    return id === undefined || !p ? true : `loading the seed of ${id} (${p.done} of ${p.total} users)`;
  }

  /** `store` as the fronts see it: a tenant whose seed is loading is unavailable. */
  gate(store: Store): Store {
    return {
      kind: store.kind,
      tenant: (id) => {
        const p = this.loading.get(id);
        if (p) {
          throw new StoreUnavailable(`tenant ${id} is loading its seed (${p.done} of ${p.total} users)`, {
            hint: 'wait for the seed.load log line; /readyz answers 200 once every seed is loaded',
          });
        }
        return store.tenant(id);
      },
      // MSP-wide reports count what is stored; a tenant still loading shows what it has so far.
      tenants: (ids) => store.tenants(ids),
      health: () => store.health(),
      close: () => store.close(),
    };
  }

  /** Loads the seed into every configured tenant that has no users yet, through the ungated `directory`. */
  async load(directory: Directory, registry: Registry, logger: Logger): Promise<void> {
    const log = logger.child({ component: 'seed' });
    for (const [id, data] of Object.entries(this.seed?.tenants ?? {})) {
      const t = registry.byId(id);
      const progress = this.loading.get(id);
      if (!t || !progress || (await directory.tenant(t).countUsers()) > 0) {
        this.loading.delete(id);
        continue;
      }
      const started = Date.now();
      log.info({ event: 'seed.start', tenant: id, protocol: 'system', outcome: 'loading', users: progress.total }, `loading the seed of ${id}: ${progress.total} users`);
      // Groups first, so that users can name them and nested groups find each other.
      const s = await directory.importBatch(t, {
        groups: (data.groups ?? []).map((g) => ({
          name: g.name,
          ...(g.description === undefined ? {} : { description: g.description }),
          ...(g.members === undefined ? {} : { memberGroups: g.members }),
        })),
      }, ACTOR);
      const users = data.users ?? [];
      let logged = { at: Date.now(), step: 0 };
      for (let i = 0; i < users.length; i += CHUNK) {
        add(s, await directory.importBatch(t, { users: users.slice(i, i + CHUNK).map((u) => ({ ...u })) }, ACTOR));
        progress.done = Math.min(users.length, i + CHUNK);
        const step = Math.floor((progress.done * PROGRESS_STEPS) / users.length);
        if ((Date.now() - logged.at >= PROGRESS_MS || step > logged.step) && progress.done < users.length) {
          logged = { at: Date.now(), step };
          log.info({ event: 'seed.progress', tenant: id, protocol: 'system', outcome: 'loading', done: progress.done, users: progress.total },
            `loading the seed of ${id}: ${progress.done} of ${progress.total} users`);
        }
      }
      this.loading.delete(id);
      log.info({
        event: 'seed.load', tenant: id, protocol: 'system', outcome: s.failed ? 'failed' : 'ok',
        created: s.created, failed: s.failed, errors: s.errors, ms: Date.now() - started,
      }, 'seeded tenant');
    }
  }
}

function add(into: ImportSummary, s: ImportSummary): void {
  into.created += s.created;
  into.updated += s.updated;
  into.unchanged += s.unchanged;
  into.failed += s.failed;
  into.errors.push(...s.errors);
}
