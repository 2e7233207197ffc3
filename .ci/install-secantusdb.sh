#!/usr/bin/env bash
# Installs the second test MongoDB-wire server, SecantusDB (WiredTiger with a query planner), from
# PyPI into a venv at ~/.cache/tenantdir/secantusdb, once per machine. GPL-2.0: it only ever runs
# as a separate test process, never linked or shipped. Test-only: product code is TypeScript.
set -euo pipefail
venv="${TENANTDIR_SECANTUSDB_VENV:-$HOME/.cache/tenantdir/secantusdb}"
if [[ -x "$venv/bin/secantusd-py" ]]; then
  echo "secantusdb: cached at $venv"
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check SecantusDB
"$venv/bin/pip" show SecantusDB | sed -n 's/^Version: /secantusdb: installed /p'
