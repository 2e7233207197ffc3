// The tenantdir side of the RADIUS benchmark: the real front over the in-memory store, in its own
// process (so the load generator does not share its event loop), logging as in production.
// Usage: node --import=tsx bench/radius/server.ts CONFIG_DIR; prints {"auth":port,"acct":port}.
import { createWriteStream } from 'node:fs';
import { Auditor } from '../../src/audit/index.ts';
import { LiveRegistry, loadConfig, loadSeed } from '../../src/config/index.ts';
import { createLogger } from '../../src/core/log.ts';
import { Directory } from '../../src/directory/index.ts';
import { RadiusFront } from '../../src/radius/index.ts';
import { openStore } from '../../src/store/index.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: server.ts CONFIG_DIR');
const loaded = await loadConfig(dir);
if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
const registry = loaded.registry;
// Logged at info like a production daemon, into /dev/null: the cost of logging is measured too.
const logger = createLogger({ level: 'info', destination: createWriteStream('/dev/null') });
const store = await openStore({ logger });
const directory = new Directory({ store, auditor: new Auditor(store, logger), logger, bcryptCost: registry.server.passwords.bcryptCost });
const seed = await loadSeed(registry);
if (seed) await directory.seed(registry, seed);
const front = new RadiusFront({ live: new LiveRegistry(registry), directory, logger });
process.stdout.write(`${JSON.stringify(await front.listen())}\n`);
process.on('SIGTERM', () => {
  const stats = front.stats();
  void front.close().then(() => {
    process.stderr.write(`${JSON.stringify(stats)}\n`);
    process.exit(0);
  });
});
