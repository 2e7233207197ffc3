// What every API command shares: where the daemon is, the token, the tenant, --json.
import { InvalidArgumentError, type Command } from 'commander';
import { ApiClient, DEFAULT_URL } from '../client.ts';

export interface ApiOptions {
  tenant: string;
  url?: string;
  token?: string;
  json?: boolean;
}

/** A subcommand that talks to the admin API of a running daemon, about one tenant. */
export function apiCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .requiredOption('--tenant <id>', 'tenant id')
    .option('--url <url>', `admin API of the daemon (env TENANTDIR_URL; default ${DEFAULT_URL})`)
    .option('--token <token>', 'admin token (env TENANTDIR_TOKEN, preferred: argv is visible to other users)')
    .option('--json', 'print JSON, for scripts');
}

export function clientFor(o: ApiOptions): ApiClient {
  return ApiClient.from(o);
}

export function integer(min: number, max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return Number(v);
  };
}

/** For repeatable options: --group a --group b. */
export function collect(v: string, previous: string[]): string[] {
  return [...previous, v];
}
