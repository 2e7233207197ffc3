#!/usr/bin/env bash
# Debian packages the RADIUS interop tests and benchmark use: radclient/radtest
# (freeradius-utils), pyrad and pycryptodome (an independent MS-CHAPv2 client), eapol_test, and
# FreeRADIUS itself (the benchmark peer; its service is not started). Idempotent: installs only
# what is missing, noninteractively.
set -euo pipefail

packages=(freeradius-utils python3-pyrad python3-pycryptodome eapoltest freeradius)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "radius-deps: all present (${packages[*]})"
  exit 0
fi
echo "radius-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101: the freeradius package must not start its service on this machine.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[[ $created_policy == 1 ]] && rm -f "$policy"' EXIT
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends "${missing[@]}"
