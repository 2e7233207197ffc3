// What callers hand the directory: who acts, and the fields of new users and groups. Apart from
// tenant-directory.ts so that import.ts, which TenantDirectory runs, can name them too.
import type { AuditEvent } from '../store/index.ts';

/** Who is acting, for the audit trail. */
export interface Actor {
  name: string;
  protocol: NonNullable<AuditEvent['protocol']>;
  /** Source address, where there is one. */
  source?: string;
  /** The admin's role (admin API). */
  role?: string;
  /** The NAS a RADIUS request came through, by its name in the tenant. */
  nas?: string;
  /** How the credential travelled: simple (LDAP bind), pap, mschapv2, ttls/pap, peap/mschapv2, ... */
  method?: string;
  /** The admin API client's User-Agent, as the caller gave it: a label only, never trusted. */
  agent?: string;
}

export interface UserFields {
  cn?: string;
  sn?: string;
  givenName?: string;
  displayName?: string;
  mail?: string;
  telephoneNumber?: string;
  title?: string;
  homeDirectory?: string;
  loginShell?: string;
  sshPublicKeys?: string[];
  enabled?: boolean;
  expiresAt?: Date | null;
}

export interface NewUserInput extends UserFields {
  uid: string;
  uidNumber?: number;
  gidNumber?: number;
  groups?: string[];
  /** Plaintext: checked against the policy and hashed. */
  password?: string;
  /** A hash migrated from another directory: bcrypt, {SSHA}, {SSHA512}, {CRYPT}. */
  passwordHash?: string;
}

export interface NewGroupInput {
  name: string;
  description?: string;
  gidNumber?: number;
}
