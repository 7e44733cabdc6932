"""Writing fixes as GPX 1.1 (used by the simulator and by exports)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd
from numpy.typing import NDArray


def write_gpx(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    times: pd.Series,
    *,
    name: str = "",
    creator: str = "geo",
    hdop: NDArray[np.float64] | None = None,
) -> bytes:
    """One track with one segment, times in UTC (``Z``), coordinates to 7 decimals (1 cm).

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2026-11-23T01:00:00Z"]))
    >>> b"<trkpt" in write_gpx(np.array([110.0]), np.array([28.1]), t)
    True
    """
    stamps = np.datetime_as_string(times.to_numpy(dtype="datetime64[ms]"), unit="s", timezone="UTC")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<gpx version="1.1" creator={quoteattr(creator)} xmlns="http://www.topografix.com/GPX/1/1">',
        f"<trk><name>{escape(name)}</name><trkseg>",
    ]
    for i in range(len(lon)):
        extra = f"<hdop>{hdop[i]:.1f}</hdop>" if hdop is not None else ""
        out.append(
            f'<trkpt lat="{lat[i]:.7f}" lon="{lon[i]:.7f}"><time>{stamps[i]}</time>{extra}</trkpt>'
        )
    out.append("</trkseg></trk></gpx>\n")
    return "\n".join(out).encode("utf-8")
