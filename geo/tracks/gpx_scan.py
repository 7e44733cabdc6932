"""A compiled scanner for plain GPX files (numba): a million track points in well under a
second, against several seconds for an XML parser.

It reads ``<trkpt>`` elements (lat/lon in either order, quoted with ' or "), their ``<time>``,
``<hdop>`` and ``<ele>`` children, and counts ``<trkseg>`` parts. Anything it does not expect
(an unreadable number, a time it cannot parse, a point not closed) makes it give up with a
status, and the XML parser reads the file instead, so errors still name their place.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

MISSING_TIME = np.iinfo(np.int64).min
OK = 0
#: The status when the document holds more points than ``n_points`` (the reader sizes the
#: arrays to the fix limit, so the scan stops at the first point past it).
MORE_POINTS = 1
#: The status when the document is not plain: a comment, CDATA or declaration (``<!``) or a
#: route point (``<rtept``); the XML parser reads it.
NOT_PLAIN = 7


@njit(cache=True)
def _is_space(c: int) -> bool:
    return c == 32 or c == 9 or c == 10 or c == 13


@njit(cache=True)
def _matches(buf: NDArray[np.uint8], i: int, word: NDArray[np.uint8]) -> bool:
    if i + len(word) > len(buf):
        return False
    for k in range(len(word)):  # noqa: SIM110 - generators do not compile in numba
        if buf[i + k] != word[k]:
            return False
    return True


@njit(cache=True, inline="always")
def _strip(buf: NDArray[np.uint8], i: int, end: int) -> tuple[int, int]:
    """``buf[i:end]`` without the spaces around it, as ``(i, end)``."""
    while i < end and _is_space(buf[i]):
        i += 1
    while end > i and _is_space(buf[end - 1]):
        end -= 1
    return i, end


@njit(cache=True, inline="always")
def _mantissa(buf: NDArray[np.uint8], i: int, end: int) -> tuple[int, int, int, int]:
    """The digits of ``ddd[.ddd]`` at ``i`` as one integer: (mantissa, digits, decimals, next)."""
    mantissa = 0
    digits = 0
    decimals = 0
    while i < end and 48 <= buf[i] <= 57:
        mantissa = mantissa * 10 + (buf[i] - 48)
        i += 1
        digits += 1
    if i < end and buf[i] == 46:  # .
        i += 1
        while i < end and 48 <= buf[i] <= 57:
            mantissa = mantissa * 10 + (buf[i] - 48)
            i += 1
            digits += 1
            decimals += 1
    return mantissa, digits, decimals, i


@njit(cache=True, inline="always")
def _exponent(buf: NDArray[np.uint8], i: int, end: int) -> tuple[int, bool, int]:
    """An exponent ``[+-]ddd`` after ``e``/``E``: (value, read, next)."""
    esign = 1
    if i < end and (buf[i] == 45 or buf[i] == 43):
        esign = -1 if buf[i] == 45 else 1
        i += 1
    exp = 0
    edigits = 0
    while i < end and 48 <= buf[i] <= 57:
        exp = exp * 10 + (buf[i] - 48)
        i += 1
        edigits += 1
    return esign * exp, edigits > 0, i


@njit(cache=True)
def _number(buf: NDArray[np.uint8], i: int, end: int) -> tuple[float, bool]:
    """Parse a decimal number in buf[i:end] (spaces around allowed)."""
    i, end = _strip(buf, i, end)
    if i >= end:
        return np.nan, False
    sign = 1.0
    if buf[i] == 45:  # -
        sign = -1.0
        i += 1
    elif buf[i] == 43:  # +
        i += 1
    # An integer mantissa divided by a power of ten is correctly rounded (as float() is)
    # while both are exact: up to 15 significant digits, which GPS files never exceed.
    mantissa, digits, decimals, i = _mantissa(buf, i, end)
    if digits == 0 or digits > 15:
        return np.nan, False
    value = mantissa / 10.0**decimals
    if i < end and (buf[i] == 101 or buf[i] == 69):  # e E
        exp, ok, i = _exponent(buf, i + 1, end)
        if not ok:
            return np.nan, False
        value *= 10.0**exp
    if i != end:
        return np.nan, False
    return sign * value, True


@njit(cache=True)
def _digits(buf: NDArray[np.uint8], i: int, n: int) -> int:
    value = 0
    for k in range(n):
        c = buf[i + k]
        if c < 48 or c > 57:
            return -1
        value = value * 10 + (c - 48)
    return value


@njit(cache=True)
def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@njit(cache=True, inline="always")
def _civil_ms(buf: NDArray[np.uint8], i: int, end: int) -> tuple[int, bool]:
    """``YYYY-MM-DD[T ]HH:MM:SS`` at ``i`` as milliseconds since 1970 (as if UTC): (ms, read)."""
    if end - i < 19 or buf[i + 4] != 45 or buf[i + 7] != 45 or buf[i + 13] != 58:
        return 0, False
    if buf[i + 10] != 84 and buf[i + 10] != 32:  # T or space
        return 0, False
    y = _digits(buf, i, 4)
    mo = _digits(buf, i + 5, 2)
    d = _digits(buf, i + 8, 2)
    h = _digits(buf, i + 11, 2)
    mi = _digits(buf, i + 14, 2)
    s = _digits(buf, i + 17, 2)
    if min(y, mo, d, h, mi, s) < 0 or not (1 <= mo <= 12 and 1 <= d <= 31):
        return 0, False
    if h > 23 or mi > 59 or s > 60:
        return 0, False
    return ((_days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60_000 + s * 1000, True


@njit(cache=True, inline="always")
def _fraction_ms(buf: NDArray[np.uint8], j: int, end: int) -> tuple[int, int]:
    """Milliseconds of a fraction ``.ddd`` at ``j`` (none: 0): (ms, next)."""
    ms = 0
    if j < end and buf[j] == 46:
        j += 1
        scale = 100
        while j < end and 48 <= buf[j] <= 57:
            ms += (buf[j] - 48) * scale
            scale //= 10
            j += 1
    return ms, j


@njit(cache=True, inline="always")
def _offset_ms(buf: NDArray[np.uint8], j: int, end: int) -> tuple[int, bool]:
    """A UTC offset ``±HH[[:]MM]`` filling ``buf[j:end]`` in milliseconds: (ms, read)."""
    sign = 1 if buf[j] == 43 else -1
    oh = _digits(buf, j + 1, 2) if j + 3 <= end else -1
    rest = j + 3
    om = 0
    if rest < end and buf[rest] == 58:
        rest += 1
    if rest + 2 <= end:
        om = _digits(buf, rest, 2)
        rest += 2
    if oh < 0 or om < 0 or rest != end:
        return 0, False
    return sign * (oh * 60 + om) * 60_000, True


@njit(cache=True)
def _time(buf: NDArray[np.uint8], i: int, end: int) -> tuple[int, int]:
    """ISO 8601 ``YYYY-MM-DDTHH:MM:SS[.f][Z|±HH:MM]`` → (epoch ms, kind): kind 1 with an
    offset (the value is UTC), 2 without (local time as if UTC), 0 unreadable."""
    i, end = _strip(buf, i, end)
    value, ok = _civil_ms(buf, i, end)
    if not ok:
        return 0, 0
    ms, j = _fraction_ms(buf, i + 19, end)
    value += ms
    if j == end:
        return value, 2
    if buf[j] == 90 and j + 1 == end:  # Z
        return value, 1
    if buf[j] == 43 or buf[j] == 45:
        offset, ok = _offset_ms(buf, j, end)
        if not ok:
            return 0, 0
        return value - offset, 1
    return 0, 0


@njit(cache=True, inline="always")
def _point_start(buf: NDArray[np.uint8], i: int, trkpt: NDArray[np.uint8]) -> bool:
    """A ``<trkpt`` tag starts at ``i`` (followed by a space, ``>`` or ``/``)."""
    if not _matches(buf, i, trkpt) or i + 6 >= len(buf):
        return False
    c = buf[i + 6]
    return _is_space(c) or c == 62 or c == 47


@njit(cache=True, inline="always")
def _attribute(buf: NDArray[np.uint8], j: int) -> tuple[int, int, int, int]:
    """One ``name="value"`` (or ``'value'``) at ``j``: (status, name end, value start, value
    end); status 2 when it is not one."""
    n = len(buf)
    while j < n and buf[j] != 61 and not _is_space(buf[j]) and buf[j] != 62:
        j += 1
    name_end = j
    while j < n and _is_space(buf[j]):
        j += 1
    if j >= n or buf[j] != 61:
        return 2, name_end, 0, j
    j += 1
    while j < n and _is_space(buf[j]):
        j += 1
    if j >= n or (buf[j] != 34 and buf[j] != 39):
        return 2, name_end, 0, j
    quote = buf[j]
    v_start = j + 1
    j = v_start
    while j < n and buf[j] != quote:
        j += 1
    if j >= n:
        return 2, name_end, v_start, j
    return OK, name_end, v_start, j


@njit(cache=True, inline="always")
def _attributes(
    buf: NDArray[np.uint8], j: int, lat_name: NDArray[np.uint8], lon_name: NDArray[np.uint8]
) -> tuple[int, int, bool, float, float]:
    """A point's attributes up to ``>``: (status, where the tag ends, whether it closes
    itself, lon, lat); status 2 or 3 when they cannot be read."""
    n = len(buf)
    lat = np.nan
    lon = np.nan
    got_lat = False
    got_lon = False
    closed = False
    while j < n and buf[j] != 62:
        if buf[j] == 47 and j + 1 < n and buf[j + 1] == 62:
            closed = True
            j += 1
            break
        if _is_space(buf[j]):
            j += 1
            continue
        name_start = j
        status, name_end, v_start, j = _attribute(buf, j)
        if status != OK:
            return status, j, closed, lon, lat
        short = name_end - name_start == 3
        is_lat = short and _matches(buf, name_start, lat_name)
        is_lon = short and _matches(buf, name_start, lon_name)
        if is_lat or is_lon:
            value, ok = _number(buf, v_start, j)
            if not ok:
                return 3, j, closed, lon, lat
            if is_lat:
                lat = value
                got_lat = True
            else:
                lon = value
                got_lon = True
        j += 1
    if not (got_lat and got_lon) or j >= n:
        return 3, j, closed, lon, lat
    return OK, j, closed, lon, lat


@njit(cache=True, inline="always")
def _text_end(buf: NDArray[np.uint8], start: int) -> int:
    """Where an element's text that starts at ``start`` ends (the next ``<``)."""
    n = len(buf)
    end = start
    while end < n and buf[end] != 60:
        end += 1
    return end


@njit(cache=True, inline="always")
def _children(
    buf: NDArray[np.uint8], j: int, words: tuple[NDArray[np.uint8], ...]
) -> tuple[int, int, int, int, float, float]:
    """A point's ``<time>``, ``<hdop>`` and ``<ele>`` up to ``</trkpt``: (status, where
    ``</trkpt`` starts, time ms, time kind, hdop, ele); status 4 for a point not closed, 5 for a
    time that cannot be read. ``words``: ``</trkpt``, ``<trkpt``, ``<time>``, ``<hdop>``,
    ``<ele>``."""
    close, trkpt, time_tag, hdop_tag, ele_tag = words
    n = len(buf)
    t_ms = 0
    kind = 0
    hdop = np.nan
    ele = np.nan
    while True:
        while j < n and buf[j] != 60:
            j += 1
        if j >= n or _matches(buf, j, trkpt):  # the end, or the next point before this closed
            return 4, j, t_ms, kind, hdop, ele
        if j + 1 < n and buf[j + 1] == 33:  # <! inside a point
            return NOT_PLAIN, j, t_ms, kind, hdop, ele
        if _matches(buf, j, close):
            return OK, j, t_ms, kind, hdop, ele
        if _matches(buf, j, time_tag):
            end = _text_end(buf, j + 6)
            t_ms, kind = _time(buf, j + 6, end)
            if kind == 0:
                return 5, j, t_ms, kind, hdop, ele
            j = end
        elif _matches(buf, j, hdop_tag) or _matches(buf, j, ele_tag):
            is_hdop = buf[j + 1] == 104
            start = j + (6 if is_hdop else 5)
            end = _text_end(buf, start)
            value, ok = _number(buf, start, end)
            if ok and is_hdop:
                hdop = value
            elif ok:
                ele = value
            j = end
        else:
            j += 1


@njit(cache=True)
def scan_points(
    buf: NDArray[np.uint8],
    n_points: int,
) -> tuple[
    int,
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int8],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int32],
]:
    """Scan a plain GPX document for its ``n_points`` track points.

    Returns ``(status, lon, lat, time_ms, time_kind, hdop, ele, part)``; status 0 means every
    point was read, :data:`MORE_POINTS` that a point past ``n_points`` was found (the scan
    stops there), :data:`NOT_PLAIN` that the document is not plain GPX; time_kind per point is
    0 (no time), 1 (UTC) or 2 (no offset: local).
    """
    lon = np.full(n_points, np.nan)
    lat = np.full(n_points, np.nan)
    t_ms = np.zeros(n_points, dtype=np.int64)
    kind = np.zeros(n_points, dtype=np.int8)
    hdop = np.full(n_points, np.nan)
    ele = np.full(n_points, np.nan)
    part = np.zeros(n_points, dtype=np.int32)
    trkpt = np.frombuffer(b"<trkpt", dtype=np.uint8)
    trkseg = np.frombuffer(b"<trkseg", dtype=np.uint8)
    rtept = np.frombuffer(b"<rtept", dtype=np.uint8)
    words = (
        np.frombuffer(b"</trkpt", dtype=np.uint8),
        trkpt,
        np.frombuffer(b"<time>", dtype=np.uint8),
        np.frombuffer(b"<hdop>", dtype=np.uint8),
        np.frombuffer(b"<ele>", dtype=np.uint8),
    )
    lat_name = np.frombuffer(b"lat", dtype=np.uint8)
    lon_name = np.frombuffer(b"lon", dtype=np.uint8)
    n = len(buf)
    seg = -1
    k = 0
    i = 0
    while i < n:
        if buf[i] != 60:  # <
            i += 1
            continue
        if (i + 1 < n and buf[i + 1] == 33) or _matches(buf, i, rtept):  # <! or <rtept
            return NOT_PLAIN, lon, lat, t_ms, kind, hdop, ele, part
        if _matches(buf, i, trkseg):
            seg += 1
            i += 7
            continue
        if not _point_start(buf, i, trkpt):
            i += 1
            continue
        if k >= n_points:
            return MORE_POINTS, lon, lat, t_ms, kind, hdop, ele, part
        status, j, closed, lon[k], lat[k] = _attributes(buf, i + 6, lat_name, lon_name)
        if status != OK:
            return status, lon, lat, t_ms, kind, hdop, ele, part
        part[k] = max(seg, 0)
        j += 1
        if not closed:
            status, j, t_ms[k], kind[k], hdop[k], ele[k] = _children(buf, j, words)
            if status != OK:
                return status, lon, lat, t_ms, kind, hdop, ele, part
        k += 1
        i = j
    if k != n_points:
        return 6, lon, lat, t_ms, kind, hdop, ele, part
    return OK, lon, lat, t_ms, kind, hdop, ele, part
