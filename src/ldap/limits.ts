// Server-side limits of the LDAP front, in one object with units. A client's own sizeLimit and
// timeLimit are honoured but capped by these.

export interface LdapLimits {
  /** Open connections across all listeners. */
  maxConnections: number;
  /** Open connections from one source address. */
  maxConnectionsPerAddress: number;
  /**
   * The last of maxConnections, kept for addresses that hold few: once fewer than this are free,
   * an address that already holds `fewConnections` or more is refused, so that a handful of
   * addresses cannot take every slot.
   */
  reservedConnections: number;
  /** Connections an address may hold and still be given a reserved one. */
  fewConnections: number;
  /** Milliseconds a bound connection may stay silent with no operation in progress. */
  idleTimeoutMs: number;
  /** The same for a connection that has not bound (or bound anonymously): idle sockets cost a slot. */
  unboundIdleTimeoutMs: number;
  /** Milliseconds a TLS handshake (LDAPS or StartTLS) may take. */
  handshakeTimeoutMs: number;
  /** Bytes of replies waiting for a client to read them; beyond it the connection is not read. */
  maxQueuedReplyBytes: number;
  /** The same, all connections together: beyond it no connection whose client is behind is read. */
  maxQueuedReplyBytesTotal: number;
  /** Bytes: a larger LDAPMessage closes the connection. */
  maxPduBytes: number;
  /** The same before a connection has bound: binds and root DSE searches are small. */
  maxUnboundPduBytes: number;
  /** Entries one search may return (paged searches: per page). */
  maxSizeLimit: number;
  /** Seconds one search may run. */
  maxTimeLimitSeconds: number;
  /** Entries a search may examine after a fetch that no index could narrow. */
  maxCandidates: number;
  /** Open paged-results cookies per connection; the oldest is dropped beyond this. */
  maxPagedSearches: number;
  /** Milliseconds a paged-results cookie stays valid. */
  pagedCookieTtlMs: number;
  /** Operations in progress per connection; more are answered busy. */
  maxOperationsPerConnection: number;
  /**
   * Search batches (one fetch and its entries) worked on at once, all connections together; the
   * others wait their turn in order, each starting on a later turn of the event loop. Keeps the
   * loop free for other clients, and for RADIUS, whatever one client's searches cost.
   */
  maxSearchBatches: number;
  /** Nesting of and/or/not in one search filter; deeper ones are refused (adminLimitExceeded). */
  maxFilterDepth: number;
  /** Terms (every node) in one search filter; more are refused (adminLimitExceeded) while reading. */
  maxFilterTerms: number;
}

export const DEFAULT_LIMITS: Readonly<LdapLimits> = Object.freeze({
  maxConnections: 4096,
  maxConnectionsPerAddress: 256,
  reservedConnections: 1024,
  fewConnections: 16,
  idleTimeoutMs: 15 * 60_000,
  unboundIdleTimeoutMs: 60_000,
  handshakeTimeoutMs: 10_000,
  maxQueuedReplyBytes: 256 * 1024,
  maxQueuedReplyBytesTotal: 64 * 1024 * 1024,
  maxPduBytes: 1024 * 1024,
  maxUnboundPduBytes: 64 * 1024,
  maxSizeLimit: 2000,
  maxTimeLimitSeconds: 60,
  maxCandidates: 100_000,
  maxPagedSearches: 16,
  pagedCookieTtlMs: 10 * 60_000,
  maxOperationsPerConnection: 64,
  maxSearchBatches: 8,
  maxFilterDepth: 32,
  maxFilterTerms: 1024,
});

export function resolveLimits(partial: Partial<LdapLimits> = {}): LdapLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}
