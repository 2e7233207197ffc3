// An LDAP consumer resolving users and groups: nslcd (nss-pam-ldapd, Debian) configured against
// the front, queried through glibc NSS with `getent`. nslcd and libnss-ldap read fixed system
// paths (/etc/nslcd.conf, /etc/nsswitch.conf, /run/nslcd/socket), so the test runs them inside a
// private mount namespace (unshare -m) with its own files bind-mounted over those paths: the
// machine's configuration is never touched. Needs root (or CAP_SYS_ADMIN) and .ci/ldap-deps.sh.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ACME, PASSWORDS, service, startLdap, type Harness } from './helpers.ts';

let h: Harness;
test.before(async () => { h = await startLdap(); });
test.after.always(async () => { await h?.close(); });

const SCRIPT = `
set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/nslcd
mount --bind "$DIR/nslcd.conf" /etc/nslcd.conf
mount --bind "$DIR/nsswitch.conf" /etc/nsswitch.conf
nslcd -d > "$DIR/nslcd.log" 2>&1 &
pid=$!
i=0
while [ ! -S /run/nslcd/socket ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
echo "--- passwd"; getent passwd alice || echo "(passwd lookup failed: $?)"
echo "--- group"; getent group staff || echo "(group lookup failed: $?)"
echo "--- initgroups"; id -Gn dave || true
echo "--- nobody"; getent passwd no-such-user || echo "(not found: $?)"
kill $pid
`;

test('getent passwd/group resolve tenant users and groups through nslcd (StartTLS)', async (t) => {
  if (!existsSync('/usr/sbin/nslcd') || !existsSync('/usr/bin/unshare')) return t.fail('nslcd/unshare missing: run .ci/ldap-deps.sh');
  if (process.getuid?.() !== 0) return t.fail('needs root for a private mount namespace (unshare -m); see the header');
  const dir = await mkdtemp(join(tmpdir(), 'tenantdir-nslcd-'));
  await writeFile(join(dir, 'nslcd.conf'), [
    `uri ldap://127.0.0.1:${h.port}/`,
    `base ${ACME}`,
    `binddn ${service(ACME, 'reader')}`,
    `bindpw ${PASSWORDS.reader}`,
    'ssl start_tls',
    `tls_cacertfile ${h.tls.certPath}`,
    'tls_reqcert demand',
    // rfc2307bis: member holds DNs, and nested groups resolve.
    'map group member member',
    'nss_nested_groups yes',
    '',
  ].join('\n'));
  await chmod(join(dir, 'nslcd.conf'), 0o600);
  // ldap first: the host has its own "staff" group in /etc/group.
  await writeFile(join(dir, 'nsswitch.conf'), 'passwd: ldap files\ngroup: ldap files\nshadow: files\n');
  const out = await new Promise<string>((resolve) => {
    execFile('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', SCRIPT], { env: { ...process.env, DIR: dir }, timeout: 9000 },
      (err, stdout, stderr) => resolve(`${stdout}${stderr}${err ? `\n(exit ${String(err.code)})` : ''}`));
  });
  t.log(out);
  t.regex(out, /^alice:\*?x?:\d+:\d+:Alice Smith:\/home\/alice:\/bin\/bash$/m);
  t.regex(out, /^staff:\*?x?:\d+:.*\balice\b/m);
  t.regex(out, /^staff:.*\bdave\b/m, 'dave is in staff through the nested devs group');
  t.regex(out, /--- initgroups\n.*\bstaff\b/);
  t.regex(out, /--- nobody\n\(not found: 2\)/);
});
