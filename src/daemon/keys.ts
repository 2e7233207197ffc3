// The key ring for secrets at rest (core/keyring.ts), from `secrets.keys`, or a development key
// made once in the data directory, like the development certificate.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from '../config/index.ts';
import { ConfigInvalid } from '../core/errors.ts';
import { KeyRing, newKeyText, parseKey } from '../core/keyring.ts';
import type { Logger } from '../core/log.ts';

const DEV_KEY_ID = 'dev';

export async function keyRingFor(registry: Registry, dataDir: string, log: Logger): Promise<KeyRing> {
  const configured = registry.server.secrets?.keys;
  if (configured) {
    return new KeyRing(configured.map(({ id, key }) => {
      const bytes = parseKey(key);
      if (!bytes) {
        throw new ConfigInvalid(`secrets.keys: the key "${id}" is not 32 bytes or more of base64 or hex`, {
          hint: 'make a key with `tenantdir secrets new-key` and store it where secrets.keys reads it (${ENV_VAR} or { file: path })',
        });
      }
      return { id, key: bytes };
    }));
  }
  const path = join(dataDir, 'secrets', 'dev.key');
  const key = await readOrMake(path);
  log.warn({ event: 'secrets.dev-key', outcome: 'dev', path }, 'no secrets.keys in tenantdir.yaml: TOTP seeds and app passwords are protected by a development key; configure secrets.keys for production');
  return new KeyRing([{ id: DEV_KEY_ID, key }]);
}

async function readOrMake(path: string): Promise<Buffer> {
  try {
    const existing = parseKey(await readFile(path, 'utf8'));
    if (existing) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw unwritable(path, err);
  }
  const text = newKeyText();
  try {
    await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
    await writeFile(path, `${text}\n`, { mode: 0o600 });
  } catch (err) {
    throw unwritable(path, err);
  }
  return parseKey(text) as Buffer;
}

function unwritable(path: string, cause: unknown): ConfigInvalid {
  return new ConfigInvalid(`cannot read or write the development key ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, {
    hint: 'set TENANTDIR_DATA to a writable directory, or configure secrets.keys in tenantdir.yaml', cause,
  });
}
