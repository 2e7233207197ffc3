// Duplicate detection (RFC 5080 2.2.2): a retransmission (same source, port, identifier and
// Request Authenticator) gets the cached reply again instead of a second authentication, and a
// retransmission of a request still being worked on is dropped; the answer is on its way.
// One cache per tenant, bounded in bytes (a reply is up to 4 KiB): a tenant's flood evicts only
// its own entries, never the answers another tenant's NAS is about to ask for again.
import { LRUCache } from 'lru-cache';

type Entry = { state: 'pending' } | { state: 'done'; reply: Buffer };

export type Seen = { kind: 'new' } | { kind: 'pending' } | { kind: 'done'; reply: Buffer };

/** What an entry costs besides its key and reply: the map slot, the object, the LRU links. */
const ENTRY_OVERHEAD = 96;

export class DuplicateCache {
  // Owners are tenant ids and MSP-wide NAS keys, from the configuration: bounded by it.
  private readonly byOwner = new Map<string, LRUCache<string, Entry>>();

  constructor(private readonly o: { windowMs: number; bytesPerOwner: number }) {}

  static key(source: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${source}|${port}|${identifier}|${authenticator.toString('base64')}`;
  }

  /** Looks the request up in `owner`'s cache and, when new, marks it pending. */
  begin(owner: string, key: string): Seen {
    const cache = this.cache(owner);
    const e = cache.get(key);
    if (e) return e.state === 'pending' ? { kind: 'pending' } : { kind: 'done', reply: e.reply };
    cache.set(key, { state: 'pending' });
    return { kind: 'new' };
  }

  finish(owner: string, key: string, reply: Buffer): void {
    this.cache(owner).set(key, { state: 'done', reply });
  }

  /** No answer was sent (throttled, overloaded, the store down): the NAS's retry must be worked on afresh. */
  abandon(owner: string, key: string): void {
    this.byOwner.get(owner)?.delete(key);
  }

  /** Bytes held for `owner` (tests, /metrics). */
  bytesOf(owner: string): number {
    return this.byOwner.get(owner)?.calculatedSize ?? 0;
  }

  clear(): void {
    for (const cache of this.byOwner.values()) cache.clear();
    this.byOwner.clear();
  }

  private cache(owner: string): LRUCache<string, Entry> {
    let cache = this.byOwner.get(owner);
    if (!cache) {
      cache = new LRUCache<string, Entry>({
        maxSize: this.o.bytesPerOwner,
        ttl: this.o.windowMs,
        sizeCalculation: (e, key) => ENTRY_OVERHEAD + key.length + (e.state === 'done' ? e.reply.length : 0),
      });
      this.byOwner.set(owner, cache);
    }
    return cache;
  }
}
