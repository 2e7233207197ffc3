// Accounting-Request (RFC 2866) → AccountingRecord. The front stores it and answers only once the
// store has accepted it: an outage means silence, so the NAS retries or fails over.
import type { TenantDirectory } from '../directory/index.ts';
import { ATTR, type Packet } from './codec.ts';

// The store's record, as the directory takes it (fronts do not import the store).
export type AccountingRecord = Parameters<TenantDirectory['recordAccounting']>[0];

const STATUS: Record<number, AccountingRecord['statusType']> = { 1: 'start', 2: 'stop', 3: 'interim', 7: 'on', 8: 'off' };

const TERMINATE_CAUSE = [
  '', 'User-Request', 'Lost-Carrier', 'Lost-Service', 'Idle-Timeout', 'Session-Timeout', 'Admin-Reset', 'Admin-Reboot',
  'Port-Error', 'NAS-Error', 'NAS-Request', 'NAS-Reboot', 'Port-Unneeded', 'Port-Preempted', 'Port-Suspended',
  'Service-Unavailable', 'Callback', 'User-Error', 'Host-Request',
];

/** The status type, or undefined for one we do not keep (tunnel records, Failed). */
export function statusType(p: Packet): AccountingRecord['statusType'] | undefined {
  const v = p.integer(ATTR.AcctStatusType);
  return v === undefined ? undefined : STATUS[v];
}

/** Octets with their Gigawords (RFC 2869 5.1): counters past 4 GiB. */
function octets(p: Packet, low: number, high: number): number | undefined {
  const l = p.integer(low);
  return l === undefined ? undefined : (p.integer(high) ?? 0) * 2 ** 32 + l;
}

function ipv6(p: Packet, type: number): string | undefined {
  const v = p.get(type);
  if (v?.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(v.readUInt16BE(i).toString(16));
  return groups.join(':');
}

export function accountingRecord(p: Packet, o: { status: AccountingRecord['statusType']; user: string | undefined; nas: string; source: string; now: Date }): AccountingRecord {
  const delay = p.integer(ATTR.AcctDelayTime) ?? 0;
  const cause = p.integer(ATTR.AcctTerminateCause);
  const fields: Partial<AccountingRecord> = {
    user: o.user,
    framedAddress: p.ipv4(ATTR.FramedIpAddress) ?? ipv6(p, ATTR.FramedIpv6Address),
    callingStationId: p.string(ATTR.CallingStationId),
    calledStationId: p.string(ATTR.CalledStationId),
    inputOctets: octets(p, ATTR.AcctInputOctets, ATTR.AcctInputGigawords),
    outputOctets: octets(p, ATTR.AcctOutputOctets, ATTR.AcctOutputGigawords),
    sessionTime: p.integer(ATTR.AcctSessionTime),
    terminateCause: cause === undefined ? undefined : TERMINATE_CAUSE[cause] || String(cause),
  };
  return {
    // Acct-Delay-Time: how long the NAS has been trying to send this; the event is that old.
    at: new Date(o.now.getTime() - delay * 1000),
    sessionId: p.string(ATTR.AcctSessionId) ?? '',
    statusType: o.status,
    nas: o.nas,
    nasAddress: p.ipv4(ATTR.NasIpAddress) ?? ipv6(p, ATTR.NasIpv6Address) ?? o.source,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
  };
}
