// EAP-Message framing (RFC 3579 3.1): an EAP packet longer than one attribute travels as
// consecutive EAP-Message attributes of at most 253 bytes each, to be joined in order.

export const MAX_ATTRIBUTE_VALUE = 253;

export function splitEapMessage(eap: Uint8Array): Buffer[] {
  const parts: Buffer[] = [];
  for (let i = 0; i < eap.length; i += MAX_ATTRIBUTE_VALUE) parts.push(Buffer.from(eap.subarray(i, i + MAX_ATTRIBUTE_VALUE)));
  return parts;
}

export function joinEapMessage(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}
