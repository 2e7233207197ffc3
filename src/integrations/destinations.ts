// Where a tenant's audit events go: its own webhooks and syslog destinations, and the MSP-wide
// ones, compiled once per registry. A destination is looked up only among those of the tenant
// whose event it is and the MSP's, so no key in one tenant's outbox can reach another tenant's.
import { createHash } from 'node:crypto';
import type { Registry, ServerConfig } from '../config/index.ts';
import type { AuditEvent } from '../store/index.ts';

type Lists = ServerConfig['integrations'];
type WebhookConfig = Lists['webhooks'][number];
type SyslogConfig = Lists['syslog'][number];

export type Scope = 'tenant' | 'msp';

interface Filter {
  events: readonly string[];
  outcomes?: readonly AuditEvent['outcome'][];
}

export interface Webhook {
  /** The outbox's destination key, unique within a tenant's outbox: `tenant/<name>` or `msp/<name>`. */
  key: string;
  scope: Scope;
  name: string;
  url: URL;
  secret: string;
  /** PEM file the receiver's certificate must chain to. */
  ca?: string;
  config: WebhookConfig;
  wants(e: AuditEvent): boolean;
}

export interface SyslogTarget {
  scope: Scope;
  config: SyslogConfig;
  wants(e: AuditEvent): boolean;
}

/** `*` stands for any characters; everything else is literal. */
function patternToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
}

function matcher(f: Filter): (e: AuditEvent) => boolean {
  const res = f.events.map(patternToRegExp);
  return (e) => (f.outcomes === undefined || f.outcomes.includes(e.outcome)) && res.some((re) => re.test(e.action));
}

/** A webhook without a name is named by its URL, so that its queue stays its own. */
function webhookName(w: WebhookConfig): string {
  return w.name ?? `url-${createHash('sha256').update(w.url).digest('hex').slice(0, 12)}`;
}

function webhooks(list: Lists['webhooks'] | readonly WebhookConfig[], scope: Scope): Webhook[] {
  return list.map((config) => {
    const name = webhookName(config);
    return {
      key: `${scope}/${name}`, scope, name, url: new URL(config.url), secret: config.secret,
      ...(config.ca === undefined ? {} : { ca: config.ca }), config, wants: matcher(config),
    };
  });
}

function syslogTargets(list: readonly SyslogConfig[], scope: Scope): SyslogTarget[] {
  return list.map((config) => ({ scope, config, wants: matcher(config) }));
}

export interface Destinations {
  /** The tenant's own webhooks, then the MSP-wide ones; empty for a tenant not configured. */
  webhooks(tenantId: string): readonly Webhook[];
  /** The webhook an outbox key of this tenant names, if it is still configured. */
  webhook(tenantId: string, key: string): Webhook | undefined;
  syslog(tenantId: string): readonly SyslogTarget[];
  readonly msp: { webhooks: readonly Webhook[]; syslog: readonly SyslogTarget[] };
}

const compiled = new WeakMap<Registry, Destinations>();

/** The destinations of a registry, compiled on first use. */
export function destinationsOf(registry: Registry): Destinations {
  let d = compiled.get(registry);
  if (!d) {
    d = compile(registry);
    compiled.set(registry, d);
  }
  return d;
}

function compile(registry: Registry): Destinations {
  const msp = {
    webhooks: webhooks(registry.server.integrations.webhooks, 'msp'),
    syslog: syslogTargets(registry.server.integrations.syslog, 'msp'),
  };
  const byTenant = new Map(registry.tenants.map((t) => {
    const hooks = [...webhooks(t.integrations.webhooks, 'tenant'), ...msp.webhooks];
    return [t.id, {
      webhooks: hooks,
      byKey: new Map(hooks.map((w) => [w.key, w])),
      syslog: [...syslogTargets(t.integrations.syslog, 'tenant'), ...msp.syslog],
    }] as const;
  }));
  return {
    webhooks: (id) => byTenant.get(id)?.webhooks ?? [],
    webhook: (id, key) => byTenant.get(id)?.byKey.get(key),
    syslog: (id) => byTenant.get(id)?.syslog ?? [],
    msp,
  };
}
