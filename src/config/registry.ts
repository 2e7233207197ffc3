// The registry: one successful load, deep-frozen, with the lookups the fronts make per request.
// A reload builds a new one and swaps the single reference in LiveRegistry; nothing is ever
// changed in place, so a request that holds a registry sees one consistent configuration.
import type { Static } from '@sinclair/typebox';
import { normalizeDn, tryNormalizeDn } from '../core/dn.ts';
import { NetIndex, parseNet } from './net.ts';
import type { Resolved, SeedFile, ServerFile, TenantFile } from './schema.ts';

/** tenantdir.yaml as loaded: defaults applied, secrets resolved, paths absolute. */
export type ServerConfig = Resolved<Static<typeof ServerFile>>;
export type AdminConfig = ServerConfig['admins'][number];
export type MspNasClient = ServerConfig['radius']['clients'][number];

/** One tenants/*.yaml as loaded. */
export type TenantConfig = Resolved<Static<typeof TenantFile>> & {
  /** baseDN in normal form (core/dn.ts normalizeDn): compare DNs against this. */
  readonly baseDNNorm: string;
  /** The file it came from, as shown in problems. */
  readonly file: string;
};
export type NasClient = TenantConfig['radius']['clients'][number];
export type PasswordPolicy = TenantConfig['passwordPolicy'];

/** The seed file as loaded: a plain, mutable copy, handed over once to the directory. */
export type SeedData = Static<typeof SeedFile>;
export type SeedTenant = SeedData['tenants'][string];
export type SeedUser = SeedTenant['users'][number];
export type SeedGroup = SeedTenant['groups'][number];

/** Where a tenant's entries are written, so that a read-only view can say which line to edit. */
export interface TenantSource {
  /** The file, as shown in problems. */
  readonly file: string;
  /** 1-based lines of radius.clients[i] and radius.vlans[i], in order. */
  readonly clients: readonly number[];
  readonly vlans: readonly number[];
}

export type NasMatch =
  | { readonly kind: 'tenant'; readonly client: NasClient; readonly tenant: TenantConfig }
  | { readonly kind: 'msp'; readonly client: MspNasClient };

export interface Registry {
  /** Absolute config directory. */
  readonly dir: string;
  readonly server: ServerConfig;
  readonly tenants: readonly TenantConfig[];
  readonly loadedAt: Date;
  byId(id: string): TenantConfig | undefined;
  /** The tenant whose baseDN is the longest suffix of `dn`; undefined for a malformed DN. */
  byDn(dn: string): TenantConfig | undefined;
  /** The most specific NAS network containing `address`, tenant or MSP-wide. */
  byNas(address: string): NasMatch | undefined;
  /** The tenant whose id or one of whose `radius.realms` is `realm`, case-insensitive. */
  byRealm(realm: string): TenantConfig | undefined;
  /** Where the tenant's NAS clients and VLANs are written; undefined for an unknown tenant. */
  sourceOf(id: string): TenantSource | undefined;
}

/** Builds a registry from validated values. Overlaps were refused by the checks, so each lookup has one answer. */
export function buildRegistry(o: {
  dir: string;
  server: ServerConfig;
  tenants: readonly (Resolved<Static<typeof TenantFile>> & { file: string })[];
  /** Positions by tenant id (the loader has them; a registry built by hand may not). */
  sources?: ReadonlyMap<string, TenantSource>;
}): Registry {
  const tenants = o.tenants.map((t) => deepFreeze({ ...t, baseDNNorm: normalizeDn(t.baseDN) }));
  const server = deepFreeze(o.server);
  const byId = new Map(tenants.map((t) => [t.id, t]));
  const byBase = new Map(tenants.map((t) => [t.baseDNNorm, t]));
  // Ids first: the checks refuse a realm that is another tenant's id, so neither overwrites.
  const byRealm = new Map(tenants.flatMap((t) => t.radius.realms.map((r) => [r.toLowerCase(), t] as const)));
  for (const t of tenants) byRealm.set(t.id, t);
  const nas = new NetIndex<NasMatch>();
  for (const client of server.radius.clients) addNas(nas, client.address, { kind: 'msp', client });
  for (const tenant of tenants) {
    for (const client of tenant.radius.clients) addNas(nas, client.address, { kind: 'tenant', client, tenant });
  }
  return Object.freeze({
    dir: o.dir,
    server,
    tenants: Object.freeze(tenants),
    loadedAt: new Date(),
    byId: (id: string) => byId.get(id),
    byDn(dn: string) {
      const norm = tryNormalizeDn(dn);
      if (norm === undefined) return undefined;
      for (const suffix of suffixes(norm)) {
        const hit = byBase.get(suffix);
        if (hit) return hit;
      }
      return undefined;
    },
    byNas: (address: string) => nas.lookup(address),
    byRealm: (realm: string) => byRealm.get(realm.toLowerCase()),
    sourceOf(id: string) {
      const t = byId.get(id);
      if (!t) return undefined;
      return o.sources?.get(id) ?? { file: t.file, clients: [], vlans: [] };
    },
  });
}

function addNas(index: NetIndex<NasMatch>, address: string, match: NasMatch): void {
  const net = parseNet(address);
  if (net) index.add(net, Object.freeze(match));
}

/** A normalised DN and each of its parents, longest first (splitting at unescaped commas). */
function* suffixes(norm: string): Generator<string> {
  yield norm;
  for (let i = 0; i < norm.length; i++) {
    if (norm[i] === '\\') i++;
    else if (norm[i] === ',') yield norm.slice(i + 1);
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v)) deepFreeze(child);
  }
  return v;
}

/** Told of each swap. An async listener must handle its own errors: nothing awaits it. */
export type RegistryListener = (next: Registry, previous: Registry) => void;

/** The current registry. Fronts call current() per request and keep no copy. */
export class LiveRegistry {
  #current: Registry;
  readonly #listeners = new Set<RegistryListener>();

  constructor(initial: Registry) {
    this.#current = initial;
  }

  current(): Registry {
    return this.#current;
  }

  /** Swaps in `next`, then tells each listener; one listener's exception does not stop the others. */
  replace(next: Registry): void {
    const previous = this.#current;
    this.#current = next;
    const errors: unknown[] = [];
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'a registry change listener failed');
  }

  /** Calls `listener` after every replace(); returns a function that unsubscribes it. */
  onChange(listener: RegistryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
