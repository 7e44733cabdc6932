# geo: set-up, demo, tests. Every target installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: install demo test test-qgis fuzz bench bench-load bench-live lint clean

install: $(STAMP)

$(STAMP): pyproject.toml package-lock.json scripts/bootstrap.sh
	bash scripts/bootstrap.sh "$(PYTHON)" "$(VENV)"
	touch $(STAMP)

## The main job on the embedded GeoPackage store (no database server). ARGS=--no-serve to stop
## after the table and the map.
demo: install
	$(BIN)/geo demo $(ARGS)

## Every test, on the GeoPackage store and on PostGIS (a throwaway cluster is started when
## GEO_TEST_DATABASE_URL is not given).
test: install
	bash scripts/run-tests.sh $(ARGS)

## QGIS itself (Debian's python3-qgis, offscreen) against `geo serve` and opening the embedded
## store's file (only valid sublayers listed): installs QGIS first.
## `make test` runs the same tests whenever QGIS is installed.
test-qgis: install
	bash scripts/install-qgis.sh
	bash scripts/run-tests.sh tests/api/test_qgis.py tests/storage/test_gpkg_listing.py $(ARGS)

## The property tests and schemathesis at length: many random examples per property and per
## operation (GEO_FUZZ_EXAMPLES, default 2000 per property; schemathesis a tenth of that per
## operation and role), on both stores. `make test` runs the same tests bounded.
FUZZ_TESTS := tests/tracks/test_reader_properties.py tests/test_properties_chinacrs.py \
	tests/test_properties_parsers.py tests/api/test_schemathesis.py
fuzz: install
	HYPOTHESIS_PROFILE=fuzz bash scripts/run-tests.sh $(FUZZ_TESTS) $(ARGS)

bench: install
	$(BIN)/python bench/coverage.py $(ARGS)

## Uploads under load with a PostGIS restart (its own cluster in var/bench-postgis); ARGS=--quick
## for 10 phones and 15 s, ARGS="--before DIR" to compare with older code in the same run.
bench-load: install
	$(BIN)/python bench/load.py $(ARGS)

## Phones sending with their apps' protocols (50 of each for 60 s; its own cluster unless
## ARGS="--admin-url postgresql+psycopg://...@127.0.0.1:PORT/postgres"); ARGS=--quick.
bench-live: install
	$(BIN)/python bench/live.py $(ARGS)

## A county in PostGIS recomputed by `geo batch coverage` on LocalClusters of 1 and 2 workers
## (11 townships × 52 weeks, about 24M fixes; ARGS=--small for 2 × 4). Its own database:
## GEO_BENCH_DATABASE_URL, else geo_bench_scale on the 127.0.0.1:55432 cluster (docs/deploy.md).
.PHONY: bench-scale
bench-scale: install
	$(BIN)/python bench/scale.py $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var/geo.gpkg* var/simulated test-output
