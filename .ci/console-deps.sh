#!/bin/sh
# Debian packages the web console's tests need: Chromium (driven by playwright-core through its
# executablePath; playwright never downloads a browser), a font for its screenshots, and
# ldapsearch. Idempotent and noninteractive: nothing is installed when all are present.
set -eu
PKGS="chromium fonts-dejavu-core ldap-utils"
# dpkg-query fails when any of them is unknown; "installed" must show once per package.
if [ "$(dpkg-query -W -f='${db:Status-Status}\n' $PKGS 2>/dev/null | grep -c '^installed$')" -eq 3 ]; then exit 0; fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS
