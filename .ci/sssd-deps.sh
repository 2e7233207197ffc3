#!/bin/sh
# Debian packages test/ldap/sssd.test.ts needs: SSSD's LDAP provider (sssd-ldap), the NSS and
# PAM modules SSSD answers through (libnss-sss, libpam-sss) and pamtester (a PAM client).
# Idempotent and noninteractive; installs nothing already present.
#
# The test runs SSSD in a private mount namespace with its own nsswitch.conf and PAM service, so
# the machine itself must stay as it was. Two maintainer scripts would change it:
# - libnss-sss's postinst (dh_installnss) appends `sss` to passwd/group/shadow/netgroup/services
#   in /etc/nsswitch.conf and adds an `automount:` line: put back the copy taken before install.
# - libpam-sss and libpam-pwquality (a dependency of libpam-sss) run `pam-auth-update --package`,
#   which enables their profiles in /etc/pam.d/common-*: `pam-auth-update --disable` every profile
#   the install brought takes them out again and records them as seen, so later pam-auth-update
#   runs (other packages) don't bring them back. sssd-common adds /etc/pam.d/sssd-shadowutils, a
#   service of its own that nothing here uses.
# sssd-common would start the sssd service where invoke-rc.d can: a policy-rc.d answering 101
# (action forbidden) stops that; the test runs its own `sssd -i`.
set -eu
PKGS="sssd-ldap libnss-sss libpam-sss pamtester"
installed=$(dpkg-query -W -f='${db:Status-Abbrev}\n' $PKGS 2>/dev/null | grep -c '^ii' || true)
if [ "$installed" -eq "$(echo $PKGS | wc -w)" ]; then
  echo "sssd-deps: all present ($PKGS)"
  exit 0
fi
echo "sssd-deps: installing what is missing of $PKGS"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

saved=$(mktemp -d)
policy=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
  [ "$created_policy" = 1 ] && $SUDO rm -f "$policy"
  rm -rf "$saved"
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy" && created_policy=1
fi
[ -e /etc/nsswitch.conf ] && cp -p /etc/nsswitch.conf "$saved/nsswitch.conf"
ls /usr/share/pam-configs > "$saved/pam-profiles" 2>/dev/null || true

$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $PKGS

if [ -e "$saved/nsswitch.conf" ] && ! cmp -s "$saved/nsswitch.conf" /etc/nsswitch.conf; then
  echo "sssd-deps: putting back /etc/nsswitch.conf (libnss-sss added sss to it)"
  $SUDO cp -p "$saved/nsswitch.conf" /etc/nsswitch.conf
fi
new_profiles=$(ls /usr/share/pam-configs 2>/dev/null | grep -vxF -f "$saved/pam-profiles" || true)
if [ -n "$new_profiles" ]; then
  echo "sssd-deps: disabling the new PAM profiles in /etc/pam.d/common-*:" $new_profiles
  # shellcheck disable=SC2086 # one argument per profile
  $SUDO pam-auth-update --package --disable $new_profiles
fi
# The package may have started sssd after all (an init without policy-rc.d support).
pid=$(cat /run/sssd.pid 2>/dev/null || true)
if [ -n "$pid" ]; then $SUDO kill "$pid" 2>/dev/null || true; fi
exit 0
