// PDU → our Request type, and the one place that touches ldapjs. Searches (the hot path) are
// read here entirely; for the other operations ldapjs's decoder does the work, but DNs are read
// raw from the PDU (ber.ts), because ldapjs's DN parser drops data (`cn=a\+b` becomes `cn=a`),
// and controls are read by ber.ts too (see decode()). Responses are encoded by ber.ts.
import { createRequire } from 'node:module';
import { isValidDn } from '../core/dn.ts';
import { childrenOf, envelope, readControls, readPagedValue, RESPONSE_TAG, withoutControls, type Tlv } from './ber.ts';
import { OID, RC, type Control, type Filter, type Message, type Modification, type Reply, type Request, type Scope, type SearchRequest } from './protocol.ts';

/** The parts of ldapjs's decoded messages we read (its own typings are out of date). */
interface JsAttribute {
  type: string;
  values: string[];
}
interface JsMessage {
  type: string;
  messageId: number;
  version?: number;
  credentials?: string;
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
export function decode(frame: Buffer, limits: FilterLimits): Decoded {
  const env = envelope(frame);
  if (!env) return { ok: false, why: 'malformed LDAPMessage' };
  const controls = env.controls ? readControls(frame, env.controls) : [];
  if (controls === undefined) {
    const tag = RESPONSE_OF.get(env.op.tag);
    if (tag === undefined) return { ok: false, id: env.id, why: 'malformed controls' };
    return { ok: false, id: env.id, answer: { tag, code: RC.protocolError, message: 'malformed controls' }, why: 'malformed controls' };
  }
  if (env.op.tag === SEARCH_REQUEST) return decodeSearch(frame, env.id, env.op, controls, limits);
  const js = decoder(env.controls ? withoutControls(frame, env) : frame);
  if (js instanceof Error) {
    const answer = answerable(frame, env.op);
    return { ok: false, id: env.id, ...(answer ? { answer } : {}), why: js.message };
  }
  try {
    return { ok: true, msg: { id: env.id, request: toRequest(js, frame, env.op), controls } };
  } catch (e) {
    return { ok: false, id: env.id, why: (e as Error).message };
  }
}

const SEARCH_REQUEST = 0x63;

/** How much filter a search may carry: checked while it is read, so a huge one costs little. */
export interface FilterLimits {
  maxFilterDepth: number;
  maxFilterTerms: number;
}

class FilterTooLarge extends Error {}

/**
 * RFC 4511 §4.5.1 SearchRequest, read here rather than by ldapjs: its filter decoder refuses
 * attribute OIDs (`(2.5.4.35=*)`) and has no bounds, and searches are the hot path.
 */
function decodeSearch(frame: Buffer, id: number, op: Tlv, controls: Control[], limits: FilterLimits): Decoded {
  const refuse = (code: Reply['code'], message: string): Decoded =>
    ({ ok: false, id, answer: { tag: RESPONSE_TAG.searchDone, code, message }, why: message });
  const [base, scope, , size, time, typesOnly, filter, attrs, extra] = childrenOf(frame, op);
  if (!base || base.tag !== 0x04 || !scope || scope.tag !== 0x0a || !size || size.tag !== 0x02 || !time || time.tag !== 0x02
    || !typesOnly || typesOnly.tag !== 0x01 || !filter || !attrs || attrs.tag !== 0x30 || extra || attrs.end !== op.end) {
    return { ok: false, id, why: 'malformed SearchRequest' };
  }
  const baseDn = frame.toString('utf8', base.start, base.end);
  if (baseDn !== '' && !isValidDn(baseDn)) return refuse(RC.invalidDNSyntax, 'invalid DN');
  let parsed: Filter | undefined;
  try {
    const budget = { terms: limits.maxFilterTerms };
    parsed = readFilter(frame, filter, limits.maxFilterDepth, budget);
  } catch (e) {
    if (e instanceof FilterTooLarge) return refuse(RC.adminLimitExceeded, e.message);
    throw e;
  }
  if (!parsed) return refuse(RC.protocolError, 'malformed search filter');
  const attributes: string[] = [];
  for (const a of childrenOf(frame, attrs)) {
    if (a.tag !== 0x04) return refuse(RC.protocolError, 'malformed attribute list');
    attributes.push(frame.toString('utf8', a.start, a.end));
  }
  const request: SearchRequest = {
    op: 'search',
    base: baseDn,
    scope: SCOPES[uint(frame, scope) ?? 0] ?? 'base',
    sizeLimit: uint(frame, size) ?? 0,
    timeLimit: uint(frame, time) ?? 0,
    typesOnly: frame[typesOnly.start] !== 0 && typesOnly.end > typesOnly.start,
    filter: parsed,
    attributes,
  };
  const paged = controls.find((c) => c.oid === OID.pagedResults);
  if (paged) {
    const value = paged.value && readPagedValue(paged.value);
    if (!value) return refuse(RC.protocolError, 'malformed paged results control');
    request.paged = value;
  }
  return { ok: true, msg: { id, request, controls } };
}

/** A non-negative INTEGER of at most 4 bytes; undefined otherwise (treated as 0 / base). */
function uint(frame: Buffer, t: Tlv): number | undefined {
  const n = t.end - t.start;
  if (n === 0 || n > 5 || ((frame[t.start] as number) & 0x80)) return undefined;
  let v = 0;
  for (let i = t.start; i < t.end; i++) v = v * 256 + (frame[i] as number);
  return v <= 0x7fffffff ? v : undefined;
}

const COMPARISON_TAGS: Record<number, 'eq' | 'ge' | 'le' | 'approx'> = { 0xa3: 'eq', 0xa5: 'ge', 0xa6: 'le', 0xa8: 'approx' };

/** One Filter element (RFC 4511 §4.5.1.7); undefined when malformed. Values are UTF-8 text. */
function readFilter(frame: Buffer, t: Tlv, depth: number, budget: { terms: number }): Filter | undefined {
  if (depth <= 0) throw new FilterTooLarge('the search filter is nested too deeply');
  if (--budget.terms < 0) throw new FilterTooLarge('the search filter has too many terms');
  const text = (x: Tlv | undefined): string | undefined => (x ? frame.toString('utf8', x.start, x.end) : undefined);
  switch (t.tag) {
    case 0xa0:
    case 0xa1: {
      const filters: Filter[] = [];
      let end = t.start;
      for (const child of childrenOf(frame, t)) {
        const f = readFilter(frame, child, depth - 1, budget);
        if (!f) return undefined;
        filters.push(f);
        end = child.end;
      }
      if (end !== t.end) return undefined;
      return { kind: t.tag === 0xa0 ? 'and' : 'or', filters };
    }
    case 0xa2: {
      const [inner, extra] = childrenOf(frame, t);
      if (!inner || extra || inner.end !== t.end) return undefined;
      const f = readFilter(frame, inner, depth - 1, budget);
      return f && { kind: 'not', filter: f };
    }
    case 0x87:
      return { kind: 'present', attr: (text(t) ?? '').toLowerCase() };
    case 0xa4: {
      const [type, list, extra] = childrenOf(frame, t);
      if (!type || type.tag !== 0x04 || !list || list.tag !== 0x30 || extra || list.end !== t.end) return undefined;
      const out: Extract<Filter, { kind: 'substr' }> = { kind: 'substr', attr: (text(type) ?? '').toLowerCase(), any: [] };
      for (const part of childrenOf(frame, list)) {
        const v = text(part) ?? '';
        if (part.tag === 0x80 && out.initial === undefined && out.any.length === 0) out.initial = v;
        else if (part.tag === 0x81 && out.final === undefined) out.any.push(v);
        else if (part.tag === 0x82 && out.final === undefined) out.final = v;
        else return undefined;
      }
      return out;
    }
    case 0xa9: {
      const out: Extract<Filter, { kind: 'ext' }> = { kind: 'ext', value: '', dnAttributes: false };
      let hasValue = false;
      for (const part of childrenOf(frame, t)) {
        if (part.tag === 0x81) out.rule = (text(part) ?? '').toLowerCase();
        else if (part.tag === 0x82) out.attr = (text(part) ?? '').toLowerCase();
        else if (part.tag === 0x83) { out.value = text(part) ?? ''; hasValue = true; }
        else if (part.tag === 0x84) out.dnAttributes = frame[part.start] !== 0;
        else return undefined;
      }
      return hasValue ? out : undefined;
    }
    default: {
      const kind = COMPARISON_TAGS[t.tag];
      if (!kind) return undefined;
      const [type, value, extra] = childrenOf(frame, t);
      if (!type || type.tag !== 0x04 || !value || value.tag !== 0x04 || extra || value.end !== t.end) return undefined;
      return { kind, attr: (text(type) ?? '').toLowerCase(), value: text(value) ?? '' };
    }
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
