// The directory service for every tenant: hands out TenantDirectory handles scoped to one
// tenant's configuration and store, and loads the seed file into empty tenants. It owns the one
// credential verifier (hash threads, fair queue, buckets, source waits) that all tenants share,
// so that a reload, which makes new handles, keeps them.
import { randomBytes } from 'node:crypto';
import type { Auditor } from '../audit/index.ts';
import { DEFAULTS, type Registry, type SeedData, type TenantConfig } from '../config/index.ts';
import { nameKey } from '../core/ids.ts';
import { KeyRing } from '../core/keyring.ts';
import type { Logger } from '../core/log.ts';
import type { Store } from '../store/index.ts';
import type { ImportBatch, ImportSummary } from './import.ts';
import type { CredentialLimits } from './limits.ts';
import { TenantDirectory, type Actor } from './tenant-directory.ts';
import { mspReport, type MspReport } from './report.ts';
import { sourceKey, strikePolicy } from './throttle.ts';
import { CredentialVerifier } from './verifier.ts';

/** The queue a check with no tenant waits in (a bind DN under no tenant): a tenant id can never be this. */
const NO_TENANT = '-';

export interface DirectoryServiceOptions {
  store: Store;
  auditor: Auditor;
  logger: Logger;
  /** bcrypt cost for new hashes (passwords.bcryptCost). */
  bcryptCost: number;
  /** Limits of the credential checks (limits.ts); the defaults otherwise. */
  credentialLimits?: Partial<CredentialLimits>;
  /** Keys for TOTP seeds and app passwords; absent (tests): a random key that lives as long as the process. */
  keys?: KeyRing;
  now?: () => Date;
}

export class Directory {
  // A reload makes new TenantConfig objects; handles for old ones are dropped with them.
  private readonly handles = new WeakMap<TenantConfig, TenantDirectory>();

  private readonly verifier: CredentialVerifier;
  private readonly keys: KeyRing;

  constructor(private readonly o: DirectoryServiceOptions) {
    this.keys = o.keys ?? new KeyRing([{ id: 'ephemeral', key: randomBytes(32) }]);
    const now = o.now;
    this.verifier = new CredentialVerifier({
      bcryptCost: o.bcryptCost,
      ...(o.credentialLimits ? { limits: o.credentialLimits } : {}),
      ...(now ? { now: () => now().getTime() } : {}),
    });
  }

  tenant(t: TenantConfig): TenantDirectory {
    let d = this.handles.get(t);
    if (!d) {
      // The one place a tenant id picks the store handle and the audit trail: both from t.id.
      d = new TenantDirectory(t, this.o.store.tenant(t.id), {
        bcryptCost: this.o.bcryptCost,
        auditor: this.o.auditor.tenant(t.id),
        verifier: this.verifier,
        keys: this.keys,
        ...(this.o.now ? { now: this.o.now } : {}),
      });
      this.handles.set(t, d);
    }
    return d;
  }

  /**
   * Equal work for a bind whose DN is under no tenant: the dummy hash, in a queue of its own and
   * under the source's bucket, so that its timing says nothing and a flood of them costs nothing.
   * The source waits after wrong tries for `name` as it would for an unknown user of a tenant
   * (default lockout timings), so that when busy answers start does not tell either.
   */
  async refuseWithoutTenant(name: string, password: string, actor: Actor): Promise<'refused' | 'throttled'> {
    const source = sourceKey(actor.source);
    const account = `${NO_TENANT}\u0000${nameKey(name)}`;
    if (!this.verifier.admit(NO_TENANT, source).ok || this.verifier.strikes.wait(account, source).ms > 0) return 'throttled';
    if (!this.verifier.tooLong(password)) await this.verifier.refuse(NO_TENANT, source, password);
    this.verifier.strikes.fail(account, source, strikePolicy(this.verifier.limits, DEFAULTS.tenant.passwordPolicy.lockout));
    return 'refused';
  }

  /** The MSP-wide report over `tenants` (report.ts): one aggregation per number for all of them. */
  mspReport(tenants: readonly TenantConfig[], q: { since: Date; until: Date; inactiveDays: number }): Promise<MspReport> {
    return mspReport(tenants, this.o.store.tenants(tenants.map((t) => t.id)), q, this.o.now?.() ?? new Date());
  }

  /** Stops the hash threads (they do not hold the process open while idle). */
  close(): Promise<void> {
    return this.verifier.close();
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
