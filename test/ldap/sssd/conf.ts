// sssd.conf for SSSD 2.8 against tenantdir: one [domain/...] section per tenant and schema. The
// domain section is the recipe docs/ldap.md shows; the test adds only what running several
// domains side by side in one SSSD needs (fully qualified names for all but the first).

export type Schema = 'rfc2307' | 'rfc2307bis';

export interface SssdDomain {
  name: string;
  /** ldap://127.0.0.1:PORT — an IP literal: libldap checks the certificate against the host name. */
  uri: string;
  base: string;
  bindDn: string;
  bindPassword: string;
  caCert: string;
  schema: Schema;
  /** Names are user@domain: several domains in one SSSD know an alice. */
  fullyQualified?: boolean;
}

/** One tenant as an SSSD domain: users and groups read with a service account, passwords checked by binding as the user, StartTLS. */
export function domainSection(d: SssdDomain): string[] {
  return [
    `[domain/${d.name}]`,
    'id_provider = ldap',
    'auth_provider = ldap',
    // `passwd` on the host: the password modify extended operation, as the user.
    'chpass_provider = ldap',
    // A disabled user (shadowExpire 1) is refused at the account step too, which is all an SSH
    // key login goes through: authentication alone would let her in with a key.
    'access_provider = ldap',
    'ldap_access_order = expire',
    'ldap_account_expire_policy = shadow',
    `ldap_uri = ${d.uri}`,
    `ldap_search_base = ${d.base}`,
    `ldap_user_search_base = ou=people,${d.base}`,
    `ldap_group_search_base = ou=groups,${d.base}`,
    // Groups carry both member (DNs) and memberUid: either schema works.
    `ldap_schema = ${d.schema}`,
    `ldap_default_bind_dn = ${d.bindDn}`,
    'ldap_default_authtok_type = password',
    `ldap_default_authtok = ${d.bindPassword}`,
    'ldap_id_use_start_tls = true',
    'ldap_tls_reqcert = demand',
    `ldap_tls_cacert = ${d.caCert}`,
    // Never answer a password check from a cached credential.
    'cache_credentials = false',
    'enumerate = false',
  ];
}

export function sssdConf(domains: SssdDomain[]): string {
  return [
    '[sssd]',
    'config_file_version = 2',
    'services = nss, pam',
    `domains = ${domains.map((d) => d.name).join(', ')}`,
    '',
    '[nss]',
    '[pam]',
    '',
    ...domains.flatMap((d) => [...domainSection(d), ...(d.fullyQualified ? ['use_fully_qualified_names = true'] : []), '']),
  ].join('\n');
}
