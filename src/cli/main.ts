// The `tenantdir` command. Admin commands are clients of a running daemon's HTTP API; serve,
// config check and hash-password run here. Exit codes: 0 ok, 1 refused or invalid (the
// server's message on stderr), 2 usage error.
import { Command, CommanderError } from 'commander';
import { CliError, UsageError } from './client.ts';
import { auditCommands } from './commands/audit.ts';
import { deviceCommands } from './commands/devices.ts';
import { doctorCommand } from './commands/doctor.ts';
import { groupCommands } from './commands/groups.ts';
import { importCommand } from './commands/import.ts';
import { localCommands } from './commands/local.ts';
import { mfaCommands } from './commands/mfa.ts';
import { reportCommand } from './commands/report.ts';
import { sessionsCommand } from './commands/sessions.ts';
import { userCommands } from './commands/users.ts';

function program(): Command {
  const p = new Command('tenantdir')
    .description('multi-tenant LDAP and RADIUS directory server')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    // Throw instead of exiting, so that usage errors get exit code 2 below; subcommands inherit it.
    .exitOverride();
  localCommands(p);
  userCommands(p);
  groupCommands(p);
  deviceCommands(p);
  importCommand(p);
  doctorCommand(p);
  mfaCommands(p);
  auditCommands(p);
  sessionsCommand(p);
  reportCommand(p);
  return p;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof UsageError) {
      process.stderr.write(`tenantdir: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`tenantdir: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`tenantdir: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv);
