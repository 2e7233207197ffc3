// Duplicate detection (RFC 5080 2.2.2): a retransmission (same source, port, identifier and
// Request Authenticator) gets the cached reply again instead of a second authentication, and a
// retransmission of a request still being worked on is dropped; the answer is on its way.
import { LRUCache } from 'lru-cache';

type Entry = { state: 'pending' } | { state: 'done'; reply: Buffer };

export type Seen = { kind: 'new' } | { kind: 'pending' } | { kind: 'done'; reply: Buffer };

export class DuplicateCache {
  private readonly cache: LRUCache<string, Entry>;

  constructor(o: { windowMs: number; max: number }) {
    this.cache = new LRUCache({ max: o.max, ttl: o.windowMs });
  }

  static key(source: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${source}|${port}|${identifier}|${authenticator.toString('base64')}`;
  }

  /** Looks the request up and, when new, marks it pending. */
  begin(key: string): Seen {
    const e = this.cache.get(key);
    if (e) return e.state === 'pending' ? { kind: 'pending' } : { kind: 'done', reply: e.reply };
    this.cache.set(key, { state: 'pending' });
    return { kind: 'new' };
  }

  finish(key: string, reply: Buffer): void {
    this.cache.set(key, { state: 'done', reply });
  }

  /** No answer was sent (e.g. the store was down): the NAS's retry must be worked on afresh. */
  abandon(key: string): void {
    this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }
}
