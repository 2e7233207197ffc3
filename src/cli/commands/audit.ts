// tenantdir audit tail --tenant T [--follow] [--json] [--user U] [--outcome O] [--action A] [--lines N]:
// the newest audit events, oldest first, one a line (JSON lines with --json); with --follow, then
// each new one as it is stored, through the admin API's event stream, resuming where it left
// off when the connection drops or the daemon restarts.
import { InvalidArgumentError, type Command } from 'commander';
import type { AuditEventJson, AuditQuery, AuditStreamQuery } from '../../admin/api.ts';
import { ApiClient, CliError, Unreachable, type ConnectionOptions } from '../client.ts';
import type { StreamMessage } from '../event-stream.ts';
import { apiCommand, clientFor, integer, type ApiOptions } from './common.ts';

interface TailOptions extends ApiOptions {
  follow?: boolean;
  user?: string;
  outcome?: AuditQuery['outcome'];
  action?: string;
  lines: number;
}

const OUTCOMES = ['ok', 'failed', 'refused'] as const;
/** Three missed heartbeats (15 s apart): the connection is dead, though no one said so. */
const IDLE_MS = 50_000;
/** Attempts in a row that reach no stream before giving up; the pause doubles from RETRY_MS. */
const MAX_ATTEMPTS = 6;
const RETRY_MS = 500;

function outcome(v: string): AuditQuery['outcome'] {
  const found = OUTCOMES.find((x) => x === v);
  if (found) return found;
  throw new InvalidArgumentError(`expected one of ${OUTCOMES.join(', ')}`);
}

/** `2024-05-01T08:00:00.000Z  failed   radius.auth  alice  by radius:ap-1  (bad-password)  method=pap source=...` */
function line(e: AuditEventJson): string {
  const detail = Object.entries(e.detail ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  return [e.at, e.outcome.padEnd(7), e.action, e.target ?? '-', `by ${e.actor}`, ...(e.reason ? [`(${e.reason})`] : []), ...(detail ? [detail] : [])].join('  ');
}

function show(o: TailOptions, e: AuditEventJson): void {
  process.stdout.write(`${o.json ? JSON.stringify(e) : line(e)}\n`);
}

export function auditCommands(program: Command): void {
  const audit = program.command('audit').description("a tenant's audit trail");
  apiCommand(audit, 'tail', 'the newest audit events, oldest first; with --follow, then each new one as it happens')
    .option('-f, --follow', 'keep printing events as they are stored (Ctrl-C ends)')
    .option('--user <uid>', 'only events about this user (the event target, exact)')
    .option('--outcome <outcome>', `only this outcome: ${OUTCOMES.join(', ')}`, outcome)
    .option('--action <action>', 'only this action, exact (radius.auth, ldap.auth, user.passwd, security.spraying, ...)')
    .option('-n, --lines <n>', 'how many stored events to print first', integer(0, 1000), 20)
    .addHelpText('after', '\n--json prints one JSON object a line (JSON lines), as events arrive.')
    .action(async (o: TailOptions) => {
      const client = clientFor(o);
      const filters = { target: o.user, outcome: o.outcome, action: o.action };
      if (o.follow) return follow(client, o, filters);
      if (o.lines === 0) return;
      const query: Partial<AuditQuery> = { ...filters, limit: o.lines };
      const r = await client.request<{ items: AuditEventJson[] }>('GET', ApiClient.tenantPath(o.tenant, 'audit'), { query });
      for (const e of r.items.reverse()) show(o, e);
    });
}

/**
 * Prints the backlog and then live events; resumes with the last id after a dropped connection
 * or a daemon restart. Ends (exit 1) when the token loses its access, or when the daemon stays
 * out of reach.
 */
async function follow(client: ApiClient, o: TailOptions & ConnectionOptions, filters: Pick<AuditStreamQuery, 'target' | 'outcome' | 'action'>): Promise<void> {
  const path = ApiClient.tenantPath(o.tenant, 'audit', 'stream');
  let lastEventId: string | undefined;
  // The backlog once: a reconnection that has no id yet asks for none (it may miss what happened while away).
  let backlog = o.lines;
  for (let failed = 0; ;) {
    let reached = false;
    let ended: string | undefined;
    try {
      const query = { ...filters, ...(lastEventId === undefined ? { backlog } : {}) };
      const messages = await client.events(path, { query, idleMs: IDLE_MS, ...(lastEventId === undefined ? {} : { lastEventId }) });
      reached = true;
      backlog = 0;
      for await (const m of messages) {
        ended = handle(o, m) ?? ended;
        if (m.id !== undefined) lastEventId = m.id;
      }
    } catch (err) {
      // Retried: a daemon out of reach, or a stream cut (a reset, a restart, silence). A refusal
      // (401, 404) or a message we cannot read will not change by trying again.
      const broken = reached ? !(err instanceof CliError || err instanceof SyntaxError) : err instanceof Unreachable;
      if (!broken || (!reached && ++failed >= MAX_ATTEMPTS)) throw err;
    }
    if (ended === 'access-revoked') throw new CliError(`the admin token no longer gives access to ${o.tenant} (the configuration was reloaded)`);
    if (reached) failed = 0;
    process.stderr.write(`tenantdir: the event stream ${ended ? `ended (${ended})` : 'was interrupted'}; reconnecting\n`);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS * 2 ** failed));
  }
}

/** Prints an event or a gap notice; returns the reason of an `end` message. */
function handle(o: TailOptions, m: StreamMessage): string | undefined {
  const data = JSON.parse(m.data) as Record<string, unknown>;
  if (m.event === 'audit') show(o, data as unknown as AuditEventJson);
  else if (m.event === 'gap') process.stderr.write(`tenantdir: ${String(data.message)} (since ${String(data.since)}, until ${String(data.until)})\n`);
  else if (m.event === 'end') return String(data.reason);
  return undefined;
}
