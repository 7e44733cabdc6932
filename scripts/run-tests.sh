#!/usr/bin/env bash
# Run the whole test suite on both stores. Without GEO_TEST_DATABASE_URL a throwaway PostGIS
# cluster of the project's own is started (and PostGIS installed if missing), then stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
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
