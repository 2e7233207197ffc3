// Request bodies: each route's size limit, applied before the body is read; JSON nesting and
// container counts bounded before JSON.parse; prototype keys refused; other requests answered
// while a client holds a large upload open.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import anyTest, { type TestFn } from 'ava';
import { JSON_SHAPE_LIMITS, jsonShapeProblem } from '../../src/admin/json-body.ts';
import { TOKENS, withAdmin, type Api } from './helpers.ts';

const test = anyTest as TestFn<{ api: Api }>;
const A = '/api/v1/tenants/acme';

withAdmin(test);

test('the shape scan counts brackets outside strings only, and stops at the first one past a bound', (t) => {
  t.is(jsonShapeProblem('{"a":[1,{"b":"[[[[\\"]]]{{{"}],"c":"\\\\"}'), undefined);
  t.is(jsonShapeProblem(`${'['.repeat(32)}${']'.repeat(32)}`), undefined);
  t.regex(jsonShapeProblem(`${'['.repeat(33)}${']'.repeat(33)}`) ?? '', /deeper than 32 levels/);
  t.regex(jsonShapeProblem(`[${'{},'.repeat(JSON_SHAPE_LIMITS.containers)}{}]`) ?? '', /more than 10000 objects and arrays/);
  // Syntax is JSON.parse's business: an unclosed string or stray bracket is not a shape problem.
  t.is(jsonShapeProblem('{"a": "unclosed'), undefined);
  t.is(jsonShapeProblem(']]]'), undefined);
});

/** A request whose body the test writes itself; resolves with the response (or rejects). */
function rawRequest(api: Api, o: { method: string; path: string; headers: Record<string, string | number> }): { req: ClientRequest; response: Promise<{ status: number; body: any }> } {
  const url = new URL(o.path, api.url);
  const req = request(url, { method: o.method, headers: { 'content-type': 'application/json', ...o.headers } });
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
  });
  return { req, response };
}

test('a Content-Length over the route\'s limit is refused with 413 before the body is sent', async (t) => {
  const { api } = t.context;
  const cases = [
    { path: `${A}/users/alice/password`, method: 'PUT', limit: '16 KiB', length: 20 * 1024 },
    { path: `${A}/users`, method: 'POST', limit: '64 KiB', length: 100 * 1024 },
    { path: `${A}/import`, method: 'POST', limit: '4 MiB', length: 8 * 1024 * 1024 },
  ];
  for (const c of cases) {
    const { req, response } = rawRequest(api, { method: c.method, path: c.path, headers: { authorization: `Bearer ${TOKENS.acmeAdmin}`, 'content-length': c.length } });
    // The headers and 1 KiB of the body, then nothing: the answer comes without the rest.
    req.write('{"password":"' + 'x'.repeat(1024));
    const r = await response;
    req.destroy();
    t.is(r.status, 413, c.path);
    t.deepEqual(r.body, { error: { code: 'TD_INVALID_INPUT', message: `the request body is larger than this route's limit of ${c.limit}` } });
  }
});

test('a chunked body is cut off at the limit: 413 before the client has sent it all', async (t) => {
  const { api } = t.context;
  const { req, response } = rawRequest(api, { method: 'POST', path: `${A}/users`, headers: { authorization: `Bearer ${TOKENS.acmeAdmin}`, 'transfer-encoding': 'chunked' } });
  let answered = false;
  void response.then(() => (answered = true), () => (answered = true));
  const chunk = `"${'y'.repeat(16 * 1024)}",`;
  req.write(`{"uid":"big","sshPublicKeys":[`);
  let sent = 0;
  // Bounded: 8 MiB at most; the server answers after about 64 KiB.
  for (let i = 0; i < 512 && !answered; i++) {
    if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
    sent += chunk.length;
    await new Promise((r) => setImmediate(r));
  }
  const r = await response;
  req.destroy();
  t.is(r.status, 413);
  t.true(sent < 8 * 1024 * 1024, `stopped sending after ${sent} bytes`);
  t.is((await api.call(TOKENS.ops, 'GET', `${A}/users/big`)).status, 404);
});

test('a body nested 10,000 deep, or of 10,001 empty objects, is 400 without being parsed', async (t) => {
  const { api } = t.context;
  const deep = `{"uid":"deep","cn":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
  const wide = `{"users":[${'{},'.repeat(10_000)}{}]}`;
  const cases = [
    { path: `${A}/users`, body: deep, message: /nests objects and arrays deeper than 32 levels/ },
    { path: `${A}/import`, body: `{"users":[${deep}]}`, message: /deeper than 32 levels/ },
    { path: `${A}/import`, body: wide, message: /more than 10000 objects and arrays/ },
  ];
  for (const c of cases) {
    const r = await api.call(TOKENS.acmeAdmin, 'POST', c.path, c.body);
    t.is(r.status, 400, c.path);
    t.is(r.body.error.code, 'TD_INVALID_INPUT');
    t.regex(r.body.error.message, c.message);
  }
  t.is((await api.call(TOKENS.ops, 'GET', `${A}/users/deep`)).status, 404);
});

test('__proto__ and constructor.prototype keys are refused', async (t) => {
  const { api } = t.context;
  for (const body of ['{"uid":"proto","__proto__":{"enabled":false}}', '{"uid":"proto","constructor":{"prototype":{"x":1}}}']) {
    const r = await api.call(TOKENS.acmeAdmin, 'POST', `${A}/users`, body);
    t.is(r.status, 400, body);
    t.deepEqual(r.body.error, { code: 'TD_INVALID_INPUT', message: 'the body is not valid JSON, or names __proto__ or constructor.prototype' });
  }
  t.is((await api.call(TOKENS.ops, 'GET', `${A}/users/proto`)).status, 404);
});

test('a body without a valid token is refused before it is read', async (t) => {
  const { api } = t.context;
  const { req, response } = rawRequest(api, { method: 'POST', path: `${A}/import`, headers: { 'content-length': 1024 * 1024 } });
  req.write('{');
  const r = await response;
  req.destroy();
  t.is(r.status, 401);
});

test('other requests are answered while uploads are held open half-sent', async (t) => {
  const { api } = t.context;
  const held = Array.from({ length: 4 }, () => {
    const h = rawRequest(api, { method: 'POST', path: `${A}/import`, headers: { authorization: `Bearer ${TOKENS.acmeAdmin}`, 'content-length': 4 * 1024 * 1024 - 1 } });
    h.req.write(`{"users":[${'{"uid":"held"},'.repeat(60_000)}`);
    h.response.catch(() => undefined);
    return h;
  });
  try {
    const [tenants, users, ready] = await Promise.all([
      api.call(TOKENS.globexAdmin, 'GET', '/api/v1/tenants'),
      api.call(TOKENS.acmeHelpdesk, 'GET', `${A}/users?limit=1`),
      api.call(undefined, 'GET', '/readyz'),
    ]);
    t.deepEqual([tenants.status, users.status, ready.status], [200, 200, 200]);
  } finally {
    for (const h of held) h.req.destroy();
  }
});
