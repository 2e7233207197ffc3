// The one place that wires: config → registry → store → directory → protocol fronts and the
// admin API. Also owns the process's lifecycle: reload on SIGHUP and file change, retention,
// graceful shutdown.
import { join } from 'node:path';
import { AdminServer } from '../admin/index.ts';
import { Auditor } from '../audit/index.ts';
import { ConfigReloader, formatProblem, LiveRegistry, loadConfig, loadSeed, type Registry } from '../config/index.ts';
import { ConfigInvalid } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { devTls, readTls, type TlsMaterial } from '../core/tls.ts';
import { Directory } from '../directory/index.ts';
import { EapServer } from '../eap/index.ts';
import { LdapFront } from '../ldap/index.ts';
import { RadiusFront } from '../radius/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { eapLimits, readEapSettings } from './eap-settings.ts';
import { startRetention } from './retention.ts';

export interface DaemonOptions {
  configDir: string;
  /** Overrides the config's log destination, for tests. */
  logger?: Logger;
}

export interface RunningDaemon {
  ports: { ldap: number; ldaps?: number; radiusAuth: number; radiusAcct: number; http: number };
  live: LiveRegistry;
  store: Store;
  reload(reason: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Starts everything; rejects with ConfigInvalid (every problem in the message) on a bad config. */
export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const loaded = await loadConfig(o.configDir);
  if (!loaded.ok) {
    throw new ConfigInvalid(`the configuration in ${o.configDir} has ${loaded.problems.length} problem(s):\n${loaded.problems.map(formatProblem).join('\n')}`, {
      hint: `run: tenantdir config check --config ${o.configDir}`,
    });
  }
  const registry = loaded.registry;
  const log = o.logger ?? createLogger({ level: registry.server.log.level, pretty: process.stdout.isTTY });
  for (const w of loaded.warnings) log.warn({ event: 'config.warning', outcome: 'warning' }, formatProblem(w));

  const live = new LiveRegistry(registry);
  const store = await openStore({
    ...(registry.server.storage.uri ? { uri: registry.server.storage.uri } : {}),
    logger: log,
    serverSelectionTimeoutMS: registry.server.storage.serverSelectionTimeoutMS,
    retentionDays: { audit: registry.server.retention.auditDays, accounting: registry.server.retention.accountingDays },
  });
  const auditor = new Auditor(store, log);
  const directory = new Directory({ store, auditor, logger: log, bcryptCost: registry.server.passwords.bcryptCost });
  const seed = await loadSeed(registry);
  if (seed) await directory.seed(registry, seed);

  const tls = await tlsFor(registry, log);
  const ldap = new LdapFront({ live, directory, logger: log, tls });
  let eapSettings = await readEapSettings(registry, log);
  const eap = new EapServer({ logger: log, tls, settings: (id) => eapSettings.get(id), limits: eapLimits(registry.server) });
  const radius = new RadiusFront({ live, directory, logger: log, eap });
  let listening = false;
  const admin = new AdminServer({
    live,
    directory,
    logger: log,
    readiness: async () => {
      const health = await store.health();
      return {
        ready: listening && health.ok,
        checks: { config: true, store: health.ok ? true : (health.detail ?? 'unreachable'), listeners: listening },
      };
    },
  });

  const ldapPorts = await ldap.listen();
  const radiusPorts = await radius.listen();
  const http = await admin.listen();
  listening = true;

  const reloader = new ConfigReloader({ dir: o.configDir, live, logger: log });
  reloader.start();
  live.onChange(async (next) => {
    // Before setTls, which makes the EAP server resolve its tenants again, from this map.
    eapSettings = await readEapSettings(next, log);
    try {
      const fresh = await tlsFor(next, log);
      ldap.setTls(fresh);
      eap.setTls(fresh);
    } catch (err) {
      log.error({ event: 'tls.reload', outcome: 'failed', err }, 'keeping the previous TLS certificate');
    }
  });
  const retention = startRetention({ live, store, logger: log });

  const ports = {
    ldap: ldapPorts.ldap,
    ...(ldapPorts.ldaps === undefined ? {} : { ldaps: ldapPorts.ldaps }),
    radiusAuth: radiusPorts.auth,
    radiusAcct: radiusPorts.acct,
    http,
  };
  log.info(
    {
      event: 'daemon.start', outcome: 'ok', store: store.kind, ports,
      tenants: registry.tenants.map((t) => ({ id: t.id, baseDN: t.baseDN, nas: t.radius.clients.length })),
    },
    `tenantdir serving ${registry.tenants.length} tenant(s) on the ${store.kind} store`,
  );

  let closed = false;
  return {
    ports,
    live,
    store,
    reload: async (reason) => (await reloader.reload(reason)).ok,
    close: async () => {
      if (closed) return;
      closed = true;
      listening = false;
      retention.stop();
      await reloader.close();
      await Promise.allSettled([ldap.close(), radius.close(), admin.close()]);
      eap.close();
      await store.close();
      log.info({ event: 'daemon.stop', outcome: 'ok' }, 'tenantdir stopped');
    },
  };
}

async function tlsFor(registry: Registry, log: Logger): Promise<TlsMaterial> {
  const t = registry.server.tls;
  const material = t ? await readTls(t) : await devTls(join(registry.dir, 'certs'));
  if (material.source !== 'config') {
    log.warn(
      { event: 'tls.dev-certificate', outcome: material.source, cert: material.certPath },
      'no tls in tenantdir.yaml: using a self-signed development certificate; configure tls.cert and tls.key for production',
    );
  }
  return material;
}

/**
 * `tenantdir serve`: runs until SIGINT/SIGTERM; SIGHUP reloads the configuration. Exits 1 with
 * every config problem on stderr when the configuration is invalid.
 */
export async function runDaemon(o: { configDir: string }): Promise<void> {
  let daemon: RunningDaemon;
  try {
    daemon = await startDaemon(o);
  } catch (err) {
    if (err instanceof ConfigInvalid) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  process.on('SIGHUP', () => void daemon.reload('SIGHUP'));
  await new Promise<void>((resolve) => {
    const stop = () => void daemon.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
