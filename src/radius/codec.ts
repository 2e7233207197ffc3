// RADIUS wire format (RFC 2865/2866/3579/5997). The only file that imports the `radius`
// library, and it uses it for one thing: turning attribute names from the dictionaries (RFC and
// our vendor file) into bytes, so operators can name any attribute in tenant config. Framing,
// validation, User-Password hiding and every authenticator are ours: the library checks
// Message-Authenticator with a string compare, accepts truncated attributes, keeps
// per-call state in module globals and would send salt-encrypted attributes in plaintext.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import radius from 'radius';

radius.add_dictionary(fileURLToPath(new URL('./dictionary.tenantdir', import.meta.url)));
radius.load_dictionaries();

export const CODE = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
} as const;

export const ATTR = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  ServiceType: 6,
  FramedIpAddress: 8,
  ReplyMessage: 18,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  AcctStatusType: 40,
  AcctDelayTime: 41,
  AcctInputOctets: 42,
  AcctOutputOctets: 43,
  AcctSessionId: 44,
  AcctSessionTime: 46,
  AcctTerminateCause: 49,
  AcctInputGigawords: 52,
  AcctOutputGigawords: 53,
  ChapChallenge: 60,
  TunnelType: 64,
  TunnelMediumType: 65,
  EapMessage: 79,
  MessageAuthenticator: 80,
  TunnelPrivateGroupId: 81,
  NasIpv6Address: 95,
  FramedIpv6Address: 168,
} as const;

export const VENDOR_MICROSOFT = 311;
export const MS = {
  ChapResponse: 1,
  ChapError: 2,
  MppeEncryptionPolicy: 7,
  MppeEncryptionTypes: 8,
  ChapChallenge: 11,
  MppeSendKey: 16,
  MppeRecvKey: 17,
  Chap2Response: 25,
  Chap2Success: 26,
} as const;

/** RFC 2865: a packet is 20 to 4096 bytes. */
export const MAX_PACKET = 4096;
const HEADER = 20;
const MA_LENGTH = 16;

export interface Attribute {
  type: number;
  value: Buffer;
}

export interface VendorAttribute {
  vendor: number;
  type: number;
  value: Buffer;
}

export type MalformedReason = 'too-short' | 'oversized' | 'bad-length' | 'bad-attribute';

/** A packet whose framing is valid; nothing in it is authenticated yet. */
export class Packet {
  constructor(
    readonly code: number,
    readonly identifier: number,
    readonly authenticator: Buffer,
    /** Exactly the Length octets of the datagram (trailing padding removed). */
    readonly bytes: Buffer,
    readonly attributes: readonly Attribute[],
  ) {}

  get(type: number): Buffer | undefined {
    return this.attributes.find((a) => a.type === type)?.value;
  }

  all(type: number): Buffer[] {
    return this.attributes.filter((a) => a.type === type).map((a) => a.value);
  }

  has(type: number): boolean {
    return this.attributes.some((a) => a.type === type);
  }

  string(type: number): string | undefined {
    return this.get(type)?.toString('utf8');
  }

  /** A 4-byte integer attribute; undefined when absent or of the wrong size. */
  integer(type: number): number | undefined {
    const v = this.get(type);
    return v?.length === 4 ? v.readUInt32BE(0) : undefined;
  }

  ipv4(type: number): string | undefined {
    const v = this.get(type);
    return v?.length === 4 ? [...v].join('.') : undefined;
  }

  /** The first vendor attribute of this vendor and type, from well-formed VSAs only. */
  vendor(vendor: number, type: number): Buffer | undefined {
    for (const a of this.attributes) {
      if (a.type !== ATTR.VendorSpecific) continue;
      const hit = vendorAttributes(a.value).find((v) => v.vendor === vendor && v.type === type);
      if (hit) return hit.value;
    }
    return undefined;
  }
}

/** The sub-attributes of one Vendor-Specific value in the RFC 2865 layout; [] when another layout. */
export function vendorAttributes(value: Buffer): VendorAttribute[] {
  if (value.length < 6) return [];
  const vendor = value.readUInt32BE(0);
  const out: VendorAttribute[] = [];
  for (let i = 4; i < value.length;) {
    const length = value[i + 1];
    if (length === undefined || length < 2 || i + length > value.length) return [];
    out.push({ vendor, type: value[i]!, value: value.subarray(i + 2, i + length) });
    i += length;
  }
  return out;
}

/** Checks the framing: header, Length, and every attribute's length within it. */
export function parsePacket(datagram: Buffer): { ok: true; packet: Packet } | { ok: false; reason: MalformedReason } {
  if (datagram.length < HEADER) return { ok: false, reason: 'too-short' };
  if (datagram.length > MAX_PACKET) return { ok: false, reason: 'oversized' };
  const length = datagram.readUInt16BE(2);
  // Octets past Length are padding (RFC 2865 3); a Length past the datagram is a truncation.
  if (length < HEADER || length > datagram.length) return { ok: false, reason: 'bad-length' };
  const bytes = datagram.subarray(0, length);
  const attributes: Attribute[] = [];
  for (let i = HEADER; i < length;) {
    const attrLength = bytes[i + 1];
    if (attrLength === undefined || attrLength < 2 || i + attrLength > length) return { ok: false, reason: 'bad-attribute' };
    attributes.push({ type: bytes[i]!, value: bytes.subarray(i + 2, i + attrLength) });
    i += attrLength;
  }
  if (attributes.some((a) => a.type === ATTR.MessageAuthenticator && a.value.length !== MA_LENGTH)) {
    return { ok: false, reason: 'bad-attribute' };
  }
  return { ok: true, packet: new Packet(bytes[0]!, bytes[1]!, Buffer.from(bytes.subarray(4, HEADER)), bytes, attributes) };
}

// ---------------------------------------------------------------- authenticators

function md5(...parts: (Uint8Array | string)[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

function hmacMd5(key: string, data: Uint8Array): Buffer {
  return createHmac('md5', key).update(data).digest();
}

/** Offset of the Message-Authenticator value in the packet bytes, or -1. */
function messageAuthenticatorOffset(bytes: Buffer): number {
  for (let i = HEADER; i + 1 < bytes.length;) {
    if (bytes[i] === ATTR.MessageAuthenticator) return i + 2;
    i += bytes[i + 1]!;
  }
  return -1;
}

/**
 * RFC 3579 3.2 / RFC 5080 2.2.1: HMAC-MD5 over the packet with the Message-Authenticator zeroed;
 * `authenticator` is what the Authenticator field holds for the computation (the Request
 * Authenticator of Access-Request, Status-Server and of every response; zeros for accounting).
 * Compared in constant time. False when the attribute is absent.
 */
export function verifyMessageAuthenticator(packet: Packet, secret: string, authenticator: Uint8Array = packet.authenticator): boolean {
  const at = messageAuthenticatorOffset(packet.bytes);
  if (at < 0) return false;
  const copy = Buffer.from(packet.bytes);
  Buffer.from(authenticator).copy(copy, 4);
  copy.fill(0, at, at + MA_LENGTH);
  return timingSafeEqual(hmacMd5(secret, copy), packet.bytes.subarray(at, at + MA_LENGTH));
}

/** RFC 2866 3: an Accounting-Request's authenticator is MD5(packet with zeros there ‖ secret). */
export function verifyAccountingAuthenticator(packet: Packet, secret: string): boolean {
  const copy = Buffer.from(packet.bytes);
  copy.fill(0, 4, HEADER);
  return timingSafeEqual(md5(copy, secret), packet.authenticator);
}

/** RFC 2865 5.2: recovers a User-Password; trailing NULs (padding some supplicants keep) are cut. */
export function decryptUserPassword(value: Buffer, secret: string, authenticator: Uint8Array): string | undefined {
  if (value.length < 16 || value.length > 128 || value.length % 16 !== 0) return undefined;
  const out = Buffer.alloc(value.length);
  let previous: Uint8Array = authenticator;
  for (let i = 0; i < value.length; i += 16) {
    const b = md5(secret, previous);
    for (let j = 0; j < 16; j++) out[i + j] = value[i + j]! ^ b[j]!;
    previous = value.subarray(i, i + 16);
  }
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return out.subarray(0, end).toString('utf8');
}

export function encryptUserPassword(password: string, secret: string, authenticator: Uint8Array): Buffer {
  const plain = Buffer.from(password, 'utf8');
  const out = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(out);
  let previous: Uint8Array = authenticator;
  for (let i = 0; i < out.length; i += 16) {
    const b = md5(secret, previous);
    for (let j = 0; j < 16; j++) out[i + j] = out[i + j]! ^ b[j]!;
    previous = out.subarray(i, i + 16);
  }
  return out;
}

// ---------------------------------------------------------------- encoding

/**
 * An attribute to send: by dictionary name (value as text or number, an optional RFC 2868 tag),
 * or raw bytes by number, optionally inside a Vendor-Specific.
 */
export type OutAttribute =
  | { name: string; value: string | number; tag?: number }
  | { type: number; value: Buffer; vendor?: number };

const VENDOR_IDS = ['Microsoft', 'Aruba', 'Mikrotik'].map((n) => Number(radius.vendor_name_to_id(n)));

type LibAttribute = [string | number, ...unknown[]];

function toLibrary(a: Extract<OutAttribute, { name: string }>): LibAttribute {
  if (radius.attr_name_to_id(a.name) !== undefined) return a.tag === undefined ? [a.name, a.value] : [a.name, a.tag, a.value];
  const vendor = VENDOR_IDS.find((v) => radius.attr_name_to_id(a.name, v) !== undefined);
  if (vendor === undefined) throw new Error(`unknown RADIUS attribute "${a.name}"`);
  return ['Vendor-Specific', vendor, [[a.name, a.value]]];
}

/** Type, length, value; inside a Vendor-Specific (RFC 2865 5.26 layout) when `vendor` is set. */
function encodeRaw(a: Extract<OutAttribute, { type: number }>): Buffer {
  const inner = Buffer.concat([Buffer.from([a.type, 2 + a.value.length]), a.value]);
  if (a.vendor === undefined) return inner;
  const vsa = Buffer.alloc(6);
  vsa[0] = ATTR.VendorSpecific;
  vsa[1] = 6 + inner.length;
  vsa.writeUInt32BE(a.vendor, 2);
  return Buffer.concat([vsa, inner]);
}

// Named attributes come from config and a few fixed texts, so their bytes are cached: the
// library then runs only on a miss (each call makes several deprecated `new Buffer`s, which
// Node checks by capturing a stack trace). Cleared when full rather than evicted one by one.
const NAMED_CACHE_LIMIT = 4096;
const namedBytes = new Map<string, Buffer>();

/**
 * One named attribute through the dictionaries, alone: radius 1.1.4's `encode_attributes` keeps
 * `has_tag` from the attribute before, so a packet-wide call adds a tag byte to whatever follows
 * a tagged attribute (an EAP-Message after Tunnel-Private-Group-Id arrived corrupted).
 */
function encodeNamed(a: Extract<OutAttribute, { name: string }>): Buffer {
  const key = JSON.stringify([a.name, a.tag ?? null, a.value]);
  const hit = namedBytes.get(key);
  if (hit) return hit;
  // The library encodes a whole packet; the attribute is everything after the header.
  const packet: Buffer = radius.encode({
    code: 'Access-Accept', secret: '', identifier: 0, attributes: [toLibrary(a)], add_message_authenticator: false,
  });
  const bytes = Buffer.from(packet.subarray(HEADER));
  if (namedBytes.size >= NAMED_CACHE_LIMIT) namedBytes.clear();
  namedBytes.set(key, bytes);
  return bytes;
}

/** The wire bytes of attributes (no header), in order. Throws on a bad one. */
export function encodeAttributes(attributes: readonly OutAttribute[]): Buffer {
  return Buffer.concat(attributes.map((a) => {
    if ('name' in a) return encodeNamed(a);
    if (a.value.length > 253 - (a.vendor === undefined ? 0 : 6)) throw new RangeError(`attribute ${a.type} is longer than 253 bytes`);
    return encodeRaw(a);
  }));
}

/**
 * An attribute named in config, checked: the value as given, or (for an `octets` attribute such
 * as Class, which the library takes only as bytes) the text's UTF-8 bytes. A string says why not.
 */
export function namedAttribute(name: string, value: string | number): OutAttribute | string {
  const forms = [(): OutAttribute => ({ name, value }), (): OutAttribute => rawNamed(name, Buffer.from(String(value), 'utf8'))];
  let problem = '';
  for (const form of forms) {
    try {
      const attribute = form();
      encodeAttributes([attribute]);
      return attribute;
    } catch (e) {
      problem ||= e instanceof Error ? e.message : String(e);
    }
  }
  return problem;
}

/** A named attribute with a raw value: its number (and vendor) from the dictionaries. */
function rawNamed(name: string, value: Buffer): OutAttribute {
  const id = radius.attr_name_to_id(name);
  if (id !== undefined) return { type: Number(id), value };
  const vendor = VENDOR_IDS.find((v) => radius.attr_name_to_id(name, v) !== undefined);
  if (vendor === undefined) throw new Error(`unknown RADIUS attribute "${name}"`);
  return { type: Number(radius.attr_name_to_id(name, vendor)), value, vendor };
}

const ZERO_MA = Buffer.from([ATTR.MessageAuthenticator, 2 + MA_LENGTH, ...Buffer.alloc(MA_LENGTH)]);

function frame(code: number, identifier: number, authenticator: Uint8Array, attributes: Buffer): Buffer {
  const length = HEADER + attributes.length;
  if (length > MAX_PACKET) throw new RangeError(`a RADIUS packet of ${length} bytes exceeds ${MAX_PACKET}`);
  const out = Buffer.alloc(length);
  out[0] = code;
  out[1] = identifier;
  out.writeUInt16BE(length, 2);
  Buffer.from(authenticator).copy(out, 4);
  attributes.copy(out, HEADER);
  return out;
}

/**
 * A response (Access-Accept/Reject/Challenge, Accounting-Response) to a request. Message-
 * Authenticator goes first (the Blast-RADIUS mitigation: a forged prefix cannot reach past it),
 * computed over the packet holding the Request Authenticator; then the Response Authenticator.
 * Proxy-State attributes are echoed, as RFC 2865 requires. Undefined when the response would be
 * longer than MAX_PACKET (a request's many Proxy-State and a long Access-Accept): the caller
 * decides what to send instead.
 */
export function encodeResponse(o: {
  code: number;
  request: Packet;
  secret: string;
  attributes: readonly OutAttribute[];
  messageAuthenticator?: boolean;
}): Buffer | undefined {
  const proxyState = o.request.all(ATTR.ProxyState).map((value) => ({ type: ATTR.ProxyState, value }));
  const body = encodeAttributes([...o.attributes, ...proxyState]);
  const withMa = o.messageAuthenticator ?? true;
  if (HEADER + (withMa ? ZERO_MA.length : 0) + body.length > MAX_PACKET) return undefined;
  const out = frame(o.code, o.request.identifier, o.request.authenticator, withMa ? Buffer.concat([ZERO_MA, body]) : body);
  if (withMa) hmacMd5(o.secret, out).copy(out, HEADER + 2);
  md5(out, o.secret).copy(out, 4);
  return out;
}

/**
 * A request, for test clients and the load generator: Access-Request and Status-Server get a
 * random authenticator (User-Password hidden with it), Accounting-Request the RFC 2866 one.
 */
export function encodeRequest(o: {
  code: number;
  identifier: number;
  secret: string;
  attributes: readonly OutAttribute[];
  password?: string;
  messageAuthenticator?: boolean;
  authenticator?: Buffer;
}): Buffer {
  const accounting = o.code === CODE.AccountingRequest;
  const authenticator = accounting ? Buffer.alloc(16) : o.authenticator ?? randomBytes(16);
  const hidden = o.password === undefined ? [] : [{ type: ATTR.UserPassword, value: encryptUserPassword(o.password, o.secret, authenticator) }];
  const body = encodeAttributes([...o.attributes, ...hidden]);
  const withMa = o.messageAuthenticator ?? false;
  const out = frame(o.code, o.identifier, authenticator, withMa ? Buffer.concat([ZERO_MA, body]) : body);
  if (withMa) hmacMd5(o.secret, out).copy(out, HEADER + 2);
  if (accounting) md5(out, o.secret).copy(out, 4);
  return out;
}

/** For clients: is this response authentic for that request (Response Authenticator and MA)? */
export function verifyResponse(response: Packet, request: Packet, secret: string): boolean {
  const copy = Buffer.from(response.bytes);
  request.authenticator.copy(copy, 4);
  if (!timingSafeEqual(md5(copy, secret), response.authenticator)) return false;
  return !response.has(ATTR.MessageAuthenticator) || verifyMessageAuthenticator(response, secret, request.authenticator);
}
