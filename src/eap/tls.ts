// EAP-TLS (RFC 5216, and RFC 9190 for TLS 1.3): the client certificate, verified by OpenSSL
// against the tenant's CA and CRL, names a user of that tenant, in a realm of that tenant (one
// device CA may serve several tenants: its certificate for alice@globex is no acme alice).
import type { X509Certificate } from 'node:crypto';
import { EAP_TYPE } from './packet.ts';
import type { EapContext, EapUser } from './method.ts';
import type { CertIdentitySource } from './tenant.ts';
import { tunnelMethod, type InnerStep, type TlsTunnel } from './tls-common.ts';

/** RFC 9190 §2.5: one byte of application data commits the server to the end of the handshake. */
const COMMITMENT = Buffer.from([0]);

/**
 * The identity a certificate names, per the tenant's rule, with its realm (the domain of an
 * e-mail or UPN, or of a CN with @): the caller checks that realm against the tenant's.
 */
function certIdentity(cert: X509Certificate, from: CertIdentitySource): string | undefined {
  if (from === 'cn') return /^CN=(.*)$/m.exec(cert.subject)?.[1];
  // Node renders subjectAltName as `email:a@b, othername:UPN:a@b, DNS:...`.
  const prefix = from === 'san-email' ? 'email:' : 'othername:UPN:';
  return (cert.subjectAltName ?? '').split(', ').find((e) => e.startsWith(prefix))?.slice(prefix.length);
}

type TlsState = { user: EapUser };

async function phase2(p: TlsState | undefined, data: Buffer | null, t: TlsTunnel, ctx: EapContext): Promise<InnerStep<TlsState>> {
  if (p) return data === null || data.length === 0 ? { success: p.user } : { failure: 'tls: unexpected data after the handshake' };
  const problem = t.peerVerifyError();
  if (problem) return { failure: `tls: client certificate: ${problem}` };
  const cert = t.peerCertificate();
  if (!cert) return { failure: 'tls: no client certificate' };
  const identity = certIdentity(cert, ctx.tenant.identityFrom);
  if (!identity) return { failure: `tls: the certificate has no ${ctx.tenant.identityFrom}` };
  const found = await ctx.lookupUser(identity, 'tls');
  if (!found.ok) return { failure: `tls: ${found.reason}` };
  if (t.version === 'TLSv1.3') return { send: COMMITMENT, state: { user: found.user } };
  return { success: found.user };
}

export const tls = tunnelMethod<TlsState>({
  type: EAP_TYPE.tls,
  name: 'TLS',
  keyLabel: 'client EAP encryption',
  context: (ctx) => ctx.tenant.clientCertContext,
  requestCert: true,
  inner: phase2,
});
