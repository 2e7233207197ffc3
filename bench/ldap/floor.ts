// The floor under the LDAP front: server.ts and connection.ts (sockets, framing, decoding, encoding)
// with a stub session that answers every search with one fixed entry and every bind with
// success, no directory or store behind it. Compare its CPU per operation with run.ts's to see
// what the protocol logic and the store add, and with slapd's.
//   npx tsx bench/ldap/floor.ts uid|bind
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../../src/core/log.ts';
import { resolveLimits } from '../../src/ldap/limits.ts';
import { RC } from '../../src/ldap/protocol.ts';
import { LdapServer } from '../../src/ldap/server.ts';
const entry = { dn: 'uid=u0042,ou=people,dc=t0,dc=bench', attributes: [['uid', ['u0042']], ['cn', ['User 42']], ['mail', ['u0042@t.example']], ['uidNumber', ['10042']], ['gidNumber', ['10042']], ['homeDirectory', ['/home/u0042']], ['loginShell', ['/bin/bash']]] as [string, string[]][] };
const server = new LdapServer({ sessions: { open: () => ({ authenticated: true, close() {}, async handle(m, sink) { if (m.request.op === 'search') sink.entry(entry); return { code: RC.success }; } }) }, logger: silentLogger(), limits: resolveLimits() });
const { ldap } = await server.listen({ port: 0, host: '127.0.0.1' });
const c0 = process.cpuUsage();
const out = await new Promise<string>((r) => execFile(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./loadgen.ts', import.meta.url)), JSON.stringify({ port: ldap, connections: 8, seconds: 5, workload: process.argv[2] ?? 'uid', tenants: 1, users: 1000, bindDn: 'cn=x', password: 'y', base: 'dc=t0,dc=bench' })], (_e, so, se) => r(so + se)));
const c = process.cpuUsage(c0);
const ops = (JSON.parse(out) as { ops: number }).ops;
console.log(out.trim(), `server CPU ${Math.round((c.user + c.system) / ops)} µs/op`);
await server.close();
