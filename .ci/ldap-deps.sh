#!/bin/sh
# Debian packages the LDAP tests and benchmark need: the OpenLDAP clients (interop), python3-ldap3
# (paged search), slapd (benchmark peer) and nslcd with its NSS module (an LDAP consumer for
# getent). Idempotent and noninteractive; installs nothing that is already present.
set -eu
PKGS="ldap-utils python3-ldap3 slapd nslcd libnss-ldapd"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# slapd's package makes a default database we never use; nslcd must not rewrite nsswitch.conf.
echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
echo "libnss-ldapd libnss-ldapd/nsswitch multiselect" | $SUDO debconf-set-selections
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
# Debian starts the daemons on install where it can; the tests run their own instances.
for d in slapd nslcd; do
  pid=$(cat /run/$d/$d.pid 2>/dev/null || true)
  [ -n "$pid" ] && $SUDO kill "$pid" 2>/dev/null || true
done
exit 0
