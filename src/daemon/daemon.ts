// The one place that wires: config → registry → store → directory → protocol fronts and the
// admin API. Also owns the process's lifecycle: listen, then load the seed, reload on SIGHUP and
// file change, retention, graceful shutdown.
import { join } from 'node:path';
import { AdminServer } from '../admin/index.ts';
import { Auditor, type AuditSink } from '../audit/index.ts';
import { ConfigReloader, formatProblem, LiveRegistry, loadConfig, loadSeed, type Registry } from '../config/index.ts';
import { ConfigInvalid, isTenantdirError } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/log.ts';
import { devTls, readTls, type TlsMaterial } from '../core/tls.ts';
import { Directory } from '../directory/index.ts';
import { EapServer } from '../eap/index.ts';
import { Integrations } from '../integrations/index.ts';
import { LdapFront, type LdapStats } from '../ldap/index.ts';
import { instrumentStore, Metrics } from '../metrics/index.ts';
import { RadiusFront, type RadiusStats } from '../radius/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { eapLimits, readEapSettings } from './eap-settings.ts';
import { keyRingFor } from './keys.ts';
import { startRetention } from './retention.ts';
import { Seeder } from './seed.ts';
import { defaultWarningPrinters, logProcessWarnings } from './warnings.ts';

export interface DaemonOptions {
  configDir: string;
  /** Where generated material goes (the development certificate, in certs/). Default: configDir. */
  dataDir?: string;
  /** Overrides the config's log destination, for tests. */
  logger?: Logger;
  /** Called once every listener is bound, before the seed loads. */
  onListening?: (ports: Ports) => void;
}

export interface Ports {
  ldap: number;
  ldaps?: number;
  radiusAuth: number;
  radiusAcct: number;
  http: number;
}

export interface RunningDaemon {
  ports: Ports;
  live: LiveRegistry;
  store: Store;
  reload(reason: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Binds every listener, then loads the seed (a tenant being seeded is unavailable meanwhile), and
 * resolves when both are done. Rejects with ConfigInvalid (every problem in the message) on a bad
 * config or an unusable data directory.
 */
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

  // Before the store opens: a failure here leaves no connection behind to keep the process up.
  const seeder = new Seeder(await loadSeed(registry));
  const dataDir = o.dataDir ?? o.configDir;
  const tls = await tlsFor(registry, dataDir, log);
  const keys = await keyRingFor(registry, dataDir, log);
  const live = new LiveRegistry(registry);
  // Read at scrape time: the parts below exist by the time anything scrapes.
  const metrics: Metrics = new Metrics({
    ldap: (): LdapStats => ldap.stats(),
    radius: (): RadiusStats => radius.stats(),
    eapConversations: (): number => eap.open,
    deliveries: () => integrations.deliveryCounters(),
  });
  const opened = await openStore({
    ...(registry.server.storage.uri ? { uri: registry.server.storage.uri } : {}),
    logger: log,
    serverSelectionTimeoutMS: registry.server.storage.serverSelectionTimeoutMS,
    retentionDays: { audit: registry.server.retention.auditDays, accounting: registry.server.retention.accountingDays },
  });
  const store = instrumentStore(opened, (repo, call, seconds, failed) => metrics.storeCall(repo, call, seconds, failed));
  const integrations = new Integrations({ live, store, logger: log });
  // Thresholds per event from the live registry: a reload changes them at once.
  const sink: AuditSink = {
    destinations: (tenantId, event) => integrations.sink.destinations(tenantId, event),
    recorded: (tenantId, events) => {
      integrations.sink.recorded(tenantId, events);
      metrics.recorded(tenantId, events);
    },
  };
  const auditor = new Auditor(store, log, { sink, security: (id) => live.current().byId(id)?.security });
  const { passwords } = registry.server;
  const directoryOver = (s: Store) => new Directory({
    store: s, auditor, logger: log,
    bcryptCost: passwords.bcryptCost,
    credentialLimits: { ...passwords.checks, maxPasswordBytes: passwords.maxPasswordBytes },
    keys,
  });
  // The fronts' directory sees the gate; the seeder writes past it.
  const directory = directoryOver(seeder.gate(store));
  const ldap = new LdapFront({ live, directory, logger: log, tls, onRequest: metrics.requestObserver('ldap') });
  let eapSettings = await readEapSettings(registry, log);
  const eap = new EapServer({ logger: log, tls, settings: (id) => eapSettings.get(id), limits: eapLimits(registry.server) });
  const radius = new RadiusFront({ live, directory, logger: log, eap, onRequest: metrics.requestObserver('radius') });
  let listening = false;
  const reloader = new ConfigReloader({
    dir: o.configDir, live, logger: log, onReloaded: (ok) => metrics.configReloaded(ok),
    // Each tenant whose file was added, changed, removed or refused gets the reload in its trail.
    onReload: (r) => {
      for (const [tenant, files] of r.tenants) {
        void auditor.tenant(tenant).record({
          actor: 'system', protocol: 'system', action: 'config.reload', outcome: r.outcome === 'ok' ? 'ok' : 'failed',
          reason: r.outcome === 'ok' ? r.reason : 'invalid',
          detail: { files: files.join(','), ...(r.outcome === 'ok' ? {} : { problems: r.problems, trigger: r.reason }) },
        });
      }
    },
  });
  const admin = new AdminServer({
    live,
    directory,
    logger: log,
    ...(registry.server.listen.http.tls ? { tls } : {}),
    integrations,
    reloadStatus: () => reloader.status(),
    metrics,
    readiness: async () => {
      const health = await store.health();
      const seed = seeder.status();
      return {
        ready: listening && health.ok && seed === true,
        checks: { config: true, store: health.ok ? true : (health.detail ?? 'unreachable'), listeners: listening, seed },
      };
    },
  });

  live.onChange(async (next) => {
    // Before setTls, which makes the EAP server resolve its tenants again, from this map.
    eapSettings = await readEapSettings(next, log);
    try {
      const fresh = await tlsFor(next, dataDir, log);
      ldap.setTls(fresh);
      eap.setTls(fresh);
      admin.setTls(fresh);
    } catch (err) {
      log.error({ event: 'tls.reload', outcome: 'failed', err }, 'keeping the previous TLS certificate');
    }
  });
  // Stopped by stopServing, however start ends: nothing between here and the try below throws.
  const stopLoggingWarnings = logProcessWarnings(log);
  const stopServing = async () => {
    listening = false;
    try {
      await reloader.close();
      await Promise.allSettled([ldap.close(), radius.close(), admin.close()]);
      eap.close();
      // Before the store closes: deliveries in flight hand their items back to the outbox.
      await integrations.close();
      await store.close();
    } finally {
      stopLoggingWarnings();
    }
  };

  let ports: Ports;
  try {
    const ldapPorts = await ldap.listen();
    const radiusPorts = await radius.listen();
    const http = await admin.listen();
    listening = true;
    ports = {
      ldap: ldapPorts.ldap,
      ...(ldapPorts.ldaps === undefined ? {} : { ldaps: ldapPorts.ldaps }),
      radiusAuth: radiusPorts.auth,
      radiusAcct: radiusPorts.acct,
      http,
    };
    reloader.start();
    integrations.start();
    o.onListening?.(ports);
    await seeder.load(directoryOver(store), registry, log);
  } catch (err) {
    // A port in use or a store outage while seeding: nothing may stay open to keep the process up.
    await stopServing();
    throw err;
  }
  const retention = startRetention({ live, store, logger: log });
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
      retention.stop();
      await stopServing();
      log.info({ event: 'daemon.stop', outcome: 'ok' }, 'tenantdir stopped');
    },
  };
}

async function tlsFor(registry: Registry, dataDir: string, log: Logger): Promise<TlsMaterial> {
  const t = registry.server.tls;
  const material = t ? await readTls(t) : await devTlsIn(join(dataDir, 'certs'));
  if (material.source !== 'config') {
    log.warn(
      { event: 'tls.dev-certificate', outcome: material.source, cert: material.certPath },
      'no tls in tenantdir.yaml: using a self-signed development certificate; configure tls.cert and tls.key for production',
    );
  }
  return material;
}

/** The development certificate; an unwritable place for it is a configuration problem, not a crash. */
async function devTlsIn(dir: string): Promise<TlsMaterial> {
  try {
    return await devTls(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new ConfigInvalid(`cannot write the development certificate to ${dir} (${code}): no tls is configured and that directory is not writable`, {
      hint: 'set TENANTDIR_DATA to a writable directory (the container image uses /var/lib/tenantdir), or configure tls.cert and tls.key in tenantdir.yaml',
      cause: err,
    });
  }
}

/**
 * What `ps` shows. Linux keeps the first 15 characters as the process name, so `pkill -HUP -x
 * 'tenantdir serve'` finds the daemon however it was started (npm, the bin, node directly).
 */
const processTitle = (configDir: string) => `tenantdir serve --config ${configDir}`;

/**
 * `tenantdir serve`: runs until SIGINT/SIGTERM; SIGHUP reloads the configuration. Generated
 * material goes to $TENANTDIR_DATA (default: the config directory). A configuration that cannot
 * start exits 1 with its problems on stderr, without a stack trace.
 */
export async function runDaemon(o: { configDir: string }): Promise<void> {
  process.title = processTitle(o.configDir);
  const dataDir = process.env.TENANTDIR_DATA || undefined;
  // From the start: Node's default for SIGHUP is to exit, and seeding can take a minute.
  let daemon: RunningDaemon | undefined;
  let hangup = false;
  process.on('SIGHUP', () => {
    if (daemon) void daemon.reload('SIGHUP');
    else hangup = true;
  });
  const printers = defaultWarningPrinters();
  try {
    daemon = await startDaemon({ ...o, ...(dataDir ? { dataDir } : {}) });
    printers.silence();
  } catch (err) {
    const line = startFailure(err);
    if (line === undefined) throw err;
    process.stderr.write(`${line}\n`);
    process.exitCode = 1;
    return;
  }
  const running = daemon;
  if (hangup) void running.reload('SIGHUP');
  await new Promise<void>((resolve) => {
    const stop = () => void running.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** What to tell the operator when start fails for a reason they can fix; undefined for a bug. */
function startFailure(err: unknown): string | undefined {
  // One line for one problem; a configuration's problems follow its first line, one per line.
  if (isTenantdirError(err)) return `tenantdir: cannot start: ${err.message}${err.hint ? ` (${err.hint})` : ''}`;
  // A port in use or privileged: Node's message names the address.
  const e = err as NodeJS.ErrnoException;
  if (e.syscall === 'listen' || e.syscall === 'bind') return `tenantdir: cannot start: ${e.message}; change listen in tenantdir.yaml or stop what holds the port`;
  return undefined;
}
