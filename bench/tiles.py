"""Vector tiles against GeoJSON features for a month of patrols, on both stores, in one run.

It simulates a month of the demo township's patrols (``--weeks`` ISO weeks of the simulator,
imported through the upload path, each week's coverage computed, so the gaps exist), then,
through the app in-process (FastAPI's TestClient with a planner's key, median of ``--runs``):

- tiles: every tile at ``--zoom`` covering the township, for ``fixes``, ``tracks``, and
  ``area_gaps`` + ``road_gaps``, with ``datetime`` over the month (what QGIS fetches to draw
  the township at that zoom);
- baselines: the same area as features. The gaps through OGC API – Features
  (``/ogc/collections/{id}/items`` with the township's ``bbox`` and the month's ``datetime``,
  paged by 1,000). Fixes and tracks have no items (they stay out of the Features API), so
  their baseline is what a client reads instead: every upload's track as GeoJSON
  (``/api/v1/tracks/{id}``, after ``/api/v1/tracks``).

It prints seconds, bytes and the ratios baseline / tiles per store, and one JSON object as its
last line.

Usage::

    python bench/tiles.py --weeks 4 --zoom 13 \
        --database-url postgresql+psycopg://geo@127.0.0.1:55432/geo_bench

The PostGIS database is migrated and emptied first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# This folder holds coverage.py, which would shadow the coverage package numba looks for.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
TOWNSHIP = "433122207"


def _empty_postgis(url: str) -> Any:
    from sqlalchemy import create_engine, text

    from geo.store.migrate import upgrade
    from geo.store.postgis import PostGISStore
    from geo.store.tables import Base

    upgrade(url)
    engine = create_engine(url)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return PostGISStore(url)


def _fill(store: Any, weeks: list[Any], folder: Path) -> int:
    """The demo layers, ``weeks`` simulated and imported, and their coverage; the fixes
    stored."""
    from geo import operations
    from geo.layers import read_layers_dir

    layers = read_layers_dir(ROOT / "layers" / "xiaozhang")
    store.save_layers(layers)
    for week in weeks:
        operations.simulate_and_import(store, layers, week, folder / str(week))
        operations.week_coverage(store, TOWNSHIP, week, layers=layers)
    start = weeks[0].bounds(layers.info.tz)[0]
    end = weeks[-1].bounds(layers.info.tz)[1]
    return len(store.week_fixes(TOWNSHIP, start, end))


def _median(runs: int, fetch: Callable[[], int]) -> tuple[float, int]:
    """Median seconds of ``fetch`` over ``runs`` runs, and the bytes it read."""
    times, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        size = fetch()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), size


def measure(kind: str, url: str | None, weeks: int, zoom: int, runs: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from geo import access
    from geo.api.app import create_app
    from geo.features import spatial_extent
    from geo.keys import Role
    from geo.settings import LayerSettings, Settings, StoreSettings
    from geo.tiles import Tile, tile_of
    from geo.weeks import IsoWeek

    month = [IsoWeek.parse(f"2026-W{45 + i:02d}") for i in range(weeks)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if kind == "gpkg":
            from geo.store.geopackage import GeoPackageStore

            store: Any = GeoPackageStore(folder / "bench.gpkg")
        else:
            assert url is not None
            store = _empty_postgis(url)
        t0 = time.perf_counter()
        fixes = _fill(store, month, folder)
        filled_s = time.perf_counter() - t0
        layers = store.load_layers(TOWNSHIP)
        token, _ = access.create_key(store, role=Role.PLANNER, name="bench")
        settings = Settings(
            store=StoreSettings(
                database_url=url if kind == "postgis" else None,
                gpkg_path=folder / "bench.gpkg",
            ),
            layers=LayerSettings(township=None),
        )
        tz = layers.info.tz
        interval = f"{month[0].bounds(tz)[0].isoformat()}/{month[-1].bounds(tz)[1].isoformat()}"
        box = spatial_extent(layers.outline)
        assert box is not None
        west, south, east, north = box
        top_left, bottom_right = tile_of(west, north, zoom), tile_of(east, south, zoom)
        tiles = [
            Tile(zoom, x, y)
            for x in range(top_left.x, bottom_right.x + 1)
            for y in range(top_left.y, bottom_right.y + 1)
        ]
        headers = {"Authorization": f"Bearer {token}"}
        out: dict[str, Any] = {"fixes": fixes, "fill_s": round(filled_s, 1), "tiles": len(tiles)}
        with TestClient(create_app(settings), headers=headers) as client:

            def get(path: str, **params: str) -> Any:
                answer = client.get(path, params=params)
                assert answer.status_code in (200, 204), (path, answer.text)
                return answer

            def tile_bytes(*names: str) -> Callable[[], int]:
                def fetch() -> int:
                    return sum(
                        len(
                            get(
                                f"/ogc/collections/{name}/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}",
                                datetime=interval,
                            ).content
                        )
                        for name in names
                        for t in tiles
                    )

                return fetch

            def gap_items() -> int:
                size = 0
                for name in ("area_gaps", "road_gaps"):
                    offset = 0
                    while True:
                        page = get(
                            f"/ogc/collections/{name}/items",
                            bbox=f"{west},{south},{east},{north}",
                            datetime=interval,
                            limit="1000",
                            offset=str(offset),
                        )
                        size += len(page.content)
                        returned = page.json()["numberReturned"]
                        offset += returned
                        if returned < 1000:
                            break
                return size

            def track_features() -> int:
                uploads = get("/api/v1/tracks")
                size = len(uploads.content)
                for upload in uploads.json():
                    size += len(get(f"/api/v1/tracks/{upload['id']}").content)
                return size

            figures = {
                "fixes_tiles": _median(runs, tile_bytes("fixes")),
                "tracks_tiles": _median(runs, tile_bytes("tracks")),
                "tracks_geojson": _median(runs, track_features),
                "gaps_tiles": _median(runs, tile_bytes("area_gaps", "road_gaps")),
                "gaps_items": _median(runs, gap_items),
            }
        store.close()
    for name, (seconds, size) in figures.items():
        out[name] = {"s": round(seconds, 3), "bytes": size}
    out["ratio_tracks_geojson_to_fixes_tiles"] = round(
        figures["tracks_geojson"][0] / figures["fixes_tiles"][0], 2
    )
    out["ratio_tracks_geojson_to_tracks_tiles"] = round(
        figures["tracks_geojson"][0] / figures["tracks_tiles"][0], 2
    )
    out["ratio_gaps_items_to_gaps_tiles"] = round(
        figures["gaps_items"][0] / figures["gaps_tiles"][0], 2
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weeks", type=int, default=4, help="ISO weeks simulated (a month: 4)")
    parser.add_argument("--zoom", type=int, default=13, help="zoom of the tiles fetched")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="also PostGIS (emptied first)")
    args = parser.parse_args()
    results: dict[str, Any] = {"weeks": args.weeks, "zoom": args.zoom}
    for kind in ["gpkg", *(["postgis"] if args.database_url else [])]:
        results[kind] = measure(kind, args.database_url, args.weeks, args.zoom, args.runs)
        r = results[kind]
        print(f"{kind}: {r['fixes']:,} fixes, {r['tiles']} tiles at zoom {args.zoom}")
        for name in ("fixes_tiles", "tracks_tiles", "tracks_geojson", "gaps_tiles", "gaps_items"):
            print(f"  {name:<15} {r[name]['s']:>8.3f} s {r[name]['bytes']:>12,} bytes")
        print(
            f"  baseline / tiles: tracks GeoJSON / fixes tiles "
            f"{r['ratio_tracks_geojson_to_fixes_tiles']}, tracks GeoJSON / tracks tiles "
            f"{r['ratio_tracks_geojson_to_tracks_tiles']}, gap items / gap tiles "
            f"{r['ratio_gaps_items_to_gaps_tiles']}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
