// Checks that span nodes or files: unique ids and names, non-overlapping subtrees and NAS
// networks, references to tenants and groups. They read the validated values defensively, so a
// file with a schema problem still gets its cross-file problems reported in the same run.
import { isWithin, tryNormalizeDn } from '../core/dn.ts';
import { isTenantId } from '../core/ids.ts';
import { overlaps, parseNet, type Net } from './net.ts';
import type { ConfigProblem, PathSeg, SourceFile } from './source.ts';
import { isRecord, suggest } from './validate.ts';

/** One file's validated value, possibly with problems in it. */
export interface Part {
  source: SourceFile;
  value: unknown;
}

function get(v: unknown, ...keys: PathSeg[]): unknown {
  let at = v;
  for (const k of keys) at = isRecord(at) || Array.isArray(at) ? (at as Record<PathSeg, unknown>)[k] : undefined;
  return at;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** "file:line:col" of a node, for messages that point at the other half of a conflict. */
function ref(part: Part, path: PathSeg[]): string {
  const { line, col } = part.source.where(path);
  return `${part.source.file}:${line}:${col}`;
}

/**
 * Runs every cross-file check of the server and tenant files; returns the tenant ids seen.
 * `allTenantsRead` false: a tenant file could not be parsed, so a reference to an unknown tenant
 * may be to that one; those references are not checked, and the syntax error stands alone.
 */
export function checkAcross(server: Part | undefined, tenants: Part[], allTenantsRead: boolean, out: ConfigProblem[]): Set<string> {
  const ids = checkTenantIds(tenants, out);
  checkBaseDns(tenants, out);
  checkNas(server, tenants, out);
  checkRealms(tenants, out);
  for (const t of tenants) {
    checkReplyAttributes(t, out);
    unique(t, ['radius', 'clients'], 'name', 'NAS client name', out);
    unique(t, ['ldap', 'serviceAccounts'], 'name', 'service account name', out);
    unique(t, ['radius', 'vlans'], 'group', 'VLAN group', out);
    checkEapCertificate(t, out);
    checkSecurity(t, out);
    checkWebhooks(t, out);
  }
  if (server) {
    checkServer(server, allTenantsRead ? ids : undefined, out);
    checkWebhooks(server, out);
    checkDelivery(server, out);
  }
  return ids;
}

/** Each webhook of a file is one destination with its own queue: names and URLs are unique. */
function checkWebhooks(part: Part, out: ConfigProblem[]): void {
  unique(part, ['integrations', 'webhooks'], 'name', 'webhook name', out);
  // Compared exactly and not shown: a URL may carry a token.
  unique(part, ['integrations', 'webhooks'], 'url', 'webhook url', out, true);
}

function checkDelivery(server: Part, out: ConfigProblem[]): void {
  const d = get(server.value, 'integrations', 'delivery');
  const lease = get(d, 'leaseMs');
  const timeout = get(d, 'timeoutMs');
  if (typeof lease === 'number' && typeof timeout === 'number' && lease <= timeout) {
    out.push(server.source.problem(['integrations', 'delivery', 'leaseMs'], `leaseMs (${lease}) must be more than timeoutMs (${timeout}): `
      + 'a delivery still waiting for its answer would be claimed and sent again by another worker'));
  }
}

/** A tenant's own EAP certificate needs its key, and the reverse: one alone would be ignored. */
function checkEapCertificate(t: Part, out: ConfigProblem[]): void {
  const tls = get(t.value, 'eap', 'tls');
  const has = (k: string) => str(get(tls, k)) !== undefined;
  for (const [present, missing] of [['cert', 'key'], ['key', 'cert']] as const) {
    if (has(present) && !has(missing)) {
      out.push(t.source.problem(['eap', 'tls', present], `eap.tls.${present} needs eap.tls.${missing} too: give both, or neither to use tls of tenantdir.yaml`));
    }
  }
}

/** security.userFailures: `sources` distinct sources need at least as many failures. */
function checkSecurity(t: Part, out: ConfigProblem[]): void {
  const failures = get(t.value, 'security', 'userFailures');
  const count = get(failures, 'count');
  const sources = get(failures, 'sources');
  if (typeof count === 'number' && typeof sources === 'number' && sources > count) {
    out.push(t.source.problem(['security', 'userFailures', 'sources'],
      `security.userFailures.sources (${sources}) is more than its count (${count}): that many sources cannot fit in that many failures; lower sources or raise count`));
  }
}

/** Settings whose feature is not built yet are refused, not silently ignored. */
/**
 * Reply attributes tenantdir sets itself, where a second one would contradict it. Class may
 * repeat (RFC 2865 §5.25; firewalls map groups from it): ours is told apart by its prefix.
 */
const OWN_REPLY_ATTRIBUTES = ['user-name', 'message-authenticator'];

function checkReplyAttributes(t: Part, out: ConfigProblem[]): void {
  list(get(t.value, 'radius', 'replyAttributes')).forEach((a, i) => {
    const name = str(get(a, 'attribute'));
    if (name !== undefined && OWN_REPLY_ATTRIBUTES.includes(name.toLowerCase())) {
      out.push(t.source.problem(['radius', 'replyAttributes', i, 'attribute'], `${name} is set by tenantdir in every Access-Accept `
        + '(User-Name names the authenticated user, for accounting); remove this entry'));
    }
  });
}

/** A realm leads to one tenant: no two tenants list it, and none lists another tenant's id. */
function checkRealms(tenants: Part[], out: ConfigProblem[]): void {
  const owners = new Map<string, { part: Part; path: PathSeg[] }>();
  for (const t of tenants) {
    const id = str(get(t.value, 'id'));
    if (id !== undefined) owners.set(id, { part: t, path: ['id'] });
  }
  for (const t of tenants) {
    list(get(t.value, 'radius', 'realms')).forEach((r, i) => {
      const realm = str(r)?.toLowerCase();
      if (realm === undefined) return;
      const path: PathSeg[] = ['radius', 'realms', i];
      const prev = owners.get(realm);
      if (prev && prev.part !== t) {
        const what = prev.path[0] === 'id' ? 'the id of the tenant' : 'already a realm of the tenant';
        out.push(t.source.problem(path, `realm \`${realm}\` is ${what} at ${ref(prev.part, prev.path)}; `
          + 'a realm must lead to one tenant: remove it from one of them'));
      } else if (!prev) {
        owners.set(realm, { part: t, path });
      }
    });
  }
}

function checkTenantIds(tenants: Part[], out: ConfigProblem[]): Set<string> {
  const first = new Map<string, Part>();
  for (const t of tenants) {
    const id = str(get(t.value, 'id'));
    if (id === undefined || !isTenantId(id)) continue;
    const prev = first.get(id);
    if (prev) out.push(t.source.problem(['id'], `tenant id \`${id}\` is already used by ${ref(prev, ['id'])}; give each tenant its own id`));
    else first.set(id, t);
  }
  return new Set(first.keys());
}

function checkBaseDns(tenants: Part[], out: ConfigProblem[]): void {
  const seen: { part: Part; norm: string; id: string }[] = [];
  for (const t of tenants) {
    const written = str(get(t.value, 'baseDN'));
    const norm = written === undefined ? undefined : tryNormalizeDn(written);
    if (!norm) continue;
    const clash = seen.find((s) => isWithin(norm, s.norm) || isWithin(s.norm, norm));
    if (clash) {
      const how = clash.norm === norm ? 'is the same as' : isWithin(norm, clash.norm) ? 'is inside' : 'contains';
      out.push(t.source.problem(['baseDN'], `baseDN \`${written}\` ${how} tenant \`${clash.id}\`'s baseDN `
        + `(${ref(clash.part, ['baseDN'])}); tenants' subtrees must not overlap: pick a separate DN`));
    }
    seen.push({ part: t, norm, id: str(get(t.value, 'id')) ?? t.source.file });
  }
}

interface NasEntry {
  part: Part;
  path: PathSeg[];
  net: Net;
  /** Same owner = same tenant file, or the MSP-wide list. */
  owner: string;
  label: string;
}

/** A source address must lead to one tenant: networks of different owners may not overlap. */
function checkNas(server: Part | undefined, tenants: Part[], out: ConfigProblem[]): void {
  const entries: NasEntry[] = [];
  const add = (part: Part, owner: string, label: (name: string) => string) => {
    list(get(part.value, 'radius', 'clients')).forEach((c, i) => {
      const address = str(get(c, 'address'));
      const net = address === undefined ? undefined : parseNet(address);
      if (net) entries.push({ part, path: ['radius', 'clients', i, 'address'], net, owner, label: label(str(get(c, 'name')) ?? '?') });
    });
  };
  if (server) add(server, 'msp', (name) => `MSP-wide client \`${name}\``);
  for (const t of tenants) add(t, t.source.file, () => `tenant \`${str(get(t.value, 'id')) ?? t.source.file}\``);
  entries.forEach((e, j) => {
    const clash = entries.slice(0, j).find((p) => overlaps(p.net, e.net)
      && (p.owner !== e.owner || (p.net.text === e.net.text)));
    if (!clash) return;
    const where = `${clash.label} (${ref(clash.part, clash.path)})`;
    out.push(e.part.source.problem(e.path, clash.owner === e.owner
      ? `NAS address ${e.net.text} is already listed for ${where}; remove one of them`
      : `NAS address ${e.net.text} overlaps ${clash.net.text} of ${where}; a source address must lead to one tenant: narrow or remove one of them`));
  });
}

/** `ids`: the configured tenant ids, or undefined when they are not all known. */
function checkServer(server: Part, ids: ReadonlySet<string> | undefined, out: ConfigProblem[]): void {
  const known = [...(ids ?? [])];
  const tenantRef = (v: unknown, path: PathSeg[]) => {
    const id = str(v);
    if (id !== undefined && ids && !ids.has(id)) {
      out.push(server.source.problem(path, `unknown tenant \`${id}\`${suggest(id, known)} (configured: ${known.join(', ') || 'none'}); `
        + 'name a tenant id from tenants/*.yaml'));
    }
  };
  list(get(server.value, 'admins')).forEach((a, i) => {
    const role = str(get(a, 'role'));
    const tenants = get(a, 'tenants');
    if (role === 'msp-admin' && tenants !== undefined) {
      out.push(server.source.problem(['admins', i, 'tenants'], 'an msp-admin acts on every tenant: remove `tenants`, or make the role tenant-admin', true));
    } else if (role === 'metrics' && tenants !== undefined) {
      out.push(server.source.problem(['admins', i, 'tenants'], 'a metrics token reads /metrics only and acts on no tenant: remove `tenants`', true));
    } else if ((role === 'tenant-admin' || role === 'helpdesk') && tenants === undefined) {
      out.push(server.source.problem(['admins', i], `a ${role} needs \`tenants: [ids]\`: the tenants it may act on`));
    }
    list(tenants).forEach((id, j) => tenantRef(id, ['admins', i, 'tenants', j]));
  });
  list(get(server.value, 'radius', 'clients')).forEach((c, i) => {
    list(get(c, 'realms')).forEach((id, j) => tenantRef(id, ['radius', 'clients', i, 'realms', j]));
  });
  unique(server, ['admins'], 'name', 'admin name', out);
  unique(server, ['admins'], 'token', 'admin token', out, true);
  unique(server, ['radius', 'clients'], 'name', 'NAS client name', out);
}

/** Each `field` of the list at `listPath` must be unique; names compare case-insensitively. */
function unique(part: Part, listPath: PathSeg[], field: string, what: string, out: ConfigProblem[], secret = false): void {
  const seen = new Map<string, number>();
  list(get(part.value, ...listPath)).forEach((item, i) => {
    const v = str(get(item, field));
    if (v === undefined) return;
    const key = secret ? v : v.toLowerCase();
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    const shown = secret ? `this ${what}` : `${what} \`${v}\``;
    out.push(part.source.problem([...listPath, i, field], `${shown} is already used at ${ref(part, [...listPath, first, field])}; make it unique`));
  });
}

// ---------------------------------------------------------------- seed

/** The seed's tenants must exist (when `ids` is known); its groups and users must be consistent within each tenant. */
export function checkSeed(seed: Part, ids: ReadonlySet<string> | undefined, out: ConfigProblem[]): void {
  const tenants = get(seed.value, 'tenants');
  if (!isRecord(tenants)) return;
  for (const id of Object.keys(tenants)) {
    if (ids && !ids.has(id)) {
      out.push(seed.source.problem(['tenants', id], `seed data for tenant \`${id}\`, which is not configured${suggest(id, [...ids])}; `
        + `add tenants/${id}.yaml or remove it here`, true));
    }
    const base: PathSeg[] = ['tenants', id];
    unique(seed, [...base, 'groups'], 'name', 'group name', out);
    unique(seed, [...base, 'users'], 'uid', 'uid', out);
    const groups = new Map<string, string[]>();
    list(get(tenants, id, 'groups')).forEach((g) => {
      const name = str(get(g, 'name'));
      if (name !== undefined) groups.set(name.toLowerCase(), list(get(g, 'members')).flatMap((m) => str(m)?.toLowerCase() ?? []));
    });
    const groupRef = (v: unknown, path: PathSeg[]) => {
      const name = str(v);
      if (name !== undefined && !groups.has(name.toLowerCase())) {
        out.push(seed.source.problem(path, `group \`${name}\` is not defined in this tenant's groups${suggest(name, [...groups.keys()])}; add it under groups`));
      }
    };
    list(get(tenants, id, 'groups')).forEach((g, i) => {
      list(get(g, 'members')).forEach((m, j) => groupRef(m, [...base, 'groups', i, 'members', j]));
    });
    list(get(tenants, id, 'users')).forEach((u, i) => {
      if (get(u, 'password') !== undefined && get(u, 'passwordHash') !== undefined) {
        out.push(seed.source.problem([...base, 'users', i, 'passwordHash'], 'give either password or passwordHash, not both', true));
      }
      list(get(u, 'groups')).forEach((g, j) => groupRef(g, [...base, 'users', i, 'groups', j]));
    });
    const cycle = findCycle(groups);
    if (cycle) {
      out.push(seed.source.problem([...base, 'groups'], `nested groups form a cycle (${cycle.join(' -> ')}); remove one of these memberships`, true));
    }
  }
}

/** A cycle in the group → member-groups graph, as names (first repeated last), if any. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const done = new Set<string>();
  const visit = (node: string, stack: string[]): string[] | undefined => {
    const at = stack.indexOf(node);
    if (at >= 0) return [...stack.slice(at), node];
    if (done.has(node)) return undefined;
    for (const next of graph.get(node) ?? []) {
      const found = visit(next, [...stack, node]);
      if (found) return found;
    }
    done.add(node);
    return undefined;
  };
  for (const node of graph.keys()) {
    const found = visit(node, []);
    if (found) return found;
  }
  return undefined;
}
