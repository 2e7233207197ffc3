// A tiny BER writer and reader for the probes' raw LDAP sockets: the probes must be able to stop
// reading and to send what no client library sends (thousands of pipelined requests, oversized
// filters), so they build their PDUs here, independently of the server's own BER code.

const SEQUENCE = 0x30;

function lengthOf(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthOf(value.length), value]);
}

export const seq = (tag: number, parts: Buffer[]): Buffer => tlv(tag, Buffer.concat(parts));
export const str = (s: string | Buffer, tag = 0x04): Buffer => tlv(tag, Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));

/** A non-negative INTEGER (or ENUMERATED with tag 0x0a). */
export function int(n: number, tag = 0x02): Buffer {
  const bytes: number[] = [];
  for (let v = n; ; v = Math.floor(v / 256)) {
    bytes.unshift(v % 256);
    if (v < 256) break;
  }
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
}

const message = (id: number, op: Buffer): Buffer => seq(SEQUENCE, [int(id), op]);

export const bindRequest = (id: number, dn: string, password: string): Buffer =>
  message(id, seq(0x60, [int(3), str(dn), str(password, 0x80)]));

export const startTls = (id: number): Buffer => message(id, seq(0x77, [str('1.3.6.1.4.1.1466.20037', 0x80)]));

export const filter = {
  present: (attr: string): Buffer => str(attr, 0x87),
  equal: (attr: string, value: string): Buffer => seq(0xa3, [str(attr), str(value)]),
  or: (terms: Buffer[]): Buffer => seq(0xa1, terms),
};

/** A SearchRequest; scope 0 base, 2 subtree; `attrs` as given (`['*', '+']`, `['1.1']`, ...). */
export function searchRequest(id: number, base: string, scope: 0 | 2, f: Buffer, attrs: string[] = []): Buffer {
  return message(id, seq(0x63, [
    str(base), int(scope, 0x0a), int(0, 0x0a), int(0), int(0), tlv(0x01, Buffer.from([0])),
    f, seq(SEQUENCE, attrs.map((a) => str(a))),
  ]));
}

/** What the probes read of an answer: its message id, operation tag and (for results) result code. */
export interface Answer {
  id: number;
  op: number;
  resultCode?: number;
}

/** Reads one tag-length header at `at`; undefined while `buf` holds too little of it. */
function header(buf: Buffer, at: number): { tag: number; start: number; length: number } | undefined {
  if (buf.length < at + 2) return undefined;
  const first = buf[at + 1]!;
  if (first < 0x80) return { tag: buf[at]!, start: at + 2, length: first };
  const n = first & 0x7f;
  if (buf.length < at + 2 + n) return undefined;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + buf[at + 2 + i]!;
  return { tag: buf[at]!, start: at + 2 + n, length };
}

const intAt = (buf: Buffer, h: { start: number; length: number }): number => {
  let v = 0;
  for (let i = 0; i < h.length; i++) v = v * 256 + buf[h.start + i]!;
  return v;
};

/** Splits a stream of LDAPMessages; push() returns the complete ones, keeping the rest. */
export class AnswerReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Answer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Answer[] = [];
    let at = 0;
    for (;;) {
      const outer = header(this.pending, at);
      if (!outer || this.pending.length < outer.start + outer.length) break;
      const idH = header(this.pending, outer.start)!;
      const opH = header(this.pending, idH.start + idH.length)!;
      const answer: Answer = { id: intAt(this.pending, idH), op: opH.tag };
      // Every result (bind, search done, extended, ...) starts with its ENUMERATED resultCode.
      const code = header(this.pending, opH.start);
      if (code?.tag === 0x0a) answer.resultCode = intAt(this.pending, code);
      out.push(answer);
      at = outer.start + outer.length;
    }
    this.pending = this.pending.subarray(at);
    return out;
  }
}

/** The first id repeat() gives: every id from it to 0x7fffff takes three bytes, so one template serves. */
const FIRST_ID = 0x010000;

/**
 * `count` copies of build(id) with ids FIRST_ID, FIRST_ID + 1, ..., in one buffer (for pipelining
 * 100,000 requests without building each). build must put the message id first, as LDAP does.
 */
export function repeat(build: (id: number) => Buffer, count: number): Buffer {
  if (FIRST_ID + count > 0x800000) throw new Error(`repeat: at most ${0x800000 - FIRST_ID} copies`);
  const template = build(FIRST_ID);
  const outer = header(template, 0)!;
  const idAt = outer.start + 2; // past the id's own tag and length (02 03)
  const out = Buffer.allocUnsafe(template.length * count);
  for (let i = 0; i < count; i++) {
    const at = i * template.length;
    template.copy(out, at);
    out.writeUIntBE(FIRST_ID + i, at + idAt, 3);
  }
  return out;
}
