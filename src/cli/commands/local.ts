// Commands that run here rather than through the API: serve, config check, hash-password, secrets new-key.
import type { Command } from 'commander';
import { readPassword } from '../secret.ts';
import { integer } from './common.ts';

export function localCommands(program: Command): void {
  program
    .command('serve')
    .description('run the daemon: LDAP, RADIUS and the admin HTTP API; logs JSON lines to stdout')
    .requiredOption('--config <dir>', 'configuration directory (tenantdir.yaml, tenants/)')
    .action(async (o: { config: string }) => {
      // Loaded here so that the other commands do not load every protocol front.
      const { runDaemon } = await import('../../daemon/index.ts');
      await runDaemon({ configDir: o.config });
    });

  program
    .command('config')
    .description('configuration tools')
    .command('check')
    .description('validate every YAML file; prints file:line:col: message per problem')
    .requiredOption('--config <dir>', 'configuration directory')
    .action(async (o: { config: string }) => {
      const { checkConfig } = await import('../../config/index.ts');
      const r = await checkConfig(o.config);
      for (const line of [...r.problems, ...r.warnings]) process.stderr.write(`${line}\n`);
      if (!r.ok) {
        process.exitCode = 1;
        return;
      }
      console.log(`${o.config}: configuration OK`);
    });

  program
    .command('hash-password')
    .description('read a password on stdin and print a bcrypt hash, for passwordHash in YAML')
    .option('--cost <n>', 'bcrypt cost (log2 rounds)', integer(4, 15), 12)
    .action(async (o: { cost: number }) => {
      const password = await readPassword({ prompt: 'password', confirm: true });
      const { default: bcrypt } = await import('bcrypt');
      console.log(await bcrypt.hash(password, o.cost));
    });

  program
    .command('secrets')
    .description('keys for secrets at rest (secrets.keys in tenantdir.yaml)')
    .command('new-key')
    .description('print a new random key (32 bytes, base64) for secrets.keys')
    .action(async () => {
      const { newKeyText } = await import('../../core/keyring.ts');
      console.log(newKeyText());
    });
}
