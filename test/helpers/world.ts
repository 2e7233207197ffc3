// A whole tenantdir minus its listeners, for tests of the fronts and the admin API: the config
// from a directory, a store (memory unless a uri is given), the directory service, the seed.
import { Auditor } from '../../src/audit/index.ts';
import { LiveRegistry, loadConfig, loadSeed, type Registry } from '../../src/config/index.ts';
import { silentLogger, type Logger } from '../../src/core/log.ts';
import { Directory } from '../../src/directory/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';

export interface World {
  registry: Registry;
  live: LiveRegistry;
  store: Store;
  auditor: Auditor;
  directory: Directory;
  logger: Logger;
  close(): Promise<void>;
}

/** `security`: watch for suspicious activity with each tenant's thresholds, as the daemon does. */
export async function makeWorld(o: { configDir: string; storeUri?: string; logger?: Logger; seed?: boolean; security?: boolean }): Promise<World> {
  const loaded = await loadConfig(o.configDir);
  if (!loaded.ok) {
    throw new Error(`test config ${o.configDir} is invalid:\n${loaded.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n')}`);
  }
  const logger = o.logger ?? silentLogger();
  const store = await openStore({ ...(o.storeUri ? { uri: o.storeUri } : {}), logger });
  const live = new LiveRegistry(loaded.registry);
  const auditor = new Auditor(store, logger, o.security ? { security: (id) => live.current().byId(id)?.security } : {});
  // Cost 4: tests check behaviour, not hashing strength.
  const directory = new Directory({ store, auditor, logger, bcryptCost: 4 });
  const registry = loaded.registry;
  if (o.seed !== false) {
    const seed = await loadSeed(registry);
    if (seed) await directory.seed(registry, seed);
  }
  return { registry, live, store, auditor, directory, logger, close: () => store.close() };
}
