// tenantdir sessions --tenant T [--user U] [--active] [--limit N] [--json]: RADIUS accounting as
// sessions, the most recently active first: who, through which NAS and station, since when, for
// how long, how much, and why it stopped.
import type { Command } from 'commander';
import type { SessionList } from '../../admin/api.ts';
import { ApiClient } from '../client.ts';
import { print, printTable } from '../output.ts';
import { apiCommand, clientFor, integer, type ApiOptions } from './common.ts';

interface SessionOptions extends ApiOptions {
  user?: string;
  active?: boolean;
  limit: number;
}

/** 3725 → `1h02m05s`; 65 → `1m05s`; 9 → `9s`. */
function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${pad(m)}m${pad(s)}s` : m > 0 ? `${m}m${pad(s)}s` : `${s}s`;
}

/** Octets in binary units: 1536 → `1.5 KiB`. */
function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function sessionsCommand(program: Command): void {
  apiCommand(program, 'sessions', 'RADIUS accounting as sessions, the most recently active first')
    .option('--user <uid>', 'only this user\'s sessions (as accounting names the user, exact)')
    .option('--active', 'only active sessions: no stop, and a record from the NAS within the last day')
    .option('--limit <n>', 'at most this many', integer(1, 1000), 100)
    .action(async (o: SessionOptions) => {
      const r = await clientFor(o).request<SessionList>('GET', ApiClient.tenantPath(o.tenant, 'sessions'), {
        query: { user: o.user, active: o.active, limit: o.limit },
      });
      print(o.json, r.items, () => printTable(
        ['user', 'nas', 'station', 'framed ip', 'started', 'duration', 'in', 'out', 'state'],
        r.items.map((s) => [
          s.user, s.nas, s.callingStationId, s.framedAddress, s.startedAt, duration(s.duration),
          bytes(s.inputOctets), bytes(s.outputOctets), s.active ? 'active' : (s.stopCause ?? (s.stoppedAt ? 'stopped' : 'quiet')),
        ]),
      ));
    });
}
