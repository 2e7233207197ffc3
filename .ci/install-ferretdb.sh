#!/usr/bin/env bash
# Builds the test MongoDB server (FerretDB v1.24 on SQLite) once per machine, from the Go module
# proxy, into ~/.cache/tenantdir/bin. Test-only: product code is TypeScript.
set -euo pipefail
version=v1.24.2
bin="${TENANTDIR_FERRETDB:-$HOME/.cache/tenantdir/bin/ferretdb}"
# Read the whole version text first: `| grep -q` could end the pipe early and fail the check.
if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null || true)" == *"version: $version"* ]]; then
  echo "ferretdb: cached at $bin"
  exit 0
fi
mkdir -p "$(dirname "$bin")"
echo "ferretdb: building $version (about 2 minutes)"
# A plain `go install` leaves build/version/version.txt empty and the binary panics at start, so
# build from the module source with that file written, as FerretDB's own build does.
download() { go mod download -json "github.com/FerretDB/FerretDB@$version"; }
if ! json=$(download); then
  # The checksum database may be out of reach; the module proxy alone still serves the module.
  echo "ferretdb: retrying with GOSUMDB=off"
  json=$(GOSUMDB=off download)
fi
moddir=$(sed -n 's/.*"Dir": "\(.*\)".*/\1/p' <<<"$json")
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cp -r "$moddir"/. "$src"
chmod -R u+w "$src"
echo "$version" > "$src/build/version/version.txt"
(cd "$src" && GOFLAGS=-mod=mod go build -o "$bin" ./cmd/ferretdb)
"$bin" --version | head -3
