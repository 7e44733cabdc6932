"""Bounded reading: compressed data unpacked in chunks within size and ratio, KMZ members
capped, fixes counted by every reader while it reads, CSV columns capped."""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from geo.errors import PayloadTooLarge
from geo.ingest.pipeline import read_track, unpack
from geo.tracks.fixes import ParsedTrack
from geo.tracks.limits import ReadLimits
from tests import drone_samples
from tests.tracks.readers import (
    read_airdata,
    read_csv_track,
    read_dji_csv,
    read_geojson,
    read_gpx,
    read_kml,
    read_nmea,
    read_plt,
    read_srt,
)

TZ = ZoneInfo("Asia/Shanghai")
MB = 1_000_000
_TRKPT = b'<trkpt lat="28.1500" lon="109.9000"><time>2026-11-18T01:00:00Z</time></trkpt>\n'


def gzip_members(block: bytes, count: int) -> bytes:
    """``count`` gzip members of ``block`` each (a gzip bomb for a large count)."""
    return gzip.compress(block, compresslevel=9) * count


def kmz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_gzip_bomb_is_refused_by_its_ratio_while_unpacking() -> None:
    bomb = gzip_members(_TRKPT * (MB // len(_TRKPT)), 200)  # 200 MB from ~0.3 MB
    with pytest.raises(PayloadTooLarge, match="100 times its compressed size"):
        unpack(bomb, "bomb.gpx.gz")


def test_gzip_past_the_size_limit_is_refused_naming_it() -> None:
    data = gzip.compress(os.urandom(3 * MB))
    limits = ReadLimits(max_unpacked_bytes=2 * MB)
    with pytest.raises(PayloadTooLarge, match="more than 2,000,000 bytes; the limit is 2,000,000"):
        unpack(data, "big.gz", limits)
    assert len(unpack(data, "big.gz", ReadLimits(max_unpacked_bytes=4 * MB))) == 3 * MB


def test_a_kmz_bomb_is_refused_while_unpacking() -> None:
    kml = b"<kml><Placemark><LineString><coordinates>" + b"109.9,28.15,0 " * (30 * MB // 14)
    bomb = kmz({"doc.kml": kml + b"</coordinates></LineString></Placemark></kml>"})
    assert len(bomb) < 300_000
    with pytest.raises(PayloadTooLarge, match=r"doc\.kml unpacks to more than 100 times"):
        read_kml(bomb, source="bomb.kmz", tz=TZ)


def test_kmz_size_and_member_limits() -> None:
    big = kmz({"doc.kml": os.urandom(3 * MB)})
    with pytest.raises(PayloadTooLarge, match="more than 2,000,000 bytes"):
        read_kml(big, source="big.kmz", tz=TZ, limits=ReadLimits(max_unpacked_bytes=2 * MB))
    many = kmz({f"f{i}.png": b"x" for i in range(101)} | {"doc.kml": b"<kml/>"})
    with pytest.raises(PayloadTooLarge, match="102 entries; the limit is 100"):
        read_kml(many, source="many.kmz", tz=TZ)


def test_a_csv_with_100000_columns_is_refused_before_any_column_is_read() -> None:
    header = ",".join(f"c{i}" for i in range(100_000))
    row = ",".join("1" for _ in range(100_000))
    data = f"{header}\n{row}\n{row}\n".encode()
    with pytest.raises(PayloadTooLarge) as caught:
        read_track(data, filename="wide.csv", tz=TZ)
    assert caught.value.one_line() == "wide.csv: the file has 100,000 columns; the limit is 256"


Reader = Callable[..., ParsedTrack]

REAL: list[tuple[Reader, str]] = [
    (read_gpx, "gpx/togeojson_osm.gpx"),
    (read_gpx, "gpx/georust_garmin_with_extensions.gpx"),
    (read_kml, "kml/gpsbabel_opentracks.kml"),
    (read_kml, "kml/gpsbabel_skydrop.kml"),
    (read_geojson, "geojson/trackintel_pfs_tutorial.geojson"),
    (read_geojson, "geojson/movingpandas_movingfeatures.json"),
    (read_csv_track, "csv/trackintel_google_trajectory.csv"),
    (read_plt, "csv/geolife_010_20080331160008.plt"),
    (read_srt, "drone/dji_mavic_pro.SRT"),
    (read_airdata, "drone/airdata_mini2_flight.csv"),
    (read_nmea, "broken/gpsbabel_nmea_utf16.nmea"),
]


@pytest.mark.parametrize(("reader", "name"), REAL, ids=[n for _, n in REAL])
def test_every_reader_stops_at_the_fix_limit(reader: Reader, name: str, shared_data: Path) -> None:
    data = (shared_data / name).read_bytes()
    fixes = len(reader(data, source=name, tz=TZ).fixes)
    assert fixes > 1
    limits = ReadLimits(max_fixes=fixes - 1)
    with pytest.raises(PayloadTooLarge, match=f"more than {fixes - 1:,} fixes"):
        reader(data, source=name, tz=TZ, limits=limits)


def test_the_dji_flight_record_reader_stops_at_the_fix_limit() -> None:
    data = drone_samples.csvview_csv(duration_s=10)
    fixes = len(read_dji_csv(data, source="r.csv", tz=TZ).fixes)
    with pytest.raises(PayloadTooLarge, match=f"more than {fixes - 1:,} fixes"):
        read_dji_csv(data, source="r.csv", tz=TZ, limits=ReadLimits(max_fixes=fixes - 1))


@pytest.mark.parametrize("plain", [True, False], ids=["scanner", "xml-parser"])
def test_gpx_stops_at_the_limit_on_both_paths(plain: bool) -> None:
    comment = b"" if plain else b"<!-- the XML parser reads a file with comments -->"
    data = b"<gpx>" + comment + b"<trk><trkseg>" + _TRKPT * 50 + b"</trkseg></trk></gpx>"
    kwargs: dict[str, Any] = {"source": "t.gpx", "tz": TZ}
    assert len(read_gpx(data, **kwargs, limits=ReadLimits(max_fixes=50)).fixes) == 50
    with pytest.raises(PayloadTooLarge, match="more than 49 fixes; the limit is 49"):
        read_gpx(data, **kwargs, limits=ReadLimits(max_fixes=49))
