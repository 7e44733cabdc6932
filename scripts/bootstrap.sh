#!/usr/bin/env bash
# Install the map assets (npm ci), create the virtualenv and install geo with its dev extra. On a fresh Debian machine this
# installs python3-venv first (as root) when the venv module is missing.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}

if ! command -v "$python" >/dev/null 2>&1 || ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing python3, python3-venv and python3-dev with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-dev >&2
  else
    echo "bootstrap: $python with the venv module is needed: apt-get install python3-venv" >&2
    exit 1
  fi
fi
"$python" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"bootstrap: geo needs Python 3.11 or newer, found {sys.version.split()[0]}")
PY
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing nodejs and npm with apt-get (for the pinned map assets)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
  else
    echo "bootstrap: npm is needed to install the map assets: apt-get install npm" >&2
    exit 1
  fi
fi
# Leaflet and jQuery at the versions pinned in package-lock.json; maps inline them.
npm ci --no-audit --no-fund --loglevel=error >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e '.[dev]'
