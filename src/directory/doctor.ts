// `tenantdir doctor`: finds POSIX numbers that collide in a tenant's stored data (from before
// the one counter, or from imports of earlier versions) and says how to fix each. New numbers
// cannot collide any more (posix.ts); numbers already stored are left for an operator to
// change, since files on disk carry them.
import { nameKey } from '../core/ids.ts';
import type { GroupRecord, TenantStore, UserRecord } from '../store/index.ts';
import { everyPage } from './posix.ts';

export interface DoctorProblem {
  /**
   * private-group-is-a-group: a user's private group (gidNumber = uidNumber) is a group's gidNumber;
   * uidNumber-shared: users with one uidNumber; gidNumber-shared: groups with one gidNumber.
   */
  kind: 'private-group-is-a-group' | 'uidNumber-shared' | 'gidNumber-shared';
  number: number;
  users: string[];
  groups: string[];
  message: string;
  /** What to run, and what to do on disk afterwards. */
  fix: string;
}

export interface DoctorReport {
  tenant: string;
  users: number;
  groups: number;
  problems: DoctorProblem[];
}

const PAGE = 1000;

function byNumber<T>(records: T[], number: (r: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of records) {
    const n = number(r);
    const list = out.get(n);
    if (list) list.push(r);
    else out.set(n, [r]);
  }
  return out;
}

const quoted = (names: string[]): string => names.map((n) => `"${n}"`).join(', ');

export async function diagnose(store: TenantStore): Promise<DoctorReport> {
  const t = store.tenantId;
  const page = (after: string | undefined) => ({ limit: PAGE, ...(after === undefined ? {} : { after }) });
  const groups: GroupRecord[] = await everyPage((after) => store.groups.find({ all: true }, page(after)));
  const users: UserRecord[] = await everyPage((after) => store.users.find({ all: true }, page(after)));
  const problems: DoctorProblem[] = [];
  const groupsByGid = byNumber(groups, (g) => g.gidNumber);

  for (const [n, same] of byNumber(users, (u) => u.uidNumber)) {
    if (same.length < 2) continue;
    const uids = same.map((u) => u.uid);
    problems.push({
      kind: 'uidNumber-shared', number: n, users: uids, groups: [],
      message: `users ${quoted(uids)} share uidNumber ${n}: each can read and change the others' files`,
      fix: uids.slice(1).map((uid) => `tenantdir user renumber --tenant ${t} --uid ${uid}`).join('; ')
        + `; then chown the files of each renumbered user (find / -xdev -uid ${n})`,
    });
  }
  for (const [n, same] of groupsByGid) {
    if (same.length < 2) continue;
    const names = same.map((g) => g.name);
    problems.push({
      kind: 'gidNumber-shared', number: n, users: [], groups: names,
      message: `groups ${quoted(names)} share gidNumber ${n}: a member of one has the rights of every one`,
      fix: names.slice(1).map((name) => `tenantdir group renumber --tenant ${t} --group ${name}`).join('; ')
        + `; then chgrp the files of each renumbered group (find / -xdev -gid ${n})`,
    });
  }
  for (const u of users) {
    const clash = u.uidNumber === u.gidNumber ? groupsByGid.get(u.gidNumber) : undefined;
    if (!clash) continue;
    const names = clash.map((g) => g.name);
    const member = clash.filter((g) => u.memberOf.includes(nameKey(g.name))).length > 0;
    problems.push({
      kind: 'private-group-is-a-group', number: u.gidNumber, users: [u.uid], groups: names,
      message: `the private group of user "${u.uid}" (gidNumber ${u.gidNumber}) is the gidNumber of group ${quoted(names)}: `
        + `NSS shows "${u.uid}" as gid=${u.gidNumber}(${names[0]})${member ? '' : ', although not a member'}, and rules for %${names[0]} apply`,
      fix: `tenantdir user renumber --tenant ${t} --uid ${u.uid} (a new uidNumber and private group; then chown -R its files), `
        + `or tenantdir group renumber --tenant ${t} --group ${names[0]} (a new gidNumber; then chgrp the group's files)`,
    });
  }
  return { tenant: t, users: users.length, groups: groups.length, problems };
}
