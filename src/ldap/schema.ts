// What we serve, described once: attribute types (names, OIDs, matching), object classes, and the
// subschema entry (RFC 4512 §4.2) built from them. Filters, compare, attribute selection and
// writes all look attributes up here, so a name is matched the same way everywhere.

/** How values of an attribute compare (its EQUALITY and ORDERING rules). */
export type Matching = 'caseIgnore' | 'caseExact' | 'integer' | 'dn' | 'time' | 'boolean';

export interface AttributeType {
  /** The spelling we return. */
  name: string;
  oid: string;
  /** Every accepted name and the OID, lowercased. */
  keys: string[];
  matching: Matching;
  single: boolean;
  operational: boolean;
  syntax: string;
  desc: string;
}

const SYNTAX = {
  string: '1.3.6.1.4.1.1466.115.121.1.15',
  ia5: '1.3.6.1.4.1.1466.115.121.1.26',
  integer: '1.3.6.1.4.1.1466.115.121.1.27',
  dn: '1.3.6.1.4.1.1466.115.121.1.12',
  time: '1.3.6.1.4.1.1466.115.121.1.24',
  boolean: '1.3.6.1.4.1.1466.115.121.1.7',
  oid: '1.3.6.1.4.1.1466.115.121.1.38',
  octets: '1.3.6.1.4.1.1466.115.121.1.40',
  uuid: '1.3.6.1.1.16.1',
  phone: '1.3.6.1.4.1.1466.115.121.1.50',
} as const;

const RULES: Record<Matching, { eq: string; ord?: string; sub?: string }> = {
  caseIgnore: { eq: 'caseIgnoreMatch', ord: 'caseIgnoreOrderingMatch', sub: 'caseIgnoreSubstringsMatch' },
  caseExact: { eq: 'caseExactMatch', ord: 'caseExactOrderingMatch', sub: 'caseExactSubstringsMatch' },
  integer: { eq: 'integerMatch', ord: 'integerOrderingMatch' },
  dn: { eq: 'distinguishedNameMatch' },
  time: { eq: 'generalizedTimeMatch', ord: 'generalizedTimeOrderingMatch' },
  boolean: { eq: 'booleanMatch' },
};

type Def = [names: string, oid: string, matching: Matching, syntax: keyof typeof SYNTAX, flags: string, desc: string];

// names: "primary alias..."; flags: s = single-valued, o = operational.
const DEFS: Def[] = [
  ['objectClass', '2.5.4.0', 'caseIgnore', 'oid', '', 'object classes of the entry'],
  ['cn commonName', '2.5.4.3', 'caseIgnore', 'string', '', 'common name'],
  ['sn surname', '2.5.4.4', 'caseIgnore', 'string', '', 'surname'],
  ['givenName gn', '2.5.4.42', 'caseIgnore', 'string', '', 'given name'],
  ['displayName', '2.16.840.1.113730.3.1.241', 'caseIgnore', 'string', 's', 'preferred display name'],
  ['mail rfc822Mailbox', '0.9.2342.19200300.100.1.3', 'caseIgnore', 'ia5', '', 'e-mail address'],
  ['telephoneNumber', '2.5.4.20', 'caseIgnore', 'phone', '', 'telephone number'],
  ['title', '2.5.4.12', 'caseIgnore', 'string', '', 'job title'],
  ['description', '2.5.4.13', 'caseIgnore', 'string', '', 'description'],
  ['uid userid', '0.9.2342.19200300.100.1.1', 'caseIgnore', 'string', '', 'login name'],
  ['uidNumber', '1.3.6.1.1.1.1.0', 'integer', 'integer', 's', 'POSIX user id'],
  ['gidNumber', '1.3.6.1.1.1.1.1', 'integer', 'integer', 's', 'POSIX group id'],
  ['gecos', '1.3.6.1.1.1.1.2', 'caseIgnore', 'ia5', 's', 'GECOS field'],
  ['homeDirectory', '1.3.6.1.1.1.1.3', 'caseExact', 'ia5', 's', 'home directory'],
  ['loginShell', '1.3.6.1.1.1.1.4', 'caseExact', 'ia5', 's', 'login shell'],
  ['shadowLastChange', '1.3.6.1.1.1.1.5', 'integer', 'integer', 's', 'days since 1970 of the last password change'],
  ['shadowMax', '1.3.6.1.1.1.1.7', 'integer', 'integer', 's', 'days a password is valid'],
  ['shadowExpire', '1.3.6.1.1.1.1.10', 'integer', 'integer', 's', 'days since 1970 when the account expires'],
  ['memberUid', '1.3.6.1.1.1.1.12', 'caseIgnore', 'ia5', '', 'uids of the members, nested groups included'],
  ['sshPublicKey', '1.3.6.1.4.1.24552.500.1.1.1.13', 'caseExact', 'octets', '', 'OpenSSH public key'],
  ['member', '2.5.4.31', 'dn', 'dn', '', 'direct members: users and nested groups'],
  ['memberOf', '1.2.840.113556.1.2.102', 'dn', 'dn', '', 'groups of the user, nested groups resolved'],
  ['dc domainComponent', '0.9.2342.19200300.100.1.25', 'caseIgnore', 'ia5', 's', 'domain component'],
  ['o organizationName', '2.5.4.10', 'caseIgnore', 'string', '', 'organization name'],
  ['ou organizationalUnitName', '2.5.4.11', 'caseIgnore', 'string', '', 'organizational unit name'],
  ['entryUUID', '1.3.6.1.1.16.4', 'caseIgnore', 'uuid', 'so', 'UUID of the entry'],
  ['createTimestamp', '2.5.18.1', 'time', 'time', 'so', 'time the entry was created'],
  ['modifyTimestamp', '2.5.18.2', 'time', 'time', 'so', 'time the entry was last modified'],
  ['entryDN', '1.3.6.1.1.20', 'dn', 'dn', 'so', 'DN of the entry'],
  ['hasSubordinates', '2.5.18.9', 'boolean', 'boolean', 'so', 'whether the entry has children'],
  ['subschemaSubentry', '2.5.18.10', 'dn', 'dn', 'so', 'the subschema entry'],
  ['structuralObjectClass', '2.5.21.9', 'caseIgnore', 'oid', 'so', 'structural object class of the entry'],
  ['namingContexts', '1.3.6.1.4.1.1466.101.120.5', 'dn', 'dn', 'o', 'naming contexts'],
  ['supportedControl', '1.3.6.1.4.1.1466.101.120.13', 'caseIgnore', 'oid', 'o', 'supported controls'],
  ['supportedExtension', '1.3.6.1.4.1.1466.101.120.7', 'caseIgnore', 'oid', 'o', 'supported extended operations'],
  ['supportedFeatures', '1.3.6.1.4.1.4203.1.3.5', 'caseIgnore', 'oid', 'o', 'supported features'],
  ['supportedLDAPVersion', '1.3.6.1.4.1.1466.101.120.15', 'integer', 'integer', 'o', 'supported LDAP versions'],
  ['supportedSASLMechanisms', '1.3.6.1.4.1.1466.101.120.14', 'caseIgnore', 'string', 'o', 'supported SASL mechanisms'],
  ['vendorName', '1.3.6.1.1.4', 'caseExact', 'string', 'so', 'vendor'],
  ['vendorVersion', '1.3.6.1.1.5', 'caseExact', 'string', 'so', 'vendor version'],
  ['attributeTypes', '2.5.21.5', 'caseIgnore', 'string', 'o', 'attribute types'],
  ['objectClasses', '2.5.21.6', 'caseIgnore', 'string', 'o', 'object classes'],
  ['matchingRules', '2.5.21.4', 'caseIgnore', 'string', 'o', 'matching rules'],
  ['ldapSyntaxes', '1.3.6.1.4.1.1466.101.120.16', 'caseIgnore', 'string', 'o', 'syntaxes'],
];

export const ATTRIBUTES: readonly AttributeType[] = DEFS.map(([names, oid, matching, syntax, flags, desc]) => {
  const all = names.split(' ');
  return {
    name: all[0] as string, oid, matching, syntax: SYNTAX[syntax], desc,
    keys: [...all.map((n) => n.toLowerCase()), oid],
    single: flags.includes('s'), operational: flags.includes('o'),
  };
});

const BY_KEY = new Map(ATTRIBUTES.flatMap((a) => [...a.keys, a.name].map((k) => [k, a] as const)));

/** The attribute type for a name, alias or OID (any case; options like `;binary` ignored). */
export function attributeType(name: string): AttributeType | undefined {
  // Most clients spell names as we do: one lookup, no string work.
  const exact = BY_KEY.get(name);
  if (exact) return exact;
  const bare = name.split(';')[0] ?? name;
  return BY_KEY.get(bare.toLowerCase());
}

/** Shorthand for an attribute type every module refers to by its primary name. */
export function at(name: string): AttributeType {
  const a = attributeType(name);
  if (!a) throw new Error(`unknown attribute ${name} in the schema table`);
  return a;
}

/** Attributes that hold secrets: never returned, matched or compared, whatever is asked. */
export const SECRET_ATTRIBUTES = new Set(['userpassword', '2.5.4.35', 'authpassword', 'sambantpassword', 'ntpassword']);

interface ObjectClassDef {
  name: string;
  oid: string;
  sup?: string;
  kind: 'STRUCTURAL' | 'AUXILIARY' | 'ABSTRACT';
  must: string[];
  may: string[];
}

export const OBJECT_CLASSES: readonly ObjectClassDef[] = [
  { name: 'top', oid: '2.5.6.0', kind: 'ABSTRACT', must: ['objectClass'], may: [] },
  { name: 'person', oid: '2.5.6.6', sup: 'top', kind: 'STRUCTURAL', must: ['sn', 'cn'], may: ['userPassword', 'telephoneNumber', 'description'] },
  { name: 'organizationalPerson', oid: '2.5.6.7', sup: 'person', kind: 'STRUCTURAL', must: [], may: ['title', 'ou'] },
  { name: 'inetOrgPerson', oid: '2.16.840.1.113730.3.2.2', sup: 'organizationalPerson', kind: 'STRUCTURAL', must: [], may: ['displayName', 'givenName', 'mail', 'uid'] },
  { name: 'posixAccount', oid: '1.3.6.1.1.1.2.0', sup: 'top', kind: 'AUXILIARY', must: ['cn', 'uid', 'uidNumber', 'gidNumber', 'homeDirectory'], may: ['userPassword', 'loginShell', 'gecos', 'description'] },
  { name: 'shadowAccount', oid: '1.3.6.1.1.1.2.1', sup: 'top', kind: 'AUXILIARY', must: ['uid'], may: ['userPassword', 'shadowLastChange', 'shadowMax', 'shadowExpire', 'description'] },
  { name: 'ldapPublicKey', oid: '1.3.6.1.4.1.24552.500.1.1.2.0', sup: 'top', kind: 'AUXILIARY', must: ['uid'], may: ['sshPublicKey'] },
  { name: 'groupOfNames', oid: '2.5.6.9', sup: 'top', kind: 'STRUCTURAL', must: ['cn'], may: ['member', 'description', 'o', 'ou'] },
  // rfc2307bis: posixGroup is auxiliary, so it can sit beside groupOfNames.
  { name: 'posixGroup', oid: '1.3.6.1.1.1.2.2', sup: 'top', kind: 'AUXILIARY', must: ['gidNumber'], may: ['memberUid', 'description'] },
  { name: 'organization', oid: '2.5.6.4', sup: 'top', kind: 'STRUCTURAL', must: ['o'], may: ['description'] },
  { name: 'dcObject', oid: '1.3.6.1.4.1.1466.344', sup: 'top', kind: 'AUXILIARY', must: ['dc'], may: [] },
  { name: 'organizationalUnit', oid: '2.5.6.5', sup: 'top', kind: 'STRUCTURAL', must: ['ou'], may: ['description'] },
  { name: 'applicationProcess', oid: '2.5.6.11', sup: 'top', kind: 'STRUCTURAL', must: ['cn'], may: ['description'] },
  { name: 'subentry', oid: '2.5.17.0', sup: 'top', kind: 'STRUCTURAL', must: ['cn'], may: [] },
  { name: 'subschema', oid: '2.5.20.1', kind: 'AUXILIARY', must: [], may: ['attributeTypes', 'objectClasses', 'matchingRules', 'ldapSyntaxes'] },
];

const list = (xs: string[]): string => (xs.length === 1 ? xs[0] as string : `( ${xs.join(' $ ')} )`);

/** The values of the subschema entry's attributeTypes, objectClasses, matchingRules, ldapSyntaxes. */
export function subschemaValues(): Record<'attributeTypes' | 'objectClasses' | 'matchingRules' | 'ldapSyntaxes', string[]> {
  const attributeTypes = ATTRIBUTES.map((a) => {
    const names = a.keys.filter((k) => k !== a.oid).map((k) => ATTRIBUTES_SPELLING.get(k) ?? k);
    const r = RULES[a.matching];
    return `( ${a.oid} NAME ${names.length === 1 ? `'${names[0]}'` : `( ${names.map((n) => `'${n}'`).join(' ')} )`} DESC '${a.desc}'`
      + ` EQUALITY ${r.eq}${r.ord ? ` ORDERING ${r.ord}` : ''}${r.sub ? ` SUBSTR ${r.sub}` : ''} SYNTAX ${a.syntax}`
      + `${a.single ? ' SINGLE-VALUE' : ''}${a.operational ? ' NO-USER-MODIFICATION USAGE directoryOperation' : ''} )`;
  });
  attributeTypes.push("( 2.5.4.35 NAME 'userPassword' DESC 'password; written, never read' EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )");
  const objectClasses = OBJECT_CLASSES.map((c) => `( ${c.oid} NAME '${c.name}'${c.sup ? ` SUP ${c.sup}` : ''} ${c.kind}`
    + `${c.must.length ? ` MUST ${list(c.must)}` : ''}${c.may.length ? ` MAY ${list(c.may)}` : ''} )`);
  const matchingRules = [
    "( 2.5.13.2 NAME 'caseIgnoreMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )",
    "( 2.5.13.5 NAME 'caseExactMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )",
    "( 2.5.13.14 NAME 'integerMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 )",
    "( 2.5.13.1 NAME 'distinguishedNameMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )",
    "( 2.5.13.27 NAME 'generalizedTimeMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.24 )",
    "( 2.5.13.13 NAME 'booleanMatch' SYNTAX 1.3.6.1.4.1.1466.115.121.1.7 )",
  ];
  const ldapSyntaxes = Object.values(SYNTAX).map((oid) => `( ${oid} )`);
  return { attributeTypes, objectClasses, matchingRules, ldapSyntaxes };
}

/** Original spellings of aliases, for the subschema's NAME lists. */
const ATTRIBUTES_SPELLING = new Map(DEFS.flatMap(([names]) => names.split(' ').map((n) => [n.toLowerCase(), n] as const)));

/** Matching rules an extensible filter may name, by name and OID (lowercased) → how to compare. */
export const MATCHING_RULES = new Map<string, Matching>([
  ['caseignorematch', 'caseIgnore'], ['2.5.13.2', 'caseIgnore'],
  ['caseignoreia5match', 'caseIgnore'], ['1.3.6.1.4.1.1466.109.114.2', 'caseIgnore'],
  ['caseexactmatch', 'caseExact'], ['2.5.13.5', 'caseExact'],
  ['caseexactia5match', 'caseExact'], ['1.3.6.1.4.1.1466.109.114.1', 'caseExact'],
  ['octetstringmatch', 'caseExact'], ['2.5.13.17', 'caseExact'],
  ['integermatch', 'integer'], ['2.5.13.14', 'integer'],
  ['distinguishednamematch', 'dn'], ['2.5.13.1', 'dn'],
  ['generalizedtimematch', 'time'], ['2.5.13.27', 'time'],
  ['booleanmatch', 'boolean'], ['2.5.13.13', 'boolean'],
]);

/** Active Directory's bitwise rules (LDAP_MATCHING_RULE_BIT_AND / _OR), on integer attributes. */
export const BITWISE_RULES = new Map<string, 'and' | 'or'>([
  ['1.2.840.113556.1.4.803', 'and'], ['1.2.840.113556.1.4.804', 'or'],
]);
