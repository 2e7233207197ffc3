// One tenant's groups: nested membership (cycles refused), renames and renumbering that move
// every reference (of users, nested groups and devices), and the closures the fronts search by.
import type { TenantConfig } from '../config/index.ts';
import { Conflict, NotFound } from '../core/errors.ts';
import { nameKey, newEntryUUID } from '../core/ids.ts';
import type { GroupQuery, GroupRecord, NewGroup, Page, PageResult, TenantStore } from '../store/index.ts';
import { ancestorGroups, descendantGroups, wouldCycle } from './graph.ts';
import type { Actor, NewGroupInput } from './inputs.ts';
import type { PosixNumbers } from './posix.ts';
import { changeDetail, type TenantAudit } from './tenant-audit.ts';
import { checkName } from './users.ts';
import { toGroup, type Group, type User } from './views.ts';

export type Member = { user: string } | { group: string };

export class TenantGroups {
  constructor(
    private readonly tenant: TenantConfig,
    private readonly store: TenantStore,
    private readonly numbers: PosixNumbers,
    private readonly audit: TenantAudit,
    private readonly now: () => Date,
  ) {}

  async get(name: string): Promise<Group | undefined> {
    const r = await this.store.groups.get(name);
    return r && toGroup(r);
  }

  async find(q: GroupQuery, page: Page): Promise<PageResult<Group>> {
    const r = await this.store.groups.find(q, page);
    return { items: r.items.map(toGroup), ...(r.next === undefined ? {} : { next: r.next }) };
  }

  async create(input: NewGroupInput, actor: Actor): Promise<Group> {
    const created = await this.store.groups.create(await this.newGroup(input));
    await this.audit.record(actor, 'group.create', created.name, 'ok');
    return toGroup(created);
  }

  /** Validates a new group and gives it its gidNumber: an explicit one is checked and reserved. */
  async newGroup(input: NewGroupInput): Promise<NewGroup> {
    checkName('group name', input.name);
    if (await this.store.groups.get(input.name)) throw new Conflict(`group "${input.name}" already exists`);
    if (input.gidNumber !== undefined) {
      await this.numbers.checkGroup(input.name, input.gidNumber);
      await this.numbers.reserveThrough(input.gidNumber);
    }
    const now = this.now();
    return {
      name: input.name,
      entryUUID: newEntryUUID(),
      ...(input.description === undefined ? {} : { description: input.description }),
      gidNumber: input.gidNumber ?? (await this.numbers.allocate()),
      memberGroups: [],
      createdAt: now,
      modifiedAt: now,
    };
  }

  async update(name: string, fields: { description?: string | null }, actor: Actor): Promise<Group> {
    let before: object = {};
    const updated = await this.store.groups.update(name, (old) => {
      before = old;
      const next = { ...old };
      if (fields.description === null) delete next.description;
      else if (fields.description !== undefined) next.description = fields.description;
      return next;
    });
    await this.audit.record(actor, 'group.update', updated.name, 'ok', changeDetail(before, updated, ['description']));
    return toGroup(updated);
  }

  async delete(name: string, actor: Actor): Promise<void> {
    const key = nameKey(name);
    if (!(await this.store.groups.delete(name))) throw new NotFound(`group "${name}" does not exist in tenant ${this.tenant.id}`);
    // No transactions: membership references are removed after the group; a reader in between
    // sees a dangling key, which every view skips.
    await this.store.users.removeGroupEverywhere(key);
    await this.store.groups.removeMemberGroupEverywhere(key);
    await this.store.devices.removeGroupEverywhere(key);
    await this.audit.record(actor, 'group.delete', name, 'ok');
  }

  /** Gives a group a new name and moves every membership (of users and nested groups) with it. */
  async rename(name: string, newName: string, actor: Actor): Promise<Group> {
    checkName('group name', newName);
    const renamed = await this.store.groups.rename(name, newName);
    const [from, to] = [nameKey(name), nameKey(newName)];
    if (from !== to) {
      // No transactions: the group is renamed first, so that until its references move they
      // hold a key that names no group (a membership missing for a moment, which every view
      // skips), never one of another group. Each move adds the new key before it removes the
      // old. (As with delete, a group created under the old name in that moment would see the
      // old references.)
      await this.store.users.replaceGroupEverywhere(from, to);
      await this.store.groups.replaceMemberGroupEverywhere(from, to);
      await this.store.devices.replaceGroupEverywhere(from, to);
    }
    await this.audit.record(actor, 'group.rename', renamed.name, 'ok', { from: name, to: renamed.name });
    return toGroup(renamed);
  }

  /**
   * Gives a group a new gidNumber, the next free one unless `gidNumber` is given (checked like a
   * new group's). Users whose primary gidNumber is the old number keep it. Files on disk keep
   * the old number: chgrp them.
   */
  async renumber(name: string, actor: Actor, gidNumber?: number): Promise<Group> {
    const group = await this.require(name);
    if (gidNumber !== undefined) {
      await this.numbers.checkGroup(group.name, gidNumber);
      await this.numbers.reserveThrough(gidNumber);
    }
    const n = gidNumber ?? (await this.numbers.allocate());
    const updated = await this.store.groups.update(name, (old) => ({ ...old, gidNumber: n }));
    await this.audit.record(actor, 'group.renumber', updated.name, 'ok', { from: String(group.gidNumber), to: String(n) });
    return toGroup(updated);
  }

  /** Adds a user or (nested) group to a group; cycles are refused. */
  async addMember(group: string, member: Member, actor: Actor): Promise<void> {
    const parent = await this.require(group);
    if ('user' in member) {
      await this.store.users.addMemberOf(member.user, nameKey(parent.name));
    } else {
      const child = await this.require(member.group);
      if (await wouldCycle(this.store.groups, nameKey(parent.name), nameKey(child.name))) {
        throw new Conflict(`adding group "${child.name}" to "${parent.name}" would make a cycle`);
      }
      await this.store.groups.addMemberGroup(parent.name, nameKey(child.name));
    }
    await this.audit.record(actor, 'group.add-member', parent.name, 'ok', { member: 'user' in member ? member.user : `group:${member.group}` });
  }

  async removeMember(group: string, member: Member, actor: Actor): Promise<void> {
    const parent = await this.require(group);
    if ('user' in member) await this.store.users.removeMemberOf(member.user, nameKey(parent.name));
    else await this.store.groups.removeMemberGroup(parent.name, nameKey(member.group));
    await this.audit.record(actor, 'group.remove-member', parent.name, 'ok', { member: 'user' in member ? member.user : `group:${member.group}` });
  }

  /** Every group the user is in, directly or through nested groups: name keys. */
  groupsOf(user: User): Promise<string[]> {
    return this.ancestorsOf(user.memberOf);
  }

  /** These groups (name keys) and every group that contains one of them, at any depth. */
  ancestorsOf(direct: readonly string[]): Promise<string[]> {
    return ancestorGroups(this.store.groups, direct);
  }

  /** The group and every group nested in it, at any depth: name keys. */
  closure(name: string): Promise<string[]> {
    return descendantGroups(this.store.groups, nameKey(name));
  }

  private async require(name: string): Promise<GroupRecord> {
    const g = await this.store.groups.get(name);
    if (!g) throw new NotFound(`group "${name}" does not exist in tenant ${this.tenant.id}`);
    return g;
  }
}
