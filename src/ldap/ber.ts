// The BER we write (responses) and the little we read ourselves (PDU framing). Requests are
// decoded by ldapjs in server.ts; responses are encoded here, directly into buffers, because it
// is the hot path of every search and ldapjs's message objects cost more than the search itself.
import type { Control, Entry, ExtendedResult, Result } from './protocol.ts';

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const BOOLEAN = 0x01;
const ENUMERATED = 0x0a;

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  if (n < 0x1000000) return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.from([0x84, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

export function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export function constructed(tag: number, parts: Buffer[]): Buffer {
  return tlv(tag, Buffer.concat(parts));
}

export function octets(v: string | Buffer, tag = OCTET_STRING): Buffer {
  return tlv(tag, typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
}

/** Two's complement, minimal length (X.690 §8.3). */
export function integer(n: number, tag = INTEGER): Buffer {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v >>= 8;
  } while (v !== 0 && v !== -1);
  const top = bytes[0] as number;
  if (n >= 0 && top & 0x80) bytes.unshift(0);
  if (n < 0 && !(top & 0x80)) bytes.unshift(0xff);
  return tlv(tag, Buffer.from(bytes));
}

/** Response protocolOp tags (RFC 4511 §4.2 – §4.12). */
export const RESPONSE_TAG = {
  bind: 0x61,
  searchEntry: 0x64,
  searchDone: 0x65,
  modify: 0x67,
  add: 0x69,
  delete: 0x6b,
  modrdn: 0x6d,
  compare: 0x6f,
  extended: 0x78,
} as const;

function message(id: number, op: Buffer, controls: readonly Control[] = []): Buffer {
  const parts = [integer(id), op];
  if (controls.length > 0) {
    parts.push(constructed(0xa0, controls.map((c) => constructed(SEQUENCE, [
      octets(c.oid),
      ...(c.critical ? [tlv(BOOLEAN, Buffer.from([0xff]))] : []),
      ...(c.value ? [octets(c.value)] : []),
    ]))));
  }
  return constructed(SEQUENCE, parts);
}

function resultParts(r: Result): Buffer[] {
  return [integer(r.code, ENUMERATED), octets(r.matchedDN ?? ''), octets(r.message ?? '')];
}

export function encodeResult(id: number, tag: number, r: Result, controls: readonly Control[] = []): Buffer {
  return message(id, constructed(tag, resultParts(r)), r.controls ? [...controls, ...r.controls] : controls);
}

export function encodeExtended(id: number, r: ExtendedResult): Buffer {
  const parts = resultParts(r);
  if (r.responseName) parts.push(octets(r.responseName, 0x8a));
  if (r.responseValue) parts.push(octets(r.responseValue, 0x8b));
  return message(id, constructed(RESPONSE_TAG.extended, parts), r.controls);
}

/** RFC 4511 §4.4.1: unsolicited, message id 0, before the server closes a connection. */
export function encodeNoticeOfDisconnection(code: number, text: string, oid: string): Buffer {
  return encodeExtended(0, { code: code as Result['code'], message: text, responseName: oid });
}

/** Bytes of a tag and length header for `n` bytes of content. */
function headerSize(n: number): number {
  return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : n < 0x1000000 ? 5 : 6;
}

/**
 * A SearchResultEntry, sized first and written into one buffer: entries are most of what a
 * server sends, and building them from nested small buffers was a measurable share of a search.
 */
export function encodeEntry(id: number, e: Entry, typesOnly: boolean): Buffer {
  const total = (n: number): number => headerSize(n) + n;
  const dnLen = Buffer.byteLength(e.dn);
  const attrs = e.attributes.map(([type, values]) => {
    const typeLen = Buffer.byteLength(type);
    const valueLens = typesOnly ? [] : values.map((v) => Buffer.byteLength(v));
    const set = valueLens.reduce((sum, n) => sum + total(n), 0);
    return { type, typeLen, values, valueLens, set, seq: total(typeLen) + total(set) };
  });
  const list = attrs.reduce((sum, a) => sum + total(a.seq), 0);
  const op = total(dnLen) + total(list);
  const idTlv = integer(id);
  const buf = Buffer.allocUnsafe(total(idTlv.length + total(op)));
  let at = 0;
  const header = (tag: number, n: number): void => {
    buf[at++] = tag;
    const size = headerSize(n) - 2;
    if (size === 0) {
      buf[at++] = n;
      return;
    }
    buf[at++] = 0x80 | size;
    for (let shift = (size - 1) * 8; shift >= 0; shift -= 8) buf[at++] = (n / 2 ** shift) & 0xff;
  };
  const text = (s: string, n: number): void => {
    header(OCTET_STRING, n);
    at += buf.write(s, at, 'utf8');
  };
  header(SEQUENCE, idTlv.length + total(op));
  idTlv.copy(buf, at);
  at += idTlv.length;
  header(RESPONSE_TAG.searchEntry, op);
  text(e.dn, dnLen);
  header(SEQUENCE, list);
  for (const a of attrs) {
    header(SEQUENCE, a.seq);
    text(a.type, a.typeLen);
    header(SET, a.set);
    a.valueLens.forEach((n, i) => text(a.values[i] as string, n));
  }
  return buf;
}

/** RFC 2696 realSearchControlValue. */
export function pagedControlValue(size: number, cookie: Buffer): Buffer {
  return constructed(SEQUENCE, [integer(size), octets(cookie)]);
}

/** RFC 3062 PasswdModifyResponseValue with a generated password. */
export function passwordModifyResponse(genPasswd: string): Buffer {
  return constructed(SEQUENCE, [octets(genPasswd, 0x80)]);
}

/**
 * The header of the next PDU in `buf`: `need` when more bytes are needed to know its size, `bad`
 * when it cannot be an LDAPMessage (wrong tag, indefinite or oversized length encoding).
 */
export function pduSize(buf: Buffer): { total: number } | 'need' | 'bad' {
  if (buf.length < 2) return 'need';
  if (buf[0] !== SEQUENCE) return 'bad';
  const first = buf[1] as number;
  if (first < 0x80) return { total: 2 + first };
  const n = first & 0x7f;
  // 0x80 is the indefinite form, which LDAP forbids (RFC 4511 §5.1); more than 4 bytes is absurd.
  if (n === 0 || n > 4) return 'bad';
  if (buf.length < 2 + n) return 'need';
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (buf[2 + i] as number);
  return { total: 2 + n + len };
}

/** An LDAPMessage's parts, located without decoding the operation. */
export interface Envelope {
  id: number;
  /** The whole message's SEQUENCE. */
  outer: Tlv;
  op: Tlv;
  /** The [0] Controls element, when present. */
  controls?: Tlv;
}

/**
 * The message id, protocolOp and controls of a complete PDU, read without decoding the
 * operation: for raw DNs, our own control parsing, and answering a request ldapjs cannot
 * decode. undefined when malformed.
 */
export function envelope(pdu: Buffer): Envelope | undefined {
  const outer = readTlv(pdu, 0);
  if (!outer) return undefined;
  const [idTlv, op, controls, extra] = childrenOf(pdu, outer);
  if (!idTlv || !op || idTlv.tag !== INTEGER || idTlv.end - idTlv.start > 4 || extra) return undefined;
  if (controls && controls.tag !== CONTROLS) return undefined;
  let id = 0;
  for (let i = idTlv.start; i < idTlv.end; i++) id = id * 256 + (pdu[i] as number);
  return { id, outer, op, ...(controls ? { controls } : {}) };
}

const CONTROLS = 0xa0;

/** The same message with its controls cut off (the id and operation are contiguous before them). */
export function withoutControls(pdu: Buffer, env: Envelope): Buffer {
  return tlv(SEQUENCE, pdu.subarray(env.outer.start, env.op.end));
}

/**
 * RFC 4511 §4.1.11 Controls: each `SEQUENCE { controlType LDAPOID, criticality BOOLEAN DEFAULT
 * FALSE, controlValue OCTET STRING OPTIONAL }`. undefined when any control is malformed.
 */
export function readControls(pdu: Buffer, list: Tlv): Control[] | undefined {
  const out: Control[] = [];
  let consumed = list.start;
  for (const c of childrenOf(pdu, list)) {
    consumed = c.end;
    if (c.tag !== SEQUENCE) return undefined;
    const parts = childrenOf(pdu, c);
    const [type, ...rest] = parts;
    if (!type || type.tag !== OCTET_STRING || (parts.at(-1)?.end ?? c.start) !== c.end) return undefined;
    let critical = false;
    let next = rest.shift();
    if (next?.tag === BOOLEAN) {
      if (next.end - next.start !== 1) return undefined;
      critical = pdu[next.start] !== 0;
      next = rest.shift();
    }
    if (next !== undefined && next.tag !== OCTET_STRING) return undefined;
    if (rest.length > 0) return undefined;
    out.push({
      oid: pdu.toString('latin1', type.start, type.end),
      critical,
      ...(next ? { value: pdu.subarray(next.start, next.end) } : {}),
    });
  }
  return consumed === list.end ? out : undefined;
}

/** RFC 2696 realSearchControlValue `SEQUENCE { size INTEGER, cookie OCTET STRING }`. */
export function readPagedValue(value: Buffer): { size: number; cookie: Buffer } | undefined {
  const seq = readTlv(value, 0);
  if (!seq || seq.tag !== SEQUENCE || seq.end !== value.length) return undefined;
  const [size, cookie, extra] = childrenOf(value, seq);
  if (!size || size.tag !== INTEGER || size.end - size.start > 4 || size.end === size.start) return undefined;
  if (!cookie || cookie.tag !== OCTET_STRING || cookie.end !== seq.end || extra) return undefined;
  if ((value[size.start] as number) & 0x80) return undefined;
  let n = 0;
  for (let i = size.start; i < size.end; i++) n = n * 256 + (value[i] as number);
  return { size: n, cookie: Buffer.from(value.subarray(cookie.start, cookie.end)) };
}

/**
 * The password policy response control's value (draft-behera-ldap-password-policy-10 §6.2):
 * `SEQUENCE { warning [0] { timeBeforeExpiration [0] INTEGER } OPTIONAL, error [1] ENUMERATED OPTIONAL }`.
 */
export function ppolicyResponseValue(p: { timeBeforeExpiration?: number; error?: number }): Buffer {
  const parts: Buffer[] = [];
  if (p.timeBeforeExpiration !== undefined) parts.push(constructed(0xa0, [integer(p.timeBeforeExpiration, 0x80)]));
  if (p.error !== undefined) parts.push(integer(p.error, 0x81));
  return constructed(SEQUENCE, parts);
}

/** One BER element inside a buffer: its tag and where its value lies. */
export interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** The element at `off`, or undefined when it is malformed or runs past `limit`. */
export function readTlv(buf: Buffer, off: number, limit = buf.length): Tlv | undefined {
  const tag = buf[off];
  const first = buf[off + 1];
  if (tag === undefined || first === undefined) return undefined;
  let start = off + 2;
  let len = first;
  if (first >= 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] as number);
    start += n;
  }
  const end = start + len;
  return end > limit ? undefined : { tag, start, end };
}

/** The elements inside a constructed element. */
export function childrenOf(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = parent.start; off < parent.end;) {
    const t = readTlv(buf, off, parent.end);
    if (!t) return out;
    out.push(t);
    off = t.end;
  }
  return out;
}
