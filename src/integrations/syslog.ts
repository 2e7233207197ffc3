// A syslog destination: a stream, not a durable queue. Messages wait in a bounded in-memory
// queue while the receiver is slow, down or being reconnected to; when it is full the oldest is
// dropped and counted. UDP sends one message a datagram (RFC 5426, cut to 2048 bytes); TCP
// (RFC 6587) and TLS (RFC 5425) frame each message by octet counting: "<length> <message>".
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIP, connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Logger } from '../core/log.ts';

export type Transport = 'udp' | 'tcp' | 'tls';

export interface SyslogCounters {
  sent: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Failed connections and sends. */
  errors: number;
  queued: number;
  connected: boolean;
}

export interface SenderOptions {
  host: string;
  port: number;
  transport: Transport;
  /** PEM file the receiver's certificate must chain to (tls). */
  ca?: string;
  queueSize: number;
  logger: Logger;
}

/** RFC 5426 §3.2: receivers should take 2048 octets; a longer datagram may be lost whole. */
const UDP_MAX = 2048;
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 30_000;

export class SyslogSender {
  private readonly queue: Buffer[] = [];
  private readonly c: SyslogCounters = { sent: 0, dropped: 0, errors: 0, queued: 0, connected: false };
  private stream: Socket | undefined;
  private udp: UdpSocket | undefined;
  private connecting = false;
  private pumping = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: SenderOptions) {}

  /** Queues one message; never blocks, never throws. */
  send(message: string): void {
    if (this.closed) return;
    let bytes = Buffer.from(message, 'utf8');
    if (this.o.transport === 'udp' && bytes.length > UDP_MAX) bytes = bytes.subarray(0, UDP_MAX);
    this.queue.push(bytes);
    while (this.queue.length > this.o.queueSize) {
      this.queue.shift();
      this.c.dropped++;
    }
    void this.pump();
  }

  counters(): SyslogCounters {
    return { ...this.c, queued: this.queue.length };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.stream?.destroy();
    this.udp?.close();
    this.queue.length = 0;
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      if (this.o.transport === 'udp') await this.pumpUdp();
      else await this.pumpStream();
    } finally {
      this.pumping = false;
    }
  }

  private async pumpUdp(): Promise<void> {
    const udp = this.udp ??= this.openUdp();
    for (let m = this.queue.shift(); m && !this.closed; m = this.queue.shift()) {
      await new Promise<void>((resolve) => udp.send(m, this.o.port, this.o.host, (err) => {
        if (err) this.c.errors++;
        else this.c.sent++;
        resolve();
      }));
    }
  }

  private openUdp(): UdpSocket {
    const s = createSocket(isIP(this.o.host) === 6 ? 'udp6' : 'udp4');
    // An ICMP "port unreachable" for an earlier datagram arrives as an error: count it, go on.
    s.on('error', () => void this.c.errors++);
    s.unref();
    this.c.connected = true;
    return s;
  }

  private async pumpStream(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const s = this.stream;
      if (!s || !this.c.connected) {
        this.connect();
        return;
      }
      const m = this.queue.shift()!;
      const framed = Buffer.concat([Buffer.from(`${m.length} `), m]);
      this.c.sent++;
      if (!s.write(framed)) await new Promise<void>((resolve) => {
        s.once('drain', resolve);
        s.once('close', resolve);
      });
    }
  }

  private connect(): void {
    if (this.connecting || this.retry || this.closed) return;
    this.connecting = true;
    void this.open().then((s) => {
      this.connecting = false;
      if (this.closed) {
        s.destroy();
        return;
      }
      this.stream = s;
      this.c.connected = true;
      this.failures = 0;
      // After connecting, an error is followed by close, which reconnects.
      s.on('error', () => void this.c.errors++);
      s.on('close', () => {
        this.c.connected = false;
        this.stream = undefined;
        if (!this.closed && this.queue.length > 0) this.scheduleReconnect();
      });
      void this.pump();
    }, (err: unknown) => {
      this.connecting = false;
      this.c.errors++;
      if (this.failures++ === 0) {
        this.o.logger.warn({ event: 'syslog.connect', outcome: 'failed', host: this.o.host, port: this.o.port, transport: this.o.transport, err },
          'cannot reach the syslog receiver; messages wait in the queue (the oldest dropped when it is full)');
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.retry || this.closed) return;
    const ms = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.min(this.failures, 10));
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.pump();
    }, ms);
    this.retry.unref();
  }

  private async open(): Promise<Socket> {
    const { host, port } = this.o;
    const ca = this.o.transport === 'tls' && this.o.ca !== undefined ? await readFile(this.o.ca) : undefined;
    return new Promise<Socket>((resolve, reject) => {
      const s: Socket = this.o.transport === 'tls'
        ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...(ca ? { ca } : {}) }, () => resolve(s))
        : tcpConnect({ host, port }, () => resolve(s));
      s.once('error', reject);
      s.setKeepAlive(true);
      s.unref();
    });
  }
}
