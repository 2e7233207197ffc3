// What the directory hands out: records without credentials (the password's hashes, the TOTP
// seed, app passwords' digests), so that none can leak through a front by accident.
import type { GroupRecord, UserRecord } from '../store/index.ts';

export interface User extends Omit<UserRecord, 'credentials' | 'tenantId' | 'totp' | 'appPasswords'> {
  hasPassword: boolean;
  passwordChangedAt?: Date;
}

export type Group = Omit<GroupRecord, 'tenantId'>;

export function toUser(r: UserRecord): User {
  const { credentials, tenantId: _tenant, totp: _totp, appPasswords: _appPasswords, ...rest } = r;
  return {
    ...rest,
    hasPassword: credentials !== undefined,
    ...(credentials ? { passwordChangedAt: credentials.passwordChangedAt } : {}),
  };
}

export function toGroup(r: GroupRecord): Group {
  const { tenantId: _tenant, ...rest } = r;
  return rest;
}
