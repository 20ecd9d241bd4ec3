#!/usr/bin/env bash
# Run the browser journeys (Tests/e2e) against a freshly started server.
# Builds nothing. Env: BIN (default .build/debug/eservice), READY_TIMEOUT (60),
# MIGRATE=1 to run "BIN migrate -y" first. Extra args go to pytest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${BIN:-.build/debug/eservice}"
READY_TIMEOUT="${READY_TIMEOUT:-60}"
PY="$ROOT/.venv/bin/python"

[ -x "$BIN" ] || { echo "e2e: $BIN not found; build it first (swift build)" >&2; exit 2; }
[ -x "$PY" ] || { echo "e2e: .venv missing; run scripts/install-deps.sh test" >&2; exit 2; }

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
WORK="$(mktemp -d /tmp/e2e.XXXXXX)"
LOG="$WORK/server.log"
SERVER_PID=""

LINE_PID=""
TILE_PID=""
cleanup() {
  if [ -n "$LINE_PID" ]; then kill -TERM "$LINE_PID" 2>/dev/null || true; fi
  if [ -n "$TILE_PID" ]; then kill -TERM "$TILE_PID" 2>/dev/null || true; fi
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DATA_DIR="$WORK/data" APP_ENV=testing
export TENANTS_DIR="${TENANTS_DIR:-$ROOT/Tenants}"
export PUBLIC_BASE_URL="http://127.0.0.1:$PORT"
export LOG_LEVEL="${LOG_LEVEL:-info}" PASSWORD_HASH_COST="${PASSWORD_HASH_COST:-10}"
mkdir -p "$DATA_DIR"

if [ "${MIGRATE:-0}" = "1" ]; then
  echo "e2e: $BIN migrate"
  "$BIN" migrate -y >>"$LOG" 2>&1 || { tail -n 60 "$LOG" >&2; exit 1; }
fi

# A LINE-compatible Messaging API server for the bangkrathum channel (Tests/support/line_server.py).
LINE_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
export LINE_API_BASE_URL="http://127.0.0.1:$LINE_PORT" LINE_ACCESS_BASE_URL="http://127.0.0.1:$LINE_PORT" LINE_DATA_BASE_URL="http://127.0.0.1:$LINE_PORT"
export LINE_BANGKRATHUM_CHANNEL_SECRET="e2e-channel-secret-$RANDOM$RANDOM" LINE_BANGKRATHUM_ACCESS_TOKEN="e2e-access-token-$RANDOM$RANDOM"
"$PY" Tests/support/line_server.py --host 127.0.0.1 --port "$LINE_PORT" --token "$LINE_BANGKRATHUM_ACCESS_TOKEN" >"$WORK/line.log" 2>&1 &
LINE_PID=$!

# Map tiles without the internet (Tests/support/tile_server.py): the maps load real tiles from it.
TILE_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
export MAP_TILE_URL="http://127.0.0.1:$TILE_PORT/{z}/{x}/{y}.png" MAP_TILE_ATTRIBUTION="แผนที่ทดสอบ"
python3 Tests/support/tile_server.py --host 127.0.0.1 --port "$TILE_PORT" >"$WORK/tiles.log" 2>&1 &
TILE_PID=$!

echo "e2e: starting $BIN on 127.0.0.1:$PORT (DATA_DIR=$DATA_DIR)"
"$BIN" serve --hostname 127.0.0.1 --port "$PORT" >>"$LOG" 2>&1 &
SERVER_PID=$!

deadline=$((SECONDS + READY_TIMEOUT))
until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/readyz" 2>/dev/null; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "e2e: server exited before becoming ready; log tail:" >&2; tail -n 80 "$LOG" >&2; exit 1
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "e2e: /readyz not 200 within ${READY_TIMEOUT}s; log tail:" >&2; tail -n 80 "$LOG" >&2; exit 1
  fi
  sleep 0.2
done
echo "e2e: server ready"

set +e
E2E_BASE_URL="http://127.0.0.1:$PORT" E2E_PORT="$PORT" E2E_SERVER_LOG="$LOG" \
  E2E_TILE_URL="http://127.0.0.1:$TILE_PORT" E2E_LINE_URL="$LINE_API_BASE_URL" E2E_LINE_SECRET="$LINE_BANGKRATHUM_CHANNEL_SECRET" "$PY" -m pytest -q Tests/e2e "$@"
rc=$?
set -e
if [ $rc -ne 0 ]; then
  echo "e2e: pytest failed ($rc); server log tail:" >&2
  tail -n 80 "$LOG" >&2
fi
exit $rc
