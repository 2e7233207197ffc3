// What EAP-TLS, EAP-TTLS and PEAP share (hostapd's eap_server_tls_common.c): the TLS server on
// Node's own `tls` over an in-memory stream, the L/M/S flags that fragment and reassemble TLS
// messages of any size, and key derivation. Each method only adds its phase 2.
import { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { EapContext, EapMethod, EapUser, Step, TlsLimits } from './method.ts';

const FLAG_LENGTH = 0x80;
const FLAG_MORE = 0x40;
const FLAG_START = 0x20;

export const DEFAULT_TLS_LIMITS: TlsLimits = { fragmentSize: 1024, maxMessage: 65_536 };

// ------------------------------------------------------------------ the tunnel

/** Output of one round: TLS records for the peer, decrypted application data from it. */
export interface TunnelOutput {
  records: Buffer;
  app: Buffer | null;
  error?: Error;
}

// Node's TLS engine answers input over a few event-loop turns (its stream writes complete in
// setImmediate): wait until no output has appeared for two turns, bounded.
const QUIET_TURNS = 2;
const MAX_TURNS = 200;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class TlsTunnel {
  private readonly out: Buffer[] = [];
  private readonly app: Buffer[] = [];
  private error: Error | undefined;
  private readonly wire: Duplex;
  private readonly socket: TLSSocket;
  private secure = false;

  constructor(context: SecureContext, requestCert: boolean) {
    this.wire = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        this.out.push(chunk);
        cb();
      },
    });
    // Certificate problems are not fatal inside OpenSSL: EAP-TLS checks `peerVerifyError` after
    // the handshake and answers with EAP-Failure.
    this.socket = new TLSSocket(this.wire, { isServer: true, secureContext: context, requestCert, rejectUnauthorized: false });
    this.socket.on('secure', () => { this.secure = true; });
    this.socket.on('data', (d: Buffer) => this.app.push(d));
    this.socket.on('error', (e: Error) => { this.error ??= e; });
  }

  get established(): boolean {
    return this.secure;
  }

  get version(): string | null {
    return this.socket.getProtocol();
  }

  /** Feeds the peer's TLS records; resolves with what the engine answered. */
  async feed(records: Buffer): Promise<TunnelOutput> {
    this.wire.push(records);
    return this.settle();
  }

  /** Encrypts application data for the peer. */
  async write(plain: Buffer): Promise<TunnelOutput> {
    this.socket.write(plain);
    return this.settle();
  }

  /**
   * RFC 5216 §2.3 / RFC 5281 §8 for TLS 1.2 (PRF of the master secret with `label`), RFC 9190
   * §2.3 / RFC 9427 §2.1 for TLS 1.3 (exporter with the EAP type as context): 128 bytes, MSK
   * first, EMSK last.
   */
  keyMaterial(eapType: number, tls12Label: string): Buffer {
    return this.version === 'TLSv1.3'
      ? this.socket.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.from([eapType]))
      : this.exporter(128, tls12Label);
  }

  /**
   * Exporter output without a context: in TLS 1.2 exactly PRF(master_secret, label, client_random
   * ‖ server_random), which the EAP RFCs ask for. Node's types demand a context, but an empty
   * one would change the TLS 1.2 result (RFC 5705 §4), so the call leaves it out.
   */
  exporter(length: number, label: string): Buffer {
    const exportWithoutContext = this.socket.exportKeyingMaterial as unknown as (this: TLSSocket, length: number, label: string) => Buffer;
    return exportWithoutContext.call(this.socket, length, label);
  }

  peerCertificate(): ReturnType<TLSSocket['getPeerX509Certificate']> {
    return this.socket.getPeerX509Certificate();
  }

  /**
   * OpenSSL's verdict on the client certificate chain (CA, dates, CRL), or a string when there
   * is none. A TLSSocket made outside a tls.Server does not set `authorized`, so this asks the
   * handle; if a Node version ever drops that method, every certificate fails (closed, not open).
   */
  peerVerifyError(): string | undefined {
    const handle = (this.socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
    if (typeof handle?.verifyError !== 'function') return 'CANNOT_VERIFY';
    const err = handle.verifyError() as (Error & { code?: string }) | null;
    return err ? (err.code ?? err.message) : undefined;
  }

  destroy(): void {
    this.socket.destroy();
    this.wire.destroy();
  }

  private async settle(): Promise<TunnelOutput> {
    let quiet = 0;
    let seen = this.out.length + this.app.length;
    for (let i = 0; i < MAX_TURNS && quiet < QUIET_TURNS; i++) {
      await turn();
      const now = this.out.length + this.app.length;
      quiet = now === seen ? quiet + 1 : 0;
      seen = now;
    }
    const records = Buffer.concat(this.out.splice(0));
    const app = this.app.length ? Buffer.concat(this.app.splice(0)) : null;
    return { records, app, ...(this.error ? { error: this.error } : {}) };
  }
}

// ------------------------------------------------------------------ fragmentation

export type Received =
  | { kind: 'message'; data: Buffer }
  /** A fragment with M: answer with an empty request. */
  | { kind: 'fragment' }
  /** The peer acknowledged one of our fragments: send the next. */
  | { kind: 'ack' }
  | { kind: 'error'; reason: string };

/** Reassembles the peer's TLS messages and splits ours (RFC 5216 §2.1.5, RFC 5281 §9.2.2). */
export class Fragmenter {
  private inbound: Buffer[] = [];
  private inboundSize = 0;
  private expected: number | undefined;
  private outbound: Buffer | undefined;

  constructor(private readonly limits: TlsLimits) {}

  receive(typeData: Buffer): Received {
    if (typeData.length < 1) return { kind: 'error', reason: 'TLS response without flags' };
    const flags = typeData[0] as number;
    let offset = 1;
    if (flags & FLAG_LENGTH) {
      if (typeData.length < 5) return { kind: 'error', reason: 'TLS Message Length missing' };
      const total = typeData.readUInt32BE(1);
      if (total > this.limits.maxMessage) return { kind: 'error', reason: `TLS message of ${total} bytes exceeds ${this.limits.maxMessage}` };
      if (this.inboundSize === 0) this.expected = total;
      offset = 5;
    }
    const payload = typeData.subarray(offset);
    if (this.outbound) {
      if (payload.length > 0) return { kind: 'error', reason: 'peer sent data while we were sending fragments' };
      return { kind: 'ack' };
    }
    this.inboundSize += payload.length;
    if (this.inboundSize > (this.expected ?? this.limits.maxMessage)) {
      return { kind: 'error', reason: 'TLS fragments exceed the announced or allowed length' };
    }
    this.inbound.push(payload);
    if (flags & FLAG_MORE) {
      if (payload.length === 0) return { kind: 'error', reason: 'empty fragment with the More flag' };
      return { kind: 'fragment' };
    }
    if (this.expected !== undefined && this.inboundSize !== this.expected) {
      return { kind: 'error', reason: `TLS message of ${this.inboundSize} bytes, ${this.expected} announced` };
    }
    const data = Buffer.concat(this.inbound);
    this.inbound = [];
    this.inboundSize = 0;
    this.expected = undefined;
    return { kind: 'message', data };
  }

  /** The first packet of a message (all of it if it fits). */
  send(message: Buffer): Buffer {
    this.outbound = message;
    return this.nextFragment(true);
  }

  /** The next fragment, after the peer's acknowledgement. */
  nextFragment(first = false): Buffer {
    const rest = this.outbound ?? Buffer.alloc(0);
    const size = this.limits.fragmentSize;
    if (rest.length <= size) {
      this.outbound = undefined;
      return Buffer.concat([Buffer.from([0]), rest]);
    }
    this.outbound = rest.subarray(size);
    // L on the first fragment only (RFC 5216 §2.1.5), M on all but the last.
    if (!first) return Buffer.concat([Buffer.from([FLAG_MORE]), rest.subarray(0, size)]);
    const header = Buffer.alloc(5);
    header[0] = FLAG_LENGTH | FLAG_MORE;
    header.writeUInt32BE(rest.length, 1);
    return Buffer.concat([header, rest.subarray(0, size)]);
  }
}

/** EAP-TLS Start (RFC 5216 §2.1.1); version bits 0: PEAPv0, TTLSv0. */
export const TLS_START = Buffer.from([FLAG_START]);
/** An empty request: acknowledges a fragment, or asks the peer to go on. */
export const TLS_ACK = Buffer.from([0]);

// ------------------------------------------------------------------ methods over TLS

export type InnerStep<P> =
  /** Plaintext for the tunnel (null: nothing to say, the peer is asked to go on). */
  | { send: Buffer | null; state: P | undefined }
  | { success: EapUser }
  | { failure: string }
  /** Phase 2 cannot go on now (a throttled check): the same input is given to it again later. */
  | { deferred: string };

/** What distinguishes EAP-TLS, TTLS and PEAP: the context, the key label and phase 2. */
export interface TunnelSpec<P> {
  type: number;
  name: string;
  /** TLS ≤ 1.2 label for the keys (RFC 5216, RFC 5281, PEAP). */
  keyLabel: string;
  context(ctx: EapContext): SecureContext | undefined;
  requestCert: boolean;
  /**
   * Called once the handshake is done: the first time with `p` undefined, then after each of
   * the peer's messages. `data` is its decrypted application data, null for an empty response.
   */
  inner(p: P | undefined, data: Buffer | null, t: TlsTunnel, ctx: EapContext): Promise<InnerStep<P>>;
}

export interface TunnelState<P> {
  tunnel: TlsTunnel;
  frag: Fragmenter;
  inner: P | undefined;
  /**
   * A deferred phase 2 step: the peer's response it answers, and what the tunnel made of it. TLS
   * records cannot be fed twice, so the retransmission reruns phase 2 on these instead.
   */
  deferred?: { typeData: Buffer; data: Buffer | null; prefix: Buffer };
}

/** Builds an EapMethod from a TunnelSpec. */
export function tunnelMethod<P>(spec: TunnelSpec<P>): EapMethod<TunnelState<P>> {
  const sendRecords = (s: TunnelState<P>, records: Buffer): Step<TunnelState<P>> => ({ send: s.frag.send(records), state: s });

  const runInner = async (s: TunnelState<P>, typeData: Buffer, data: Buffer | null, prefix: Buffer, ctx: EapContext): Promise<Step<TunnelState<P>>> => {
    const r = await spec.inner(s.inner, data, s.tunnel, ctx);
    if ('failure' in r) return r;
    if ('deferred' in r) {
      s.deferred = { typeData: Buffer.from(typeData), data, prefix };
      return r;
    }
    if ('success' in r) {
      return { success: { user: r.success, msk: s.tunnel.keyMaterial(spec.type, spec.keyLabel).subarray(0, 64) } };
    }
    s.inner = r.state;
    if (!r.send) return sendRecords(s, prefix);
    const enc = await s.tunnel.write(r.send);
    if (enc.error) return { failure: `tls: ${enc.error.message}` };
    return sendRecords(s, Buffer.concat([prefix, enc.records]));
  };

  return {
    type: spec.type,
    name: spec.name,
    start(ctx) {
      const context = spec.context(ctx);
      if (!context) return { failure: `${spec.name} is not set up for tenant ${ctx.tenant.id}` };
      const s: TunnelState<P> = {
        tunnel: new TlsTunnel(context, spec.requestCert), frag: new Fragmenter(ctx.limits), inner: undefined,
      };
      return { send: TLS_START, state: s };
    },
    async next(s, typeData, ctx) {
      if (s.deferred) {
        const d = s.deferred;
        s.deferred = undefined;
        if (!d.typeData.equals(typeData)) return { failure: 'the response changed while its check was deferred' };
        return runInner(s, typeData, d.data, d.prefix, ctx);
      }
      const r = s.frag.receive(typeData);
      if (r.kind === 'error') return { failure: r.reason };
      if (r.kind === 'fragment') return { send: TLS_ACK, state: s };
      if (r.kind === 'ack') return { send: s.frag.nextFragment(), state: s };
      if (!s.tunnel.established) {
        if (r.data.length === 0) return { failure: 'empty TLS response during the handshake' };
        const out = await s.tunnel.feed(r.data);
        if (out.error) return { failure: `tls: ${out.error.message}` };
        if (!s.tunnel.established) return sendRecords(s, out.records);
        ctx.log.debug({ event: 'eap.tls.established', method: spec.name, version: s.tunnel.version }, 'TLS handshake done');
        // TLS 1.2: our Finished goes out alone and phase 2 starts on the peer's answer (as hostapd
        // does). TLS 1.3: phase 2 rides with the tickets (RFC 9190 §2.1.1 and §2.5).
        if (out.records.length > 0 && !out.app && s.tunnel.version !== 'TLSv1.3') return sendRecords(s, out.records);
        return runInner(s, typeData, out.app, out.records, ctx);
      }
      const out: TunnelOutput = r.data.length ? await s.tunnel.feed(r.data) : { records: Buffer.alloc(0), app: null };
      if (out.error) return { failure: `tls: ${out.error.message}` };
      return runInner(s, typeData, out.app, out.records, ctx);
    },
    dispose(s) {
      s.tunnel.destroy();
    },
  };
}
