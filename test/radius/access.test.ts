// Access-Request through the real UDP front: PAP, replies, NAS and tenant isolation, the
// Message-Authenticator rules, refusals, lockout, duplicates, reloads, audit and logs.
import test from 'ava';
import { ATTR, CODE, encodeRequest, MS, verifyResponse, VENDOR_MICROSOFT, parsePacket, type Packet } from '../../src/radius/codec.ts';
import { Directory } from '../../src/directory/index.ts';
import { ANSWER_MS, exchange, fixtureCopy, identifier, loadRegistry, NAS, papRequest, startFront, until, vendorValues, type Harness } from './helpers.ts';

let h: Harness;
test.before(async () => { h = await startFront(); });
test.after.always(async () => { await h?.close(); });

function auth(from: string, packet: Buffer, timeoutMs?: number): Promise<Packet | undefined> {
  return exchange({ from, port: h.ports.auth, packet, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}

function request(packet: Buffer): Packet {
  const p = parsePacket(packet);
  if (!p.ok) throw new Error('test built a malformed packet');
  return p.packet;
}

function tunnel(p: Packet): { type?: string; medium?: string; vlan?: string } {
  const tt = p.get(ATTR.TunnelType);
  const tm = p.get(ATTR.TunnelMediumType);
  const tg = p.get(ATTR.TunnelPrivateGroupId);
  return {
    ...(tt ? { type: tt.toString('hex') } : {}),
    ...(tm ? { medium: tm.toString('hex') } : {}),
    ...(tg ? { vlan: tg.toString('hex') } : {}),
  };
}

test.serial('PAP accept: authentic reply, Message-Authenticator first, VLAN by vlans order, timeout, Class, vendor template', async (t) => {
  const req = papRequest({ user: 'alice', password: 'Correct-Horse-9', secret: NAS.acme.secret });
  const reply = await auth(NAS.acme.address, req);
  t.truthy(reply);
  t.is(reply!.code, CODE.AccessAccept);
  t.true(verifyResponse(reply!, request(req), NAS.acme.secret));
  t.is(reply!.attributes[0]?.type, ATTR.MessageAuthenticator);
  // alice is in staff (20) and admins (99); admins comes first in the tenant's vlans list.
  // Tag 1 on all three; Tunnel-Type 13 = VLAN, Tunnel-Medium-Type 6 = IEEE-802.
  t.deepEqual(tunnel(reply!), { type: '0100000d', medium: '01000006', vlan: Buffer.from('\x0199').toString('hex') });
  t.is(reply!.integer(ATTR.SessionTimeout), 3600);
  t.is(reply!.string(ATTR.Class), 'acme-corp');
  t.deepEqual(vendorValues(reply!, 14823, 1).map(String), ['employee']); // aruba:role for staff
  t.deepEqual(vendorValues(reply!, 14988, 3).map(String), ['full']); // Mikrotik-Group for admins
});

test.serial('PAP: a staff-only user gets the staff VLAN and no admin attributes', async (t) => {
  const reply = await auth(NAS.acme.address, papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: NAS.acme.secret }));
  t.is(reply?.code, CODE.AccessAccept);
  t.is(reply!.get(ATTR.TunnelPrivateGroupId)?.toString('latin1'), '\x0120');
  t.deepEqual(vendorValues(reply!, 14988, 3), []);
});

test.serial('PAP: NUL padding after the password is ignored; a wrong password is rejected with an authentic reply', async (t) => {
  const padded = await auth(NAS.acme.address, papRequest({ user: 'bob', password: 'Battery-Staple-7\0\0\0', secret: NAS.acme.secret }));
  t.is(padded?.code, CODE.AccessAccept);
  const req = papRequest({ user: 'bob', password: 'wrong-password-1', secret: NAS.acme.secret });
  const reply = await auth(NAS.acme.address, req);
  t.is(reply?.code, CODE.AccessReject);
  t.true(verifyResponse(reply!, request(req), NAS.acme.secret));
  t.is(reply!.attributes[0]?.type, ATTR.MessageAuthenticator);
  t.false(reply!.has(ATTR.TunnelType));
});

test.serial('Message-Authenticator: missing where required, wrong, or under a wrong secret → no answer, counted', async (t) => {
  const before = h.front.stats().dropped;
  t.is(await auth(NAS.acme.address, papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: NAS.acme.secret, ma: false }), 400), undefined);
  const forged = papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: NAS.acme.secret });
  const ma = forged.indexOf(Buffer.from([ATTR.MessageAuthenticator, 18]), 20);
  forged[ma + 5]! ^= 0x01;
  t.is(await auth(NAS.acme.address, forged, 400), undefined);
  t.is(await auth(NAS.acme.address, papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: 'not-the-secret-0123456789' }), 400), undefined);
  const after = h.front.stats().dropped;
  t.is((after['missing-message-authenticator'] ?? 0) - (before['missing-message-authenticator'] ?? 0), 1);
  t.is((after['bad-message-authenticator'] ?? 0) - (before['bad-message-authenticator'] ?? 0), 2);
});

test.serial('a tenant that does not require Message-Authenticator accepts PAP without one', async (t) => {
  const reply = await auth(NAS.globex.address, papRequest({ user: 'gina', password: 'Engineer-Pass-77', secret: NAS.globex.secret, ma: false }));
  t.is(reply?.code, CODE.AccessAccept);
  t.is(reply!.attributes[0]?.type, ATTR.MessageAuthenticator); // sent anyway
  t.is(reply!.get(ATTR.TunnelPrivateGroupId)?.toString('latin1'), '\x0130');
});

test.serial('isolation: a NAS finds only its own tenant\'s users, even for a name both tenants have', async (t) => {
  // bob exists only in acme.
  t.is((await auth(NAS.globex.address, papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: NAS.globex.secret })))?.code, CODE.AccessReject);
  // acme's alice password does not open globex's alice; globex's does.
  t.is((await auth(NAS.globex.address, papRequest({ user: 'alice', password: 'Correct-Horse-9', secret: NAS.globex.secret })))?.code, CODE.AccessReject);
  t.is((await auth(NAS.globex.address, papRequest({ user: 'alice', password: 'Second-Tenant-3', secret: NAS.globex.secret })))?.code, CODE.AccessAccept);
  // A foreign realm on a tenant's NAS is not stripped: no such user.
  t.is((await auth(NAS.acme.address, papRequest({ user: 'gina@globex', password: 'Engineer-Pass-77', secret: NAS.acme.secret })))?.code, CODE.AccessReject);
  // Its own realm is.
  t.is((await auth(NAS.acme.address, papRequest({ user: 'bob@acme', password: 'Battery-Staple-7', secret: NAS.acme.secret })))?.code, CODE.AccessAccept);
});

test.serial('an unknown NAS is never answered, even with a valid-looking request', async (t) => {
  const before = h.front.stats().dropped['unknown-client'] ?? 0;
  t.is(await auth(NAS.unknown.address, papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: NAS.acme.secret }), 400), undefined);
  t.is((h.front.stats().dropped['unknown-client'] ?? 0) - before, 1);
});

test.serial('MSP-wide NAS: realm picks the tenant (suffix and prefix), stripped; other realms rejected', async (t) => {
  const s = NAS.msp.secret;
  t.is((await auth(NAS.msp.address, papRequest({ user: 'bob@acme', password: 'Battery-Staple-7', secret: s })))?.code, CODE.AccessAccept);
  t.is((await auth(NAS.msp.address, papRequest({ user: 'ACME\\bob', password: 'Battery-Staple-7', secret: s })))?.code, CODE.AccessAccept);
  // globex exists but this NAS may not serve it; no realm; an unknown realm.
  t.is((await auth(NAS.msp.address, papRequest({ user: 'gina@globex', password: 'Engineer-Pass-77', secret: s })))?.code, CODE.AccessReject);
  t.is((await auth(NAS.msp.address, papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: s })))?.code, CODE.AccessReject);
  t.is((await auth(NAS.msp.address, papRequest({ user: 'bob@nowhere', password: 'Battery-Staple-7', secret: s })))?.code, CODE.AccessReject);
  // MSP-wide clients always need Message-Authenticator.
  t.is(await auth(NAS.msp.address, papRequest({ user: 'bob@acme', password: 'Battery-Staple-7', secret: s, ma: false }), 400), undefined);
  const events = await h.world.store.tenant('globex').audit.list({ action: 'radius.auth', limit: 10 });
  t.true(events.some((e) => e.reason === 'realm-not-allowed' && e.actor === 'radius:msp-core'));
});

test.serial('a disabled user is rejected even with the right password', async (t) => {
  t.is((await auth(NAS.acme.address, papRequest({ user: 'carol', password: 'Switched-Off-55', secret: NAS.acme.secret })))?.code, CODE.AccessReject);
});

test.serial('CHAP and MS-CHAPv1 are refused with a Reply-Message that says why', async (t) => {
  const chap = encodeRequest({
    code: CODE.AccessRequest, identifier: identifier(), secret: NAS.acme.secret, messageAuthenticator: true,
    attributes: [{ type: ATTR.UserName, value: Buffer.from('bob') }, { type: ATTR.ChapPassword, value: Buffer.alloc(17, 1) }],
  });
  const r1 = await auth(NAS.acme.address, chap);
  t.is(r1?.code, CODE.AccessReject);
  t.regex(r1!.string(ATTR.ReplyMessage) ?? '', /CHAP is not supported.*plaintext/);
  const v1 = encodeRequest({
    code: CODE.AccessRequest, identifier: identifier(), secret: NAS.acme.secret, messageAuthenticator: true,
    attributes: [
      { type: ATTR.UserName, value: Buffer.from('bob') },
      { type: MS.ChapChallenge, vendor: VENDOR_MICROSOFT, value: Buffer.alloc(8, 2) },
      { type: MS.ChapResponse, vendor: VENDOR_MICROSOFT, value: Buffer.alloc(50, 3) },
    ],
  });
  const r2 = await auth(NAS.acme.address, v1);
  t.is(r2?.code, CODE.AccessReject);
  t.regex(r2!.string(ATTR.ReplyMessage) ?? '', /MS-CHAPv1 is not supported/);
});

test.serial('duplicates: a retransmission gets the same reply without a second authentication', async (t) => {
  const req = papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: NAS.acme.secret });
  const countAudits = async () => (await h.world.store.tenant('acme').audit.list({ action: 'radius.auth', target: 'bob', limit: 1000 })).length;
  const first = await auth(NAS.acme.address, req);
  const audits = await countAudits();
  const before = h.front.stats().duplicates;
  // Same source port matters: send both from one socket.
  const { createSocket } = await import('node:dgram');
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, NAS.acme.address, resolve));
  const replies: Buffer[] = [];
  const got = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    socket.on('message', (m) => { replies.push(m); if (replies.length === 2) { clearTimeout(timer); resolve(); } });
  });
  socket.send(req, h.ports.auth, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 150));
  socket.send(req, h.ports.auth, '127.0.0.1');
  await got;
  socket.close();
  t.is(first?.code, CODE.AccessAccept);
  t.is(replies.length, 2);
  t.deepEqual(replies[0], replies[1]);
  t.is(h.front.stats().duplicates - before, 1);
  t.is(await countAudits(), audits + 1);
});

test.serial('every authentication is audited; no password or secret reaches the log', async (t) => {
  await auth(NAS.acme.address, papRequest({ user: 'erin', password: 'Temporary-Pass-8', secret: NAS.acme.secret }));
  await auth(NAS.acme.address, papRequest({ user: 'erin', password: 'Wrong-Pass-999', secret: NAS.acme.secret }));
  const events = await h.world.store.tenant('acme').audit.list({ action: 'radius.auth', target: 'erin', limit: 10 });
  t.deepEqual(events.map((e) => e.outcome).sort(), ['failed', 'ok']);
  t.true(events.every((e) => e.actor === 'radius:acme-ap' && e.detail?.['source'] === '127.0.0.1' && e.detail?.['method'] === 'pap' && e.detail?.['credential'] === 'password' && e.detail?.['nas'] === 'acme-ap'));
  t.is(events.find((e) => e.outcome === 'failed')?.reason, 'bad-password');
  const lines = h.logs.filter((l) => l['event'] === 'radius.auth' && l['user'] === 'erin');
  t.deepEqual(lines.map((l) => [l['tenant'], l['nas'], l['method'], l['outcome']]).sort(), [['acme', 'acme-ap', 'pap', 'accept'], ['acme', 'acme-ap', 'pap', 'reject']]);
  const text = h.logText();
  for (const secret of ['Temporary-Pass-8', 'Wrong-Pass-999', 'Correct-Horse-9', NAS.acme.secret, NAS.globex.secret, NAS.msp.secret, '$2b$']) {
    t.false(text.includes(secret), `log contains ${secret}`);
  }
});

test.serial('Status-Server (RFC 5997) is answered on both ports, only with a Message-Authenticator', async (t) => {
  for (const [port, code] of [[h.ports.auth, CODE.AccessAccept], [h.ports.acct, CODE.AccountingResponse]] as const) {
    const req = encodeRequest({ code: CODE.StatusServer, identifier: identifier(), secret: NAS.acme.secret, messageAuthenticator: true, attributes: [] });
    const reply = await exchange({ from: NAS.acme.address, port, packet: req });
    t.is(reply?.code, code);
    t.true(verifyResponse(reply!, request(req), NAS.acme.secret));
    const bare = encodeRequest({ code: CODE.StatusServer, identifier: identifier(), secret: NAS.acme.secret, attributes: [] });
    t.is(await exchange({ from: NAS.acme.address, port, packet: bare, timeoutMs: 300 }), undefined);
  }
});

test.serial('smart lockout over RADIUS: a guessing station waits, the account locks for other stations, its own station keeps working', async (t) => {
  const l = await startFront();
  try {
    const send = (password: string, station: string) => exchange({
      from: NAS.acme.address, port: l.ports.auth, timeoutMs: 500,
      packet: papRequest({ user: 'dave', password, secret: NAS.acme.secret, attributes: [{ type: ATTR.CallingStationId, value: Buffer.from(station) }] }),
    });
    const own = 'AA-BB-CC-00-00-01';
    t.is((await send('Three-Strikes-42', own))?.code, CODE.AccessAccept, "dave's phone signs in: a familiar station");
    for (let i = 0; i < 3; i++) t.is((await send(`Not-His-Pass-${i}`, 'EE-EE-EE-00-00-66'))?.code, CODE.AccessReject);
    t.is(await send('Three-Strikes-42', 'EE-EE-EE-00-00-66'), undefined, 'the guessing station must wait: dropped, the NAS retries');
    t.is((await send('Three-Strikes-42', 'CC-CC-CC-00-00-02'))?.code, CODE.AccessReject, 'another station: the account is locked');
    const events = await l.world.store.tenant('acme').audit.list({ action: 'radius.auth', target: 'dave', limit: 1 });
    t.is(events[0]?.reason, 'locked');
    t.truthy(await l.world.directory.tenant(l.world.registry.byId('acme')!).lockedUntil('dave'));
    t.is((await send('Three-Strikes-42', own))?.code, CODE.AccessAccept, 'its own station is not locked out');
  } finally {
    await l.close();
  }
});

test.serial('lockout: the NAS that failed waits (its request dropped, not rejected; its retry after the wait answered); the lock refuses the right password elsewhere', async (t) => {
  // The directory's clock is the test's: the source's wait ends when the test says so.
  let clock = Date.now();
  let directory: Directory | undefined;
  const l = await startFront({
    directory: (w) => (directory = new Directory({ store: w.store, auditor: w.auditor, logger: w.logger, bcryptCost: 4, now: () => new Date(clock) })),
  });
  try {
    const send = (from: string, packet: Buffer, timeoutMs = ANSWER_MS) => exchange({ from, port: l.ports.auth, packet, timeoutMs });
    const pap = (password: string) => papRequest({ user: 'dave', password, secret: NAS.acme.secret });
    for (let i = 0; i < 3; i++) t.is((await send(NAS.acme.address, pap(`Not-His-Pass-${i}`)))?.code, CODE.AccessReject);
    // Three wrong passwords from this NAS: it must wait. Dropped, not rejected: the NAS retries.
    const right = pap('Three-Strikes-42');
    t.is(await send(NAS.acme.address, right, 500), undefined);
    await until(() => l.front.stats().dropped.throttled === 1, 'the throttled drop');
    // The lock (threshold 3) refuses the right password from another NAS, without a wait there.
    const elsewhere = await send(NAS.msp.address, papRequest({ user: 'dave@acme', password: 'Three-Strikes-42', secret: NAS.msp.secret }));
    t.is(elsewhere?.code, CODE.AccessReject);
    const events = await l.world.store.tenant('acme').audit.list({ action: 'radius.auth', target: 'dave', limit: 10 });
    t.is(events[0]?.reason, 'locked');
    t.is(events[1]?.reason, 'throttled');
    t.truthy(await directory!.tenant(l.world.registry.byId('acme')!).lockedUntil('dave'));
    // After the wait the NAS's retry is checked, and the lock refuses it.
    clock += 5_000;
    t.is((await send(NAS.acme.address, right))?.code, CODE.AccessReject);
    t.is(l.front.stats().dropped.throttled, 1);
    t.is((await l.world.store.tenant('acme').audit.list({ action: 'radius.auth', target: 'dave', limit: 1 }))[0]?.reason, 'locked');
  } finally {
    await l.close();
    await directory?.close();
  }
});

test.serial('a reply over 4,096 bytes (many Proxy-State) becomes an Access-Reject audited as reply-too-large; when not even that fits, nothing is sent', async (t) => {
  // As many Proxy-State as fit: the request is 4,096 bytes; alice's Accept (VLAN, Class, vendor
  // attributes) would be longer, the Reject (Message-Authenticator and Proxy-State) is not.
  const proxyStates = Array.from({ length: 15 }, (_, i) => ({ type: ATTR.ProxyState, value: Buffer.alloc(253, 0x41 + i) }));
  const pap = (extra: typeof proxyStates) => papRequest({ user: 'alice', password: 'Correct-Horse-9', secret: NAS.acme.secret, attributes: extra });
  const filler = { type: ATTR.ProxyState, value: Buffer.alloc(4096 - pap(proxyStates).length - 2, 0x5a) };
  proxyStates.push(filler);
  const req = pap(proxyStates);
  t.is(req.length, 4096);
  const reply = await auth(NAS.acme.address, req, ANSWER_MS);
  t.is(reply?.code, CODE.AccessReject);
  t.true(reply!.bytes.length <= 4096);
  t.true(verifyResponse(reply!, request(req), NAS.acme.secret));
  t.deepEqual(reply!.all(ATTR.ProxyState), proxyStates.map((p) => p.value));
  const [event] = await h.world.store.tenant('acme').audit.list({ action: 'radius.auth', target: 'alice', limit: 1 });
  t.like(event, { outcome: 'failed', reason: 'reply-too-large', detail: { method: 'pap', reply: 'accept' } });
  t.true(h.logs.some((l) => l['event'] === 'radius.auth' && l['user'] === 'alice' && l['outcome'] === 'reject' && l['reason'] === 'reply-too-large'));

  // globex takes requests without Message-Authenticator, so Proxy-State can fill one to 4,096
  // bytes; the answer must add a Message-Authenticator and cannot fit: dropped and counted.
  const before = h.front.stats().dropped['reply-too-large'] ?? 0;
  const full = encodeRequest({
    code: CODE.AccessRequest, identifier: identifier(), secret: NAS.globex.secret,
    attributes: [...proxyStates.slice(0, 15), { type: ATTR.ProxyState, value: Buffer.alloc(4096 - 20 - 15 * 255 - 2, 0x50) }],
  });
  t.is(full.length, 4096);
  t.is(await auth(NAS.globex.address, full, 400), undefined);
  await until(() => h.front.stats().dropped['reply-too-large'] === before + 1, 'the drop');
});

test.serial('reload: a changed secret applies to the next packet, and a removed NAS is no longer answered', async (t) => {
  const copy = await fixtureCopy({
    'tenants/acme.yaml': (s) => s.replace('acme-ap-secret-0123456789', 'acme-ap-rotated-secret-0123'),
    'tenants/globex.yaml': (s) => s.replace(/clients:\n {4}- \{ name: globex-ap.*\n/, 'clients: []\n'),
  });
  const l = await startFront();
  try {
    const send = (from: string, secret: string, timeoutMs = 2000) =>
      exchange({ from, port: l.ports.auth, timeoutMs, packet: papRequest({ user: from === NAS.acme.address ? 'bob' : 'gina', password: from === NAS.acme.address ? 'Battery-Staple-7' : 'Engineer-Pass-77', secret }) });
    t.is((await send(NAS.acme.address, NAS.acme.secret))?.code, CODE.AccessAccept);
    t.is((await send(NAS.globex.address, NAS.globex.secret))?.code, CODE.AccessAccept);
    l.world.live.replace(await loadRegistry(copy.dir));
    t.is(await send(NAS.acme.address, NAS.acme.secret, 400), undefined);
    t.is((await send(NAS.acme.address, 'acme-ap-rotated-secret-0123'))?.code, CODE.AccessAccept);
    t.is(await send(NAS.globex.address, NAS.globex.secret, 400), undefined);
  } finally {
    await l.close();
    await copy.remove();
  }
});

test.serial('IPv6: with host "::" one socket serves NAS clients over IPv6 and IPv4', async (t) => {
  const copy = await fixtureCopy({ 'tenantdir.yaml': (s) => s.replace('host: 127.0.0.1', 'host: "::"') });
  const l = await startFront({ configDir: copy.dir });
  try {
    const v6 = await exchange({ from: '::1', host: '::1', port: l.ports.auth, packet: papRequest({ user: 'bob', password: 'Battery-Staple-7', secret: 'acme-v6-secret-0123456789' }) });
    t.is(v6?.code, CODE.AccessAccept);
    const v4 = await exchange({ from: NAS.globex.address, port: l.ports.auth, packet: papRequest({ user: 'gina', password: 'Engineer-Pass-77', secret: NAS.globex.secret }) });
    t.is(v4?.code, CODE.AccessAccept);
  } finally {
    await l.close();
    await copy.remove();
  }
});
