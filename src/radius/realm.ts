// Realms in user names: user@realm (suffix) and REALM\user (prefix), RFC 7542 style.
export type RealmFormat = 'suffix' | 'prefix' | 'both';

export interface SplitName {
  user: string;
  /** Lowercased; undefined when the name carries none in the configured format. */
  realm: string | undefined;
  /** Where the realm was: user@realm (suffix) or REALM\user (prefix). */
  form?: 'suffix' | 'prefix';
}

/** `user` with `realm` where a split found it: what a NAS that routes by realm needs back. */
export function joinRealm(user: string, realm: string, form: 'suffix' | 'prefix'): string {
  return form === 'suffix' ? `${user}@${realm}` : `${realm}\\${user}`;
}

export function splitRealm(name: string, format: RealmFormat): SplitName {
  if (format !== 'prefix') {
    const at = name.lastIndexOf('@');
    if (at > 0 && at < name.length - 1) return { user: name.slice(0, at), realm: name.slice(at + 1).toLowerCase(), form: 'suffix' };
  }
  if (format !== 'suffix') {
    const slash = name.indexOf('\\');
    if (slash > 0 && slash < name.length - 1) return { user: name.slice(slash + 1), realm: name.slice(0, slash).toLowerCase(), form: 'prefix' };
  }
  return { user: name, realm: undefined };
}
