"""PostgreSQL binary COPY payloads for fixes, built with numpy in one pass.

Formatting a million fixes as CSV text in Python costs more than the COPY itself; the binary
format is fixed-width per column, so numpy writes it as a structured array. Rows with a NULL
(a fix without time or accuracy) have a shorter layout, so rows are grouped by which fields
are NULL and each group is written with its own dtype (COPY rows describe themselves, and a
fix's identity is its ``(upload_id, seq)``, not its place in the stream).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
#: Binary type of each column; ``text`` columns are constant per upload.
KINDS = {
    "township": "text",
    "upload_id": ">i4",
    "seq": ">i4",
    "squad": "text",
    "device": "text",
    "t": ">i8",
    "lon": ">f8",
    "lat": ">f8",
    "accuracy_m": ">f8",
    "segment": ">i4",
    "drop_reason": ">i2",
}
COLUMNS = tuple(KINDS)
#: Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC).
PG_EPOCH_US = 946_684_800_000_000


@dataclass(frozen=True)
class UploadIdentity:
    """The columns every row of one upload shares."""

    township: str
    upload_id: int
    squad: str
    device: str


def fixes_payload(fixes: pd.DataFrame, who: UploadIdentity) -> bytes:
    """The binary COPY body for ``COPY fixes (<COLUMNS>) FROM STDIN WITH (FORMAT binary)``.

    Parameters
    ----------
    fixes
        ``time`` (UTC, may be NaT), ``lon``, ``lat``, ``accuracy_m`` (may be NaN),
        ``segment`` and ``drop``, in file order (``seq`` is the row number).
    """
    texts = {
        "township": who.township.encode("utf-8"),
        "squad": who.squad.encode("utf-8"),
        "device": who.device.encode("utf-8"),
    }
    has_time = ~fixes["time"].isna().to_numpy()
    acc = fixes["accuracy_m"].to_numpy(dtype=np.float64)
    has_acc = ~np.isnan(acc)
    values = {
        "upload_id": np.full(len(fixes), who.upload_id),
        "seq": np.arange(len(fixes)),
        "t": fixes["time"].to_numpy(dtype="datetime64[us]").astype(np.int64) - PG_EPOCH_US,
        "lon": fixes["lon"].to_numpy(dtype=np.float64),
        "lat": fixes["lat"].to_numpy(dtype=np.float64),
        "accuracy_m": acc,
        "segment": fixes["segment"].to_numpy(),
        "drop_reason": fixes["drop"].to_numpy(),
    }
    chunks = [HEADER]
    for with_time in (True, False):
        for with_acc in (True, False):
            rows = np.flatnonzero((has_time == with_time) & (has_acc == with_acc))
            if len(rows) == 0:
                continue
            null = {"t": not with_time, "accuracy_m": not with_acc}
            fields: list[tuple[str, str]] = [("count", ">i2")]
            for col, kind in KINDS.items():
                fields.append((f"{col}_len", ">i4"))
                if kind == "text":
                    if texts[col]:
                        fields.append((col, f"S{len(texts[col])}"))
                elif not null.get(col, False):
                    fields.append((col, kind))
            out = np.zeros(len(rows), dtype=np.dtype(fields))
            out["count"] = len(KINDS)
            for col, kind in KINDS.items():
                if kind == "text":
                    out[f"{col}_len"] = len(texts[col])
                    if texts[col]:
                        out[col] = texts[col]
                elif null.get(col, False):
                    out[f"{col}_len"] = -1
                else:
                    out[f"{col}_len"] = np.dtype(kind).itemsize
                    out[col] = values[col][rows]
            chunks.append(out.tobytes())
    chunks.append(TRAILER)
    return b"".join(chunks)


SEGMENT_COLUMNS = (
    "township",
    "upload_id",
    "squad",
    "device",
    "segment",
    "started_at",
    "ended_at",
    "fixes",
    "geom",
)


def segments_payload(segments: pd.DataFrame, who: UploadIdentity) -> bytes:
    """The binary COPY body for ``COPY patrol_tracks (<SEGMENT_COLUMNS>) ...``: a few rows with
    long lines, whose geometry goes in as EWKB (PostGIS's binary form) instead of hex text."""

    def text(value: str) -> bytes:
        data = value.encode("utf-8")
        return struct.pack(">i", len(data)) + data

    def stamp(value: pd.Timestamp) -> bytes:
        us = int(value.value // 1000) - PG_EPOCH_US
        return struct.pack(">iq", 8, us)

    ewkb = shapely.to_wkb(
        shapely.set_srid(segments.geometry.to_numpy(), 4326), flavor="extended", include_srid=True
    )
    fixed = (
        text(who.township)
        + struct.pack(">ii", 4, who.upload_id)
        + text(who.squad)
        + text(who.device)
    )
    rows = [HEADER]
    for seg, start, end, count, geom in zip(
        segments["segment"],
        segments["started_at"],
        segments["ended_at"],
        segments["fixes"],
        ewkb,
        strict=True,
    ):
        rows.append(
            struct.pack(">h", len(SEGMENT_COLUMNS))
            + fixed
            + struct.pack(">ii", 4, int(seg))
            + stamp(start)
            + stamp(end)
            + struct.pack(">ii", 4, int(count))
            + struct.pack(">i", len(geom))
            + geom
        )
    rows.append(TRAILER)
    return b"".join(rows)
