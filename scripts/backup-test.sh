#!/usr/bin/env bash
# The backup test (Tests/backup/, issue 15): `eservice backup` while citizens file, `eservice restore` into a new empty
# deployment, a server on it; on SQLite with the local folder and on a throwaway PostgreSQL (with-postgres.sh) with
# S3 (with-s3.sh). Builds nothing. Env: BIN (default .build/debug/eservice), KEEP=1 keeps the test's folder. Extra
# args go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BIN="${BIN:-.build/debug/eservice}"
PY="$ROOT/.venv/bin/python"

[ -x "$BIN" ] || { echo "backup-test: $BIN not found; build it first (swift build)" >&2; exit 2; }
[ -x "$PY" ] || { echo "backup-test: .venv missing; run scripts/install-deps.sh test" >&2; exit 2; }

exec scripts/with-postgres.sh scripts/with-s3.sh "$PY" -m pytest -q -s -p no:cacheprovider Tests/backup "$@"
