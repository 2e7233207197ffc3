// Requests the RADIUS front works on at once (issue 9): per NAS, per tenant and in total. Over a
// limit a request is dropped unanswered and the NAS retries, so a flood from one NAS holds only
// that NAS's share, and a flood from one tenant's NAS only that tenant's, never another's.
import type { ServerConfig } from '../config/index.ts';

/** `radius.limits` in tenantdir.yaml; read per packet, so a reload applies to the next one. */
export type RadiusLimits = ServerConfig['radius']['limits'];

export type OverLimit = 'overloaded-nas' | 'overloaded-tenant' | 'overloaded';

export type Slot = { ok: true; release(): void } | { ok: false; reason: OverLimit };

export class InFlight {
  private total = 0;
  private readonly byNas = new Map<string, number>();
  private readonly byTenant = new Map<string, number>();

  get size(): number {
    return this.total;
  }

  /**
   * A slot for one request of `nas` (unique in the configuration) for `tenant`, or the limit that
   * is full. `release` gives the slot back; calling it again does nothing.
   */
  enter(nas: string, tenant: string, limits: RadiusLimits): Slot {
    if ((this.byNas.get(nas) ?? 0) >= limits.inFlightPerNas) return { ok: false, reason: 'overloaded-nas' };
    if ((this.byTenant.get(tenant) ?? 0) >= limits.inFlightPerTenant) return { ok: false, reason: 'overloaded-tenant' };
    if (this.total >= limits.inFlight) return { ok: false, reason: 'overloaded' };
    this.total++;
    add(this.byNas, nas, 1);
    add(this.byTenant, tenant, 1);
    let held = true;
    return {
      ok: true,
      release: () => {
        if (!held) return;
        held = false;
        this.total--;
        add(this.byNas, nas, -1);
        add(this.byTenant, tenant, -1);
      },
    };
  }
}

/** Counts by key; a count back at zero is forgotten, so the maps hold only what is in flight. */
function add(counts: Map<string, number>, key: string, n: number): void {
  const next = (counts.get(key) ?? 0) + n;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
