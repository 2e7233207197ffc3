// Prometheus metrics for /metrics (prom-client), one registry per daemon. Counts come from where
// the work is decided: authentications, lockouts and security findings from the audit trail (so
// they agree with reports), request latency from the protocol fronts, store latency from the
// store wrapper (store.ts), and the fronts' own gauges read at scrape time. Labels are bounded:
// tenant, protocol, method, outcome, result, reason, repository and call — never a user, an
// address or a DN, so a flood of made-up names cannot grow the series.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEvent } from '../store/index.ts';

/** What the daemon's parts report when scraped. */
export interface MetricSources {
  ldap(): { connections: number; refusedConnections: number; queuedReplyBytes: number };
  radius(): { inFlight: number; dropped: Readonly<Record<string, number | undefined>> };
  eapConversations(): number;
  /** Webhook attempts since start, per tenant and destination. */
  deliveries(): ReadonlyArray<{ tenant: string; destination: string; delivered: number; failed: number; dead: number }>;
}

/** A front's report of one request: what it was, how it ended, how long it took. */
export type RequestObserver = (operation: string, outcome: string, seconds: number) => void;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** Audit actions that are an authentication, whatever the protocol. */
const AUTH_ACTION = /^(ldap|radius|eap|admin|cli)\.(auth|service-auth|mab)$/;
/** A label value made by our code (methods, reasons): anything else is folded into "other". */
const WORD = /^[a-z0-9][a-z0-9._-]{0,39}$/;
const word = (v: unknown): string => (typeof v === 'string' && WORD.test(v) ? v : 'other');

export class Metrics {
  readonly registry = new Registry();
  private readonly auths: Counter<'tenant' | 'protocol' | 'method' | 'outcome'>;
  private readonly failures: Counter<'protocol' | 'reason'>;
  private readonly lockouts: Counter<'tenant'>;
  private readonly security: Counter<'tenant' | 'kind'>;
  private readonly reloads: Counter<'outcome'>;
  private readonly requests: Histogram<'protocol' | 'operation' | 'outcome'>;
  private readonly storeCalls: Histogram<'repo' | 'call'>;
  private readonly storeErrors: Counter<'repo' | 'call'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tenantdir_' });
    this.auths = new Counter({
      name: 'tenantdir_authentications_total', help: 'Authentications by tenant, protocol, method and outcome (ok, failed, refused).',
      labelNames: ['tenant', 'protocol', 'method', 'outcome'], registers,
    });
    this.failures = new Counter({
      name: 'tenantdir_authentication_failures_total', help: 'Failed or refused authentications by protocol and reason, over all tenants.',
      labelNames: ['protocol', 'reason'], registers,
    });
    this.lockouts = new Counter({ name: 'tenantdir_lockouts_total', help: 'Accounts locked by smart lockout.', labelNames: ['tenant'], registers });
    this.security = new Counter({ name: 'tenantdir_security_events_total', help: 'Suspicious activity flagged (security.* audit events).', labelNames: ['tenant', 'kind'], registers });
    this.reloads = new Counter({ name: 'tenantdir_config_reloads_total', help: 'Configuration reloads by outcome (ok, invalid).', labelNames: ['outcome'], registers });
    this.requests = new Histogram({
      name: 'tenantdir_request_duration_seconds', help: 'LDAP operations and RADIUS requests: time from decoded request to reply, by outcome (LDAP result code, RADIUS reply or drop).',
      labelNames: ['protocol', 'operation', 'outcome'], buckets: LATENCY_BUCKETS, registers,
    });
    this.storeCalls = new Histogram({
      name: 'tenantdir_store_call_duration_seconds', help: 'Store calls by repository and call.',
      labelNames: ['repo', 'call'], buckets: STORE_BUCKETS, registers,
    });
    this.storeErrors = new Counter({ name: 'tenantdir_store_errors_total', help: 'Store calls that failed.', labelNames: ['repo', 'call'], registers });
    this.gauges(sources, registers);
  }

  /** Counts what an audit event says (the Auditor's sink calls this for every event stored). */
  recorded(tenantId: string, events: readonly AuditEvent[]): void {
    for (const e of events) {
      if (AUTH_ACTION.test(e.action)) {
        const protocol = word(e.protocol ?? e.action.split('.')[0]);
        const method = word(e.detail?.['method'] ?? (e.action.endsWith('.mab') ? 'mab' : e.action.endsWith('service-auth') ? 'service' : 'other'));
        this.auths.inc({ tenant: tenantId, protocol, method, outcome: e.outcome });
        if (e.outcome !== 'ok') this.failures.inc({ protocol, reason: word(e.reason) });
      } else if (e.action === 'user.lockout') {
        this.lockouts.inc({ tenant: tenantId });
      } else if (e.action.startsWith('security.')) {
        this.security.inc({ tenant: tenantId, kind: word(e.action.slice('security.'.length)) });
      }
    }
  }

  /** The observer a protocol front reports each request to. */
  requestObserver(protocol: 'ldap' | 'radius'): RequestObserver {
    return (operation, outcome, seconds) => this.requests.observe({ protocol, operation: word(operation), outcome: word(outcome) }, seconds);
  }

  storeCall(repo: string, call: string, seconds: number, failed: boolean): void {
    this.storeCalls.observe({ repo, call }, seconds);
    if (failed) this.storeErrors.inc({ repo, call });
  }

  configReloaded(ok: boolean): void {
    this.reloads.inc({ outcome: ok ? 'ok' : 'invalid' });
  }

  /** The text exposition, for GET /metrics. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Values the parts keep themselves, read when scraped. */
  private gauges(s: MetricSources, registers: Registry[]): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    gauge('tenantdir_ldap_connections', 'Open LDAP connections.', () => s.ldap().connections);
    gauge('tenantdir_ldap_queued_reply_bytes', 'LDAP reply bytes waiting for clients that do not read.', () => s.ldap().queuedReplyBytes);
    gauge('tenantdir_eap_conversations', 'EAP conversations in flight.', () => s.eapConversations());
    gauge('tenantdir_radius_in_flight', 'RADIUS requests being worked on.', () => s.radius().inFlight);
    // Kept by the fronts as running totals: exported as counters that read them.
    new Counter({
      name: 'tenantdir_ldap_refused_connections_total', help: 'LDAP connections refused by a limit.', registers,
      collect() { this.reset(); this.inc(s.ldap().refusedConnections); },
    });
    new Counter({
      name: 'tenantdir_radius_dropped_total', help: 'RADIUS packets dropped without an answer, by reason.', labelNames: ['reason'], registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(s.radius().dropped)) if (n) this.inc({ reason }, n);
      },
    });
    new Counter({
      name: 'tenantdir_webhook_attempts_total', help: 'Webhook delivery attempts since start, by tenant, destination (tenant/<name>, msp/<name>) and outcome (delivered, failed, given-up).',
      labelNames: ['tenant', 'destination', 'outcome'], registers,
      collect() {
        this.reset();
        for (const d of s.deliveries()) {
          this.inc({ tenant: d.tenant, destination: d.destination, outcome: 'delivered' }, d.delivered);
          this.inc({ tenant: d.tenant, destination: d.destination, outcome: 'failed' }, d.failed);
          this.inc({ tenant: d.tenant, destination: d.destination, outcome: 'given-up' }, d.dead);
        }
      },
    });
  }
}
