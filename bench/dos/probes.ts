// The probes of issue 9, each bounded in count and by a hard wall-clock cap, all on 127.0.0.0/8.
// Each runs against a freshly started daemon (probe.ts) while the victim (globex) binds and
// authenticates; each returns its own finding.
import { bindRequest, filter, repeat, searchRequest, startTls } from './ber.ts';
import { dn, EAP_FLOOD_NAS, NAS, PASSWORD, TOKENS, WRONG_PASSWORD_USERS, type Ports, type RssSampler } from './daemon.ts';
import { RawLdap, RESULT } from './ldap.ts';
import { accessRequest, CODE, eapIdentity, MAX_RADIUS, pap, RadiusClient } from './radius.ts';
import { quantile, round, Tally } from './victim.ts';

/** Above this daemon RSS a probe stops attacking: the machine is shared. */
export const RSS_GUARD_MB = 6_000;

export interface ProbeContext {
  ports: Ports;
  rss: RssSampler;
  /** Date.now() after which the probe must stop attacking. */
  deadline: number;
  /** Starts the victim (for probes with `setup`, once their setup is done). */
  beginVictim(): Promise<void>;
  /** Called when the probe ends, capped or not, before RSS "after" is read. */
  onCleanup(f: () => void): void;
}

export interface Probe {
  name: string;
  /** Hard cap on the attack, in ms. */
  capMs: number;
  /** RSS "after" is read this long after the probe's connections are closed. */
  settleMs?: number;
  /** The probe calls beginVictim() itself, after a setup that is not part of the attack. */
  setup?: true;
  run(ctx: ProbeContext): Promise<Record<string, unknown>>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const shouldStop = (ctx: ProbeContext) => Date.now() > ctx.deadline || ctx.rss.peakMb > RSS_GUARD_MB;

/** Waits up to `ms` (never past the deadline or the RSS guard) or until `done()` holds. */
async function hold(ctx: ProbeContext, ms: number, done: () => boolean = () => false): Promise<void> {
  const until = Math.min(Date.now() + ms, ctx.deadline);
  while (Date.now() < until && !done() && ctx.rss.peakMb <= RSS_GUARD_MB) await sleep(100);
}

/** f over items, at most `limit` at once. */
async function each<T>(items: T[], limit: number, f: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await f(items[i]!, i);
    }
  }));
}

/** `count` raw connections from `address`, closed at cleanup; those refused are left out. */
async function connections(ctx: ProbeContext, count: number, address: string, o: { port?: number; keep?: boolean } = {}): Promise<RawLdap[]> {
  const out: RawLdap[] = [];
  await each(Array.from({ length: count }), 64, async () => {
    if (shouldStop(ctx)) return;
    const c = await RawLdap.open(o.port ?? ctx.ports.ldap, address, { keep: o.keep ?? false }).catch(() => undefined);
    if (c) {
      out.push(c);
      ctx.onCleanup(() => c.close());
    }
  });
  return out;
}

const closedCount = (conns: RawLdap[]) => conns.filter((c) => c.closedByServer).length;
const codesOf = (conns: RawLdap[]) => {
  const sum: Record<string, number> = {};
  for (const c of conns) for (const [code, n] of c.codes) sum[code === -1 ? 'entries' : `rc${code}`] = (sum[code === -1 ? 'entries' : `rc${code}`] ?? 0) + n;
  return sum;
};

async function radiusClient(ctx: ProbeContext, nas: { address: string; secret: string }): Promise<RadiusClient> {
  const c = await RadiusClient.open(nas, ctx.ports.radiusAuth);
  ctx.onCleanup(() => c.close());
  return c;
}

/** A fresh address for each try of the timing probe, so no source is throttled by its own tries. */
let freshAddress = 0;
const nextAddress = () => { const n = freshAddress++; return `127.0.${100 + Math.floor(n / 250)}.${1 + (n % 250)}`; };

/** One bind on a fresh connection from a fresh address: its result code and round trip (connect excluded). */
async function timedBind(ctx: ProbeContext, bindDn: string, password: string): Promise<{ code: number | undefined; ms: number }> {
  const [c] = await connections(ctx, 1, nextAddress());
  if (!c) return { code: undefined, ms: 0 };
  const t0 = performance.now();
  const code = await c.bind(bindDn, password, 1, 20_000);
  const ms = performance.now() - t0;
  c.close();
  return { code, ms };
}

/** No attack: the victim's latencies on this machine as it is, for reference. */
const baseline: Probe = {
  name: 'baseline', capMs: 20_000,
  async run(ctx) {
    await hold(ctx, 15_000);
    return {};
  },
};

const pipelineSearch: Probe = {
  name: 'pipeline-search', capMs: 180_000, setup: true,
  async run(ctx) {
    const conns = await connections(ctx, 220, '127.0.0.5');
    let bound = 0;
    // Bounded: 10 tries a connection; a throttled bind (busy) is tried again after 0.5 s.
    await each(conns, 8, async (c) => {
      for (let t = 0; t < 10 && !shouldStop(ctx); t++) {
        const code = await c.bind(dn('alice'), PASSWORD);
        if (code === RESULT.success) return void bound++;
        if (code !== RESULT.busy) return;
        await sleep(500);
      }
    });
    await ctx.beginVictim();
    const searches = repeat((id) => searchRequest(id, 'dc=acme,dc=example', 2, filter.present('objectClass')), 64);
    for (const c of conns) {
      c.stopReading();
      c.socket.write(searches);
    }
    await hold(ctx, 30_000);
    return { connections: conns.length, bound, searchesSent: conns.length * 64, closedByServer: closedCount(conns) };
  },
};

const bigOrFilter: Probe = {
  name: 'big-or-filter', capMs: 60_000,
  async run(ctx) {
    const terms = Array.from({ length: 60_000 }, (_, i) => filter.equal('cn', `v${String(i).padStart(6, '0')}`));
    const perConnection = 8;
    const requests = repeat((id) => searchRequest(id, 'dc=acme,dc=example', 2, filter.or(terms), ['1.1']), perConnection);
    const conns = await connections(ctx, 2, '127.0.0.6');
    const t0 = performance.now();
    const sent = await Promise.all(conns.map((c) => c.writeUntil(requests, ctx.deadline)));
    const answered = () => conns.reduce((n, c) => n + [...c.codes.values()].reduce((a, b) => a + b, 0), 0);
    await hold(ctx, 45_000, () => answered() >= conns.length * perConnection || conns.every((c) => c.closedByServer));
    return {
      requestKB: Math.round(requests.length / perConnection / 1024), requests: conns.length * perConnection,
      mbSent: round(sent.reduce((a, b) => a + b, 0) / 1048576), answers: codesOf(conns),
      closedByServer: closedCount(conns), ms: Math.round(performance.now() - t0),
    };
  },
};

const subschemaBuffer: Probe = {
  name: 'subschema-buffer', capMs: 90_000, settleMs: 10_000,
  async run(ctx) {
    const perConnection = 100_000;
    const requests = repeat((id) => searchRequest(id, 'cn=Subschema', 0, filter.present('objectClass'), ['*', '+']), perConnection);
    const conns = await connections(ctx, 40, '127.0.0.7');
    for (const c of conns) c.stopReading();
    // A server that stops reading leaves the rest unsent: each write waits for drain until the deadline.
    const writeDeadline = Math.min(ctx.deadline, Date.now() + 45_000);
    const sent = await Promise.all(conns.map((c) => c.writeUntil(requests, writeDeadline)));
    await hold(ctx, 15_000);
    return {
      connections: conns.length, requestsPerConnection: perConnection, mbOffered: round(requests.length * conns.length / 1048576),
      mbSent: round(sent.reduce((a, b) => a + b, 0) / 1048576), closedByServer: closedCount(conns), rssGuardHit: ctx.rss.peakMb > RSS_GUARD_MB,
    };
  },
};

function bindFlood(count: number): Probe {
  return {
    name: `bind-flood-${count}`, capMs: 120_000,
    async run(ctx) {
      const requests = Buffer.concat(Array.from({ length: count }, (_, i) => bindRequest(i + 1, dn(`ghost${i}`), `Wrong-${i}`)));
      const [c] = await connections(ctx, 1, '127.0.0.8');
      const t0 = performance.now();
      c!.socket.write(requests);
      const answered = () => [...c!.codes.values()].reduce((a, b) => a + b, 0);
      await hold(ctx, ctx.deadline - Date.now(), () => answered() >= count || c!.closedByServer);
      return { sent: count, kbSent: Math.round(requests.length / 1024), answers: codesOf([c!]), closedByServer: c!.closedByServer, ms: Math.round(performance.now() - t0) };
    },
  };
}

const lockout: Probe = {
  name: 'lockout', capMs: 120_000, setup: true,
  async run(ctx) {
    // The users' own logins first: carol's workstation (LDAP, 127.0.0.1), alice's NAS (RADIUS).
    const [own] = await connections(ctx, 1, '127.0.0.1');
    const before = { ldap: await own!.bind(dn('carol'), PASSWORD) };
    own!.close();
    const ownNas = await radiusClient(ctx, NAS.acmeOwn);
    const radiusBefore = (await ownNas.request(pap('alice', PASSWORD, 'alice-laptop'), 20_000))?.code;
    await ctx.beginVictim();
    const attackerLdap: (number | null)[] = [];
    for (let i = 0; i < 8 && !shouldStop(ctx); i++) {
      const [c] = await connections(ctx, 1, '127.0.0.2');
      attackerLdap.push((await c?.bind(dn('carol'), `Wrong-Guess-${i}`)) ?? null);
      c?.close();
    }
    const [user] = await connections(ctx, 1, '127.0.0.1');
    const userLdap = await user!.bind(dn('carol'), PASSWORD);
    const attackerNas = await radiusClient(ctx, NAS.acme);
    const attackerRadius: (number | null)[] = [];
    for (let i = 0; i < 8 && !shouldStop(ctx); i++) {
      attackerRadius.push((await attackerNas.request(pap('alice', `Wrong-Guess-${i}`, 'attacker-station'), 5_000))?.code ?? null);
    }
    const userRadius = (await ownNas.request(pap('alice', PASSWORD, 'alice-laptop'), 20_000))?.code ?? null;
    return {
      ownLoginFirst: { ldap: before.ldap, radius: radiusBefore },
      ldap: { attacker: attackerLdap, userResult: userLdap ?? null, userLocked: userLdap !== RESULT.success },
      radius: { attacker: attackerRadius, userResult: userRadius, userLocked: userRadius !== CODE.accept },
    };
  },
};

const tlsHandshake: Probe = {
  name: 'tls-handshake', capMs: 60_000,
  async run(ctx) {
    const t0 = Date.now();
    // LDAPS: the first 5 bytes of a ClientHello's record, then nothing.
    const ldaps = ctx.ports.ldaps ? await connections(ctx, 20, '127.0.0.9', { port: ctx.ports.ldaps }) : [];
    for (const c of ldaps) c.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    // StartTLS: the extended operation, its answer, then no ClientHello.
    const starttls = await connections(ctx, 20, '127.0.0.9');
    const answers = await Promise.all(starttls.map((c) => c.ask(1, startTls(1), 10_000)));
    await hold(ctx, 15_000);
    const closedAt = [...ldaps, ...starttls].flatMap((c) => (c.closedAt === undefined ? [] : [c.closedAt - t0]));
    return {
      ldapsPort: ctx.ports.ldaps ?? null,
      ldapsClosedWithin15s: `${closedCount(ldaps)}/${ldaps.length}`,
      starttlsAnswered: answers.filter((a) => a?.resultCode === RESULT.success).length,
      starttlsClosedWithin15s: `${closedCount(starttls)}/${starttls.length}`,
      medianCloseS: closedAt.length ? round(quantile(closedAt, 0.5)! / 1000) : null,
    };
  },
};

const idleSockets: Probe = {
  name: 'idle-sockets', capMs: 90_000,
  async run(ctx) {
    const total = 4_200;
    const addresses = Array.from({ length: 17 }, (_, i) => `127.0.0.${20 + i}`);
    const conns = (await Promise.all(addresses.map((a, i) => connections(ctx, Math.floor(total / 17) + (i < total % 17 ? 1 : 0), a)))).flat();
    await hold(ctx, 3_000);
    const refusedEarly = closedCount(conns);
    // A new client from an address that holds nothing: is it served?
    const [fresh] = await connections(ctx, 1, '127.0.0.77');
    const freshBind = fresh ? (await fresh.bind(dn('gina', 'globex'), PASSWORD, 1, 10_000)) ?? null : null;
    await hold(ctx, 10_000);
    return {
      opened: conns.length, closedByServerAt3s: refusedEarly, stillOpen: conns.length - closedCount(conns),
      freshClient: fresh ? (freshBind === RESULT.success ? 'served' : `bind ${freshBind ?? 'unanswered or closed'}`) : 'connect failed',
    };
  },
};

const radiusFlood: Probe = {
  name: 'radius-flood', capMs: 60_000,
  async run(ctx) {
    const flooders = await Promise.all(Array.from({ length: 6 }, () => radiusClient(ctx, NAS.globexFlood)));
    const acme = await radiusClient(ctx, NAS.acme);
    const acmeTally = new Tally();
    const acmeTries: Promise<void>[] = [];
    const t0 = performance.now();
    // 1,500 wrong PAPs in 15 bursts of 100, 10 ms apart; acme's valid PAP every 500 ms for 15 s
    // (well inside acme's share of the hash threads, so that only the flood can delay it).
    const flood = (async () => {
      for (let burst = 0; burst < 15; burst++) {
        for (let i = 0; i < 100; i++) {
          const n = burst * 100 + i;
          flooders[n % flooders.length]!.send(pap(`flood${n}`, 'Wrong-Password-1', `02-00-00-00-${(n >> 8).toString(16).padStart(2, '0')}-${(n & 255).toString(16).padStart(2, '0')}`));
        }
        await sleep(10);
      }
      return performance.now() - t0;
    })();
    for (let i = 0; i < 30 && !shouldStop(ctx); i++) {
      acmeTries.push(acme.request(pap('alice', PASSWORD, 'acme-station'), 20_000).then((r) => acmeTally.add(!r ? 'unanswered' : r.code === CODE.accept ? 'ok' : 'refused', r?.ms ?? 0)));
      await sleep(500);
    }
    const floodMs = await flood;
    await Promise.all(acmeTries);
    const floodAnswers: Record<string, number> = {};
    for (const f of flooders) for (const [code, n] of f.unmatched) floodAnswers[`code${code}`] = (floodAnswers[`code${code}`] ?? 0) + n;
    return { floodSent: 1_500, floodMs: Math.round(floodMs), floodAnswers, acmeValid: acmeTally.summary() };
  },
};

const eapPool: Probe = {
  name: 'eap-pool', capMs: 90_000,
  async run(ctx) {
    const perNas = 2_200;
    const flooders = await Promise.all(EAP_FLOOD_NAS.map((n) => radiusClient(ctx, n)));
    // 11,000 EAP-Response/Identity, each a new conversation: 10 per NAS every 50 ms (~1,000/s).
    for (let round_ = 0; round_ < perNas / 10 && !shouldStop(ctx); round_++) {
      for (const [k, f] of flooders.entries()) {
        for (let i = 0; i < 10; i++) {
          const n = round_ * 10 + i;
          f.send(eapIdentity('anonymous@acme', `02-0${k}-00-00-${(n >> 8).toString(16).padStart(2, '0')}-${(n & 255).toString(16).padStart(2, '0')}`));
        }
      }
      await sleep(50);
    }
    await sleep(1_000);
    const opened = flooders.reduce((a, f) => a + (f.unmatched.get(CODE.challenge) ?? 0), 0);
    // globex's 802.1X: the first EAP round trip (identity → Access-Challenge), 20 stations.
    const globex = await radiusClient(ctx, NAS.globex);
    const tally = new Tally();
    for (let i = 0; i < 20 && !shouldStop(ctx); i++) {
      const r = await globex.request(eapIdentity('gina@globex', `02-ff-00-00-00-${i.toString(16).padStart(2, '0')}`), 5_000);
      tally.add(!r ? 'unanswered' : r.code === CODE.challenge ? 'ok' : 'refused', r?.ms ?? 0);
    }
    return { floodSent: perNas * flooders.length, floodChallenges: opened, globexEap: tally.summary() };
  },
};

const timing: Probe = {
  name: 'timing', capMs: 240_000, setup: true,
  async run(ctx) {
    // erin is locked first: six wrong binds, each from an address of its own.
    for (let i = 0; i < 6; i++) await timedBind(ctx, dn('erin'), `Wrong-Lock-${i}`);
    await ctx.beginVictim();
    const tries = 30;
    const ldapCases: Record<string, (i: number) => [string, string]> = {
      'unknown user': (i) => [dn(`ghost${i}`), 'Wrong-Password-1'],
      'wrong password': (i) => [dn(WRONG_PASSWORD_USERS[i]!), 'Wrong-Password-1'],
      'no such tenant': (i) => [dn(`k${i}`, 'initech'), 'Wrong-Password-1'],
      'locked user': () => [dn('erin'), 'Wrong-Password-1'],
    };
    const radiusCases: Record<string, (i: number) => string> = {
      'unknown user': (i) => `ghost${i}`,
      'wrong password': (i) => WRONG_PASSWORD_USERS[i]!,
      'unknown realm': (i) => `${WRONG_PASSWORD_USERS[i]!}@initech`,
      'locked user': () => 'erin',
    };
    const ldap = Object.fromEntries(Object.keys(ldapCases).map((k) => [k, new Tally()]));
    const rad = Object.fromEntries(Object.keys(radiusCases).map((k) => [k, new Tally()]));
    const nas = await radiusClient(ctx, NAS.acme);
    // Interleaved, so that the machine's noise falls on every case alike.
    for (let i = 0; i < tries && !shouldStop(ctx); i++) {
      for (const [name, make] of Object.entries(ldapCases)) {
        const { code, ms } = await timedBind(ctx, ...make(i));
        ldap[name]!.add(code === undefined ? 'unanswered' : code === RESULT.invalidCredentials ? 'ok' : 'refused', ms);
      }
      for (const [name, make] of Object.entries(radiusCases)) {
        const r = await nas.request(pap(make(i), 'Wrong-Password-1', `02-00-00-01-00-${i.toString(16).padStart(2, '0')}`), 5_000);
        rad[name]!.add(!r ? 'unanswered' : r.code === CODE.reject ? 'ok' : 'refused', r?.ms ?? 0);
      }
    }
    const medians = (t: Record<string, Tally>) => Object.fromEntries(Object.entries(t).map(([k, v]) => {
      const s = v.summary();
      return [k, { median: s.p50, answered: s.tries - s.unanswered, other: s.refused }];
    }));
    return { tries, ldap: medians(ldap), radius: medians(rad) };
  },
};

const replyTooLarge: Probe = {
  name: 'reply-too-large', capMs: 30_000,
  async run(ctx) {
    const c = await radiusClient(ctx, NAS.globex);
    // A request of 4,096 bytes at most, nearly all Proxy-State, which the reply must echo.
    const proxyState = (last: number): [string, Buffer][] => [...Array.from({ length: 15 }, (_, i) => Buffer.alloc(253, i)), Buffer.alloc(last, 99)]
      .map((b) => ['Proxy-State', b]);
    const attributes = (last: number) => [...pap('gina', PASSWORD, 'gina-phone'), ...proxyState(last)];
    const room = MAX_RADIUS - accessRequest(c.nas, 0, attributes(1)).length;
    const r = await c.request(attributes(1 + Math.min(252, room)), 10_000);
    return {
      requestBytes: accessRequest(c.nas, 0, attributes(1 + Math.min(252, room))).length,
      reply: r ? ({ 2: 'Access-Accept', 3: 'Access-Reject' } as Record<number, string>)[r.code] ?? `code ${r.code}` : 'none within 10 s', replyBytes: r?.bytes ?? null,
    };
  },
};

const oidFilter: Probe = {
  name: 'oid-filter', capMs: 30_000,
  async run(ctx) {
    const [c] = await connections(ctx, 1, '127.0.0.1');
    const bound = await c!.bind(dn('alice'), PASSWORD);
    const a = await c!.ask(2, searchRequest(2, 'dc=acme,dc=example', 2, filter.present('2.5.4.35'), ['1.1']), 10_000);
    return { bound: bound ?? null, searchResult: a?.resultCode ?? null, connectionClosed: c!.closedByServer };
  },
};

const adminBodies: Probe = {
  name: 'admin-bodies', capMs: 60_000,
  async run(ctx) {
    const half = 4 * 1024 * 1024 - 8;
    const body = `{"users":${'['.repeat(half)}${']'.repeat(half)}}`;
    const t0 = performance.now();
    const answers = await Promise.all(Array.from({ length: 4 }, () => fetch(`http://127.0.0.1:${ctx.ports.http}/api/v1/tenants/acme/import`, {
      method: 'POST', body, headers: { authorization: `Bearer ${TOKENS.acmeAdmin}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(Math.max(1, ctx.deadline - Date.now())),
    }).then(async (r) => `${r.status} ${(await r.text()).slice(0, 60)}`, (err: Error) => `failed: ${err.message}`)));
    return { bodies: 4, mbEach: round(body.length / 1048576), answers: [...new Set(answers)], ms: Math.round(performance.now() - t0) };
  },
};

export const PROBES: Probe[] = [
  baseline, pipelineSearch, bigOrFilter, subschemaBuffer, bindFlood(512), bindFlood(2_048), lockout, tlsHandshake, idleSockets,
  radiusFlood, eapPool, timing, replyTooLarge, oidFilter, adminBodies,
];
