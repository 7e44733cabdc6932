"""Parsing timestamp strings from track files, keeping their offsets."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd

from geo.errors import InvalidFile

_OFFSET = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"


def parse_times(
    texts: list[str | None], *, tz: ZoneInfo, source: str, what: str = "point"
) -> tuple[pd.Series, int]:
    """Parse ISO 8601 strings to UTC; strings without an offset are read as local time in ``tz``.

    Returns
    -------
    (times, naive_count)
        ``datetime64[ms, UTC]`` series (``NaT`` where the text is missing) and how many
        strings had no offset.
    """
    s = pd.Series(texts, dtype="object")
    present = s.notna() & (s.astype("string").str.strip() != "")
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ms, UTC]")
    if not present.any():
        return out, 0
    text = s[present].astype("string").str.strip()
    has_offset = text.str.contains(_OFFSET, regex=True)
    aware = text[has_offset]
    naive = text[~has_offset]
    try:
        if len(aware):
            out[aware.index] = pd.to_datetime(aware, format="ISO8601", utc=True).astype(
                "datetime64[ms, UTC]"
            )
        if len(naive):
            local = pd.to_datetime(naive, format="ISO8601").dt.tz_localize(
                tz, ambiguous="NaT", nonexistent="NaT"
            )
            out[naive.index] = local.dt.tz_convert("UTC").astype("datetime64[ms, UTC]")
    except (ValueError, TypeError):
        for i, t in enumerate(text.tolist()):
            try:
                pd.Timestamp(str(t))
            except ValueError:
                raise InvalidFile(
                    f"time {t!r} is not an ISO 8601 timestamp",
                    source=source,
                    place=f"{what} {int(text.index[i]) + 1}",
                ) from None
        raise InvalidFile("timestamps cannot be read", source=source) from None
    return out, len(naive)
