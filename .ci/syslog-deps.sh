#!/bin/sh
# Debian packages test/integrations/syslog.test.ts needs: rsyslog, the SIEM-side receiver the
# syslog sink is checked against (RFC 5424 parser, UDP, TCP with octet-counting framing), and
# rsyslog-gnutls for its TLS listener (RFC 5425). Idempotent and noninteractive; installs nothing
# already present.
#
# The test runs its own `rsyslogd -n -f <its config>` on 127.0.0.1; the machine's rsyslog
# service must not start: a policy-rc.d answering 101 (action forbidden) keeps the package's
# maintainer scripts from starting it.
set -eu
PKGS="rsyslog rsyslog-gnutls"
installed=$(dpkg-query -W -f='${db:Status-Abbrev}\n' $PKGS 2>/dev/null | grep -c '^ii' || true)
if [ "$installed" -eq "$(echo $PKGS | wc -w)" ]; then
  echo "syslog-deps: all present ($PKGS)"
  exit 0
fi
echo "syslog-deps: installing what is missing of $PKGS"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

policy=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
  [ "$created_policy" = 1 ] && $SUDO rm -f "$policy"
  return 0
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy" && created_policy=1
fi

$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $PKGS
# An init without policy-rc.d support may have started the service after all.
pid=$(cat /run/rsyslogd.pid 2>/dev/null || true)
if [ -n "$pid" ]; then $SUDO kill "$pid" 2>/dev/null || true; fi
exit 0
