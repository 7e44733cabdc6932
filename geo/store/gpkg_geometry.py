"""GeoPackage geometry blobs (OGC 12-128r18, section 2.1.3), encoded and decoded with shapely.

A blob is a small header (magic ``GP``, version, flags, SRS id, envelope) followed by ISO WKB.
The GeoPackage's geometry column type (:class:`geo.store.types.Shape`) and the R-tree
trigger functions (:func:`geo.store.geopackage.register_functions`) use them, so the file needs
no SpatiaLite.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode(geoms: NDArray[np.object_], srs_id: int = 4326) -> list[bytes | None]:
    """Encode geometries as GeoPackage blobs (little-endian, XY envelope except for points)."""
    if len(geoms) == 0:
        return []
    wkb = shapely.to_wkb(geoms, flavor="iso", byte_order=1, include_srid=False)
    bounds = shapely.bounds(geoms)
    kinds = shapely.get_type_id(geoms)
    empty = shapely.is_empty(geoms)
    out: list[bytes | None] = []
    srs = struct.pack("<i", srs_id)
    for w, b, k, e in zip(wkb, bounds, kinds, empty, strict=True):
        if w is None:
            out.append(None)
        elif e:
            out.append(b"GP\x00" + bytes([0x01 | 0x10]) + srs + w)
        elif k == 0:  # points carry no envelope
            out.append(b"GP\x00\x01" + srs + w)
        else:
            out.append(b"GP\x00\x03" + srs + struct.pack("<4d", b[0], b[2], b[1], b[3]) + w)
    return out


def _header_length(blob: bytes) -> int:
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    return 8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0x07]


def decode(blobs: list[bytes | None]) -> NDArray[np.object_]:
    """Decode GeoPackage blobs to shapely geometries (None stays None)."""
    wkb = [None if b is None else bytes(b[_header_length(b) :]) for b in blobs]
    return np.asarray(shapely.from_wkb(wkb), dtype=object)


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """``(minx, maxx, miny, maxy)`` of a blob, from its header when present."""
    if blob is None or (blob[3] & 0x10):
        return None
    code = (blob[3] >> 1) & 0x07
    if code:
        minx, maxx, miny, maxy = struct.unpack("<4d", blob[8:40])
        return minx, maxx, miny, maxy
    g = shapely.from_wkb(bytes(blob[_header_length(blob) :]))
    minx, miny, maxx, maxy = g.bounds
    return minx, maxx, miny, maxy


def is_empty(blob: bytes | None) -> int | None:
    """1 for an empty geometry, as GeoPackage's ST_IsEmpty."""
    if blob is None:
        return None
    return 1 if blob[3] & 0x10 else 0


def predicate(
    test: Callable[[Any, Any], Any],
) -> Callable[[bytes | None, bytes | None], int | None]:
    """A SQL function of two blobs for a shapely predicate: 1 or 0, NULL when either is
    NULL; boxes that do not meet answer without decoding (for predicates that need them to
    meet: all but ``disjoint``)."""
    needs_meeting = test is not shapely.disjoint

    def f(a: bytes | None, b: bytes | None) -> int | None:
        if a is None or b is None:
            return None
        if needs_meeting:
            ea, eb = envelope(a), envelope(b)
            if ea is None or eb is None:
                return 0
            if ea[1] < eb[0] or eb[1] < ea[0] or ea[3] < eb[2] or eb[3] < ea[2]:
                return 0
        ga, gb = decode([a, b])
        return int(bool(test(ga, gb)))

    return f
