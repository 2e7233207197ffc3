// One tenant's app passwords (issue 10): generated, named credentials for a device or a legacy
// application (Wi-Fi on a phone, a VPN client, a printer's scan-to-mail), each revocable on its
// own. The secret is shown once; the store keeps an HMAC-SHA-256 of it under the key ring's
// current key (the key id beside it), and an NT hash where the tenant allows MS-CHAPv2. Its first
// group is a public lookup id, so a login checks one HMAC, not every app password and never
// bcrypt: a generated secret of this length cannot be guessed, so it needs no slow hash
// (docs/app-passwords.md).
import { randomInt } from 'node:crypto';
import type { TenantConfig } from '../config/index.ts';
import { Conflict, InvalidInput, NotFound, TenantdirError } from '../core/errors.ts';
import { isValidName, nameKey } from '../core/ids.ts';
import type { KeyRing } from '../core/keyring.ts';
import type { AppPasswordRecord, AppPasswordScope, TenantStore, UserRecord } from '../store/index.ts';
import type { Actor } from './inputs.ts';
import { ntHash } from './passwords.ts';
import type { TenantAudit } from './tenant-audit.ts';

/** Lowercase letters and digits without look-alikes (0 o, 1 l i): 31 symbols. */
const ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
const GROUP_LENGTH = 4;
/** The first group is the lookup id; the other seven are 138.7 bits that are stored nowhere in clear. */
const GROUPS = 8;
const LENGTH = GROUP_LENGTH * GROUPS;
const SYMBOLS = new RegExp(`^[${ALPHABET}]{${LENGTH}}$`);

/** Entropy of a generated secret, whole and without its public lookup id (bits). */
export const APP_PASSWORD_BITS = {
  total: LENGTH * Math.log2(ALPHABET.length),
  secret: (LENGTH - GROUP_LENGTH) * Math.log2(ALPHABET.length),
};

export const MAX_APP_PASSWORDS = 20;
const APP_PASSWORD_SCOPES: readonly AppPasswordScope[] = ['radius', 'ldap'];
/** lastUsedAt is written again at most this often: a device that re-authenticates every minute costs one write an hour. */
const TOUCH_EVERY_MS = 3_600_000;

/** The user has as many app passwords as allowed. */
export class AppPasswordLimit extends TenantdirError {
  constructor(uid: string) {
    super('TD_CONFLICT', `user "${uid}" has ${MAX_APP_PASSWORDS} app passwords, the most a user may have`, {
      hint: 'revoke one that is no longer used (tenantdir user app-password list, then revoke --name N)',
    });
  }
}

/** What a listing shows of an app password: never its digest or NT hash. */
export interface AppPasswordInfo {
  name: string;
  scopes: AppPasswordScope[];
  createdAt: Date;
  lastUsedAt?: Date;
  /** The secrets.keys id its digest was made with: that key must stay configured while it exists. */
  keyId: string;
  /** It has an NT hash, so PEAP-MSCHAPv2 and RADIUS MS-CHAPv2 work with it. */
  mschapv2: boolean;
}

/** The answer to `add`: the only time the secret exists outside the device it is typed into. */
export interface NewAppPassword extends AppPasswordInfo {
  secret: string;
}

/** A generated secret: eight dash-separated groups of four, e.g. `k7qm-2xhd-...`. */
export function generateAppPassword(): string {
  const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]!);
  return grouped(chars.join(''));
}

/**
 * The canonical form of a typed secret, if it has the shape of one: any case, dashes or spaces
 * anywhere or nowhere (a phone capitalises the first letter; people drop dashes). MS-CHAPv2
 * hashes what was typed on the device, so there only the canonical form works.
 */
export function appPasswordShape(typed: string): string | undefined {
  const bare = typed.replace(/[-\s]/g, '').toLowerCase();
  return SYMBOLS.test(bare) ? grouped(bare) : undefined;
}

function grouped(bare: string): string {
  return bare.match(new RegExp(`.{${GROUP_LENGTH}}`, 'g'))!.join('-');
}

/** Which scope a login over this protocol needs; none for the admin API, the CLI, the system. */
function scopeOf(protocol: Actor['protocol']): AppPasswordScope | undefined {
  return protocol === 'ldap' ? 'ldap' : protocol === 'radius' || protocol === 'eap' ? 'radius' : undefined;
}

/**
 * Does an app password stand for both factors on a login over `protocol`? Over RADIUS and
 * 802.1X where the tenant says so (mfa.appPasswordsSatisfy): it is generated and bound to one
 * device, and PEAP-MSCHAPv2 cannot carry a code. Over LDAP it is a password like another.
 */
export function satisfiesMfa(tenant: TenantConfig, protocol: Actor['protocol']): boolean {
  return tenant.mfa.appPasswordsSatisfy && scopeOf(protocol) === 'radius';
}

export class TenantAppPasswords {
  constructor(
    private readonly tenant: TenantConfig,
    private readonly store: TenantStore,
    private readonly keys: KeyRing,
    private readonly audit: TenantAudit,
    private readonly now: () => Date,
  ) {}

  /** A new app password for `uid`: the secret is in the answer and nowhere else. */
  async add(uid: string, o: { name: string; scopes?: AppPasswordScope[] }, actor: Actor): Promise<NewAppPassword> {
    if (!isValidName(o.name)) {
      throw new InvalidInput(`app password name "${o.name}" is not valid: use letters, digits, ".", "_" and "-" (at most 64), e.g. alice-iphone`);
    }
    const scopes = [...new Set(o.scopes ?? APP_PASSWORD_SCOPES)];
    if (scopes.length === 0 || scopes.some((s) => !APP_PASSWORD_SCOPES.includes(s))) {
      throw new InvalidInput(`scopes must be one or more of ${APP_PASSWORD_SCOPES.join(', ')}`);
    }
    const user = await this.user(uid);
    const taken = new Set((user.appPasswords ?? []).map((a) => a.lookupId));
    let secret = generateAppPassword();
    // One secret in 31^4 starts like one of the user's others: its lookup id must find one record.
    while (taken.has(lookupIdOf(secret))) secret = generateAppPassword();
    const record: AppPasswordRecord = {
      name: o.name,
      lookupId: lookupIdOf(secret),
      digest: this.keys.digest(this.digestInput(user, secret)),
      keyId: this.keys.current,
      ...(this.tenant.radius.allowMschapv2 ? { ntHash: ntHash(secret) } : {}),
      scopes,
      createdAt: this.now(),
    };
    await this.store.users.update(user.uid, (old) => {
      const list = old.appPasswords ?? [];
      if (list.some((a) => nameKey(a.name) === nameKey(o.name))) {
        throw new Conflict(`user "${old.uid}" has an app password named "${o.name}" already`, { hint: 'choose another name, or revoke that one first' });
      }
      if (list.length >= MAX_APP_PASSWORDS) throw new AppPasswordLimit(old.uid);
      if (list.some((a) => a.lookupId === record.lookupId)) throw new Conflict('another app password was added at the same moment: add this one again');
      return { ...old, appPasswords: [...list, record] };
    });
    await this.audit.record(actor, 'user.app-password.add', user.uid, 'ok', { name: o.name, scopes: scopes.join(',') });
    return { ...info(record), secret };
  }

  async list(uid: string): Promise<AppPasswordInfo[]> {
    return ((await this.user(uid)).appPasswords ?? []).map(info);
  }

  /** Removes one app password by name; the password and the user's other app passwords stay as they are. */
  async revoke(uid: string, name: string, actor: Actor): Promise<void> {
    const user = await this.user(uid);
    await this.store.users.update(user.uid, (old) => {
      const list = old.appPasswords ?? [];
      const kept = list.filter((a) => nameKey(a.name) !== nameKey(name));
      if (kept.length === list.length) {
        throw new NotFound(`user "${old.uid}" has no app password named "${name}"`, { hint: 'tenantdir user app-password list shows the names' });
      }
      const { appPasswords: _all, ...rest } = old;
      return kept.length > 0 ? { ...rest, appPasswords: kept } : rest;
    });
    await this.audit.record(actor, 'user.app-password.revoke', user.uid, 'ok', { name });
  }

  /**
   * The app password `password` is, among the user's that may be used over `protocol`: the
   * shape, the lookup id, then one HMAC compared in constant time.
   */
  matchPassword(user: UserRecord | undefined, password: string, protocol: Actor['protocol']): AppPasswordRecord | undefined {
    const secret = appPasswordShape(password);
    const found = secret && this.usable(user, protocol).find((a) => a.lookupId === lookupIdOf(secret));
    return user && found && this.keys.digestMatches(this.digestInput(user, secret), found.keyId, found.digest) ? found : undefined;
  }

  /**
   * The app password whose NT hash an MS-CHAPv2 proof matches: each in turn (at most
   * MAX_APP_PASSWORDS), stopping at the first that matches, so that the protocol's callback
   * keeps the keys of that one.
   */
  matchNtHash(user: UserRecord | undefined, verify: (ntHash: Buffer) => boolean, protocol: Actor['protocol']): AppPasswordRecord | undefined {
    return this.usable(user, protocol).find((a) => a.ntHash !== undefined && verify(Buffer.from(a.ntHash, 'hex')));
  }

  /** Has the user an app password with an NT hash usable over `protocol` (a wrong MS-CHAPv2 proof is then a wrong password)? */
  hasNtHash(user: UserRecord | undefined, protocol: Actor['protocol']): boolean {
    return this.usable(user, protocol).some((a) => a.ntHash !== undefined);
  }

  /** After a login with `used`: lastUsedAt, at most hourly. */
  async used(user: UserRecord, used: AppPasswordRecord): Promise<void> {
    const now = this.now();
    if (used.lastUsedAt && now.getTime() - used.lastUsedAt.getTime() < TOUCH_EVERY_MS) return;
    await this.store.users.update(user.uid, (old) => ({
      ...old,
      ...(old.appPasswords ? { appPasswords: old.appPasswords.map((a) => (a.lookupId === used.lookupId && a.name === used.name ? { ...a, lastUsedAt: now } : a)) } : {}),
    }));
  }

  private usable(user: UserRecord | undefined, protocol: Actor['protocol']): AppPasswordRecord[] {
    const scope = scopeOf(protocol);
    return scope ? (user?.appPasswords ?? []).filter((a) => a.scopes.includes(scope)).slice(0, MAX_APP_PASSWORDS) : [];
  }

  /** What the HMAC covers: the secret, bound to this tenant and this user (whatever the user is renamed to). */
  private digestInput(user: Pick<UserRecord, 'entryUUID'>, secret: string): string {
    return `${this.tenant.id}\u0000${user.entryUUID}\u0000${secret}`;
  }

  private async user(uid: string): Promise<UserRecord> {
    const u = await this.store.users.get(uid);
    if (!u) throw new NotFound(`user "${uid}" does not exist in tenant ${this.tenant.id}`);
    return u;
  }
}

function lookupIdOf(secret: string): string {
  return secret.slice(0, GROUP_LENGTH);
}

function info(a: AppPasswordRecord): AppPasswordInfo {
  return {
    name: a.name, scopes: [...a.scopes], createdAt: a.createdAt, ...(a.lastUsedAt ? { lastUsedAt: a.lastUsedAt } : {}),
    keyId: a.keyId, mschapv2: a.ntHash !== undefined,
  };
}
