// The other tenant's user during a probe: globex's gina does an LDAP simple bind (ldapts, a fresh
// connection each time: connect + bind is what is timed) and a RADIUS PAP from globex's NAS
// (127.0.0.1), one of the two every 500 ms (so each once a second), each started on its schedule
// whether or not the last one has been answered, each given 20 s. Not every 200 ms each: at
// bcrypt cost 12 two cores check ~9.4 passwords a second, so 10 a second would be a flood by
// itself, and with tenants taking turns at the hash threads globex's fair share is about half of
// that; 2 a second leaves the victim well inside its share.
import { Client, ResultCodeError } from 'ldapts';
import { dn, NAS, PASSWORD, type Ports } from './daemon.ts';
import { CODE, pap, RadiusClient } from './radius.ts';

export const TIMEOUT_MS = 20_000;
const EVERY_MS = 500;

export interface Latencies {
  tries: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** No answer within 20 s (or the connection failed). */
  unanswered: number;
  /** Answered, but not with success (busy, invalidCredentials, Access-Reject). */
  refused: number;
  /** Seconds from the first try to the start of the slowest answered one: early means the attack's start. */
  maxAtS: number | null;
}

export const quantile = (xs: number[], q: number): number | null =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : null;
export const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);

/** Answered latencies and the counts of the others. */
export class Tally {
  readonly ms: number[] = [];
  unanswered = 0;
  refused = 0;
  private firstStart = Infinity;
  private slowest = { ms: -1, start: 0 };

  add(outcome: 'ok' | 'refused' | 'unanswered', ms: number): void {
    const startedAt = performance.now() - ms;
    this.firstStart = Math.min(this.firstStart, startedAt);
    if (outcome === 'unanswered') this.unanswered++;
    else {
      this.ms.push(ms);
      if (ms > this.slowest.ms) this.slowest = { ms, start: startedAt };
      if (outcome === 'refused') this.refused++;
    }
  }

  summary(): Latencies {
    return {
      tries: this.ms.length + this.unanswered, p50: round(quantile(this.ms, 0.5)), p99: round(quantile(this.ms, 0.99)),
      max: round(this.ms.length ? Math.max(...this.ms) : null), unanswered: this.unanswered, refused: this.refused,
      maxAtS: this.ms.length ? round((this.slowest.start - this.firstStart) / 1000) : null,
    };
  }
}

async function ldapBind(port: number): Promise<['ok' | 'refused' | 'unanswered', number]> {
  const client = new Client({ url: `ldap://127.0.0.1:${port}`, timeout: TIMEOUT_MS, connectTimeout: TIMEOUT_MS });
  const t0 = performance.now();
  try {
    await client.bind(dn('gina', 'globex'), PASSWORD);
    return ['ok', performance.now() - t0];
  } catch (err) {
    // An LDAP result other than success is an answer; a timeout or a failed connection is none.
    return [err instanceof ResultCodeError ? 'refused' : 'unanswered', performance.now() - t0];
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

export interface Victim {
  /** Stops starting new tries, waits (bounded) for those in flight, and sums them up. */
  stop(): Promise<{ bind: Latencies; pap: Latencies }>;
}

export async function startVictim(ports: Ports): Promise<Victim> {
  const radius = await RadiusClient.open(NAS.globex, ports.radiusAuth);
  const bind = new Tally();
  const papTally = new Tally();
  const inFlight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => { inFlight.add(p); void p.finally(() => inFlight.delete(p)); };
  let turn = 0;
  const tick = () => {
    if (turn++ % 2 === 0) track(ldapBind(ports.ldap).then(([outcome, ms]) => bind.add(outcome, ms)));
    else {
      track(radius.request(pap('gina', PASSWORD), TIMEOUT_MS).then((r) => {
        papTally.add(!r ? 'unanswered' : r.code === CODE.accept ? 'ok' : 'refused', r?.ms ?? 0);
      }));
    }
  };
  tick();
  const timer = setInterval(tick, EVERY_MS);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      radius.close();
      return { bind: bind.summary(), pap: papTally.summary() };
    },
  };
}
