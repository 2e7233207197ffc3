// The LDAP transport: listeners (LDAP, LDAPS), connections, PDU framing, StartTLS, abandon, and
// the one place that touches ldapjs, whose decoder turns PDUs into our Request type. Responses
// are encoded by ber.ts. Protocol decisions belong to the Session the front opens per connection.
//
// Why not ldapjs's own Server: it answers every anonymous bind itself, never enforces abandon,
// size limits or PDU sizes, buffers without bound, keeps Nagle on, and its DN parser drops data
// (`cn=a\+b` becomes `cn=a`). So DNs are read raw from the PDU (ber.ts) and only the rest of
// each request comes from ldapjs.
import { createRequire } from 'node:module';
import net from 'node:net';
import tls from 'node:tls';
import { isValidDn } from '../core/dn.ts';
import type { Logger } from '../core/log.ts';
import type { TlsMaterial } from '../core/tls.ts';
import {
  RESPONSE_TAG, childrenOf, encodeEntry, encodeExtended, encodeNoticeOfDisconnection, encodeResult, envelope,
  pagedControlValue, pduSize, type ResponseControl, type Tlv,
} from './ber.ts';
import type { LdapLimits } from './limits.ts';
import {
  OID, RC, type Control, type ConnectionInfo, type Filter, type Message, type Modification, type Reply, type Request,
  type Scope, type SearchDone, type SearchSink, type Session, type SessionFactory,
} from './protocol.ts';

// ------------------------------------------------------------------ ldapjs, as far as we use it

/** The parts of ldapjs's decoded messages we read (its own typings are out of date). */
interface JsControl {
  type: string;
  criticality: boolean;
  value?: { size?: number; cookie?: Buffer } | Buffer;
}
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
  controls: JsControl[];
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
 * Decodes one complete PDU. ldapjs's parser is synchronous, so one instance serves every
 * connection: write a frame, collect what it emitted.
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

type Decoded = { ok: true; msg: Message } | { ok: false; id?: number; answer?: Answerable; why: string };

/** Request protocolOp tag → its response tag, for operations that name a DN first. */
const DN_OPERATIONS = new Map([
  [0x63, RESPONSE_TAG.searchDone], [0x66, RESPONSE_TAG.modify], [0x68, RESPONSE_TAG.add],
  [0x4a, RESPONSE_TAG.delete], [0x6c, RESPONSE_TAG.modrdn], [0x6e, RESPONSE_TAG.compare],
]);

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

function decode(frame: Buffer): Decoded {
  const env = envelope(frame);
  if (!env) return { ok: false, why: 'malformed LDAPMessage' };
  const js = decoder(frame);
  if (js instanceof Error) {
    const answer = answerable(frame, env.op);
    return { ok: false, id: env.id, ...(answer ? { answer } : {}), why: js.message };
  }
  try {
    const request = toRequest(js, frame, env.op);
    const controls: Control[] = (js.controls ?? []).map((c) => ({ oid: c.type, critical: c.criticality }));
    const paged = js.controls?.find((c) => c.type === OID.pagedResults)?.value;
    if (request.op === 'search' && paged && !Buffer.isBuffer(paged)) {
      request.paged = { size: paged.size ?? 0, cookie: paged.cookie ?? Buffer.alloc(0) };
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

// ------------------------------------------------------------------ responses

const RESULT_TAG: Partial<Record<Request['op'], number>> = {
  bind: RESPONSE_TAG.bind,
  saslBind: RESPONSE_TAG.bind,
  search: RESPONSE_TAG.searchDone,
  compare: RESPONSE_TAG.compare,
  add: RESPONSE_TAG.add,
  delete: RESPONSE_TAG.delete,
  modify: RESPONSE_TAG.modify,
  modrdn: RESPONSE_TAG.modrdn,
};

function encodeReply(id: number, request: Request, reply: Reply): Buffer {
  const tag = RESULT_TAG[request.op];
  if (tag === undefined) return encodeExtended(id, reply);
  const cookie = (reply as SearchDone).pagedCookie;
  const controls: ResponseControl[] = cookie
    ? [{ oid: OID.pagedResults, critical: false, value: pagedControlValue(0, cookie) }]
    : [];
  return encodeResult(id, tag, reply, controls);
}

/** Controls we act on, by operation; any other critical control is refused (RFC 4511 §4.1.11). */
const UNDERSTOOD: Partial<Record<Request['op'], readonly string[]>> = { search: [OID.pagedResults] };

// ------------------------------------------------------------------ the server

export interface ServerOptions {
  sessions: SessionFactory;
  logger: Logger;
  limits: LdapLimits;
  tls?: TlsMaterial;
}

export interface Endpoint {
  port: number;
  host: string;
}

export interface ServerStats {
  connections: number;
  operations: number;
}

export class LdapServer {
  private readonly log: Logger;
  private secureContext: tls.SecureContext | undefined;
  private tlsOptions: tls.SecureContextOptions | undefined;
  private readonly listeners: net.Server[] = [];
  private readonly tlsListeners: tls.Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly perAddress = new Map<string, number>();
  /** Every admitted TCP socket, TLS handshakes in progress included: close() must end them all. */
  private readonly sockets = new Set<net.Socket>();
  private serial = 0;
  private operations = 0;

  constructor(private readonly o: ServerOptions) {
    this.log = o.logger.child({ component: 'ldap' });
    if (o.tls) this.setTls(o.tls);
  }

  get limits(): LdapLimits {
    return this.o.limits;
  }

  get tlsContext(): tls.SecureContext | undefined {
    return this.secureContext;
  }

  /** New certificate for LDAPS and StartTLS; connections already secured keep theirs. */
  setTls(material: TlsMaterial): void {
    this.tlsOptions = { cert: material.cert, key: material.key, ...(material.ca ? { ca: material.ca } : {}) };
    this.secureContext = tls.createSecureContext(this.tlsOptions);
    for (const l of this.tlsListeners) l.setSecureContext(this.tlsOptions);
  }

  async listen(plain: Endpoint, secure?: Endpoint): Promise<{ ldap: number; ldaps?: number }> {
    const ldap = await this.bind(net.createServer(), plain, false);
    if (!secure) return { ldap };
    if (!this.tlsOptions) throw new Error('LDAPS needs a TLS certificate');
    const server = tls.createServer({ ...this.tlsOptions, handshakeTimeout: 10_000 });
    this.tlsListeners.push(server);
    server.on('tlsClientError', (err, sock) => {
      this.log.debug({ event: 'ldap.tls', outcome: 'failed', remote: sock.remoteAddress, err: err.message }, 'TLS handshake failed');
    });
    return { ldap, ldaps: await this.bind(server, secure, true) };
  }

  private bind(server: net.Server, at: Endpoint, secure: boolean): Promise<number> {
    this.listeners.push(server);
    // Admission counts raw TCP connections, before any TLS handshake is spent on them.
    server.on('connection', (sock: net.Socket) => this.admit(sock, secure));
    if (secure) server.on('secureConnection', (sock: tls.TLSSocket) => this.open(sock, true));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error({ event: 'ldap.listener', outcome: 'failed', err }, 'listener error'));
        const port = (server.address() as net.AddressInfo).port;
        this.log.info({ event: 'ldap.listen', outcome: 'ok', protocol: secure ? 'ldaps' : 'ldap', host: at.host, port }, `LDAP${secure ? 'S' : ''} listening on ${at.host}:${port}`);
        resolve(port);
      });
    });
  }

  private admit(sock: net.Socket, secure: boolean): void {
    const addr = sock.remoteAddress ?? 'unknown';
    const mine = this.perAddress.get(addr) ?? 0;
    const limits = this.o.limits;
    const refusal = this.sockets.size >= limits.maxConnections ? 'max-connections'
      : mine >= limits.maxConnectionsPerAddress ? 'max-connections-per-address' : undefined;
    if (refusal) {
      this.log.warn({ event: 'ldap.connection', outcome: 'refused', reason: refusal, remote: addr }, 'connection refused: limit reached');
      if (!secure) sock.end(encodeNoticeOfDisconnection(RC.busy, 'too many connections', OID.noticeOfDisconnection));
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    this.perAddress.set(addr, mine + 1);
    sock.once('close', () => {
      this.sockets.delete(sock);
      const left = (this.perAddress.get(addr) ?? 1) - 1;
      if (left > 0) this.perAddress.set(addr, left);
      else this.perAddress.delete(addr);
    });
    sock.setNoDelay(true);
    if (!secure) this.open(sock, false);
  }

  private open(sock: net.Socket, secure: boolean): void {
    sock.setNoDelay(true);
    const id = `${sock.remoteAddress}:${sock.remotePort}#${++this.serial}`;
    const conn = new Connection(this, sock, secure, id, this.log);
    this.connections.add(conn);
    sock.once('close', () => this.connections.delete(conn));
  }

  openSession(info: ConnectionInfo): Session {
    return this.o.sessions.open(info);
  }

  countOperation(): void {
    this.operations++;
  }

  stats(): ServerStats {
    return { connections: this.connections.size, operations: this.operations };
  }

  /** Stops accepting, tells every client the server is going away, and closes. */
  async close(): Promise<void> {
    const closing = this.listeners.map((l) => new Promise<void>((resolve) => l.close(() => resolve())));
    for (const c of this.connections) c.shutdown();
    // Sockets still in a TLS handshake have no Connection to say goodbye; give the others a moment.
    const stragglers = setTimeout(() => { for (const s of this.sockets) s.destroy(); }, 1500);
    await Promise.all(closing);
    clearTimeout(stragglers);
    this.listeners.length = 0;
    this.tlsListeners.length = 0;
  }
}

class Connection implements ConnectionInfo {
  private sock: net.Socket;
  private pending: Buffer = Buffer.alloc(0);
  private readonly ops = new Map<number, AbortController>();
  private readonly session: Session;
  private upgrading = false;
  private closed = false;
  secure: boolean;
  readonly remoteAddress: string;

  constructor(
    private readonly server: LdapServer,
    sock: net.Socket,
    secure: boolean,
    readonly id: string,
    private readonly log: Logger,
  ) {
    this.sock = sock;
    this.secure = secure;
    this.remoteAddress = sock.remoteAddress ?? 'unknown';
    this.session = server.openSession(this);
    this.attach(sock);
    sock.once('close', () => this.closeNow());
  }

  private readonly onData = (chunk: Buffer): void => {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const max = this.server.limits.maxPduBytes;
    while (!this.closed && !this.upgrading) {
      const size = pduSize(this.pending);
      if (size === 'need') return;
      if (size === 'bad') return this.violation('malformed BER');
      if (size.total > max) return this.violation(`PDU of ${size.total} bytes exceeds the limit of ${max}`);
      if (this.pending.length < size.total) return;
      const frame = this.pending.subarray(0, size.total);
      this.pending = this.pending.subarray(size.total);
      this.dispatch(frame);
    }
  };

  private attach(sock: net.Socket): void {
    sock.setTimeout(this.server.limits.idleTimeoutMs);
    sock.on('data', this.onData);
    sock.on('timeout', () => {
      if (this.ops.size > 0) return;
      this.log.debug({ event: 'ldap.connection', outcome: 'closed', reason: 'idle', conn: this.id }, 'idle connection closed');
      this.disconnect(RC.unavailable, 'idle timeout');
    });
    sock.on('error', (err) => {
      this.log.debug({ event: 'ldap.connection', outcome: 'failed', conn: this.id, err: err.message }, 'connection error');
      this.closeNow();
    });
  }

  private dispatch(frame: Buffer): void {
    const decoded = decode(frame);
    if (!decoded.ok) {
      if (decoded.answer && decoded.id !== undefined) {
        const { tag, code, message } = decoded.answer;
        this.write(encodeResult(decoded.id, tag, { code, message }));
        return;
      }
      return this.violation(decoded.why);
    }
    const { id, request } = decoded.msg;
    switch (request.op) {
      case 'unbind':
        return this.closeNow();
      case 'abandon':
        this.ops.get(request.target)?.abort();
        return;
      case 'startTls':
        return this.startTls(id);
      case 'bind':
        // RFC 4511 §4.2.1: operations in progress are abandoned before a bind.
        for (const c of this.ops.values()) c.abort();
        break;
      default:
        break;
    }
    const understood = UNDERSTOOD[request.op] ?? [];
    const critical = decoded.msg.controls.find((c) => c.critical && !understood.includes(c.oid));
    if (critical) {
      this.reply(id, request, { code: RC.unavailableCriticalExtension, message: `control ${critical.oid} is not supported` });
      return;
    }
    if (this.ops.size >= this.server.limits.maxOperationsPerConnection) {
      this.reply(id, request, { code: RC.busy, message: 'too many operations in progress on this connection' });
      return;
    }
    this.run(decoded.msg);
  }

  private run(msg: Message): void {
    const { id, request } = msg;
    const abort = new AbortController();
    this.ops.set(id, abort);
    this.server.countOperation();
    const typesOnly = request.op === 'search' && request.typesOnly;
    // Entries and the final result leave in one write where they fit: corked until the end or
    // until the search waits for the client (each uncork is a syscall, each syscall costs).
    const sock = this.sock;
    sock.cork();
    const sink: SearchSink = {
      signal: abort.signal,
      entry: (e) => this.write(encodeEntry(id, e, typesOnly)),
      drained: () => {
        sock.uncork();
        sock.cork();
        return this.drained();
      },
    };
    this.session.handle(msg, sink)
      .catch((err: unknown): Reply => {
        this.log.error({ event: `ldap.${request.op}`, outcome: 'failed', conn: this.id, err }, 'operation failed unexpectedly');
        return { code: RC.other, message: 'internal error' };
      })
      .then((reply) => {
        if (this.ops.get(id) === abort) this.ops.delete(id);
        // An abandoned operation gets no response at all (RFC 4511 §4.11).
        if (!abort.signal.aborted) this.reply(id, request, reply);
        sock.uncork();
      });
  }

  private reply(id: number, request: Request, reply: Reply): void {
    this.write(encodeReply(id, request, reply));
  }

  private write(b: Buffer): void {
    if (!this.closed) this.sock.write(b);
  }

  private drained(): Promise<void> {
    if (this.closed || !this.sock.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.sock.off('drain', done);
        this.sock.off('close', done);
        resolve();
      };
      this.sock.on('drain', done);
      this.sock.on('close', done);
    });
  }

  /** RFC 4511 §4.14 / RFC 4513 §3: answer in clear, then run TLS on the same socket. */
  private startTls(id: number): void {
    const answer = (code: Reply['code'], message: string): void =>
      this.write(encodeExtended(id, { code, message, responseName: OID.startTls }));
    const context = this.server.tlsContext;
    if (this.secure) return answer(RC.operationsError, 'TLS is already established');
    if (!context) return answer(RC.protocolError, 'StartTLS is not available: no certificate is configured');
    if (this.ops.size > 0) return answer(RC.operationsError, 'operations are still in progress');
    if (this.pending.length > 0) return this.violation('data after a StartTLS request');
    this.upgrading = true;
    const plain = this.sock;
    // Paused, so nothing is read in clear after the response; TLSSocket picks up what is buffered.
    plain.pause();
    plain.off('data', this.onData);
    plain.removeAllListeners('timeout');
    plain.setTimeout(0);
    plain.write(encodeExtended(id, { code: RC.success, responseName: OID.startTls }), () => {
      if (this.closed) return;
      const secured = new tls.TLSSocket(plain, { isServer: true, secureContext: context });
      secured.setNoDelay(true);
      secured.on('error', (err) => {
        this.log.debug({ event: 'ldap.starttls', outcome: 'failed', conn: this.id, err: err.message }, 'StartTLS handshake failed');
        this.closeNow();
      });
      secured.once('secure', () => {
        this.log.debug({ event: 'ldap.starttls', outcome: 'ok', conn: this.id }, 'StartTLS established');
      });
      this.sock = secured;
      this.secure = true;
      this.upgrading = false;
      this.attach(secured);
      secured.once('close', () => this.closeNow());
    });
  }

  /** A PDU we cannot parse: tell the client why and close this connection only. */
  private violation(why: string): void {
    this.log.info({ event: 'ldap.protocol', outcome: 'refused', conn: this.id, reason: why }, 'protocol violation: closing the connection');
    this.disconnect(RC.protocolError, why);
  }

  private disconnect(code: number, text: string): void {
    if (this.closed) return;
    this.sock.end(encodeNoticeOfDisconnection(code, text, OID.noticeOfDisconnection));
    this.closeNow();
  }

  shutdown(): void {
    this.disconnect(RC.unavailable, 'the server is shutting down');
  }

  private closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.ops.values()) c.abort();
    this.ops.clear();
    this.session.close();
    // end() first lets a notice of disconnection reach the client; destroy() bounds the wait.
    this.sock.end();
    setTimeout(() => this.sock.destroy(), 1000).unref();
  }
}
