// The root DSE (RFC 4512 §5.1) and the subschema entry (§4.2): readable by anyone, before any
// bind, because clients (SSSD among them) read them to learn what the server does.
import { readFileSync } from 'node:fs';
import { SUBSCHEMA_DN, type DirEntry } from './entries.ts';
import { OID } from './protocol.ts';
import { at, subschemaValues, type AttributeType } from './schema.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function fixed(dn: string, norm: string, pairs: [string, string[]][]): DirEntry {
  const attrs = new Map<AttributeType, string[]>();
  for (const [name, values] of pairs) if (values.length > 0) attrs.set(at(name), values);
  return { kind: 'base', dn, norm, attrs };
}

/** `namingContexts` names only the client's own tenant: other tenants are not there to see. */
export function rootDse(ownBase: string | undefined): DirEntry {
  return fixed('', '', [
    ['objectClass', ['top']],
    ['namingContexts', ownBase ? [ownBase] : []],
    ['supportedLDAPVersion', ['3']],
    ['supportedControl', [OID.pagedResults]],
    ['supportedExtension', [OID.startTls, OID.passwordModify, OID.whoami]],
    // RFC 3673: "+" returns all operational attributes.
    ['supportedFeatures', ['1.3.6.1.4.1.4203.1.5.1']],
    ['vendorName', ['tenantdir']],
    ['vendorVersion', [VERSION]],
    ['subschemaSubentry', [SUBSCHEMA_DN]],
  ]);
}

const SCHEMA = subschemaValues();

export const SUBSCHEMA_NORM = SUBSCHEMA_DN.toLowerCase();

export function subschemaEntry(): DirEntry {
  return fixed(SUBSCHEMA_DN, SUBSCHEMA_NORM, [
    ['objectClass', ['top', 'subentry', 'subschema']],
    ['cn', ['Subschema']],
    ['attributeTypes', SCHEMA.attributeTypes],
    ['objectClasses', SCHEMA.objectClasses],
    ['matchingRules', SCHEMA.matchingRules],
    ['ldapSyntaxes', SCHEMA.ldapSyntaxes],
  ]);
}
