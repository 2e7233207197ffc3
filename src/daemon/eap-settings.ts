// The EAP server's view of the configuration: its limits from tenantdir.yaml, and each tenant's
// `eap` section with the PEM files read into memory. Files are read when the configuration
// loads (start and every reload), never per conversation.
import { readFile } from 'node:fs/promises';
import type { Registry, ServerConfig, TenantConfig } from '../config/index.ts';
import type { Logger } from '../core/log.ts';
import type { EapLimits, EapTenantSettings } from '../eap/index.ts';

export function eapLimits(server: ServerConfig): EapLimits {
  const e = server.eap;
  return {
    fragmentSize: e.fragmentSize,
    maxMessage: e.maxMessage,
    idleTimeoutMs: e.idleTimeoutSeconds * 1000,
    maxConversations: e.maxConversations,
    maxPerNas: e.maxConversationsPerNas,
  };
}

/** Every tenant's EAP settings by tenant id. Never rejects: a tenant's unreadable file costs it EAP-TLS only. */
export async function readEapSettings(registry: Registry, log: Logger): Promise<Map<string, EapTenantSettings>> {
  const entries = await Promise.all(registry.tenants.map(async (t) => [t.id, await tenantSettings(t, log)] as const));
  return new Map(entries);
}

async function tenantSettings(t: TenantConfig, log: Logger): Promise<EapTenantSettings> {
  const { tls } = t.eap;
  const base: EapTenantSettings = {
    methods: t.eap.methods,
    identityFrom: tls.identityFrom,
    maxTlsVersion: tls.maxVersion === '1.2' ? 'TLSv1.2' : 'TLSv1.3',
  };
  const read = (path: string | undefined) => (path === undefined ? undefined : readFile(path));
  try {
    const [cert, key, clientCa, crl] = await Promise.all([read(tls.cert), read(tls.key), read(tls.clientCa), read(tls.crl)]);
    return {
      ...base,
      ...(cert && key ? { server: { cert, key } } : {}),
      ...(clientCa ? { clientCa } : {}),
      ...(crl ? { crl } : {}),
    };
  } catch (err) {
    // The files existed when the configuration was checked; one gone or unreadable since must not
    // stop the daemon. Without every file EAP-TLS is off (a CA without its CRL would accept revoked
    // certificates), and TTLS/PEAP use the server certificate.
    log.error({ event: 'eap.tenant_files', outcome: 'failed', tenant: t.id, err },
      'cannot read the tenant\'s eap.tls files: EAP-TLS is off and TTLS/PEAP use the server certificate until they can be read (fix them, then reload)');
    return base;
  }
}
