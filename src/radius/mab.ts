// MAC authentication bypass: a switch or access point asks for a device that cannot do 802.1X
// (a printer, a camera, a phone), naming the device's MAC. Which Access-Requests are MAB —
// whatever the tenant allows, since a MAC is nobody's password — and what the directory says of
// the MAC. Each NAS has a budget of its own for them: they hash nothing, and they never spend
// the credential verifier's buckets, which the NAS's users share.
import { createHash } from 'node:crypto';
import type { TenantConfig } from '../config/index.ts';
import { macSpellings, parseMac } from '../core/mac.ts';
import type { Actor, TenantDirectory } from '../directory/index.ts';
import { ATTR, decryptUserPassword, type Packet } from './codec.ts';

/** Service-Type = Call-Check (RFC 2865 5.6): what Cisco, Dell and Meraki (ISE mode) send for MAB. */
const CALL_CHECK = 10;
/** CHAP-Password: the CHAP ident and a 16-byte MD5 response (RFC 2865 5.3). */
const CHAP_LENGTH = 17;

/** How the NAS spelled the request; `mac` is undefined when a Call-Check names no MAC. */
export interface MabRequest {
  shape: 'call-check' | 'pap' | 'chap';
  mac: string | undefined;
}

/**
 * A MAB request: Service-Type = Call-Check, or a User-Name that is a MAC with that MAC (in any
 * spelling) as its PAP password or CHAP secret — what Aruba, UniFi, Meraki, Huawei and most
 * others send. `name`: the User-Name as looked up (realm stripped).
 */
export function mabRequest(p: Packet, name: string, secret: string): MabRequest | undefined {
  const mac = parseMac(name);
  if (p.integer(ATTR.ServiceType) === CALL_CHECK) return { shape: 'call-check', mac };
  if (mac === undefined) return undefined;
  const hidden = p.get(ATTR.UserPassword);
  if (hidden) {
    const password = decryptUserPassword(hidden, secret, p.authenticator);
    return password !== undefined && parseMac(password) === mac ? { shape: 'pap', mac } : undefined;
  }
  const chap = p.get(ATTR.ChapPassword);
  if (chap?.length === CHAP_LENGTH) {
    const challenge = p.get(ATTR.ChapChallenge) ?? p.authenticator;
    if ([name, ...macSpellings(mac)].some((s) => chapMatches(chap, challenge, s))) return { shape: 'chap', mac };
  }
  return undefined;
}

/** RFC 1994: the response is MD5(ident ‖ secret ‖ challenge). */
function chapMatches(chap: Buffer, challenge: Buffer, secret: string): boolean {
  const response = createHash('md5').update(chap.subarray(0, 1)).update(secret, 'utf8').update(challenge).digest();
  return response.equals(chap.subarray(1));
}

/** A take from the NAS's MAB budget (directory TokenBuckets): only the first refusal of a run is audited. */
export type MabAdmission = 'ok' | 'first-refusal' | 'refused';

export type MabVerdict =
  /** A registered device and every group it is in (nested too). */
  | { kind: 'device'; mac: string; groups: string[] }
  /** An unregistered MAC, admitted to the tenant's radius.mab.unknownVlan. */
  | { kind: 'quarantine'; mac: string; vlan: number }
  | { kind: 'rejected'; reason: string; message?: string };

export interface MabContext {
  request: MabRequest;
  packet: Packet;
  tenant: TenantConfig;
  directory: Pick<TenantDirectory, 'audit' | 'authenticateDevice'>;
  actor: Actor;
  admit(): MabAdmission;
}

const REFUSALS = {
  'mab-disabled': 'MAC authentication bypass is not enabled for this organisation',
  'not-a-mac': 'Service-Type Call-Check (MAC authentication bypass) needs the MAC address as User-Name',
  'mab-over-eap': 'MAC authentication bypass over EAP-MD5 is not supported: configure the NAS to send it as PAP or CHAP',
} as const;

/** Every outcome is audited as radius.mab: refusals here, lookups by the directory. */
export async function decideMab(c: MabContext): Promise<MabVerdict> {
  const refused = async (reason: keyof typeof REFUSALS | 'throttled', audit = true): Promise<MabVerdict> => {
    if (audit) await c.directory.audit(c.actor, 'radius.mab', c.request.mac ?? c.packet.string(ATTR.UserName), 'refused', { reason, shape: c.request.shape });
    return reason === 'throttled' ? { kind: 'rejected', reason } : { kind: 'rejected', reason, message: REFUSALS[reason] };
  };
  if (!c.tenant.radius.mab.enabled) return refused('mab-disabled');
  if (c.request.mac === undefined) return refused('not-a-mac');
  if (c.packet.has(ATTR.EapMessage)) return refused('mab-over-eap');
  const admitted = c.admit();
  if (admitted !== 'ok') return refused('throttled', admitted === 'first-refusal');
  const r = await c.directory.authenticateDevice(c.request.mac, c.actor);
  if (r.ok) return { kind: 'device', mac: r.device.mac, groups: r.groups };
  if (r.quarantineVlan !== undefined) return { kind: 'quarantine', mac: c.request.mac, vlan: r.quarantineVlan };
  return { kind: 'rejected', reason: r.reason };
}
