import { Writable } from 'node:stream';
import test from 'ava';
import { createLogger } from '../../src/core/log.ts';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('the logger redacts secrets at any depth we log', (t) => {
  const out = capture();
  const log = createLogger({ destination: out.stream });
  log.info({ event: 'x', password: 'hunter2hunter2', token: 'tok-123', user: { passwordHash: '$2b$10$abc', secret: 's3cr3t' }, req: { headers: { authorization: 'Bearer zzz' } } }, 'm');
  const text = JSON.stringify(out.lines());
  for (const secret of ['hunter2hunter2', 'tok-123', '$2b$10$abc', 's3cr3t', 'Bearer zzz']) t.false(text.includes(secret), secret);
  t.true(text.includes('[redacted]'));
});

test('log lines are one JSON object each with the service and level', (t) => {
  const out = capture();
  const log = createLogger({ destination: out.stream }).child({ component: 'ldap', tenant: 'acme' });
  log.info({ event: 'ldap.bind', outcome: 'ok' }, 'bound');
  const [line] = out.lines();
  t.is(line?.service, 'tenantdir');
  t.is(line?.tenant, 'acme');
  t.is(line?.event, 'ldap.bind');
  t.is(line?.level, 30);
});
