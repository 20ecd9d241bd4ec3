#!/usr/bin/env bash
# Run CMD with a throwaway PostgreSQL; exports TEST_POSTGRES_URL (and TEST_POSTGRES_DATA, TEST_POSTGRES_BIN).
# Usage: scripts/with-postgres.sh CMD [ARGS...]   (NO_POSTGRES=1 runs CMD alone)
set -euo pipefail

if [ $# -eq 0 ]; then echo "usage: $0 CMD [ARGS...]" >&2; exit 2; fi
if [ "${NO_POSTGRES:-0}" = "1" ]; then exec "$@"; fi

# Highest installed Debian PostgreSQL (override with PG_BIN).
if [ -z "${PG_BIN:-}" ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
fi
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "with-postgres: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run scripts/install-deps.sh test)" >&2
  exit 1
fi

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
TMP="$(mktemp -d /tmp/pgtest.XXXXXX)"
PGDATA="$TMP/data"

# PostgreSQL refuses to run as root: use the postgres user then.
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$TMP"
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
  as_pg() { (cd / && "$@"); }
fi

cleanup() {
  if [ -f "$PGDATA/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
child=""

echo "with-postgres: $PG_BIN on 127.0.0.1:$PORT ($PGDATA)" >&2
as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
  --auth-local=trust --auth-host=scram-sha-256 >"$TMP/initdb.log" 2>&1 \
  || { cat "$TMP/initdb.log" >&2; exit 1; }

# The settings that vary come first, expanded by the shell; the rest is a quoted here-document, so nothing in
# its comments is run (a backquoted command in them once ran at every start).
cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$PGDATA'
CONF
cat >>"$PGDATA/postgresql.conf" <<'CONF'
fsync = off
synchronous_commit = off
full_page_writes = off
# The suites run in parallel, each app with a pool of up to 4 connections per event loop, some with an
# `eservice worker` process beside it: 200 ran out once ("too many clients already").
max_connections = 600
CONF

as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 start >/dev/null \
  || { cat "$PGDATA/server.log" >&2 || true; exit 1; }

as_pg "$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h "$PGDATA" -p "$PORT" -U postgres -d postgres \
  -c "CREATE ROLE eservice LOGIN PASSWORD 'eservice' NOSUPERUSER CREATEDB" \
  -c "CREATE DATABASE eservice_test OWNER eservice"

export TEST_POSTGRES_URL="postgres://eservice:eservice@127.0.0.1:$PORT/eservice_test"
# For tools that need the superuser (the petitions bench turns statement logging on to count a page's queries):
# psql -h "$TEST_POSTGRES_DATA" -p PORT -U postgres eservice_test (local socket, trust); the log is $TEST_POSTGRES_DATA/server.log.
export TEST_POSTGRES_DATA="$PGDATA" TEST_POSTGRES_BIN="$PG_BIN"

# Run CMD so a signal stops it and cleanup runs at once.
. "$(dirname "${BASH_SOURCE[0]}")/run-child.sh"
