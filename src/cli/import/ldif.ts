// LDIF import files (RFC 2849 content records), the shape `slapcat` or `ldapsearch -LLL` gives:
// posixAccount / inetOrgPerson entries become users; posixGroup / groupOfNames /
// groupOfUniqueNames entries become groups, with members from memberUid and member DNs. Only
// entries and member DNs in the tenant's subtree count: a file that names another tenant's
// entries must not create them here.
import { isWithin, normalizeDn, parseDn, tryNormalizeDn } from '../../core/dn.ts';
import { emptyParsed, importGroup, importUser, RowError, type Fields, type ParsedFile } from './rows.ts';

export interface LdifEntry {
  dn: string;
  /** Line of the entry's first line. */
  line: number;
  /** Lowercased attribute names, options (;binary, ;lang-x) dropped. */
  attrs: Fields;
}

/** Splits LDIF into entries; an entry that cannot be read is reported by its line. */
export function readLdif(text: string): { entries: LdifEntry[]; errors: { line: number; message: string }[] } {
  const entries: LdifEntry[] = [];
  const errors: { line: number; message: string }[] = [];
  for (const block of blocks(text)) {
    try {
      entries.push(entry(block));
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      errors.push({ line: block[0]?.line ?? 1, message: err.message });
    }
  }
  return { entries, errors };
}

interface LogicalLine {
  line: number;
  text: string;
}

/** Unfolds continuation lines, drops comments, and groups lines into blank-line-separated records. */
function blocks(text: string): LogicalLine[][] {
  const out: LogicalLine[][] = [];
  let current: LogicalLine[] = [];
  let inComment = false;
  const flush = () => {
    if (current.length) out.push(current);
    current = [];
  };
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, i) => {
    if (raw.startsWith(' ')) {
      // A folded line continues the previous one, comment or not.
      const last = current[current.length - 1];
      if (!inComment && last) last.text += raw.slice(1);
      return;
    }
    inComment = raw.startsWith('#');
    if (inComment) return;
    if (raw === '') flush();
    else current.push({ line: i + 1, text: raw });
  });
  flush();
  // `version: 1` may open the file as a record of its own or as the first record's first line.
  const head = out[0];
  if (head?.[0] && /^version:\s*1\s*$/i.test(head[0].text)) head.shift();
  return out.filter((b) => b.length > 0);
}

function entry(block: LogicalLine[]): LdifEntry {
  const [first, ...rest] = block;
  if (!first) throw new RowError('empty entry');
  const dn = attribute(first);
  if (dn.name !== 'dn') throw new RowError(`an entry must start with "dn:", not "${dn.name}:"`);
  const attrs: Fields = new Map();
  for (const l of rest) {
    const a = attribute(l);
    if (a.name === 'changetype') {
      throw new RowError(`change records (changetype: ${a.value}) are not supported; export entries with slapcat or ldapsearch -LLL`);
    }
    const values = attrs.get(a.name) ?? [];
    values.push(a.value);
    attrs.set(a.name, values);
  }
  return { dn: dn.value, line: first.line, attrs };
}

function attribute(l: LogicalLine): { name: string; value: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9.-]*)((?:;[A-Za-z0-9-]+)*)(::?|:<)[ ]*(.*)$/.exec(l.text);
  if (!m) throw new RowError(`not an LDIF "name: value" line: "${l.text.slice(0, 40)}"`);
  const [, name = '', , sep, value = ''] = m;
  if (sep === ':<') throw new RowError(`${name}: values by URL are not supported`);
  if (sep === '::') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new RowError(`${name}: the base64 value is not valid`);
    return { name: name.toLowerCase(), value: Buffer.from(value, 'base64').toString('utf8') };
  }
  return { name: name.toLowerCase(), value };
}

const USER_CLASSES = ['posixaccount', 'inetorgperson'];
const GROUP_CLASSES = ['posixgroup', 'groupofnames', 'groupofuniquenames'];

/** The tenant the file is imported into: its entries must be under its base DN. */
export interface ImportScope {
  tenant: string;
  baseDN: string;
}

/** The first RDN of a DN known to parse (one in the tenant's subtree). */
function rdn(dn: string): { attr: string; value: string } | undefined {
  const first = parseDn(dn)[0];
  return first && { attr: first.type, value: first.value };
}

export function parseLdif(text: string, scope: ImportScope): ParsedFile {
  const out = emptyParsed();
  const { entries, errors } = readLdif(text);
  // Not push(...errors): a file of 200,000 bad entries would exceed the argument limit.
  for (const e of errors) out.errors.push(e);
  const base = normalizeDn(scope.baseDN);
  /** The normal form of a DN in the tenant's subtree; undefined for any other (or a malformed one). */
  const inScope = (dn: string): string | undefined => {
    const norm = tryNormalizeDn(dn);
    return norm !== undefined && isWithin(norm, base) ? norm : undefined;
  };
  const outside = (dn: string) => (tryNormalizeDn(dn) === undefined
    ? `"${dn}" is not a valid DN`
    : `${dn} is not under ${scope.tenant}'s base ${scope.baseDN}`);
  const classes = (e: LdifEntry) => (e.attrs.get('objectclass') ?? []).map((c) => c.toLowerCase());
  const isUser = (e: LdifEntry) => classes(e).some((c) => USER_CLASSES.includes(c));
  const isGroup = (e: LdifEntry) => classes(e).some((c) => GROUP_CLASSES.includes(c));
  const users: LdifEntry[] = [];
  const groups: LdifEntry[] = [];
  for (const e of entries) {
    const kind = isUser(e) ? users : isGroup(e) ? groups : undefined;
    if (!kind) out.skipped++;
    else if (inScope(e.dn) === undefined) out.errors.push({ line: e.line, message: `dn ${outside(e.dn)}; not imported` });
    else kind.push(e);
  }

  // Member DNs resolve to entries of this file first, then to a uid= RDN.
  const byDn = new Map<string, { user: string } | { group: string }>();
  for (const e of users) {
    const uid = e.attrs.get('uid')?.[0];
    if (uid) byDn.set(normalizeDn(e.dn), { user: uid });
  }
  const groupName = (e: LdifEntry) => {
    const r = rdn(e.dn);
    return r?.attr === 'cn' ? r.value : e.attrs.get('cn')?.[0];
  };
  for (const e of groups) {
    const name = groupName(e);
    if (name) byDn.set(normalizeDn(e.dn), { group: name });
  }

  for (const e of users) {
    try {
      out.users.push({ ...importUser(e.attrs, e.line), dn: e.dn });
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      out.errors.push({ line: e.line, message: `${e.dn}: ${err.message}` });
    }
  }
  for (const e of groups) {
    const name = groupName(e);
    if (!name) {
      out.errors.push({ line: e.line, message: `${e.dn}: a group needs a cn` });
      continue;
    }
    const members = { users: [...(e.attrs.get('memberuid') ?? [])], groups: [] as string[] };
    // uniqueMember may carry an optional "#'0101'B" unique identifier after the DN.
    const dns = [...(e.attrs.get('member') ?? []), ...(e.attrs.get('uniquemember') ?? []).map((d) => d.replace(/#'[01]*'B$/, ''))];
    for (const dn of dns.filter((d) => d.trim() !== '')) {
      const norm = inScope(dn);
      if (norm === undefined) {
        out.errors.push({ line: e.line, message: `${e.dn}: member ${outside(dn)}; skipped` });
        continue;
      }
      const known = byDn.get(norm);
      const r = rdn(dn);
      if (known && 'user' in known) members.users.push(known.user);
      else if (known) members.groups.push(known.group);
      else if (r?.attr === 'uid') members.users.push(r.value);
      else out.errors.push({ line: e.line, message: `${e.dn}: member "${dn}" is neither a user nor a group of this file; skipped` });
    }
    try {
      out.groups.push({ ...importGroup(name, e.line, e.attrs, members), dn: e.dn });
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      out.errors.push({ line: e.line, message: `${e.dn}: ${err.message}` });
    }
  }
  return out;
}
