// A tenant's EAP settings, resolved once per configuration (and certificate) load: which methods
// it offers and its TLS contexts (parsing certificates and keys is too slow per conversation).
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { ConfigInvalid } from '../core/errors.ts';
import { EAP_TYPE } from './packet.ts';

export type EapMethodName = 'peap' | 'ttls' | 'tls';
/** Where EAP-TLS finds the uid in a client certificate. */
export type CertIdentitySource = 'cn' | 'san-email' | 'san-upn';
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface PemPair {
  cert: Buffer;
  key: Buffer;
}

/** A tenant's `eap:` section with its PEM files read (src/daemon/eap-settings.ts builds it). */
export interface EapTenantSettings {
  /** Offered methods, the first one proposed. Default: peap, ttls, tls, minus those not set up. */
  methods?: readonly EapMethodName[];
  /** The tenant's own server certificate chain and key; default: the server's (`tls`). */
  server?: PemPair;
  /** PEM CA bundle that issues the tenant's client certificates; without it, no EAP-TLS. */
  clientCa?: Buffer;
  /** PEM CRLs of `clientCa`. */
  crl?: Buffer;
  /** Default: cn. */
  identityFrom?: CertIdentitySource;
  /** Default: TLSv1.3 (RFC 9190, RFC 9427). */
  maxTlsVersion?: TlsVersion;
}

const TYPE_OF: Record<EapMethodName, number> = { peap: EAP_TYPE.peap, ttls: EAP_TYPE.ttls, tls: EAP_TYPE.tls };

export class EapTenant {
  /** EAP type codes in the order they are proposed. */
  readonly methods: readonly number[];
  readonly identityFrom: CertIdentitySource;
  /** Server side of TTLS and PEAP. */
  readonly tunnelContext: SecureContext;
  /** Server side of EAP-TLS: also asks for and verifies a client certificate. */
  readonly clientCertContext: SecureContext | undefined;

  constructor(
    readonly id: string,
    /** The tenant keeps NT hashes (radius.allowMschapv2): PEAP and TTLS/MS-CHAPv2 can work. */
    readonly allowMschapv2: boolean,
    settings: EapTenantSettings,
    serverTls: PemPair,
  ) {
    this.identityFrom = settings.identityFrom ?? 'cn';
    const own = settings.server ?? serverTls;
    const base = { cert: own.cert, key: own.key, minVersion: 'TLSv1.2', maxVersion: settings.maxTlsVersion ?? 'TLSv1.3' } as const;
    try {
      this.tunnelContext = createSecureContext(base);
      // OpenSSL takes a CA file without a single certificate in silence; every client would fail.
      if (settings.clientCa) new X509Certificate(settings.clientCa);
      this.clientCertContext = settings.clientCa
        ? createSecureContext({ ...base, ca: settings.clientCa, ...(settings.crl ? { crl: settings.crl } : {}) })
        : undefined;
    } catch (cause) {
      throw new ConfigInvalid(`tenant ${id}: the EAP certificate, key, CA or CRL cannot be used`, {
        hint: 'check the PEM files of the tenant\'s eap section, or tls in tenantdir.yaml', cause,
      });
    }
    const usable: Record<EapMethodName, boolean> = {
      // PEAP's only inner method is MS-CHAPv2, which needs the NT hash.
      peap: allowMschapv2,
      ttls: true,
      tls: this.clientCertContext !== undefined,
    };
    this.methods = (settings.methods ?? ['peap', 'ttls', 'tls']).filter((m) => usable[m]).map((m) => TYPE_OF[m]);
  }
}
