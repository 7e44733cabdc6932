"""From a track file's bytes to a cleaned upload ready to store (no I/O besides parsing).

This is the one path every upload takes: ``geo tracks import``, ``POST /api/v1/tracks`` and
the demo's simulated phones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InvalidFile, InvalidInput
from geo.layers import WGS84, TownshipLayers
from geo.store.base import NewUpload
from geo.tracks.cleaning import CleanedTrack, clean_fixes
from geo.tracks.fixes import ParsedTrack
from geo.tracks.gpx import read_gpx

SourceCrs = Literal["wgs84", "cgcs2000"]
SOURCE_CRS: tuple[str, ...] = get_args(SourceCrs)


@dataclass(frozen=True)
class PreparedUpload:
    """A parsed and cleaned upload, with what the uploader should be told."""

    upload: NewUpload
    parsed: ParsedTrack
    cleaned: CleanedTrack

    def report(self) -> dict[str, object]:
        """The cleaning report returned to the uploader."""
        fixes = self.parsed.fixes
        times = fixes["time"].dropna()
        kept = self.cleaned.segment >= 0
        return {
            "format": self.parsed.format,
            "source_crs": self.upload.source_crs,
            **self.cleaned.report.to_dict(),
            "naive_times_read_as_local": self.parsed.naive_times,
            "first_time": times.min().isoformat() if len(times) else None,
            "last_time": times.max().isoformat() if len(times) else None,
            "bbox": (
                [
                    float(fixes["lon"][kept].min()),
                    float(fixes["lat"][kept].min()),
                    float(fixes["lon"][kept].max()),
                    float(fixes["lat"][kept].max()),
                ]
                if kept.any()
                else None
            ),
        }


def detect_format(data: bytes, filename: str) -> str:
    """Name the format of a track file from its content."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and b"<gpx" in data[:4096].lower():
        return "gpx"
    if not data.strip():
        raise InvalidFile("the file is empty", source=filename)
    raise InvalidFile("format not recognised: this version reads GPX track files", source=filename)


def township_bbox(layers: TownshipLayers) -> tuple[float, float, float, float]:
    """The township's lon/lat box grown by its ``bbox_margin_m``."""
    minx, miny, maxx, maxy = layers.outline.total_bounds
    margin = layers.info.bbox_margin_m
    dlat = margin / 111_320.0
    dlon = margin / (111_320.0 * np.cos(np.radians((miny + maxy) / 2)))
    return float(minx - dlon), float(miny - dlat), float(maxx + dlon), float(maxy + dlat)


def prepare_upload(
    data: bytes,
    *,
    filename: str,
    layers: TownshipLayers,
    squad: str,
    device: str = "",
    crs: str = "wgs84",
    uploaded_at: datetime | None = None,
) -> PreparedUpload:
    """Parse, check and clean one track file for a squad of a township.

    Parameters
    ----------
    data
        The file's bytes.
    filename
        Its name, for messages and the record.
    layers
        The township (time zone, rules, outline for plausibility).
    squad
        One of ``layers.squads()``.
    device
        The phone or recorder, free text.
    crs
        The coordinate system the file is in (``wgs84`` or ``cgcs2000``, treated as equal).

    Raises
    ------
    InvalidInput
        Unknown squad or coordinate system.
    InvalidFile
        The file cannot be read, or none of its fixes lies near the township.
    """
    squads = layers.squads()
    if squad not in squads:
        raise InvalidInput(f"unknown squad {squad!r}; this township's squads: {', '.join(squads)}")
    if crs not in SOURCE_CRS:
        raise InvalidInput(f"crs {crs!r} is not supported; use one of {', '.join(SOURCE_CRS)}")
    fmt = detect_format(data, filename)
    assert fmt == "gpx"
    parsed = read_gpx(data, source=filename, tz=layers.info.tz)
    cleaned = clean_fixes(
        parsed.fixes,
        rules=layers.info.rules,
        metric_crs=layers.info.metric_crs,
        bbox=township_bbox(layers),
    )
    rep = cleaned.report
    placed = rep.fixes_read - rep.no_time - rep.duplicates - rep.low_accuracy
    if rep.outside_area and rep.outside_area == placed:
        km = layers.info.bbox_margin_m / 1000
        raise InvalidFile(
            f"none of the {rep.fixes_read} fixes lies within {km:g} km of township "
            f"{layers.info.name} ({layers.info.code}); is this the right township, or are the "
            "coordinates in another system?",
            source=filename,
        )
    fixes = parsed.fixes.assign(segment=cleaned.segment, drop=cleaned.drop)
    upload = NewUpload(
        township=layers.info.code,
        squad=squad,
        device=device,
        filename=filename,
        source_format=fmt,
        source_crs=crs,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_at=uploaded_at or datetime.now(UTC),
        fixes=fixes,
        segments=segment_lines(fixes),
    )
    prepared = PreparedUpload(upload=upload, parsed=parsed, cleaned=cleaned)
    return replace(prepared, upload=replace(upload, report=prepared.report()))


def segment_lines(fixes: pd.DataFrame) -> gpd.GeoDataFrame:
    """One WGS-84 LineString per cleaned segment with its first and last time and fix count."""
    kept = fixes.loc[fixes["segment"] >= 0].sort_values(["segment", "time"], kind="stable")
    if kept.empty:
        return gpd.GeoDataFrame(
            {"segment": [], "started_at": [], "ended_at": [], "fixes": []},
            geometry=gpd.GeoSeries([], crs=WGS84),
            crs=WGS84,
        )
    seg = kept["segment"].to_numpy()
    lines = shapely.linestrings(kept[["lon", "lat"]].to_numpy(), indices=seg)
    grouped = kept.groupby("segment", sort=True)["time"]
    return gpd.GeoDataFrame(
        {
            "segment": grouped.min().index.to_numpy(),
            "started_at": grouped.min().reset_index(drop=True),
            "ended_at": grouped.max().reset_index(drop=True),
            "fixes": grouped.size().reset_index(drop=True),
        },
        geometry=gpd.GeoSeries(lines, crs=WGS84),
        crs=WGS84,
    )
