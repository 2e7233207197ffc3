// The store: one port, two adapters, chosen by openStore().
export type * from './port.ts';
export { openStore } from './open.ts';
export { MemoryStore } from './memory.ts';
export { MongoStore } from './mongo.ts';
