// The live audit tail over Server-Sent Events: the audit route's roles, filters, backlog, resume
// from Last-Event-ID, heartbeats, the end on token rotation and at shutdown, and a client that
// does not read being disconnected rather than buffered.
import { connect } from 'node:net';
import test from 'ava';
import { SseStream } from '../../src/admin/sse.ts';
import { createLogger } from '../../src/core/log.ts';
import type { Actor, TenantDirectory } from '../../src/directory/index.ts';
import { registryRotating, startAdmin, TOKENS, type Api } from './helpers.ts';
import { openSse } from './sse-client.ts';

const ldap: Actor = { name: 'ldap:uid=x', protocol: 'ldap', source: '192.0.2.1' };
const STREAM = '/api/v1/tenants/acme/audit/stream';

function acme(api: Api): TenantDirectory {
  return api.world.directory.tenant(api.world.live.current().byId('acme')!);
}

async function started(t: { teardown(f: () => Promise<void>): void }, o: Parameters<typeof startAdmin>[0] = {}): Promise<Api> {
  const api = await startAdmin(o);
  t.teardown(() => api.close());
  return api;
}

test('roles and scope as the audit route: no token 401, another tenant\'s admin 404, helpdesk reads', async (t) => {
  const api = await started(t);
  t.is((await openSse(`${api.url}${STREAM}`, undefined)).status, 401);
  const foreign = await openSse(`${api.url}${STREAM}`, TOKENS.globexAdmin);
  t.is(foreign.status, 404);
  t.is(JSON.parse(foreign.text).error.code, 'TD_NOT_FOUND');
  const helpdesk = await openSse(`${api.url}${STREAM}`, TOKENS.acmeHelpdesk);
  t.teardown(() => helpdesk.close());
  t.is(helpdesk.status, 200);
  t.regex(helpdesk.headers.get('content-type') ?? '', /^text\/event-stream/);
  t.is(helpdesk.headers.get('cache-control'), 'no-cache, no-transform');
  t.is((await openSse(`${api.url}${STREAM}?outcome=maybe`, TOKENS.ops)).status, 400);
});

test('live events arrive as stored, filtered by target, outcome and action, each with an id', async (t) => {
  const api = await started(t);
  const s = await openSse(`${api.url}${STREAM}?target=alice&outcome=failed&action=ldap.auth`, TOKENS.acmeAdmin);
  t.teardown(() => s.close());
  const dir = acme(api);
  await dir.audit(ldap, 'ldap.auth', 'alice', 'ok');
  await dir.audit(ldap, 'ldap.auth', 'bob', 'failed', { reason: 'bad-password' });
  await dir.audit(ldap, 'ldap.search', 'alice', 'failed');
  await dir.audit(ldap, 'ldap.auth', 'alice', 'failed', { reason: 'bad-password', method: 'password' });
  const m = await s.next();
  t.is(m.event, 'audit');
  t.regex(m.id ?? '', /^\d+-[A-Za-z0-9_-]{11}$/);
  const e = JSON.parse(m.data);
  t.like(e, { actor: 'ldap:uid=x', action: 'ldap.auth', target: 'alice', outcome: 'failed', protocol: 'ldap', reason: 'bad-password', detail: { method: 'password', source: '192.0.2.1' } });
  t.is(Date.parse(e.at), Number(m.id?.split('-')[0]));
  const [stored] = (await api.call(TOKENS.ops, 'GET', '/api/v1/tenants/acme/audit?limit=1')).body.items;
  t.deepEqual(e, stored, 'the JSON of the audit listing');
});

test('backlog sends the newest stored events first, oldest first, then live ones', async (t) => {
  const api = await started(t);
  const dir = acme(api);
  for (const u of ['u1', 'u2', 'u3']) await dir.audit(ldap, 'ldap.auth', u, 'failed');
  const s = await openSse(`${api.url}${STREAM}?backlog=2&outcome=failed`, TOKENS.ops);
  t.teardown(() => s.close());
  t.is(JSON.parse((await s.next()).data).target, 'u2');
  t.is(JSON.parse((await s.next()).data).target, 'u3');
  await dir.audit(ldap, 'ldap.auth', 'u4', 'failed');
  t.is(JSON.parse((await s.next()).data).target, 'u4');
});

test('a client that comes back with Last-Event-ID gets what it missed, then live events', async (t) => {
  const api = await started(t);
  const dir = acme(api);
  const first = await openSse(`${api.url}${STREAM}`, TOKENS.ops);
  await dir.audit(ldap, 'ldap.auth', 'seen', 'ok');
  const seen = await first.next();
  first.close();
  for (const u of ['missed-1', 'missed-2']) await dir.audit(ldap, 'ldap.auth', u, 'ok');
  const again = await openSse(`${api.url}${STREAM}`, TOKENS.ops, { 'last-event-id': seen.id! });
  t.teardown(() => again.close());
  t.is(JSON.parse((await again.next()).data).target, 'missed-1');
  t.is(JSON.parse((await again.next()).data).target, 'missed-2');
  await dir.audit(ldap, 'ldap.auth', 'live', 'ok');
  t.is(JSON.parse((await again.next()).data).target, 'live', 'nothing twice, nothing before the cursor');
  // The query parameter does the same for clients that cannot set the header.
  const byQuery = await openSse(`${api.url}${STREAM}?lastEventId=${encodeURIComponent(seen.id!)}`, TOKENS.ops);
  t.teardown(() => byQuery.close());
  t.is(JSON.parse((await byQuery.next()).data).target, 'missed-1');
  const bad = await openSse(`${api.url}${STREAM}`, TOKENS.ops, { 'last-event-id': 'yesterday' });
  t.is(bad.status, 400);
  t.regex(JSON.parse(bad.text).error.message, /Last-Event-ID/);
});

test('heartbeat comments keep an idle stream open', async (t) => {
  const api = await started(t, { stream: { heartbeatMs: 50 } });
  const s = await openSse(`${api.url}${STREAM}`, TOKENS.ops);
  t.teardown(() => s.close());
  t.is((await s.next(5000, { comments: true })).event, ':keep-alive');
});

test('a reload that removes the token ends its stream; a token still valid keeps its own', async (t) => {
  const api = await started(t);
  const helpdesk = await openSse(`${api.url}${STREAM}`, TOKENS.acmeHelpdesk);
  const ops = await openSse(`${api.url}${STREAM}`, TOKENS.ops);
  t.teardown(() => ops.close());
  api.world.live.replace(await registryRotating(TOKENS.acmeHelpdesk));
  const end = await helpdesk.next();
  t.deepEqual([end.event, JSON.parse(end.data)], ['end', { reason: 'access-revoked' }]);
  await helpdesk.closed();
  await acme(api).audit(ldap, 'ldap.auth', 'after-reload', 'ok');
  t.is(JSON.parse((await ops.next()).data).target, 'after-reload');
});

test('shutdown ends open streams with a reason instead of waiting for them', async (t) => {
  const api = await startAdmin();
  const s = await openSse(`${api.url}${STREAM}`, TOKENS.ops);
  await api.close();
  const end = await s.next();
  t.deepEqual([end.event, JSON.parse(end.data)], ['end', { reason: 'shutdown' }]);
});

test('SseStream: data is framed per line, and a client that does not read is cut off at the bound', (t) => {
  const sse = new SseStream({ heartbeatMs: 60_000, maxQueuedBytes: 2000 });
  const ends: string[] = [];
  sse.onEnd((why) => ends.push(why));
  t.true(sse.send({ id: '1-x', event: 'audit', data: 'a\nb' }));
  t.is(String(sse.body.read()), 'retry: 3000\n\nid: 1-x\nevent: audit\ndata: a\ndata: b\n\n');
  let sent = 0;
  while (sent < 1000 && sse.send({ data: 'x'.repeat(100) })) sent++;
  t.true(sent > 5 && sent < 1000, `${sent} sent before the cut`);
  t.deepEqual(ends, ['slow']);
  t.true(sse.ended);
  t.false(sse.send({ data: 'late' }));
  sse.end({ event: 'end', data: '{}' });
  t.deepEqual(ends, ['slow'], 'ended once');
  t.true(sse.body.destroyed);
});

test('over HTTP, a client that stops reading is disconnected, not buffered', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  const api = await started(t, { stream: { maxQueuedBytes: 64 * 1024 }, logger });
  const { port } = new URL(api.url);
  const socket = connect(Number(port), '127.0.0.1');
  t.teardown(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(`GET ${STREAM} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.ops}\r\n\r\n`);
  socket.pause(); // reads nothing: the kernel's buffers fill, then ours
  const dir = acme(api);
  // Large events, so that the kernel's socket buffers (megabytes on loopback) fill in few of them.
  const detail = { reason: 'bad-password', note: 'y'.repeat(16_000) };
  let recorded = 0;
  const cut = () => lines.some((l) => l.event === 'audit.stream' && l.reason === 'slow');
  while (!cut() && recorded < 100_000) {
    await dir.audit(ldap, 'ldap.auth', `u${recorded++}`, 'failed', detail);
    // The memory store answers in microtasks: let the sockets run.
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.true(cut(), `still connected after ${recorded} events`);
  t.true(recorded > 10);
  t.log(`cut off after ${recorded} events of ~16 kB`);
});
