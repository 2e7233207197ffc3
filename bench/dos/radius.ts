// A RADIUS client for the probes, on the `radius` package's encoder: one UDP socket bound to a NAS
// address, requests matched to answers by identifier, every wait bounded.
import { createSocket, type Socket } from 'node:dgram';
import radius from 'radius';

export interface Nas {
  address: string;
  secret: string;
}

export const CODE = { accept: 2, reject: 3, challenge: 11 } as const;
/** RFC 2865: no packet is longer. */
export const MAX_RADIUS = 4096;

type Attribute = [string, string | Buffer];

/** An Access-Request with Message-Authenticator (every tenant here requires it). */
export function accessRequest(nas: Nas, id: number, attributes: Attribute[]): Buffer {
  return radius.encode({
    code: 'Access-Request', secret: nas.secret, identifier: id, add_message_authenticator: true,
    attributes: [['NAS-IP-Address', nas.address], ...attributes],
  });
}

export const pap = (user: string, password: string, callingStation = '02-00-00-00-00-01'): Attribute[] =>
  [['User-Name', user], ['User-Password', password], ['Calling-Station-Id', callingStation]];

/** The first round of 802.1X: EAP-Response/Identity, as an access point relays it. */
export function eapIdentity(identity: string, callingStation: string): Attribute[] {
  const name = Buffer.from(identity);
  const eap = Buffer.concat([Buffer.from([2, 1, 0, 5 + name.length, 1]), name]);
  return [['User-Name', identity], ['EAP-Message', eap], ['Calling-Station-Id', callingStation]];
}

export interface Reply {
  code: number;
  bytes: number;
  ms: number;
}

export class RadiusClient {
  /** Answers to requests sent with send() (no one waits for them), by code. */
  readonly unmatched = new Map<number, number>();
  private readonly pending = new Map<number, (r: Reply) => void>();
  private nextId = 0;

  private constructor(private readonly socket: Socket, readonly nas: Nas, private readonly port: number) {
    socket.on('message', (msg) => {
      const resolve = this.pending.get(msg[1]!);
      if (resolve) resolve({ code: msg[0]!, bytes: msg.length, ms: 0 });
      else this.unmatched.set(msg[0]!, (this.unmatched.get(msg[0]!) ?? 0) + 1);
    });
  }

  static open(nas: Nas, port: number): Promise<RadiusClient> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, nas.address, () => {
        socket.setRecvBufferSize(4 * 1024 * 1024);
        resolve(new RadiusClient(socket, nas, port));
      });
    });
  }

  /** Sends without waiting; the identifier cycles through those no request() holds. */
  send(attributes: Attribute[]): void {
    this.socket.send(accessRequest(this.nas, this.freeId(), attributes), this.port, '127.0.0.1');
  }

  /** One request and its answer, or undefined after `timeoutMs` (one try, no retransmission). */
  request(attributes: Attribute[], timeoutMs = 20_000): Promise<Reply | undefined> {
    const id = this.freeId();
    const t0 = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (r: Reply | undefined) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(r && { ...r, ms: performance.now() - t0 });
      };
      this.pending.set(id, finish);
      this.socket.send(accessRequest(this.nas, id, attributes), this.port, '127.0.0.1');
    });
  }

  close(): void {
    this.socket.close();
  }

  private freeId(): number {
    for (let i = 0; i < 256; i++) {
      const id = (this.nextId + i) % 256;
      if (!this.pending.has(id)) {
        this.nextId = id + 1;
        return id;
      }
    }
    throw new Error('256 requests outstanding on one RADIUS socket');
  }
}
