"""Layers folders: the demo township is sound; broken folders get every problem named."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from geo.errors import InvalidInput, LayerProblems
from geo.layers import TownshipLayers, read_layers_dir
from tests.conftest import LAYERS_DIR


def test_demo_township_matches_the_public_facts(demo_layers: TownshipLayers) -> None:
    info = demo_layers.info
    assert (info.code, info.name, info.metric_crs, info.timezone) == (
        "433122207",
        "小章乡",
        "EPSG:4546",
        "Asia/Shanghai",
    )
    area_km2 = demo_layers.metric("villages").area.sum() / 1e6
    assert 69 <= area_km2 <= 71
    assert list(demo_layers.villages["name"]) == [
        "小章村",
        "梓木坪村",
        "大水坪村",
        "川洞村",
        "白泥塘村",
        "瓦槽村",
        "烟竹坪村",
    ]
    assert len(demo_layers.cameras) == 34
    assert set(demo_layers.cameras["status"]) <= {"online", "offline", "maintenance"}
    assert len(demo_layers.drone_flights) >= 1
    minx, miny, maxx, maxy = demo_layers.outline.total_bounds
    assert minx >= 109.8 and maxx <= 110.0 and miny >= 28.05 and maxy <= 28.25
    assert info.rules.patrol_radius_m == 50.0 and info.rules.min_road_coverage == 0.8


def copy_layers(tmp_path: Path) -> Path:
    target = tmp_path / "layers"
    shutil.copytree(LAYERS_DIR, target)
    return target


def test_broken_layers_name_each_problem(tmp_path: Path) -> None:
    folder = copy_layers(tmp_path)
    villages = gpd.read_file(folder / "villages.geojson")
    # Village 2 grows over village 1; a bow-tie makes village 3 invalid.
    villages.loc[1, "geometry"] = villages.geometry.iloc[1].union(
        villages.geometry.iloc[0].buffer(-0.002)
    )
    x, y = villages.geometry.iloc[2].representative_point().coords[0]
    bowtie = shapely.Polygon([(x, y), (x + 0.01, y + 0.01), (x + 0.01, y), (x, y + 0.01)])
    villages.loc[2, "geometry"] = shapely.MultiPolygon([bowtie])
    villages.to_file(folder / "villages.geojson", driver="GeoJSON")
    cameras = gpd.read_file(folder / "cameras.geojson")
    cameras.loc[0, "geometry"] = shapely.Point(109.0, 28.0)  # far outside
    cameras.loc[1, "code"] = cameras.loc[2, "code"]
    cameras.loc[3, "status"] = "broken"
    cameras.to_file(folder / "cameras.geojson", driver="GeoJSON")

    with pytest.raises(LayerProblems) as caught:
        read_layers_dir(folder)
    problems = caught.value.problems
    text = "\n".join(problems)
    assert "villages 433122207203: invalid geometry" in text
    assert "cameras: code CAM-03 is used more than once" in text
    assert len(problems) >= 2


def test_overlap_outside_and_wrong_village_are_reported(tmp_path: Path) -> None:
    folder = copy_layers(tmp_path)
    villages = gpd.read_file(folder / "villages.geojson")
    villages.loc[1, "geometry"] = villages.geometry.iloc[1].union(
        villages.geometry.iloc[0].buffer(-0.002)
    )
    villages.loc[4, "geometry"] = villages.geometry.iloc[4].buffer(0.005)
    villages.to_file(folder / "villages.geojson", driver="GeoJSON")
    cameras = gpd.read_file(folder / "cameras.geojson")
    cameras.loc[0, "geometry"] = shapely.Point(109.0, 28.0)
    cameras.loc[3, "status"] = "broken"
    cameras.to_file(folder / "cameras.geojson", driver="GeoJSON")
    with pytest.raises(LayerProblems) as caught:
        read_layers_dir(folder)
    text = "\n".join(caught.value.problems)
    assert "villages 433122207201 and 433122207202 overlap by" in text
    assert "villages 433122207205:" in text and "outside the township" in text
    assert "cameras CAM-01: lies outside every village" in text
    assert "status 'broken' is not one of online, offline, maintenance" in text


def test_bad_rules_file_is_named(tmp_path: Path) -> None:
    folder = copy_layers(tmp_path)
    toml = (folder / "township.toml").read_text(encoding="utf-8")
    (folder / "township.toml").write_text(toml + "\npatrol_radius = 30\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="unknown rule\\(s\\) patrol_radius"):
        read_layers_dir(folder)


def test_missing_villages_layer_is_named(tmp_path: Path) -> None:
    folder = copy_layers(tmp_path)
    (folder / "villages.geojson").unlink()
    with pytest.raises(InvalidInput, match="layer villages is missing"):
        read_layers_dir(folder)
