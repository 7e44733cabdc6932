"""PostgreSQL binary COPY payloads for fixes, built with numpy in one pass.

Formatting a million fixes as CSV text in Python costs more than the COPY itself; the binary
format is fixed-width per column, so numpy writes it as a structured array. Rows with a NULL
(a fix without time or accuracy) have a shorter layout, so rows are grouped by which fields
are NULL and each group is written with its own dtype (COPY rows describe themselves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
COLUMNS = (
    "township",
    "upload_id",
    "squad",
    "device",
    "t",
    "lon",
    "lat",
    "accuracy_m",
    "segment",
    "drop_reason",
)
#: Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC).
PG_EPOCH_US = 946_684_800_000_000


def fixes_payload(
    fixes: pd.DataFrame, *, township: str, upload_id: int, squad: str, device: str
) -> bytes:
    """The binary COPY body for ``COPY fixes (<COLUMNS>) FROM STDIN WITH (FORMAT binary)``.

    Parameters
    ----------
    fixes
        ``time`` (UTC, may be NaT), ``lon``, ``lat``, ``accuracy_m`` (may be NaN),
        ``segment`` and ``drop``.
    """
    t_us = fixes["time"].to_numpy(dtype="datetime64[us]").astype(np.int64)
    has_time = ~fixes["time"].isna().to_numpy()
    acc = fixes["accuracy_m"].to_numpy(dtype=np.float64)
    has_acc = ~np.isnan(acc)
    chunks = [HEADER]
    consts = {
        name: value.encode("utf-8")
        for name, value in (("township", township), ("squad", squad), ("device", device))
    }
    for with_time in (True, False):
        for with_acc in (True, False):
            rows = np.flatnonzero((has_time == with_time) & (has_acc == with_acc))
            if len(rows) == 0:
                continue
            fields: list[tuple[str, str]] = [("count", ">i2")]
            for col in COLUMNS:
                if col in consts:
                    size = len(consts[col])
                    fields.append((f"{col}_len", ">i4"))
                    if size:
                        fields.append((col, f"S{size}"))
                elif (col == "t" and not with_time) or (col == "accuracy_m" and not with_acc):
                    fields.append((f"{col}_len", ">i4"))
                else:
                    kind = {
                        "upload_id": ">i4",
                        "t": ">i8",
                        "lon": ">f8",
                        "lat": ">f8",
                        "accuracy_m": ">f8",
                        "segment": ">i4",
                        "drop_reason": ">i2",
                    }[col]
                    fields.append((f"{col}_len", ">i4"))
                    fields.append((col, kind))
            out = np.zeros(len(rows), dtype=np.dtype(fields))
            out["count"] = len(COLUMNS)
            for col, value in consts.items():
                out[f"{col}_len"] = len(value)
                if value:
                    out[col] = value
            out["upload_id_len"], out["upload_id"] = 4, upload_id
            if with_time:
                out["t_len"], out["t"] = 8, t_us[rows] - PG_EPOCH_US
            else:
                out["t_len"] = -1
            out["lon_len"], out["lon"] = 8, fixes["lon"].to_numpy(dtype=np.float64)[rows]
            out["lat_len"], out["lat"] = 8, fixes["lat"].to_numpy(dtype=np.float64)[rows]
            if with_acc:
                out["accuracy_m_len"], out["accuracy_m"] = 8, acc[rows]
            else:
                out["accuracy_m_len"] = -1
            out["segment_len"], out["segment"] = 4, fixes["segment"].to_numpy()[rows]
            out["drop_reason_len"], out["drop_reason"] = 2, fixes["drop"].to_numpy()[rows]
            chunks.append(out.tobytes())
    chunks.append(TRAILER)
    return b"".join(chunks)
