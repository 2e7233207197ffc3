// EAP packets (RFC 3748 §4): code, identifier, length, and for requests and responses a type.
// Methods see only their type-data; the server and PEAP's tunnel add the header.

export const EAP_CODE = { request: 1, response: 2, success: 3, failure: 4 } as const;

export const EAP_TYPE = {
  identity: 1, nak: 3, md5: 4, tls: 13, ttls: 21, peap: 25, mschapv2: 26, tlv: 33,
} as const;

/** The largest EAP packet accepted from a peer: a reassembled TLS message is bounded separately. */
const MAX_EAP_PACKET = 4096;

export interface EapPacket {
  code: number;
  id: number;
  /** Present for requests and responses. */
  type?: number;
  /** The bytes after the type (requests, responses) or after the header (success, failure). */
  data: Buffer;
}

/** Parses one EAP packet; undefined for anything malformed (the caller rejects the conversation). */
export function parseEap(buf: Buffer): EapPacket | undefined {
  if (buf.length < 4 || buf.length > MAX_EAP_PACKET) return undefined;
  const code = buf[0] as number;
  const id = buf[1] as number;
  const length = buf.readUInt16BE(2);
  // RFC 3748 §4.1: octets beyond Length are padding and ignored; fewer than Length is an error.
  if (length < 4 || length > buf.length) return undefined;
  if (code === EAP_CODE.success || code === EAP_CODE.failure) {
    return { code, id, data: buf.subarray(4, length) };
  }
  if ((code !== EAP_CODE.request && code !== EAP_CODE.response) || length < 5) return undefined;
  return { code, id, type: buf[4] as number, data: buf.subarray(5, length) };
}

export function buildEap(code: number, id: number, type?: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const header = type === undefined ? 4 : 5;
  const out = Buffer.alloc(header + data.length);
  out[0] = code;
  out[1] = id & 0xff;
  out.writeUInt16BE(out.length, 2);
  if (type !== undefined) out[4] = type;
  data.copy(out, header);
  return out;
}

export const eapSuccess = (id: number): Buffer => buildEap(EAP_CODE.success, id);
export const eapFailure = (id: number): Buffer => buildEap(EAP_CODE.failure, id);
