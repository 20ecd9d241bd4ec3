#!/usr/bin/env bash
# Platform benchmark (make bench builds the release binary first).
#  (a) eservice, 3 real tenants, SQLite: wrk on /t/bangkrathum/
#  (b) nginx serving that same page body as a static file: same wrk run
#  (c) 7,850 generated tenants (+3 real): start-up time, RSS, wrk on a generated
#      tenant and on bangkrathum, throughput ratio vs (a)
# Writes the summary to bench-results/platform.txt (raw wrk output in bench-results/raw/).
# Env: BIN (.build/release/eservice), BENCH_TENANTS (Tenants), BENCH_COUNT (7850),
#      BENCH_DURATION (15s), BENCH_APP_ENV (production), MIGRATE=1 (run "BIN migrate -y" first),
#      BENCH_READY_TIMEOUT (120 s, 7,850-tenant start), BENCH_STRICT=1 (exit 1 when a target fails),
#      BENCH_CATALOGUE (standard: generated tenants share one service catalogue; empty: each carries its own copy).
#      Traffic goes to 127.0.0.1 only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${BIN:-.build/release/eservice}"
REAL_TENANTS="${BENCH_TENANTS:-$ROOT/Tenants}"
COUNT="${BENCH_COUNT:-7850}"
BENCH_CATALOGUE="${BENCH_CATALOGUE-standard}"
DURATION="${BENCH_DURATION:-15s}"
TENANT=bangkrathum
OUT_DIR="$ROOT/bench-results"
WRK_ARGS=(-t2 -c32 "-d$DURATION" --latency)

NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
PY="$ROOT/.venv/bin/python"; [ -x "$PY" ] || PY=python3
for tool in "$BIN" wrk curl "$NGINX"; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ] || {
    echo "bench: missing $tool (build with: swift build -c release; deps: scripts/install-deps.sh bench)" >&2; exit 2; }
done
[ -f "$REAL_TENANTS/$TENANT/tenant.yaml" ] || { echo "bench: no $REAL_TENANTS/$TENANT/tenant.yaml" >&2; exit 2; }

WORK="$(mktemp -d /tmp/bench.XXXXXX)"
mkdir -p "$OUT_DIR/raw"
PIDS=()
BENCH_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { echo "bench: $*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now() { echo "$EPOCHREALTIME"; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
fdiv() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "0" }'; }
flt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# start_server NAME TENANTS_DIR -> sets SRV_PID SRV_PORT SRV_LOG SRV_T0
start_server() {
  local name=$1 tdir=$2
  SRV_PORT="$(free_port)"; SRV_LOG="$WORK/$name.log"
  local data="$WORK/$name-data"; mkdir -p "$data"
  export DATA_DIR="$data" TENANTS_DIR="$tdir" OUTBOX_WORKER=off LOG_LEVEL=warning
  export APP_ENV="${BENCH_APP_ENV:-production}" PUBLIC_BASE_URL="http://127.0.0.1:$SRV_PORT"
  unset DATABASE_URL
  # production refuses to start without these; the outbox is off, so no mail is sent
  export SMTP_URL="${SMTP_URL:-smtp://bench:bench@127.0.0.1:2525}" MAIL_FROM="${MAIL_FROM:-noreply@bench.localhost}"
  export APP_SECRET="${APP_SECRET:-$BENCH_SECRET}"
  if [ "${MIGRATE:-0}" = "1" ]; then "$BIN" migrate -y >>"$SRV_LOG" 2>&1; fi
  SRV_T0="$(now)"
  "$BIN" serve --hostname 127.0.0.1 --port "$SRV_PORT" >>"$SRV_LOG" 2>&1 &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
}

# wait_ready PORT PID LOG TIMEOUT_S -> prints seconds since SRV_T0 (polls every 50 ms)
wait_ready() {
  local port=$1 pid=$2 log=$3 limit=$4 code
  local deadline; deadline="$(awk -v t="$SRV_T0" -v l="$limit" 'BEGIN { printf "%.3f", t + l }')"
  for _ in $(seq 1 $((limit * 20))); do  # bounded; the deadline usually ends it first
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 0.5 "http://127.0.0.1:$port/readyz" || true)"
    if [ "$code" = 200 ]; then fsub "$(now)" "$SRV_T0"; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then say "server exited; log tail:"; tail -n 40 "$log" >&2; return 1; fi
    flt "$(now)" "$deadline" || break
    sleep 0.05
  done
  say "/readyz not 200 within ${limit}s; log tail:"; tail -n 40 "$log" >&2; return 1
}

check_200() {
  local code; code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$1" || true)"
  [ "$code" = 200 ] || { say "GET $1 -> $code"; return 1; }
}

warm() { wrk -t2 -c32 -d3s "$1" >/dev/null; }

# run_wrk NAME URL -> sets RPS P99 (ms) ERRS; raw output in bench-results/raw/NAME.txt
run_wrk() {
  local f="$OUT_DIR/raw/$1.txt"
  say "wrk ${WRK_ARGS[*]} $2"
  wrk "${WRK_ARGS[@]}" "$2" >"$f"
  RPS="$(awk '/^Requests\/sec:/ { printf "%.1f", $2 }' "$f")"
  P99="$(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
          m = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.2f", v * m }' "$f")"
  ERRS="$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { n += 1 } END { print n + 0 }' "$f")"
  [ -n "$RPS" ] || RPS=0; [ -n "$P99" ] || P99=0
  if [ "$ERRS" != 0 ]; then say "$1: errors in wrk output:"; grep -E 'Non-2xx|Socket errors' "$f" >&2 || true; fi
}

PATH_T="/t/$TENANT/"
STATUS=PASS
NOTES=()

# ---- (a) eservice, 3 real tenants ----
say "(a) eservice with the real tenants from $REAL_TENANTS"
start_server small "$REAL_TENANTS"
wait_ready "$SRV_PORT" "$SRV_PID" "$SRV_LOG" 60 >/dev/null
check_200 "http://127.0.0.1:$SRV_PORT$PATH_T"
warm "http://127.0.0.1:$SRV_PORT$PATH_T"
run_wrk eservice-3 "http://127.0.0.1:$SRV_PORT$PATH_T"
A_RPS=$RPS A_P99=$P99 A_ERR=$ERRS

# ---- (b) nginx serving the same body ----
say "(b) nginx static copy of $PATH_T"
WWW="$WORK/www"; mkdir -p "$WWW$PATH_T" "$WORK/nginx"
curl -fsS "http://127.0.0.1:$SRV_PORT$PATH_T" -o "$WWW${PATH_T}index.html"
stop_pid "$SRV_PID"
NG_PORT="$(free_port)"
NG_USER=""; [ "$(id -u)" -eq 0 ] && NG_USER="user root;"
cat >"$WORK/nginx/nginx.conf" <<CONF
$NG_USER
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  default_type text/html;
  charset utf-8;
  sendfile on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$NG_PORT;
    root $WWW;
    index index.html;
  }
}
CONF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NG_PID=$!; PIDS+=("$NG_PID")
for _ in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$NG_PORT$PATH_T" || true)" = 200 ] && break
  kill -0 "$NG_PID" 2>/dev/null || { cat "$WORK/nginx/error.log" >&2; exit 1; }
  sleep 0.05
done
check_200 "http://127.0.0.1:$NG_PORT$PATH_T"
warm "http://127.0.0.1:$NG_PORT$PATH_T"
run_wrk nginx-static "http://127.0.0.1:$NG_PORT$PATH_T"
N_RPS=$RPS N_P99=$P99
stop_pid "$NG_PID"
R_NGINX="$(fdiv "$A_RPS" "$N_RPS")"

# ---- (c) 7,850 generated tenants ----
say "(c) generating $COUNT tenants"
BIG="$WORK/tenants"
"$PY" scripts/gen_tenants.py --out "$BIG" --count "$COUNT" --from "$REAL_TENANTS/$TENANT" ${BENCH_CATALOGUE:+--catalogue "$BENCH_CATALOGUE"} >&2
cp -R "$REAL_TENANTS"/. "$BIG"/
TOTAL="$(find "$BIG" -mindepth 2 -maxdepth 2 -name tenant.yaml | wc -l)"
GEN_SLUG="$(ls "$BIG" | grep -E '^t[0-9]{5}-' | sed -n "$((COUNT / 2))p")"
say "starting eservice with $TOTAL tenants"
start_server big "$BIG"
STARTUP="$(wait_ready "$SRV_PORT" "$SRV_PID" "$SRV_LOG" "${BENCH_READY_TIMEOUT:-120}")"
check_200 "http://127.0.0.1:$SRV_PORT/t/$GEN_SLUG/"
check_200 "http://127.0.0.1:$SRV_PORT$PATH_T"
warm "http://127.0.0.1:$SRV_PORT/t/$GEN_SLUG/"
warm "http://127.0.0.1:$SRV_PORT$PATH_T"
RSS_WARM="$(rss_mb "$SRV_PID")"
BIG_PID=$SRV_PID BIG_PORT=$SRV_PORT
# The throughput ratio compares two servers running side by side (3 tenants and 7,853), measured in
# alternating rounds and taken as medians, so drift in the machine's speed does not land on one side.
start_server small2 "$REAL_TENANTS"
wait_ready "$SRV_PORT" "$SRV_PID" "$SRV_LOG" 60 >/dev/null
SMALL_PID=$SRV_PID SMALL_PORT=$SRV_PORT
warm "http://127.0.0.1:$SMALL_PORT$PATH_T"
ROUNDS="${BENCH_ROUNDS:-3}"
S_LIST=() G_LIST=() B_LIST=() G_P99S=() B_P99S=()
for r in $(seq 1 "$ROUNDS"); do
  run_wrk "round$r-eservice-3" "http://127.0.0.1:$SMALL_PORT$PATH_T"; S_LIST+=("$RPS")
  run_wrk "round$r-eservice-big-generated" "http://127.0.0.1:$BIG_PORT/t/$GEN_SLUG/"; G_LIST+=("$RPS"); G_P99S+=("$P99"); G_ERR=$ERRS
  run_wrk "round$r-eservice-big-$TENANT" "http://127.0.0.1:$BIG_PORT$PATH_T"; B_LIST+=("$RPS"); B_P99S+=("$P99"); B_ERR=$ERRS
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
S_RPS="$(median "${S_LIST[@]}")" G_RPS="$(median "${G_LIST[@]}")" B_RPS="$(median "${B_LIST[@]}")"
G_P99="$(median "${G_P99S[@]}")" B_P99="$(median "${B_P99S[@]}")"
RSS_AFTER="$(rss_mb "$BIG_PID")"
stop_pid "$SMALL_PID"
stop_pid "$BIG_PID"
R_GEN="$(fdiv "$G_RPS" "$S_RPS")"
R_BIG="$(fdiv "$B_RPS" "$S_RPS")"
R_MIN="$(awk -v a="$R_GEN" -v b="$R_BIG" 'BEGIN { print (a < b) ? a : b }')"
RSS_MAX="$(awk -v a="$RSS_WARM" -v b="$RSS_AFTER" 'BEGIN { print (a > b) ? a : b }')"

verdict() { if "$@"; then echo PASS; else echo FAIL; fi; }
V_START="$(verdict flt "$STARTUP" 10)"
V_RSS="$(verdict flt "$RSS_MAX" 300)"
V_RATIO="$(verdict flt 0.8999 "$R_MIN")"
[ "$V_START$V_RSS$V_RATIO" = PASSPASSPASS ] || STATUS=FAIL
if [ "$A_ERR$G_ERR$B_ERR" != 000 ]; then STATUS=FAIL; NOTES+=("non-2xx responses or socket errors during wrk: see bench-results/raw/"); fi

{
  echo "eservice platform benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores"
  echo "binary: $BIN   load: wrk ${WRK_ARGS[*]} (127.0.0.1)"
  echo
  printf '%-46s %12s %10s\n' "3 real tenants (SQLite)" "req/s" "p99 ms"
  printf '%-46s %12s %10s\n' "eservice $PATH_T" "$A_RPS" "$A_P99"
  printf '%-46s %12s %10s\n' "nginx static, same body" "$N_RPS" "$N_P99"
  printf '%-46s %12s\n' "ratio eservice/nginx" "$R_NGINX"
  echo
  printf '%-46s %12s %10s %8s\n' "$TOTAL tenants ($COUNT generated)" "value" "target" "result"
  printf '%-46s %12s %10s %8s\n' "start-up to /readyz 200 (s)" "$STARTUP" "< 10" "$V_START"
  printf '%-46s %12s %10s %8s\n' "RSS after warm-up (MB)" "$RSS_WARM" "" ""
  printf '%-46s %12s %10s %8s\n' "RSS after wrk (MB)" "$RSS_AFTER" "< 300" "$V_RSS"
  printf '%-46s %12s %10s\n' "req/s (p99 ms), median of $ROUNDS, /t/$GEN_SLUG/" "$G_RPS" "($G_P99)"
  printf '%-46s %12s %10s\n' "req/s (p99 ms) $PATH_T" "$B_RPS" "($B_P99)"
  printf '%-46s %12s\n' "req/s 3-tenant server beside it (median)" "$S_RPS"
  printf '%-46s %12s\n' "ratio generated tenant / 3-tenant server" "$R_GEN"
  printf '%-46s %12s\n' "ratio $TENANT / 3-tenant server" "$R_BIG"
  printf '%-46s %12s %10s %8s\n' "throughput ratio (lower of the two)" "$R_MIN" ">= 0.9" "$V_RATIO"
  for n in "${NOTES[@]}"; do echo "note: $n"; done
  echo
  echo "overall: $STATUS"
} | tee "$OUT_DIR/platform.txt"

if [ "$STATUS" != PASS ] && [ "${BENCH_STRICT:-0}" = "1" ]; then exit 1; fi
exit 0
