#!/usr/bin/env bash
# Run the whole test suite on both stores. Without GEO_TEST_DATABASE_URL a throwaway PostGIS
# cluster of the project's own is started (and PostGIS installed if missing), then stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
# Browser tests drive Debian's Chromium (no browser download).
if [ ! -x "${GEO_CHROMIUM:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tests: installing chromium and CJK fonts with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >&2
  else
    echo "tests: Chromium is missing (apt-get install chromium); browser tests will skip" >&2
  fi
fi
# Exports and the OGC API are checked with the system's GDAL (the one Debian's QGIS uses).
if ! command -v ogrinfo >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tests: installing gdal-bin with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin >&2
  else
    echo "tests: ogrinfo is missing (apt-get install gdal-bin); GDAL checks will skip" >&2
  fi
fi
# The PDF report and the screenshots draw Chinese with Noto CJK.
if ! fc-list :lang=zh 2>/dev/null | grep -q . && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tests: installing fonts-noto-cjk with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >&2
fi
started=""
if [ -z "${GEO_TEST_DATABASE_URL:-}" ]; then
  GEO_TEST_DATABASE_URL=$(bash scripts/test-postgis.sh start)
  export GEO_TEST_DATABASE_URL
  started=1
fi
cleanup() { [ -n "$started" ] && bash scripts/test-postgis.sh stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
echo "tests: PostGIS at $GEO_TEST_DATABASE_URL" >&2
.venv/bin/python -m pytest "$@"
