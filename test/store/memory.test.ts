import test from 'ava';
import type { DestinationStream } from 'pino';
import { createLogger } from '../../src/core/log.ts';
import { MemoryStore, openStore } from '../../src/store/index.ts';
import { runStoreConformance } from './conformance.ts';
import { runOutboxConformance } from './outbox-conformance.ts';
import { runPosixConformance } from './posix-conformance.ts';
import { runReportConformance } from './report-conformance.ts';

runStoreConformance({ name: 'memory', open: async () => new MemoryStore() });
runPosixConformance({ name: 'memory', open: async () => new MemoryStore() });
runOutboxConformance({ name: 'memory', open: async () => new MemoryStore() });
runReportConformance({ name: 'memory', open: async () => new MemoryStore() });

test('openStore without a uri is the memory store, with one loud warning', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const destination: DestinationStream = { write: (s) => void lines.push(JSON.parse(s) as Record<string, unknown>) };
  const store = await openStore({ logger: createLogger({ destination }) });
  t.is(store.kind, 'memory');
  t.is(lines.length, 1);
  t.is(lines[0]?.event, 'store.memory');
  t.is(lines[0]?.level, 40);
  t.regex(String(lines[0]?.msg), /NOTHING PERSISTS.*storage\.uri/);
});

test('openStore refuses a URI that is not MongoDB, without repeating its credentials', async (t) => {
  const logger = createLogger({ destination: { write: () => undefined } });
  const err = await t.throwsAsync(openStore({ uri: 'postgres://admin:s3cret@db.example/x', logger }), { code: 'TD_CONFIG_INVALID' });
  t.regex(err?.message ?? '', /postgres/);
  t.false(err?.message.includes('s3cret'));
  await t.throwsAsync(openStore({ uri: 'hunter2', logger }), { message: /not a URI/ });
});

test('memory: purge keeps and drops hundreds of thousands of entries (no argument-spread limit)', async (t) => {
  const store = new MemoryStore();
  const a = store.tenant('big');
  const n = 200_000;
  const base = Date.parse('2024-01-01T00:00:00Z');
  await a.audit.appendMany(Array.from({ length: n }, (_, i) => ({ at: new Date(base + i), actor: 'x', action: 'user.update', outcome: 'ok' as const })));
  const started = Date.now();
  t.is(await a.audit.purge(new Date(base + 10)), 10);
  t.is(await a.audit.purge(new Date(base + 10)), 0);
  t.true(Date.now() - started < 2000, `purge took ${Date.now() - started} ms`);
  const newest = await a.audit.list({ limit: 1 });
  t.is(newest[0]?.at.getTime(), base + n - 1);
  t.is((await a.audit.list({ until: new Date(base + 11), limit: 5 })).length, 1);
});
