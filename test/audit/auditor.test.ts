// The Auditor's live side: listeners hear each tenant's stored events, in order, and nothing of
// another tenant's; an event the store refused is heard by nobody; a failing listener harms no one.
import test from 'ava';
import { Auditor } from '../../src/audit/index.ts';
import { createLogger, silentLogger } from '../../src/core/log.ts';
import { MemoryStore, type AuditEvent, type Store } from '../../src/store/index.ts';

const event = (target: string) => ({ actor: 'ops', protocol: 'admin' as const, action: 'user.update', target, outcome: 'ok' as const });

test('a listener hears its tenant\'s events once stored, in order, until it unsubscribes', async (t) => {
  const store = new MemoryStore();
  const auditor = new Auditor(store, silentLogger());
  const heard: AuditEvent[] = [];
  const other: AuditEvent[] = [];
  const stop = auditor.tenant('acme').subscribe((e) => heard.push(e));
  auditor.tenant('globex').subscribe((e) => other.push(e));
  await auditor.tenant('acme').record(event('alice'));
  await auditor.tenant('acme').recordMany([event('m1'), event('m2')]);
  t.deepEqual(heard.map((e) => e.target), ['alice', 'm1', 'm2']);
  t.deepEqual(heard, (await store.tenant('acme').audit.list({ limit: 10 })).reverse(), 'what is heard is what is stored');
  t.deepEqual(other, []);
  stop();
  stop();
  await auditor.tenant('acme').record(event('after'));
  t.is(heard.length, 3);
});

test('an event the store refused is logged, heard by nobody, and does not fail the caller', async (t) => {
  const memory = new MemoryStore();
  const broken: Store = {
    kind: 'memory', health: () => memory.health(), close: () => memory.close(), tenants: (ids) => memory.tenants(ids),
    tenant: (id) => ({ ...memory.tenant(id), audit: { ...memory.tenant(id).audit, append: () => Promise.reject(new Error('down')) } }),
  };
  const lines: Record<string, unknown>[] = [];
  const auditor = new Auditor(broken, createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } }));
  const heard: unknown[] = [];
  auditor.tenant('acme').subscribe((e) => heard.push(e));
  await auditor.tenant('acme').record(event('alice'));
  t.deepEqual(heard, []);
  t.true(lines.some((l) => l.event === 'audit.write' && l.outcome === 'failed'));
  t.true(lines.some((l) => l.event === 'user.update' && l.target === 'alice'), 'the log line still carries the event');
});

test('a listener that throws is logged; the others still hear the event', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const auditor = new Auditor(new MemoryStore(), createLogger({ destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } }));
  const heard: string[] = [];
  auditor.tenant('acme').subscribe(() => { throw new Error('boom'); });
  auditor.tenant('acme').subscribe((e) => heard.push(e.target ?? ''));
  await auditor.tenant('acme').record(event('alice'));
  t.deepEqual(heard, ['alice']);
  t.true(lines.some((l) => l.event === 'audit.listener' && l.tenant === 'acme' && l.outcome === 'failed'));
});
