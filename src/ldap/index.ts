// The LDAP front: what the daemon wires. Everything else in src/ldap is private.
import type { LiveRegistry } from '../config/index.ts';
import type { Logger } from '../core/log.ts';
import type { TlsMaterial } from '../core/tls.ts';
import type { Directory } from '../directory/index.ts';
import { Front, type FrontOptions } from './front.ts';
import { resolveLimits, type LdapLimits } from './limits.ts';
import { LdapServer, type ServerStats } from './server.ts';

export type { LdapLimits } from './limits.ts';
export { DEFAULT_LIMITS } from './limits.ts';
export type { ServerStats as LdapStats } from './server.ts';

export interface LdapFrontOptions {
  live: LiveRegistry;
  directory: Directory;
  logger: Logger;
  /** LDAPS and StartTLS; without it StartTLS is refused and LDAPS is not started. */
  tls?: TlsMaterial;
  limits?: Partial<LdapLimits>;
  /** Told of each operation answered (metrics). */
  onRequest?: FrontOptions['onRequest'];
}

export class LdapFront {
  private readonly server: LdapServer;

  constructor(private readonly o: LdapFrontOptions) {
    const limits = resolveLimits(o.limits);
    this.server = new LdapServer({
      sessions: new Front({ live: o.live, directory: o.directory, logger: o.logger, limits, ...(o.onRequest ? { onRequest: o.onRequest } : {}) }),
      logger: o.logger,
      limits,
      ...(o.tls ? { tls: o.tls } : {}),
    });
  }

  /** Binds listen.ldap and, when configured and TLS material was given, listen.ldaps. Resolves to the bound ports. */
  listen(): Promise<{ ldap: number; ldaps?: number }> {
    const listen = this.o.live.current().server.listen;
    const secure = this.o.tls ? listen.ldaps : undefined;
    if (listen.ldaps && !this.o.tls) {
      this.o.logger.warn({ event: 'ldap.listen', outcome: 'refused', protocol: 'ldaps' }, 'listen.ldaps is configured but no TLS material was given: LDAPS is off');
    }
    return this.server.listen(listen.ldap, secure);
  }

  /** Reload: new certificate for LDAPS and StartTLS from the next handshake on. */
  setTls(tls: TlsMaterial): void {
    this.server.setTls(tls);
  }

  stats(): ServerStats {
    return this.server.stats();
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
