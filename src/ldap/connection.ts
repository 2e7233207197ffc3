// One LDAP connection: PDU framing, the order operations run in, StartTLS, abandon, and the
// replies. Protocol decisions belong to the Session the front opens for it.
import type net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../core/log.ts';
import {
  encodeEntry, encodeExtended, encodeNoticeOfDisconnection, encodeResult, pagedControlValue, pduSize, RESPONSE_TAG,
} from './ber.ts';
import { decode } from './decode.ts';
import type { LdapLimits } from './limits.ts';
import {
  OID, RC, type Control, type ConnectionInfo, type Message, type Reply, type Request, type SearchDone, type SearchSink,
  type Session,
} from './protocol.ts';

/** What a connection needs of its server. */
export interface ConnectionHost {
  readonly limits: LdapLimits;
  readonly tlsContext: tls.SecureContext | undefined;
  openSession(info: ConnectionInfo): Session;
  countOperation(): void;
  /** Reply bytes waiting in this connection's socket changed by `delta` (the server keeps the total). */
  queuedReplies(delta: number): void;
  /** The total of reply bytes waiting, all connections together, is over its limit. */
  readonly overReplyBudget: boolean;
  /** Calls `start` when one of the server's search-batch slots is free (maxSearchBatches). */
  runBatch(start: () => void): void;
  /** A batch started by runBatch has been sent: its slot is free. */
  batchDone(): void;
}

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
  const controls: Control[] = cookie
    ? [{ oid: OID.pagedResults, critical: false, value: pagedControlValue(0, cookie) }]
    : [];
  return encodeResult(id, tag, reply, controls);
}

/** Controls we act on, by operation; any other critical control is refused (RFC 4511 §4.1.11). */
const UNDERSTOOD: Partial<Record<Request['op'], readonly string[]>> = {
  search: [OID.pagedResults],
  bind: [OID.passwordPolicy],
  passwordModify: [OID.passwordPolicy],
};

interface InFlight {
  abort: AbortController;
  /** Settles once the operation has been answered (or dropped). */
  done: Promise<void>;
  bind: boolean;
}

export class Connection implements ConnectionInfo {
  private sock: net.Socket;
  private pending: Buffer = Buffer.alloc(0);
  private readonly ops = new Map<number, InFlight>();
  /**
   * Settles when the latest bind has been answered. RFC 4513 §5.1 and RFC 4511 §4.2.1: a bind
   * runs alone, after what came before it, and what comes after runs as the identity it set, so
   * pipelined binds are answered one by one, in order, and the last one decides who is bound.
   */
  private bindDone: Promise<void> | undefined;
  private readonly session: Session;
  private upgrading = false;
  /** Reading is paused until the client drains its replies. */
  private holding = false;
  /** Reply bytes of this socket last told to the host. */
  private reported = 0;
  /** Searches waiting for their turn (turn()), in order, and whether one holds it. */
  private readonly waiting: (() => void)[] = [];
  private turnHeld = false;
  private awaitingDrain = false;
  private closed = false;
  secure: boolean;
  readonly remoteAddress: string;

  constructor(
    private readonly host: ConnectionHost,
    sock: net.Socket,
    secure: boolean,
    readonly id: string,
    private readonly log: Logger,
  ) {
    this.sock = sock;
    this.secure = secure;
    this.remoteAddress = sock.remoteAddress ?? 'unknown';
    this.session = host.openSession(this);
    this.attach(sock);
    sock.once('close', () => this.closeNow());
  }

  private readonly onData = (chunk: Buffer): void => {
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const l = this.host.limits;
    // Until a client has bound, a request is a bind or a small search: a large PDU costs it nothing to send.
    const max = this.session.authenticated ? l.maxPduBytes : Math.min(l.maxUnboundPduBytes, l.maxPduBytes);
    while (!this.closed && !this.upgrading) {
      // A client that sends requests but does not read the answers is not read either.
      if (this.congested()) return this.holdReading();
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

  /**
   * Too many replies wait for this client: over the connection's limit, or any at all while the
   * server's total is over its limit (then only clients that read their replies get more).
   */
  private congested(): boolean {
    this.report();
    return this.sock.writableLength > this.host.limits.maxQueuedReplyBytes || (this.sock.writableNeedDrain && this.host.overReplyBudget);
  }

  /**
   * Tells the host how many reply bytes wait in this socket, so that it can keep a total. Only a
   * socket over its high-water mark counts: that one is sure to emit 'drain', which reports again.
   */
  private report(): void {
    const queued = this.sock.writableNeedDrain ? this.sock.writableLength : 0;
    if (queued === this.reported) return;
    this.host.queuedReplies(queued - this.reported);
    this.reported = queued;
  }

  /** Stops reading until the client has taken the replies queued for it. */
  private holdReading(): void {
    if (this.holding) return;
    this.holding = true;
    const sock = this.sock;
    sock.pause();
    const resume = (): void => {
      sock.off('drain', resume);
      this.holding = false;
      if (this.closed || sock !== this.sock) return;
      sock.resume();
      this.onData(Buffer.alloc(0));
    };
    sock.on('drain', resume);
  }

  /** The idle timeout for the connection's state: short until it has bound. */
  private idleTimeout(): number {
    const l = this.host.limits;
    return this.session.authenticated ? l.idleTimeoutMs : Math.min(l.unboundIdleTimeoutMs, l.idleTimeoutMs);
  }

  private attach(sock: net.Socket): void {
    sock.setTimeout(this.idleTimeout());
    sock.on('data', this.onData);
    sock.on('drain', () => this.report());
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
    const decoded = decode(frame, this.host.limits);
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
        // Binds cannot be abandoned (RFC 4511 §4.11): their answer decides the identity.
        if (this.ops.get(request.target)?.bind === false) this.ops.get(request.target)?.abort.abort();
        return;
      case 'startTls':
        return this.startTls(id);
      default:
        break;
    }
    const understood = UNDERSTOOD[request.op] ?? [];
    const critical = decoded.msg.controls.find((c) => c.critical && !understood.includes(c.oid));
    if (critical) {
      this.reply(id, request, { code: RC.unavailableCriticalExtension, message: `control ${critical.oid} is not supported` });
      return;
    }
    if (this.ops.size >= this.host.limits.maxOperationsPerConnection) {
      this.reply(id, request, { code: RC.busy, message: 'too many operations in progress on this connection' });
      return;
    }
    this.run(decoded.msg);
  }

  private run(msg: Message): void {
    const { id, request } = msg;
    const abort = new AbortController();
    const bind = request.op === 'bind';
    this.host.countOperation();
    let after = this.bindDone;
    if (bind) {
      // Operations still in progress are abandoned (RFC 4511 §4.2.1); earlier binds are answered first.
      const earlier = [...this.ops.values()].filter((op) => !op.bind);
      for (const op of earlier) op.abort.abort();
      after = Promise.all([this.bindDone, ...earlier.map((op) => op.done)]).then(() => undefined);
    }
    const done = after ? after.then(() => this.execute(msg, abort)) : this.execute(msg, abort);
    this.ops.set(id, { abort, done, bind });
    if (bind) this.bindDone = done;
    void done.then(() => {
      if (bind && !this.closed) this.sock.setTimeout(this.idleTimeout());
      if (this.ops.get(id)?.abort === abort) this.ops.delete(id);
      if (this.bindDone === done) this.bindDone = undefined;
    });
  }

  /** Runs one operation and sends its answer (none if it was abandoned). Never rejects. */
  private async execute(msg: Message, abort: AbortController): Promise<void> {
    const { id, request } = msg;
    if (abort.signal.aborted || this.closed) return;
    const typesOnly = request.op === 'search' && request.typesOnly;
    // Entries and the final result leave in one write where they fit: corked until the end, or
    // until the search waits for its turn (each uncork is a syscall, each syscall costs). A search
    // waiting for its turn holds no cork: corks held by waiting searches would keep the socket
    // from ever draining.
    const sock = this.sock;
    sock.cork();
    const sink: SearchSink = {
      signal: abort.signal,
      entry: (e) => this.write(encodeEntry(id, e, typesOnly)),
      turn: async () => {
        sock.uncork();
        const release = await this.takeTurn();
        return () => {
          release();
          sock.cork();
        };
      },
    };
    let reply: Reply;
    try {
      reply = await this.session.handle(msg, sink);
    } catch (err) {
      this.log.error({ event: `ldap.${request.op}`, outcome: 'failed', conn: this.id, err }, 'operation failed unexpectedly');
      reply = { code: RC.other, message: 'internal error' };
    }
    // An abandoned operation gets no response at all (RFC 4511 §4.11).
    if (!abort.signal.aborted) this.reply(id, request, reply);
    sock.uncork();
    if (!this.closed) this.report();
  }

  private reply(id: number, request: Request, reply: Reply): void {
    this.write(encodeReply(id, request, reply));
  }

  private write(b: Buffer): void {
    if (!this.closed) this.sock.write(b);
  }

  /**
   * The turn to fetch and write one batch of a search. Searches of a connection take turns, and
   * none gets one while the client is not reading: whatever a client pipelines, one connection
   * holds at most one materialised batch beyond its socket's buffer.
   */
  private takeTurn(): Promise<() => void> {
    return new Promise((resolve) => {
      this.waiting.push(() => {
        // A batch's entries leave in as few writes as fit: corked for the turn (each uncork is a syscall).
        const sock = this.sock;
        sock.cork();
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          sock.uncork();
          this.host.batchDone();
          this.turnHeld = false;
          this.grantTurn();
        });
      });
      this.grantTurn();
    });
  }

  /** Gives the turn to the first waiting search once the socket can take more. */
  private grantTurn(): void {
    if (this.turnHeld || this.waiting.length === 0 || this.awaitingDrain) return;
    if (!this.closed && this.mustWait()) {
      this.awaitingDrain = true;
      const sock = this.sock;
      const again = (): void => {
        sock.off('drain', again);
        sock.off('close', again);
        this.awaitingDrain = false;
        this.grantTurn();
      };
      sock.on('drain', again);
      sock.on('close', again);
      return;
    }
    this.turnHeld = true;
    const next = this.waiting.shift();
    if (next) this.host.runBatch(next);
  }

  private mustWait(): boolean {
    this.report();
    return this.sock.writableNeedDrain;
  }

  /** RFC 4511 §4.14 / RFC 4513 §3: answer in clear, then run TLS on the same socket. */
  private startTls(id: number): void {
    const answer = (code: Reply['code'], message: string): void =>
      this.write(encodeExtended(id, { code, message, responseName: OID.startTls }));
    const context = this.host.tlsContext;
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
      const handshake = setTimeout(() => {
        this.log.debug({ event: 'ldap.starttls', outcome: 'failed', conn: this.id, reason: 'handshake-timeout' }, 'StartTLS handshake timed out');
        secured.destroy();
        this.closeNow();
      }, this.host.limits.handshakeTimeoutMs);
      secured.once('secure', () => clearTimeout(handshake));
      secured.once('close', () => clearTimeout(handshake));
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
    for (const op of this.ops.values()) op.abort.abort();
    this.ops.clear();
    this.host.queuedReplies(-this.reported);
    this.reported = 0;
    // Waiting searches get their turns at once now, and stop there as abandoned.
    this.awaitingDrain = false;
    this.grantTurn();
    this.session.close();
    // end() first lets a notice of disconnection reach the client; destroy() bounds the wait.
    this.sock.end();
    setTimeout(() => this.sock.destroy(), 1000).unref();
  }
}
