// A running LDAP front over the fixture config (two tenants, memory store, seed), for the tests.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, type ClientOptions } from 'ldapts';
import { devTls, type TlsMaterial } from '../../src/core/tls.ts';
import { LdapFront, type LdapLimits } from '../../src/ldap/index.ts';
import { makeWorld, type World } from '../helpers/world.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
/** The dev certificate, made once per machine outside the repository. */
export const CERT_DIR = join(tmpdir(), 'tenantdir-ldap-test-certs');

export const ACME = 'dc=acme,dc=example';
export const GLOBEX = 'dc=globex,dc=example';
export const people = (base: string, uid: string): string => `uid=${uid},ou=people,${base}`;
export const group = (base: string, name: string): string => `cn=${name},ou=groups,${base}`;
export const service = (base: string, name: string): string => `cn=${name},ou=services,${base}`;

export const PASSWORDS = {
  alice: 'Correct-Horse-9', bob: 'Battery-Staple-8', carol: 'Disabled-Person-7', dave: 'Nested-Member-77',
  reader: 'reader-secret-1', writer: 'writer-secret-1', globexAlice: 'Globex-Other-55', globexReader: 'globex-reader-1',
} as const;

export interface Harness {
  world: World;
  front: LdapFront;
  port: number;
  ldapsPort: number;
  url: string;
  ldapsUrl: string;
  tls: TlsMaterial;
  /** A connected ldapts client; closed with the harness. */
  client(o?: Partial<ClientOptions>): Client;
  close(): Promise<void>;
}

export async function startLdap(o: { limits?: Partial<LdapLimits>; configDir?: string } = {}): Promise<Harness> {
  const world = await makeWorld({ configDir: o.configDir ?? FIXTURES });
  const tls = await devTls(CERT_DIR);
  const front = new LdapFront({ live: world.live, directory: world.directory, logger: world.logger, tls, ...(o.limits ? { limits: o.limits } : {}) });
  const ports = await front.listen();
  const clients: Client[] = [];
  const url = `ldap://127.0.0.1:${ports.ldap}`;
  return {
    world, front, tls, url,
    port: ports.ldap,
    ldapsPort: ports.ldaps ?? 0,
    ldapsUrl: `ldaps://127.0.0.1:${ports.ldaps}`,
    client(co = {}) {
      const c = new Client({ url, timeout: 5000, connectTimeout: 5000, ...co });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.unbind().catch(() => undefined)));
      await front.close();
      await world.close();
    },
  };
}

/** The result code an ldapts call failed with (undefined if it succeeded). */
export async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: number }).code ?? -1;
  }
}

/** The message an ldapts call failed with. */
export async function messageOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Runs `fn` while acme's user queries each take `ms` longer: for abandon and time limits. */
export async function withSlowUserQueries<T>(h: Harness, ms: number, fn: () => Promise<T>): Promise<T> {
  const acme = h.world.registry.byId('acme');
  if (!acme) throw new Error('the fixture has no acme tenant');
  const dir = h.world.directory.tenant(acme);
  const findUsers = dir.findUsers.bind(dir);
  dir.findUsers = async (q, p) => {
    await new Promise((r) => setTimeout(r, ms));
    return findUsers(q, p);
  };
  try {
    return await fn();
  } finally {
    dir.findUsers = findUsers;
  }
}
