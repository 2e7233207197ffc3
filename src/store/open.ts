// Picks the adapter from storage.uri, the way Dex's `storages` map does: no uri is the memory
// store (loudly), a MongoDB URI the Mongo store. The URI's credentials are never logged.
import { ConfigInvalid } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { MemoryStore } from './memory.ts';
import { MongoStore } from './mongo.ts';
import type { Store } from './port.ts';

const DEFAULT_DATABASE = 'tenantdir';

/** scheme, [userinfo@], hosts, [/database], [?options]: only scheme, hosts and database are kept. */
const MONGO_URI = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/?]*@)?([^/?]*)(?:\/([^?]*))?/;

interface OpenOptions {
  /** storage.uri: a `mongodb://` or `mongodb+srv://` URI; absent for the memory store. */
  uri?: string;
  logger: Logger;
  /** How long a store call waits for a reachable MongoDB before StoreUnavailable (ms). */
  serverSelectionTimeoutMS?: number;
  /** Audit and accounting retention, for TTL indexes where the server supports them. */
  retentionDays?: { audit: number; accounting: number };
}

const adapters: Record<Store['kind'], (o: OpenOptions, uri: string) => Promise<Store>> = {
  async memory({ logger }) {
    logger.warn(
      { event: 'store.memory' },
      'storage: using the IN-MEMORY store. NOTHING PERSISTS: every user, group, password, '
      + 'audit event and counter is lost when tenantdir stops. Set storage.uri to a MongoDB URI '
      + '(e.g. mongodb://localhost:27017/tenantdir) for anything but a quick try.',
    );
    return new MemoryStore();
  },
  async mongo(o, uri) {
    const parts = MONGO_URI.exec(uri);
    const dbName = decodeURIComponent(parts?.[3] ?? '') || DEFAULT_DATABASE;
    const store = await MongoStore.open({ ...o, uri, dbName });
    o.logger.info({ event: 'store.open', outcome: 'ok', store: safeUri(uri), database: dbName }, 'store: MongoDB ready');
    return store;
  },
};

/**
 * Opens the store storage.uri names; for MongoDB it connects and creates the indexes first,
 * rejecting with StoreUnavailable if the server cannot be reached.
 */
export async function openStore(o: OpenOptions): Promise<Store> {
  const uri = o.uri ?? '';
  return adapters[kindOf(uri)](o, uri);
}

function kindOf(uri: string): Store['kind'] {
  if (uri === '') return 'memory';
  if (MONGO_URI.test(uri)) return 'mongo';
  throw new ConfigInvalid(`storage.uri must be a mongodb:// or mongodb+srv:// URI, not ${safeUri(uri)}`, {
    hint: 'set storage.uri to e.g. mongodb://localhost:27017/tenantdir, or remove it for the in-memory store',
  });
}

/** The URI without credentials or options, fit for a log line. */
function safeUri(uri: string): string {
  const m = MONGO_URI.exec(uri);
  if (!m) return /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? `a ${uri.split(':')[0]}: URI` : 'a value that is not a URI';
  return `${m[1]}${m[2]}${m[3] === undefined ? '' : `/${m[3]}`}`;
}
