// RADIUS: the front the daemon wires, and the pieces EAP reuses (RFC 2548 MPPE key encryption,
// EAP-Message splitting, MS-CHAPv2 crypto).
export { RadiusFront, type RadiusFrontOptions } from './front.ts';
export type { EapExchange, EapHandler, EapOutcome } from './eap-hook.ts';
export type { DropReason, RadiusStats } from './stats.ts';
export { encryptMppeKey, decryptMppeKey } from './mppe.ts';
export { joinEapMessage, splitEapMessage, MAX_ATTRIBUTE_VALUE } from './eap-message.ts';
export { authenticatorResponse, checkNtResponse, generateNtResponse, serverMppeKeys } from './mschapv2.ts';
export { VENDOR_TEMPLATES } from './replies.ts';
