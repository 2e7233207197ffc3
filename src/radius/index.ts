// RADIUS: the front the daemon wires and the EAP seam it calls (src/eap implements it).
// MS-CHAPv2 crypto is in core, shared with EAP.
export { RadiusFront, type RadiusDirectory, type RadiusFrontOptions } from './front.ts';
export type { EapExchange, EapHandler, EapOutcome } from './eap-hook.ts';
export type { DropReason, RadiusStats } from './stats.ts';
export { VENDOR_TEMPLATES } from './replies.ts';
