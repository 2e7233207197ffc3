#!/bin/sh
# Debian packages the web console's tests need: Chromium (driven by playwright-core through its
# executablePath; playwright never downloads a browser) and a font for its screenshots.
# Idempotent and noninteractive; installs nothing that is already present.
set -eu
PKGS="chromium fonts-dejavu-core ldap-utils"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
exit 0
