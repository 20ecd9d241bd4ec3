#!/usr/bin/env bash
# The scale-out test (Tests/scaleout/, issue 14): Debian's nginx with deploy/nginx/eservice.conf in front of two
# `eservice serve` instances and one `eservice worker`, run as deploy/systemd/ and deploy/eservice.env.example
# say, on a throwaway PostgreSQL (with-postgres.sh) and S3 server (with-s3.sh), all on free local ports.
# Builds nothing. Env: BIN (default .build/debug/eservice), KEEP=1 keeps the test's folder (logs, mail, certificate;
# it is kept anyway when a check fails). Extra args go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BIN="${BIN:-.build/debug/eservice}"
PY="$ROOT/.venv/bin/python"

[ -x "$BIN" ] || { echo "scaleout: $BIN not found; build it first (swift build)" >&2; exit 2; }
[ -x "$PY" ] || { echo "scaleout: .venv missing; run scripts/install-deps.sh test" >&2; exit 2; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "scaleout: nginx missing; run scripts/install-deps.sh test" >&2; exit 2; }
command -v systemd-analyze >/dev/null || { echo "scaleout: systemd-analyze missing; run scripts/install-deps.sh test" >&2; exit 2; }
export PATH="$PATH:/usr/sbin"

exec scripts/with-postgres.sh scripts/with-s3.sh "$PY" -m pytest -q -p no:cacheprovider Tests/scaleout "$@"
