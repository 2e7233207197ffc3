// The LDAP listeners (LDAP, LDAPS): admission (connection limits, total and per address), TLS
// material, and shutdown. Each accepted socket becomes a Connection (connection.ts).
//
// Why not ldapjs's own Server: it answers every anonymous bind itself, never enforces abandon,
// size limits or PDU sizes, buffers without bound, keeps Nagle on, and its DN parser drops data.
// Only its request decoder is used (decode.ts).
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../core/log.ts';
import { LogThrottle } from '../core/log-throttle.ts';
import { tlsOptions, type TlsMaterial } from '../core/tls.ts';
import { encodeNoticeOfDisconnection } from './ber.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import type { LdapLimits } from './limits.ts';
import { OID, RC, type ConnectionInfo, type Session, type SessionFactory } from './protocol.ts';

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
  /** Connections refused by a limit since the start. */
  refusedConnections: number;
  /** Reply bytes waiting for clients that are behind (those over their socket's high-water mark). */
  queuedReplyBytes: number;
}

export class LdapServer implements ConnectionHost {
  private readonly log: Logger;
  private secureContext: tls.SecureContext | undefined;
  private tlsOptions: tls.SecureContextOptions | undefined;
  private readonly listeners: net.Server[] = [];
  private readonly tlsListeners: tls.Server[] = [];
  private readonly connections = new Set<Connection>();
  /** Search batches waiting for a slot, in order, and how many slots are taken (maxSearchBatches). */
  private readonly batchQueue: (() => void)[] = [];
  private batchesRunning = 0;
  private readonly perAddress = new Map<string, number>();
  /** Every admitted TCP socket, TLS handshakes in progress included: close() must end them all. */
  private readonly sockets = new Set<net.Socket>();
  /** Handshake timers of LDAPS sockets, by address and port (a TLSSocket does not expose its raw socket). */
  private readonly handshakes = new Map<string, NodeJS.Timeout>();
  private serial = 0;
  private operations = 0;
  private queued = 0;
  /** Refusals are counted always and logged once per address and reason a minute: a flood makes no log flood. */
  private readonly refusalLog = new LogThrottle({ intervalMs: 60_000, maxKeys: 10_000 });
  private refused = 0;

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
    this.tlsOptions = tlsOptions(material);
    this.secureContext = tls.createSecureContext(this.tlsOptions);
    for (const l of this.tlsListeners) l.setSecureContext(this.tlsOptions);
  }

  async listen(plain: Endpoint, secure?: Endpoint): Promise<{ ldap: number; ldaps?: number }> {
    const ldap = await this.bind(net.createServer(), plain, false);
    if (!secure) return { ldap };
    if (!this.tlsOptions) throw new Error('LDAPS needs a TLS certificate');
    const server = tls.createServer({ ...this.tlsOptions, handshakeTimeout: this.o.limits.handshakeTimeoutMs });
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
    const refusal = this.refusal(mine);
    if (refusal) {
      this.refused++;
      const logged = this.refusalLog.shouldLog(`${refusal}|${addr}`);
      if (logged.log) {
        this.log.warn({ event: 'ldap.connection', outcome: 'refused', reason: refusal, remote: addr, held: mine, suppressed: logged.suppressed }, 'connection refused: limit reached');
      }
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
    if (!secure) return this.open(sock, false);
    // tls.Server's own handshakeTimeout does not end a socket that never sends a ClientHello.
    const handshake = setTimeout(() => {
      this.log.debug({ event: 'ldap.tls', outcome: 'failed', reason: 'handshake-timeout', remote: addr }, 'TLS handshake timed out');
      sock.destroy();
    }, this.o.limits.handshakeTimeoutMs);
    this.handshakes.set(socketKey(sock), handshake);
    sock.once('close', () => {
      clearTimeout(handshake);
      this.handshakes.delete(socketKey(sock));
    });
  }

  /** Why a new connection from an address that holds `mine` is refused, if it is. */
  private refusal(mine: number): string | undefined {
    const l = this.o.limits;
    const free = l.maxConnections - this.sockets.size;
    if (free <= 0) return 'max-connections';
    if (mine >= l.maxConnectionsPerAddress) return 'max-connections-per-address';
    if (free <= l.reservedConnections && mine >= l.fewConnections) return 'reserved-for-other-addresses';
    return undefined;
  }

  private open(sock: net.Socket, secure: boolean): void {
    if (secure) {
      clearTimeout(this.handshakes.get(socketKey(sock)));
      this.handshakes.delete(socketKey(sock));
    }
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

  queuedReplies(delta: number): void {
    this.queued += delta;
  }

  get overReplyBudget(): boolean {
    return this.queued > this.o.limits.maxQueuedReplyBytesTotal;
  }

  runBatch(start: () => void): void {
    this.batchQueue.push(start);
    this.startBatches();
  }

  batchDone(): void {
    this.batchesRunning--;
    this.startBatches();
  }

  /**
   * Starts waiting batches while slots are free, each on a later turn of the event loop: a store
   * that answers at once (the memory store) would otherwise let searches run batch after batch in
   * microtasks while other clients' requests, and every RADIUS datagram, wait.
   */
  private startBatches(): void {
    while (this.batchesRunning < this.o.limits.maxSearchBatches && this.batchQueue.length > 0) {
      this.batchesRunning++;
      setImmediate(this.batchQueue.shift()!);
    }
  }

  stats(): ServerStats {
    return { connections: this.connections.size, operations: this.operations, refusedConnections: this.refused, queuedReplyBytes: this.queued };
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

function socketKey(sock: net.Socket): string {
  return `${sock.remoteAddress}:${sock.remotePort}`;
}
