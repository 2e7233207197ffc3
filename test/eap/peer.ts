// A minimal EAP peer for tests that drive the EapServer directly (no RADIUS, no eapol_test):
// Node's TLS client over an in-memory stream, TTLS/PAP or EAP-TLS, with its own fragment size.
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { Duplex } from 'node:stream';
import type { EapExchange, EapOutcome, EapServer } from '../../src/eap/index.ts';
import { EAP_CODE, EAP_TYPE, buildEap, parseEap } from '../../src/eap/packet.ts';
import { Fragmenter, TLS_ACK } from '../../src/eap/tls-common.ts';

export const BASE_EXCHANGE: Omit<EapExchange, 'eapMessage' | 'state'> = {
  tenant: { id: 'acme', allowMschapv2: true, realms: ['acme.example'] },
  nas: { key: 'acme/ap-1', name: 'ap-1', source: '127.0.0.1' },
  authenticate: async (uid, proof) => (uid === 'alice' && 'password' in proof && proof.password === 'Correct-Horse-9'
    ? { ok: true, user: { uid: 'alice', enabled: true } }
    : { ok: false, reason: 'bad-password' }),
  getUser: async (uid) => (uid === 'alice' ? { uid: 'alice', enabled: true } : undefined),
};

class ClientTunnel {
  readonly socket: TLSSocket;
  private readonly out: Buffer[] = [];
  readonly app: Buffer[] = [];
  private readonly wire: Duplex;
  secure = false;

  constructor(o: ConnectionOptions) {
    this.wire = new Duplex({ read() {}, write: (c: Buffer, _e, cb) => { this.out.push(c); cb(); } });
    this.socket = connect({ ...o, socket: this.wire });
    this.socket.on('secureConnect', () => { this.secure = true; });
    this.socket.on('data', (d: Buffer) => this.app.push(d));
    this.socket.on('error', () => {});
  }

  async feed(records: Buffer | undefined, write?: Buffer): Promise<Buffer> {
    if (records?.length) this.wire.push(records);
    if (write) this.socket.write(write);
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
    return Buffer.concat(this.out.splice(0));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Diameter AVP (RFC 5281 §10.1), no vendor: what TTLS/PAP sends. */
export function avp(code: number, data: Buffer, flags = 0x40): Buffer {
  const length = 8 + data.length;
  const out = Buffer.alloc((length + 3) & ~3);
  out.writeUInt32BE(code, 0);
  out[4] = flags;
  out.writeUIntBE(length, 5, 3);
  data.copy(out, 8);
  return out;
}

export function papAvps(user: string, password: string): Buffer {
  return Buffer.concat([avp(1, Buffer.from(user)), avp(2, Buffer.from(password))]);
}

export interface PeerOptions {
  type: number;
  tls: ConnectionOptions;
  /** Sent through the tunnel once it is up (TTLS phase 2). */
  app?: Buffer;
  fragmentSize?: number;
  exchange?: Partial<EapExchange>;
  identity?: string;
  /** Runs before each of the peer's responses (a test's other traffic, interleaved). */
  between?: () => Promise<void>;
}

export interface PeerResult {
  outcome: EapOutcome;
  /** The MSK as the client derives it (RFC 5216 / 5281 / 9190 / 9427), to compare with the server's. */
  clientMsk: Buffer | undefined;
  version: string | null;
  rounds: number;
  /** Responses the server dropped (deferred steps), each retransmitted as a NAS would. */
  drops: number;
}

const TLS12_LABEL: Record<number, string> = { [EAP_TYPE.tls]: 'client EAP encryption', [EAP_TYPE.peap]: 'client EAP encryption', [EAP_TYPE.ttls]: 'ttls keying material' };

function clientMsk(socket: TLSSocket, type: number): Buffer | undefined {
  if (!socket.getProtocol()) return undefined;
  const f = socket.exportKeyingMaterial as unknown as (this: TLSSocket, length: number, label: string, context?: Buffer) => Buffer;
  const km = socket.getProtocol() === 'TLSv1.3'
    ? f.call(socket, 128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.from([type]))
    : f.call(socket, 128, TLS12_LABEL[type] ?? '');
  return km.subarray(0, 64);
}

/** Runs one whole conversation; bounded to 200 round trips. A dropped response is sent again, as a NAS does. */
export async function converse(server: EapServer, o: PeerOptions): Promise<PeerResult> {
  const base = { ...BASE_EXCHANGE, ...o.exchange };
  let drops = 0;
  const handle = async (x: EapExchange): Promise<EapOutcome> => {
    await o.between?.();
    let outcome = await server.handle(x);
    for (let i = 0; i < 10 && outcome.kind === 'drop'; i++) {
      drops++;
      outcome = await server.handle(x);
    }
    return outcome;
  };
  const frag = new Fragmenter({ fragmentSize: o.fragmentSize ?? 1000, maxMessage: 1 << 20 });
  let client: ClientTunnel | undefined;
  let appSent = false;
  let outcome = await handle({ ...base, eapMessage: buildEap(EAP_CODE.response, 1, EAP_TYPE.identity, Buffer.from(o.identity ?? 'anonymous@acme')), state: undefined });
  let rounds = 0;
  let msk: Buffer | undefined;
  let version: string | null = null;
  try {
    for (; rounds < 200 && outcome.kind === 'challenge'; rounds++) {
      const req = parseEap(outcome.eapMessage);
      if (!req) throw new Error('server sent a malformed EAP packet');
      let data: Buffer;
      if (req.type !== o.type) {
        data = Buffer.from([o.type]);
        outcome = await handle({ ...base, eapMessage: buildEap(EAP_CODE.response, req.id, EAP_TYPE.nak, data), state: outcome.state });
        continue;
      }
      const r = frag.receive(req.data);
      if (r.kind === 'error') throw new Error(r.reason);
      if (r.kind === 'fragment') data = TLS_ACK;
      else if (r.kind === 'ack') data = frag.nextFragment();
      else {
        client ??= new ClientTunnel(o.tls);
        let records = await client.feed(r.data);
        if (client.secure && o.app && !appSent) {
          appSent = true;
          records = Buffer.concat([records, await client.feed(undefined, o.app)]);
        }
        data = frag.send(records);
      }
      outcome = await handle({ ...base, eapMessage: buildEap(EAP_CODE.response, req.id, o.type, data), state: outcome.state });
    }
    if (client?.secure) {
      msk = clientMsk(client.socket, o.type);
      version = client.socket.getProtocol();
    }
  } finally {
    client?.destroy();
  }
  return { outcome, rounds, version, clientMsk: msk, drops };
}
