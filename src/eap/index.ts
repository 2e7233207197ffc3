// EAP for 802.1X (issue 5): TTLS, PEAPv0/MS-CHAPv2 and EAP-TLS behind the RADIUS front.
export { isOwnRealm } from './identity.ts';
export { EapServer, type EapExchange, type EapLimits, type EapOutcome, type EapServerOptions } from './server.ts';
export type { CertIdentitySource, EapMethodName, EapTenantSettings, PemPair, TlsVersion } from './tenant.ts';
export type { EapProof, EapUser, EapVerdict } from './method.ts';
