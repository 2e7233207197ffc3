// The one place that touches ldapjs: its decoder turns a PDU into our Request type. DNs are read
// raw from the PDU (ber.ts), because ldapjs's DN parser drops data (`cn=a\+b` becomes `cn=a`),
// and controls are read by ber.ts too (see decode()). Responses are encoded by ber.ts.
import { createRequire } from 'node:module';
import { isValidDn } from '../core/dn.ts';
import { childrenOf, envelope, readControls, readPagedValue, RESPONSE_TAG, withoutControls, type Tlv } from './ber.ts';
import { OID, RC, type Filter, type Message, type Modification, type Reply, type Request, type Scope } from './protocol.ts';

/** The parts of ldapjs's decoded messages we read (its own typings are out of date). */
interface JsAttribute {
  type: string;
  values: string[];
}
interface JsFilter {
  type: string;
  attribute?: string;
  value?: string;
  filters?: JsFilter[];
  filter?: JsFilter;
  initial?: string;
  any?: string[];
  final?: string;
  matchingRule?: string;
  matchValue?: string;
  dnAttributes?: boolean;
}
interface JsMessage {
  type: string;
  messageId: number;
  version?: number;
  credentials?: string;
  scope?: number;
  sizeLimit?: number;
  timeLimit?: number;
  typesOnly?: boolean;
  filter?: JsFilter;
  attributes?: (string | JsAttribute)[];
  attribute?: string;
  value?: string;
  changes?: { operation: string; modification: JsAttribute }[];
  deleteOldRdn?: boolean;
  requestName?: string;
  requestValue?: unknown;
  abandonId?: number;
}
interface JsParser {
  buffer: Buffer | null;
  on(event: 'message', f: (m: JsMessage) => void): void;
  on(event: 'error', f: (e: Error) => void): void;
  write(b: Buffer): boolean;
}

const ldapjs = createRequire(import.meta.url)('ldapjs') as { Parser: new (o?: object) => JsParser };

/**
 * ldapjs's parser is synchronous, so one instance serves every connection: write a frame,
 * collect what it emitted.
 */
const decoder = (() => {
  const parser = new ldapjs.Parser();
  let out: JsMessage | Error | undefined;
  parser.on('message', (m) => { out = m; });
  parser.on('error', (e) => { out = e; });
  return (frame: Buffer): JsMessage | Error => {
    out = undefined;
    parser.buffer = null;
    parser.write(frame);
    return out ?? new Error('the PDU held no message');
  };
})();

/**
 * A request ldapjs could not decode but that deserves an answer rather than a hang-up: a SASL
 * bind, or an operation whose DN is malformed (ldapjs's DN parser throws inside its decoder).
 */
interface Answerable {
  tag: number;
  code: Reply['code'];
  message: string;
}

export type Decoded = { ok: true; msg: Message } | { ok: false; id?: number; answer?: Answerable; why: string };

/** Request protocolOp tag → its response tag, for operations that name a DN first. */
const DN_OPERATIONS = new Map([
  [0x63, RESPONSE_TAG.searchDone], [0x66, RESPONSE_TAG.modify], [0x68, RESPONSE_TAG.add],
  [0x4a, RESPONSE_TAG.delete], [0x6c, RESPONSE_TAG.modrdn], [0x6e, RESPONSE_TAG.compare],
]);

/** Every request that has a response: for answering a request whose controls are malformed. */
const RESPONSE_OF = new Map([...DN_OPERATIONS, [0x60, RESPONSE_TAG.bind], [0x77, RESPONSE_TAG.extended]]);

function answerable(frame: Buffer, op: Tlv): Answerable | undefined {
  if (op.tag === 0x60 && childrenOf(frame, op)[2]?.tag === 0xa3) {
    return { tag: RESPONSE_TAG.bind, code: RC.authMethodNotSupported, message: 'SASL is not supported; use a simple bind' };
  }
  const tag = DN_OPERATIONS.get(op.tag);
  if (tag === undefined) return undefined;
  try {
    if (isValidDn(rawString(frame, op, 0)) || rawString(frame, op, 0) === '') return undefined;
  } catch {
    return undefined;
  }
  return { tag, code: RC.invalidDNSyntax, message: 'invalid DN' };
}

const SCOPES: Scope[] = ['base', 'one', 'sub'];

/**
 * Decodes one complete PDU. Controls are read here, not by ldapjs, whose control decoder throws
 * on a control it does not know that has no value (SSSD's password policy request, with every
 * bind): RFC 4511 §4.1.11 wants such a control ignored, so ldapjs sees the message without them.
 */
export function decode(frame: Buffer): Decoded {
  const env = envelope(frame);
  if (!env) return { ok: false, why: 'malformed LDAPMessage' };
  const controls = env.controls ? readControls(frame, env.controls) : [];
  if (controls === undefined) {
    const tag = RESPONSE_OF.get(env.op.tag);
    if (tag === undefined) return { ok: false, id: env.id, why: 'malformed controls' };
    return { ok: false, id: env.id, answer: { tag, code: RC.protocolError, message: 'malformed controls' }, why: 'malformed controls' };
  }
  const js = decoder(env.controls ? withoutControls(frame, env) : frame);
  if (js instanceof Error) {
    const answer = answerable(frame, env.op);
    return { ok: false, id: env.id, ...(answer ? { answer } : {}), why: js.message };
  }
  try {
    const request = toRequest(js, frame, env.op);
    const paged = controls.find((c) => c.oid === OID.pagedResults);
    if (request.op === 'search' && paged) {
      const value = paged.value && readPagedValue(paged.value);
      if (!value) return { ok: false, id: env.id, answer: { tag: RESPONSE_TAG.searchDone, code: RC.protocolError, message: 'malformed paged results control' }, why: 'malformed paged results control' };
      request.paged = value;
    }
    return { ok: true, msg: { id: env.id, request, controls } };
  } catch (e) {
    return { ok: false, id: env.id, why: (e as Error).message };
  }
}

/** The i-th element of the operation, as a UTF-8 string: how DNs are read (see the top). */
function rawString(frame: Buffer, op: Tlv, i: number): string {
  const t = op.tag === 0x4a ? op : childrenOf(frame, op)[i];
  if (!t) throw new Error(`operation element ${i} is missing`);
  return frame.toString('utf8', t.start, t.end);
}

function toRequest(js: JsMessage, frame: Buffer, op: Tlv): Request {
  switch (js.type) {
    case 'BindRequest':
      return { op: 'bind', version: js.version ?? 0, name: rawString(frame, op, 1), password: js.credentials ?? '' };
    case 'UnbindRequest':
      return { op: 'unbind' };
    case 'SearchRequest':
      return {
        op: 'search',
        base: rawString(frame, op, 0),
        scope: SCOPES[js.scope ?? 0] ?? 'base',
        sizeLimit: js.sizeLimit ?? 0,
        timeLimit: js.timeLimit ?? 0,
        typesOnly: js.typesOnly ?? false,
        filter: toFilter(js.filter),
        attributes: (js.attributes ?? []).map(String),
      };
    case 'CompareRequest':
      return { op: 'compare', dn: rawString(frame, op, 0), attr: (js.attribute ?? '').toLowerCase(), value: js.value ?? '' };
    case 'AddRequest':
      return {
        op: 'add',
        dn: rawString(frame, op, 0),
        attributes: (js.attributes ?? []).map((a) => typeof a === 'string' ? { type: a, values: [] } : { type: a.type, values: a.values.map(String) }),
      };
    case 'DeleteRequest':
      return { op: 'delete', dn: rawString(frame, op, 0) };
    case 'ModifyRequest':
      return {
        op: 'modify',
        dn: rawString(frame, op, 0),
        changes: (js.changes ?? []).map((c) => ({
          operation: c.operation as Modification['operation'],
          type: c.modification.type,
          values: c.modification.values.map(String),
        })),
      };
    case 'ModifyDnRequest': {
      const parts = childrenOf(frame, op);
      const sup = parts[3];
      return {
        op: 'modrdn',
        dn: rawString(frame, op, 0),
        newRdn: rawString(frame, op, 1),
        deleteOldRdn: js.deleteOldRdn ?? false,
        ...(sup && sup.tag === 0x80 ? { newSuperior: frame.toString('utf8', sup.start, sup.end) } : {}),
      };
    }
    case 'ExtensionRequest': {
      const oid = js.requestName ?? '';
      if (oid === OID.startTls) return { op: 'startTls' };
      if (oid === OID.whoami) return { op: 'whoami' };
      if (oid === OID.passwordModify) {
        const v = (js.requestValue ?? {}) as { userIdentity?: string; oldPassword?: string; newPassword?: string };
        return {
          op: 'passwordModify',
          ...(v.userIdentity !== undefined ? { userIdentity: v.userIdentity } : {}),
          ...(v.oldPassword !== undefined ? { oldPassword: v.oldPassword } : {}),
          ...(v.newPassword !== undefined ? { newPassword: v.newPassword } : {}),
        };
      }
      return { op: 'extended', oid };
    }
    case 'AbandonRequest':
      return { op: 'abandon', target: js.abandonId ?? -1 };
    default:
      throw new Error(`unsupported operation ${js.type}`);
  }
}

/**
 * ldapjs hands filter values back in RFC 4515 string form (`\2a` for `*`, `\c3\a9` for é): turn
 * runs of escapes back into the UTF-8 text they encode.
 */
function unescapeValue(v: string | undefined): string {
  if (v === undefined || !v.includes('\\')) return v ?? '';
  return v.replace(/(?:\\[0-9a-fA-F]{2})+/g, (run) =>
    Buffer.from(run.split('\\').slice(1).map((h) => parseInt(h, 16))).toString('utf8'));
}

const COMPARISONS: Record<string, 'eq' | 'ge' | 'le' | 'approx'> = {
  EqualityFilter: 'eq', GreaterThanEqualsFilter: 'ge', LessThanEqualsFilter: 'le', ApproximateFilter: 'approx',
};

function toFilter(f: JsFilter | undefined): Filter {
  if (!f) throw new Error('search without a filter');
  const attr = (f.attribute ?? '').toLowerCase();
  const cmp = COMPARISONS[f.type];
  if (cmp) return { kind: cmp, attr, value: unescapeValue(f.value) };
  switch (f.type) {
    case 'AndFilter':
      return { kind: 'and', filters: (f.filters ?? []).map(toFilter) };
    case 'OrFilter':
      return { kind: 'or', filters: (f.filters ?? []).map(toFilter) };
    case 'NotFilter':
      return { kind: 'not', filter: toFilter(f.filter) };
    case 'PresenceFilter':
      return { kind: 'present', attr };
    case 'SubstringFilter':
      return {
        kind: 'substr', attr,
        ...(f.initial ? { initial: unescapeValue(f.initial) } : {}),
        any: (f.any ?? []).map(unescapeValue),
        ...(f.final ? { final: unescapeValue(f.final) } : {}),
      };
    case 'ExtensibleFilter':
      return {
        kind: 'ext',
        ...(attr ? { attr } : {}),
        ...(f.matchingRule ? { rule: f.matchingRule.toLowerCase() } : {}),
        value: unescapeValue(f.matchValue ?? f.value),
        dnAttributes: f.dnAttributes ?? false,
      };
    default:
      throw new Error(`unsupported filter ${f.type}`);
  }
}
