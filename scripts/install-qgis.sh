#!/usr/bin/env bash
# Install QGIS's Python bindings from Debian's packages (python3-qgis), for tests/api/test_qgis.py.
set -euo pipefail
if /usr/bin/python3 -c 'import qgis.core' >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-qgis: installing python3-qgis with apt-get (a few hundred MB)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-qgis qgis-providers >&2
else
  echo "test-qgis: QGIS's Python bindings are needed: sudo apt-get install python3-qgis qgis-providers" >&2
  exit 1
fi
