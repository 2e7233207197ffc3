#!/usr/bin/env bash
# A private PostgreSQL 15 cluster and FerretDB v1.24 on its PostgreSQL backend, for run.ts:
#
#   bash bench/import/ferretdb-pg.sh start [PG_PORT] [MONGO_PORT]   # prints the MONGODB_URI and --db-pids to use
#   bash bench/import/ferretdb-pg.sh stop
#
# Needs the Debian package postgresql (apt-get install postgresql; only its binaries are used,
# the system cluster stays down) and the FerretDB binary of the tests (bash .ci/install-ferretdb.sh).
# Runs as root: the cluster belongs to the postgres user. fsync and synchronous_commit are off,
# as for a throwaway benchmark database; state lives in /tmp/tenantdir-bench-pg.
set -euo pipefail
STATE=/tmp/tenantdir-bench-pg
FERRETDB=${TENANTDIR_FERRETDB:-$HOME/.cache/tenantdir/bin/ferretdb}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

case "${1:-}" in
start)
  PG_PORT=${2:-55432}
  MONGO_PORT=${3:-57017}
  [ -n "$PGBIN" ] || { echo "no PostgreSQL binaries: apt-get install postgresql" >&2; exit 1; }
  [ -x "$FERRETDB" ] || { echo "no FerretDB at $FERRETDB: bash .ci/install-ferretdb.sh" >&2; exit 1; }
  [ -e "$STATE" ] && { echo "$STATE exists: run '$0 stop' first" >&2; exit 1; }
  mkdir -p "$STATE/ferretdb"
  chown postgres "$STATE"
  su postgres -c "$PGBIN/initdb -D $STATE/data -A trust -U postgres --no-sync" >"$STATE/initdb.log"
  su postgres -c "$PGBIN/pg_ctl -D $STATE/data -l $STATE/postgres.log -w -o '-p $PG_PORT -k $STATE -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off' start" >/dev/null
  su postgres -c "$PGBIN/psql -q -h 127.0.0.1 -p $PG_PORT -c 'create database ferretdb'"
  nohup "$FERRETDB" --handler=postgresql --postgresql-url="postgres://postgres@127.0.0.1:$PG_PORT/ferretdb" \
    --listen-addr="127.0.0.1:$MONGO_PORT" --state-dir="$STATE/ferretdb" --debug-addr=- --telemetry=disable \
    --log-level=error >"$STATE/ferretdb.log" 2>&1 &
  echo $! >"$STATE/ferretdb.pid"
  sleep 2
  kill -0 "$(cat "$STATE/ferretdb.pid")" || { cat "$STATE/ferretdb.log" >&2; exit 1; }
  echo "MONGODB_URI=mongodb://127.0.0.1:$MONGO_PORT/"
  echo "--db-pids $(cat "$STATE/ferretdb.pid"),$(head -1 "$STATE/data/postmaster.pid")"
  ;;
stop)
  [ -f "$STATE/ferretdb.pid" ] && kill "$(cat "$STATE/ferretdb.pid")" 2>/dev/null || true
  [ -d "$STATE/data" ] && su postgres -c "$PGBIN/pg_ctl -D $STATE/data -m fast -w stop" >/dev/null || true
  rm -rf "$STATE"
  ;;
*)
  echo "usage: $0 start [PG_PORT] [MONGO_PORT] | stop" >&2
  exit 2
  ;;
esac
