// The directory service for every tenant: hands out TenantDirectory handles scoped to one
// tenant's configuration and store, and loads the seed file into empty tenants.
import type { Auditor } from '../audit/index.ts';
import type { Registry, SeedData, TenantConfig } from '../config/index.ts';
import type { Logger } from '../core/log.ts';
import type { Store } from '../store/index.ts';
import type { ImportBatch, ImportSummary } from './import.ts';
import { TenantDirectory, type Actor } from './tenant-directory.ts';

export interface DirectoryServiceOptions {
  store: Store;
  auditor: Auditor;
  logger: Logger;
  /** bcrypt cost for new hashes (passwords.bcryptCost). */
  bcryptCost: number;
  now?: () => Date;
}

export class Directory {
  // A reload makes new TenantConfig objects; handles for old ones are dropped with them.
  private readonly handles = new WeakMap<TenantConfig, TenantDirectory>();

  constructor(private readonly o: DirectoryServiceOptions) {}

  tenant(t: TenantConfig): TenantDirectory {
    let d = this.handles.get(t);
    if (!d) {
      // The one place a tenant id picks the store handle and the audit trail: both from t.id.
      d = new TenantDirectory(t, this.o.store.tenant(t.id), {
        bcryptCost: this.o.bcryptCost,
        auditor: this.o.auditor.tenant(t.id),
        ...(this.o.now ? { now: this.o.now } : {}),
      });
      this.handles.set(t, d);
    }
    return d;
  }

  /** The tenant's import (TenantDirectory.importBatch), for callers that hold a TenantConfig. */
  importBatch(t: TenantConfig, batch: ImportBatch, actor: Actor): Promise<ImportSummary> {
    return this.tenant(t).importBatch(batch, actor);
  }

  /** Loads the seed into every configured tenant that has no users yet. */
  async seed(registry: Registry, seed: SeedData): Promise<void> {
    const log = this.o.logger.child({ component: 'seed' });
    for (const [id, data] of Object.entries(seed.tenants ?? {})) {
      const t = registry.byId(id);
      if (!t || (await this.tenant(t).countUsers()) > 0) continue;
      const summary = await this.importBatch(t, {
        groups: (data.groups ?? []).map((g) => ({
          name: g.name,
          ...(g.description === undefined ? {} : { description: g.description }),
          ...(g.members === undefined ? {} : { memberGroups: g.members }),
        })),
        users: (data.users ?? []).map((u) => ({ ...u })),
      }, { name: 'seed', protocol: 'system' });
      log.info({ event: 'seed.load', tenant: id, outcome: summary.failed ? 'failed' : 'ok', created: summary.created, failed: summary.failed, errors: summary.errors }, 'seeded tenant');
    }
  }
}
