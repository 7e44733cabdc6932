"""Build ``layers/county-sample/``: an ILLUSTRATIVE county of three townships made from the demo
township (layers/xiaozhang), so tests and the bench can run several townships in one store.

Each township is the demo township moved (translated in longitude/latitude), renamed (new
division codes 4331229xx, which no real township has; new names) and given its own settings:

- ``433122901`` 示例东乡 / Sample East: moved 0.14° east, the demo's rules, Asia/Shanghai,
  EPSG:4546 (CGCS2000 / 3-degree GK CM 111E).
- ``433122902`` 示例西乡 / Sample West: moved 0.55° west into the next 3-degree zone, so its
  metric CRS is EPSG:4545 (CM 108E); looser rules (80 m patrol radius, 70 % of roads, 40 % of
  area, checkpoints visited within 300 m): the demo's simulated week passes one village more.
- ``433122903`` 示例北乡 / Sample North: moved 0.16° north, time zone Asia/Urumqi (UTC+6, so its
  weeks start two hours after the others'), stricter rules (20 minutes in a village, 60 % area).

Nothing here is surveyed: see the folder's README.md. Only the layers coverage needs are
written (township, villages, roads, cameras, checkpoints), at 6 decimals (about 10 cm), to
keep the folder small. The script is deterministic: running it twice writes identical files.

Run from the repository root::

    .venv/bin/python scripts/build_county_sample.py
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from shapely import affinity

from geo.layers import TownshipLayers, read_layers_dir

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "layers" / "xiaozhang"
TARGET = ROOT / "layers" / "county-sample"
SOURCE_CODE = "433122207"
DECIMALS = 6
LAYERS = ("villages", "roads", "cameras", "checkpoints")


@dataclass(frozen=True)
class SampleTownship:
    """One township of the sample: where it is moved, what it is called, its settings."""

    code: str
    folder: str
    name: str
    name_en: str
    village_prefix: str
    village_prefix_en: str
    dlon: float
    dlat: float
    timezone: str = "Asia/Shanghai"
    metric_crs: str = "EPSG:4546"
    rules: dict[str, float] = field(default_factory=dict)


TOWNSHIPS = (
    SampleTownship(
        "433122901", "east", "示例东乡", "Sample East Township", "东", "East ", 0.14, 0.0
    ),
    SampleTownship(
        "433122902",
        "west",
        "示例西乡",
        "Sample West Township",
        "西",
        "West ",
        -0.55,
        0.0,
        metric_crs="EPSG:4545",
        rules={
            "patrol_radius_m": 80.0,
            "min_road_coverage": 0.7,
            "min_area_coverage": 0.4,
            "checkpoint_radius_m": 300.0,
        },
    ),
    SampleTownship(
        "433122903",
        "north",
        "示例北乡",
        "Sample North Township",
        "北",
        "North ",
        0.0,
        0.16,
        timezone="Asia/Urumqi",
        rules={"min_minutes_in_village": 20.0, "min_area_coverage": 0.6},
    ),
)


def _moved(frame: gpd.GeoDataFrame, t: SampleTownship) -> gpd.GeoDataFrame:
    out = frame.copy()
    out["geometry"] = [
        shapely.set_precision(affinity.translate(g, t.dlon, t.dlat), 10**-DECIMALS)
        if g is not None
        else None
        for g in out.geometry
    ]
    return out


def _recode(value: Any, t: SampleTownship) -> Any:
    if isinstance(value, str) and value.startswith(SOURCE_CODE):
        return t.code + value[len(SOURCE_CODE) :]
    return value


def _write(frame: gpd.GeoDataFrame, path: Path) -> None:
    features = json.loads(frame.to_json(drop_id=True, to_wgs84=True))["features"]
    for feature in features:
        feature["geometry"] = _rounded(feature["geometry"])
    text = json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    path.write_text(text + "\n", encoding="utf-8")


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _toml(t: SampleTownship, demo: TownshipLayers) -> str:
    rules = {**demo.info.rules.to_dict(), **t.rules}
    lines = [
        f"# {t.name} / {t.name_en}: ILLUSTRATIVE, made by scripts/build_county_sample.py from",
        "# the demo township (moved, renamed, its own settings). Not a real township.",
        "",
        "[township]",
        f'code = "{t.code}"',
        f'name = "{t.name}"',
        f'name_en = "{t.name_en}"',
        f'timezone = "{t.timezone}"',
        f'metric_crs = "{t.metric_crs}"',
        f"bbox_margin_m = {demo.info.bbox_margin_m}",
        "",
        "[squads]",
    ]
    for squad, names in sorted(demo.info.squads.items()):
        lines.append(f'{squad} = {{ name = "{names["name"]}", name_en = "{names["name_en"]}" }}')
    lines += ["", "[rules]"]
    lines += [f"{k} = {v!r}" for k, v in rules.items()]
    return "\n".join(lines) + "\n"


def build_township(demo: TownshipLayers, t: SampleTownship) -> Path:
    """Write one township's folder; returns it."""
    folder = TARGET / t.folder
    folder.mkdir(parents=True, exist_ok=True)
    outline = _moved(demo.outline, t)
    outline["code"] = t.code
    outline["name"] = t.name
    outline["name_en"] = t.name_en
    _write(outline[["code", "name", "name_en", "geometry"]], folder / "township.geojson")
    for name in LAYERS:
        frame = _moved(demo.layer(name), t)
        for column in ("code", "village"):
            if column in frame.columns:
                frame[column] = [_recode(v, t) for v in frame[column]]
        if name == "villages":
            frame["name"] = [t.village_prefix + str(v) for v in frame["name"]]
            frame["name_en"] = [t.village_prefix_en + str(v) for v in frame["name_en"]]
        _write(frame, folder / f"{name}.geojson")
    (folder / "township.toml").write_text(_toml(t, demo), encoding="utf-8")
    read_layers_dir(folder)  # the folder loads as `geo layers load` reads it
    return folder


def main() -> None:
    demo = read_layers_dir(SOURCE)
    for t in TOWNSHIPS:
        print(build_township(demo, t).relative_to(ROOT))


if __name__ == "__main__":
    main()
