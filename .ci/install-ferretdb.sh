#!/usr/bin/env bash
# Builds the test MongoDB server (FerretDB v1.24 on SQLite) once per machine, from the Go module
# proxy, into ~/.cache/tenantdir/bin. Test-only: product code is TypeScript.
set -euo pipefail
bin="${TENANTDIR_FERRETDB:-$HOME/.cache/tenantdir/bin/ferretdb}"
if [[ -x "$bin" ]] && "$bin" --version >/dev/null 2>&1; then
  echo "ferretdb: cached at $bin"
  exit 0
fi
mkdir -p "$(dirname "$bin")"
echo "ferretdb: building v1.24.2 with go install (about 2 minutes)"
if ! GOBIN="$(dirname "$bin")" go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2; then
  # The checksum database may be out of reach here; the module proxy alone still serves it.
  echo "ferretdb: retrying with GOSUMDB=off"
  GOSUMDB=off GOBIN="$(dirname "$bin")" go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2
fi
"$bin" --version | head -1
