// What an Access-Accept carries for a user (or a MAB device): the VLAN of the first `vlans` entry
// whose group it is in, the tenant's Session-Timeout, and `replyAttributes` (for everyone or by
// group); for an unregistered device, the quarantine VLAN.
// An attribute may be named as in the dictionary or by a vendor template (docs/radius.md).
import type { TenantConfig } from '../config/index.ts';
import { namedAttribute, type OutAttribute } from './codec.ts';

/** Short names for the attributes the common access points act on; documented in docs/radius.md. */
export const VENDOR_TEMPLATES: Readonly<Record<string, string>> = {
  'aruba:role': 'Aruba-User-Role',
  'aruba:vlan-name': 'Aruba-Named-User-Vlan',
  'aruba:admin-role': 'Aruba-Admin-Role',
  'meraki:group-policy': 'Filter-Id',
  'mikrotik:group': 'Mikrotik-Group',
  'mikrotik:rate-limit': 'Mikrotik-Rate-Limit',
  'mikrotik:address-list': 'Mikrotik-Address-List',
  'unifi:user-group': 'Filter-Id',
};

/** RFC 2868 tag grouping the three VLAN attributes as one tunnel. */
const VLAN_TAG = 1;

export function vlanAttributes(vlan: number): OutAttribute[] {
  return [
    { name: 'Tunnel-Type', tag: VLAN_TAG, value: 'VLAN' },
    { name: 'Tunnel-Medium-Type', tag: VLAN_TAG, value: 'IEEE-802' },
    { name: 'Tunnel-Private-Group-Id', tag: VLAN_TAG, value: String(vlan) },
  ];
}

interface ReplyPlan {
  extras: { group: string | undefined; attribute: OutAttribute }[];
  problems: string[];
}

// Plans are per TenantConfig object: a reload makes new objects, so a stale plan is never used.
const plans = new WeakMap<TenantConfig, ReplyPlan>();

function planFor(tenant: TenantConfig): ReplyPlan {
  let plan = plans.get(tenant);
  if (!plan) {
    plan = { extras: [], problems: [] };
    for (const r of tenant.radius.replyAttributes) {
      const attribute = namedAttribute(VENDOR_TEMPLATES[r.attribute.toLowerCase()] ?? r.attribute, r.value);
      if (typeof attribute === 'string') plan.problems.push(`replyAttributes: ${r.attribute}: ${attribute}`);
      else plan.extras.push({ group: r.group?.toLowerCase(), attribute });
    }
    plans.set(tenant, plan);
  }
  return plan;
}

/** replyAttributes entries that cannot be sent (unknown name, bad value): skipped and logged. */
export function replyProblems(tenant: TenantConfig): readonly string[] {
  return planFor(tenant).problems;
}

/** The authorization attributes for a user in these groups (name keys, lowercased). */
export function acceptAttributes(tenant: TenantConfig, groups: readonly string[]): OutAttribute[] {
  const member = new Set(groups);
  const out: OutAttribute[] = [];
  const vlan = tenant.radius.vlans.find((v) => member.has(v.group.toLowerCase()));
  if (vlan) out.push(...vlanAttributes(vlan.vlan));
  out.push(...sessionTimeout(tenant));
  for (const e of planFor(tenant).extras) {
    if (e.group === undefined || member.has(e.group)) out.push(e.attribute);
  }
  return out;
}

/**
 * An unregistered device in the quarantine VLAN (radius.mab.unknownVlan): that VLAN, and the
 * Session-Timeout, so that the NAS asks again and a device registered meanwhile moves to its
 * own VLAN. No replyAttributes: not even those for everyone, which may grant a role.
 */
export function quarantineAttributes(tenant: TenantConfig, vlan: number): OutAttribute[] {
  return [...vlanAttributes(vlan), ...sessionTimeout(tenant)];
}

function sessionTimeout(tenant: TenantConfig): OutAttribute[] {
  return tenant.radius.sessionTimeout === undefined ? [] : [{ name: 'Session-Timeout', value: tenant.radius.sessionTimeout }];
}
