"""Every real file recorded by others (../shared/data/real) is read, or refused clearly.

Per-format tests check counts and times file by file (tests/tracks/); this test makes sure no
file in the folder is left out, that format detection sends each to a reader, and that the
whole upload path answers every one with a result or one clear message, never another error.
"""

from __future__ import annotations

import csv
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from geo.errors import GeoError, InvalidFile
from geo.ingest.pipeline import prepare_upload, read_track
from geo.layers import TownshipLayers

TZ = ZoneInfo("Asia/Shanghai")
#: Files that are not tracks at all: they must be refused.
NOT_TRACKS = {"geolife_010_labels.txt"}


def real_files(shared: Path) -> list[Path]:
    return sorted(p for p in shared.rglob("*") if p.is_file() and p.name != "MANIFEST.tsv")


def test_the_manifest_lists_every_file(shared_data: Path) -> None:
    with (shared_data / "MANIFEST.tsv").open(encoding="utf-8") as f:
        listed = {row[0] for row in csv.reader(f, delimiter="\t") if row and row[0] != "path"}
    present = {str(p.relative_to(shared_data)) for p in real_files(shared_data)}
    assert present <= listed | {"MANIFEST.tsv"}


def test_every_real_file_is_read_or_refused_clearly(shared_data: Path) -> None:
    read, refused = {}, {}
    for path in real_files(shared_data):
        data = path.read_bytes()
        try:
            parsed = read_track(data, filename=path.name, tz=TZ)
        except InvalidFile as exc:
            line = exc.one_line()
            assert line.startswith(path.name) and "\n" not in line
            refused[path.name] = line
            continue
        assert path.name not in NOT_TRACKS, f"{path.name} is not a track but was read"
        assert len(parsed.fixes) > 0, path.name
        assert parsed.fixes["lon"].notna().all() and parsed.fixes["lat"].notna().all()
        read[path.name] = parsed.format
    assert set(refused) >= NOT_TRACKS
    # Everything outside broken/ and boundaries/ is a real track and must be read.
    for path in real_files(shared_data):
        if path.parent.name not in ("broken", "boundaries") and path.name not in NOT_TRACKS:
            assert path.name in read, refused.get(path.name)
    assert len(read) >= 30


@pytest.mark.parametrize("kind", ["gpx", "kml", "csv", "drone", "geojson"])
def test_foreign_tracks_are_refused_for_the_demo_township(
    shared_data: Path, demo_layers: TownshipLayers, kind: str
) -> None:
    for path in sorted((shared_data / kind).glob("*")):
        if path.name in NOT_TRACKS:
            continue
        with pytest.raises(GeoError) as caught:
            prepare_upload(
                path.read_bytes(), filename=path.name, layers=demo_layers, squad="squad-01"
            )
        assert caught.value.status < 500
        assert "\n" not in caught.value.one_line()
