// Raw LDAP for the tests that no library client can express: pipelined requests in one write,
// malformed or unknown controls. Requests are built with the server's own BER writer; answers are
// read with its own reader, so only the framing is shared with what is under test.
import { connect, type Socket } from 'node:net';
import { childrenOf, constructed, envelope, integer, octets, pduSize, readControls, tlv } from '../../src/ldap/ber.ts';
import type { Control } from '../../src/ldap/protocol.ts';

const SEQUENCE = 0x30;

export interface RawControl {
  oid: string;
  critical?: boolean;
  value?: Buffer;
}

export function controlsOf(list: RawControl[]): Buffer {
  return constructed(0xa0, list.map((c) => constructed(SEQUENCE, [
    octets(c.oid),
    ...(c.critical ? [tlv(0x01, Buffer.from([0xff]))] : []),
    ...(c.value ? [octets(c.value)] : []),
  ])));
}

/** An LDAPMessage; `controls` is appended as given (so a test can send malformed ones). */
export function message(id: number, op: Buffer, controls?: Buffer): Buffer {
  return constructed(SEQUENCE, [integer(id), op, ...(controls ? [controls] : [])]);
}

export function simpleBind(id: number, dn: string, password: string, controls?: Buffer): Buffer {
  return message(id, constructed(0x60, [integer(3), octets(dn), octets(password, 0x80)]), controls);
}

export function whoami(id: number, controls?: Buffer): Buffer {
  return message(id, constructed(0x77, [octets('1.3.6.1.4.1.4203.1.11.3', 0x80)]), controls);
}

/** A base-scope search of `dn` for (objectClass=*). */
export function baseSearch(id: number, dn: string, controls?: Buffer): Buffer {
  return message(id, constructed(0x63, [
    octets(dn), integer(0, 0x0a), integer(0, 0x0a), integer(0), integer(0), tlv(0x01, Buffer.from([0])),
    octets('objectClass', 0x87), constructed(SEQUENCE, []),
  ]), controls);
}

/** A base search of the subschema entry for all its attributes: about 12 KB of answer. */
export function subschemaSearch(id: number): Buffer {
  return message(id, constructed(0x63, [
    octets('cn=Subschema'), integer(0, 0x0a), integer(0, 0x0a), integer(0), integer(0), tlv(0x01, Buffer.from([0])),
    tlv(0x87, Buffer.from('objectClass')), constructed(SEQUENCE, [octets('*'), octets('+')]),
  ]));
}

/** A subtree search of `base` for (cn=`value`): a PDU as large as the value. */
export function equalitySearch(id: number, base: string, value: string): Buffer {
  return message(id, constructed(0x63, [
    octets(base), integer(2, 0x0a), integer(0, 0x0a), integer(0), integer(0), tlv(0x01, Buffer.from([0])),
    constructed(0xa3, [octets('cn'), octets(value)]), constructed(SEQUENCE, [octets('1.1')]),
  ]));
}

export interface Answer {
  id: number;
  /** protocolOp tag of the response. */
  tag: number;
  /** resultCode, for results (not for entries). */
  code?: number;
  /** The extended response's value (whoami's authzId). */
  value?: string;
  /** matchedDN and diagnosticMessage, for results. */
  matched?: string;
  text?: string;
  controls: Control[];
}

function parse(pdu: Buffer): Answer {
  const env = envelope(pdu);
  if (!env) throw new Error(`unparseable answer ${pdu.toString('hex')}`);
  const parts = childrenOf(pdu, env.op);
  const first = parts[0];
  const code = first && first.tag === 0x0a ? pdu.readUIntBE(first.start, first.end - first.start) : undefined;
  const value = parts.find((p) => p.tag === 0x8b);
  return {
    id: env.id,
    tag: env.op.tag,
    ...(code === undefined ? {} : { code }),
    ...(value ? { value: pdu.toString('utf8', value.start, value.end) } : {}),
    ...(code !== undefined && parts[1] && parts[2]
      ? { matched: pdu.toString('utf8', parts[1].start, parts[1].end), text: pdu.toString('utf8', parts[2].start, parts[2].end) }
      : {}),
    controls: env.controls ? readControls(pdu, env.controls) ?? [] : [],
  };
}

export interface RawClient {
  socket: Socket;
  send(...pdus: Buffer[]): void;
  /** The next `n` answers, in the order they arrived; rejects after `ms`. */
  read(n: number, ms?: number): Promise<Answer[]>;
  /** Resolves true when the server has closed the connection within `ms`. */
  closedWithin(ms: number): Promise<boolean>;
  close(): void;
}

/** `from`: the local address to connect from (another 127.0.0.0/8 address is another source). */
export async function rawClient(port: number, from?: string): Promise<RawClient> {
  const socket = connect({ port, host: '127.0.0.1', ...(from ? { localAddress: from } : {}) });
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  let buffered = Buffer.alloc(0);
  const answers: Answer[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const size = pduSize(buffered);
      if (size === 'need' || size === 'bad' || buffered.length < size.total) break;
      answers.push(parse(buffered.subarray(0, size.total)));
      buffered = buffered.subarray(size.total);
    }
    wake?.();
  });
  socket.on('close', () => { closed = true; wake?.(); });
  socket.on('error', () => undefined);
  return {
    socket,
    send: (...pdus) => { socket.write(Buffer.concat(pdus)); },
    async read(n, ms = 5000) {
      const until = Date.now() + ms;
      while (answers.length < n) {
        if (closed) throw new Error(`the server closed the connection after ${answers.length} of ${n} answers`);
        const left = until - Date.now();
        if (left <= 0) throw new Error(`only ${answers.length} of ${n} answers within ${ms} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => { clearTimeout(timer); resolve(); };
        });
      }
      return answers.splice(0, n);
    },
    async closedWithin(ms) {
      const until = Date.now() + ms;
      while (!closed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return closed;
    },
    close: () => { socket.destroy(); },
  };
}
