"""PostgreSQL binary COPY payloads for fixes, built with numpy in one pass.

Formatting a million fixes as CSV text in Python costs more than the COPY itself; the binary
format is fixed-width per column, so numpy writes it as a structured array. Rows with a NULL
(a fix without time or accuracy) have a shorter layout, so rows are grouped by which fields
are NULL and each group is written with its own dtype (COPY rows describe themselves, and a
fix's identity is its ``(upload_id, seq)``, not its place in the stream).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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


def fixes_payload(
    fixes: pd.DataFrame, *, township: str, upload_id: int, squad: str, device: str
) -> bytes:
    """The binary COPY body for ``COPY fixes (<COLUMNS>) FROM STDIN WITH (FORMAT binary)``.

    Parameters
    ----------
    fixes
        ``time`` (UTC, may be NaT), ``lon``, ``lat``, ``accuracy_m`` (may be NaN),
        ``segment`` and ``drop``, in file order (``seq`` is the row number).
    """
    texts = {
        "township": township.encode("utf-8"),
        "squad": squad.encode("utf-8"),
        "device": device.encode("utf-8"),
    }
    has_time = ~fixes["time"].isna().to_numpy()
    acc = fixes["accuracy_m"].to_numpy(dtype=np.float64)
    has_acc = ~np.isnan(acc)
    values = {
        "upload_id": np.full(len(fixes), upload_id),
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
