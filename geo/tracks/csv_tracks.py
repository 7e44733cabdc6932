"""CSV track reader: delimited text with no standard layout.

What the field sends as "CSV" varies with every phone app, data logger and spreadsheet:

* UTF-8 (with or without BOM) or GB18030 from Chinese Windows; ``,``, ``;`` or tab separated;
  trailing separators; a header row or none; Chinese or English column names with units in
  brackets (``height_above_takeoff(meters)``, ``海拔(米)``).
* Coordinates with the hemisphere inside the number (``49.0733336N``, ``125.7648551W``) or in a
  separate ``N/S``/``E/W`` column; longitude and latitude columns in either order.
* Times as ISO 8601 (with or without offset, up to 9 fractional digits), hour-only offsets
  (``+00``), separate date and time columns (``2005/05/01`` + ``10:12:47``, ``250724`` +
  ``173418``), epoch seconds or milliseconds.

Every decision the reader takes on the uploader's behalf (axis order, units, encoding, time
zone) is written to :attr:`ParsedTrack.notes`. Rows keep file order; cleaning sorts.

Numbers are parsed by pandas' C parser; string work (units, hemisphere letters, unusual date
layouts) only happens for the columns that need it, so a million-row file reads in seconds.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyproj
from numpy.typing import NDArray

from geo.errors import InvalidFile, InvalidInput
from geo.ingest.chinacrs import SOURCE_SYSTEMS, bd09mc_to_bd09, crs_alias, in_china
from geo.projection import from_metric
from geo.tracks.axis_order import lon_first_by_values
from geo.tracks.decode import Head, empty_file
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits
from geo.tracks.timestamps import parse_times
from geo.tracks.units import FEET

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_SEPARATORS = ("\t", ";", ",")
_SAMPLE_ROWS = 200

# Header names (normalised by _norm), by role and in order of preference.
_LON_NAMES = ("经度", "longitude", "lon", "lng", "long", "东经", "x", "easting", "东坐标")
_LAT_NAMES = ("纬度", "latitude", "lat", "北纬", "y", "northing", "北坐标")
_AMBIGUOUS_AXIS_NAMES = frozenset({"x", "y", "easting", "northing", "东坐标", "北坐标"})
_TIME_NAMES = (
    "datetime",
    "date_time",
    "timestamp",
    "time_stamp",
    "时间戳",
    "定位时间",
    "采集时间",
    "记录时间",
    "gps时间",
    "gps_time",
    "utc_time",
    "tracked_at",
    "recorded_at",
    "created_at",
    "time",
    "时间",
    "t",
    "ts",
    "utc",
)
_DATE_NAMES = ("日期", "date", "gps_date", "utc_date")
_ALT_NAMES = (
    "height_above_takeoff",
    "rel_alt",
    "海拔",
    "高程",
    "海拔高度",
    "altitude",
    "alt",
    "ele",
    "elevation",
    "height",
    "高度",
)
_ACC_NAMES = ("accuracy", "精度", "定位精度", "horizontal_accuracy", "hacc", "acc", "hdop")
_PART_NAMES = ("trajectory_id", "track_id", "segment", "segment_id", "trip_id", "轨迹", "轨迹编号")
_HEMI_NAMES = {
    "n/s": "NS",
    "s/n": "NS",
    "ns": "NS",
    "南北": "NS",
    "lat_ref": "NS",
    "e/w": "EW",
    "w/e": "EW",
    "ew": "EW",
    "东西": "EW",
    "lon_ref": "EW",
}

_NUMERIC_START = re.compile(r"^[NSEWnsew]?\s*[-+]?[.,]?\d")
_DATETIME = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*T\s*|\s+|(?<=日))(?P<h>\d{1,2})\s*[:时]\s*(?P<mi>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<s>\d{1,2})(?:[.,](?P<f>\d+))?\s*秒?)?"
    r"\s*(?P<z>Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_DATE_START = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_DATE_ONLY = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<mo>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?$"
)
_TIME_OF_DAY = re.compile(r"^\d{1,2}\s*[:时]\s*\d{1,2}(?:\s*[:分]\s*\d{1,2}(?:[.,]\d+)?)?\s*秒?$")
_DATETIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y%m%d%H%M%S",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日%H:%M:%S",
)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
_UNIT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ/米"
_OFFSET_END = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"
_LENGTH_UNITS = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "米": 1.0,
    "ft": FEET,
    "feet": FEET,
    "foot": FEET,
    "km": 1000.0,
}


def _norm(name: str) -> tuple[str, str]:
    """A header name as ``(key, unit)``: lower case, bracketed unit split off, spaces → ``_``.

    >>> _norm(" height_above_takeoff(Meters)")
    ('height_above_takeoff', 'meters')
    >>> _norm("海拔（米）")
    ('海拔', '米')
    """
    s = name.strip().strip("\"'").strip().lower()
    unit = ""
    m = re.search(r"[(\[（【]([^)\]）】]*)[)\]）】]", s)
    if m:
        unit = m.group(1).strip()
        s = (s[: m.start()] + s[m.end() :]).strip()
    s = re.sub(r"[\s\-]+", "_", s).strip("_")
    if not unit:
        um = re.search(r"_(m|ft|feet|meters|metres|米)$", s)
        if um and s[: um.start()]:
            unit, s = um.group(1), s[: um.start()]
    return s, unit


@dataclass
class _Table:
    """The split file: cells as pandas read them, each row's file line, the header if any."""

    frame: pd.DataFrame
    lines: NDArray[np.int64]
    header: list[str] | None
    source: str

    @property
    def ncols(self) -> int:
        return int(self.frame.shape[1])

    def label(self, col: int) -> str:
        if self.header is not None and col < len(self.header) and self.header[col].strip():
            return repr(self.header[col].strip())
        return str(col + 1)

    def numeric(self, col: int) -> bool:
        return bool(pd.api.types.is_numeric_dtype(self.frame[col].dtype))

    def text(self, col: int) -> pd.Series:
        """The column as stripped strings, ``""`` where empty."""
        s = self.frame[col]
        if self.numeric(col):
            return s.astype(object).where(s.notna(), "").astype("str")
        return s.fillna("").astype("str").str.strip()

    def present(self, col: int) -> BoolArray:
        return self.frame[col].notna().to_numpy(dtype=bool)

    def sample(self, col: int) -> pd.Series:
        """Up to 200 non-empty cells from the top, as stripped strings."""
        s = self.frame[col].iloc[:_SAMPLE_ROWS]
        s = s[s.notna()].astype("str").str.strip()
        return s[s != ""]

    def line(self, row: int) -> int:
        return int(self.lines[row])

    def fail(self, col: int, row: int, what: str) -> InvalidFile:
        value = self.frame[col].iloc[row]
        shown = "" if pd.isna(value) else str(value).strip()
        return InvalidFile(
            f"{shown!r} is not {what}",
            source=self.source,
            place=f"line {self.line(row)}, column {self.label(col)}",
        )


def _sniff(sample: list[str]) -> str:
    """The separator that splits the sample lines most consistently (tab, ``;``, ``,``)."""
    scored: list[tuple[float, int, str]] = []
    for pref, sep in enumerate(_SEPARATORS):
        counts = [line.count(sep) for line in sample]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        mode = max(set(nonzero), key=nonzero.count)
        consistent = sum(1 for c in counts if c == mode) / len(counts)
        scored.append((consistent, -pref, sep))
    if not scored:
        return ""
    good = [s for s in scored if s[0] >= 0.8]
    if good:
        return max(good, key=lambda s: s[1])[2]
    return max(scored)[2]


def _split(text: str, *, source: str, limits: ReadLimits) -> _Table:
    """Split the text into a table; the first row is a header when none of its cells is a number."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    keep = [i for i, line in enumerate(raw) if line.strip()]
    if not keep:
        raise empty_file(source)
    sep = _sniff([raw[i] for i in keep[:50]])
    if not sep:
        raise InvalidFile(
            "no column separator found (expected ',', ';' or tab between values)",
            source=source,
            place=f"line {keep[0] + 1}",
        )
    blank = sep + " \t\"'"
    keep = [i for i in keep if raw[i].strip(blank)]
    first = [c.strip() for c in next(csv.reader([raw[keep[0]]], delimiter=sep))]
    header: list[str] | None = None
    if any(first) and not any(_NUMERIC_START.match(c) for c in first if c):
        header = first
        keep = keep[1:]
    if not keep:
        raise InvalidFile("the CSV file has a header row but no data rows", source=source)
    lines = [raw[i] for i in keep]
    limits.check_fixes(len(lines), source=source)  # one fix per row at most
    ncols = max(max(line.count(sep) for line in lines) + 1, len(header or ()))
    limits.check_columns(ncols, source=source)  # before any per-column work
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(lines)),
            sep=sep,
            header=None,
            names=list(range(ncols)),
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
            skip_blank_lines=False,
            low_memory=False,
            engine="c",
            index_col=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InvalidFile(
            f"the rows cannot be split into columns ({str(exc).splitlines()[0]})", source=source
        ) from None
    line_numbers = np.asarray(keep, dtype=np.int64) + 1
    if len(frame) != len(lines):  # a quoted value spanning lines: row numbers are approximate
        line_numbers = np.arange(1, len(frame) + 1, dtype=np.int64) + (header is not None)
    return _Table(frame=frame, lines=line_numbers, header=header, source=source)


def _parse_strings(
    cells: pd.Series, affix: str
) -> tuple[FloatArray, NDArray[np.int64], pd.Series, pd.Series]:
    """Numbers in strings, allowing ``affix`` characters before and after the number.

    Returns the values (NaN where empty or not a number), the row positions of the cells that
    had text around the number, and that text before and after it (stripped). Decimal commas
    are accepted.
    """
    s = cells.where(cells.notna(), "").astype("str")
    core = s.str.strip(affix + " \t")
    values = np.array(
        pd.to_numeric(core, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    )
    comma = np.isnan(values) & core.str.contains(",", regex=False).to_numpy(dtype=bool)
    if comma.any():
        fixed = pd.to_numeric(core[comma].str.replace(",", ".", regex=False), errors="coerce")
        values[comma] = fixed.to_numpy(dtype=np.float64, na_value=np.nan)
    values[(core == "").to_numpy(dtype=bool)] = np.nan
    changed = np.flatnonzero((s.str.len() != core.str.len()).to_numpy(dtype=bool))
    pre: list[str] = []
    post: list[str] = []
    for a, b in zip(s.iloc[changed].tolist(), core.iloc[changed].tolist(), strict=True):
        at = a.find(b) if b else len(a)
        pre.append(a[:at].strip())
        post.append(a[at + len(b) :].strip())
    return values, changed, pd.Series(pre, dtype="str"), pd.Series(post, dtype="str")


def _not_number(cells: pd.Series, values: FloatArray) -> BoolArray:
    """Non-empty cells whose number could not be read."""
    bad = np.zeros(len(values), dtype=bool)
    cand = np.flatnonzero(cells.notna().to_numpy(dtype=bool) & np.isnan(values))
    if len(cand):
        bad[cand] = (cells.iloc[cand].astype("str").str.strip() != "").to_numpy(dtype=bool)
    return bad


def _parse_coord(table: _Table, col: int) -> tuple[FloatArray, NDArray[np.str_], BoolArray]:
    """Degrees with an optional hemisphere letter before or after (S/W make them negative).

    Returns values (NaN where empty or bad), the hemisphere letter per cell (``""`` when none)
    and a mask of non-empty cells that are not coordinates.
    """
    s = table.frame[col]
    n = len(s)
    letters = np.full(n, "", dtype="<U1")
    if table.numeric(col):
        return s.to_numpy(dtype=np.float64, na_value=np.nan).copy(), letters, np.zeros(n, bool)
    values, idx, pre, post = _parse_strings(s, "NSEWnsew°")
    bad = _not_number(s, values)
    if len(idx):
        letter = (pre + post).str.upper()
        wrong = (~letter.isin(["", "N", "S", "E", "W"])).to_numpy(dtype=bool)
        bad[idx[wrong]] = True
        south_west = letter.isin(["S", "W"]).to_numpy(dtype=bool)
        values[idx[south_west]] = -np.abs(values[idx[south_west]])
        letters[idx] = np.where(wrong, "", letter.to_numpy(dtype=str))
    return values, letters, bad


def _parse_length(table: _Table, col: int, header_unit: str) -> tuple[FloatArray, BoolArray, bool]:
    """Lengths in metres: numbers with an optional unit in the cell or the header (feet → m).

    Returns values, a mask of unreadable cells and whether feet were converted.
    """
    scale = _LENGTH_UNITS.get(header_unit.lower(), 1.0)
    s = table.frame[col]
    if table.numeric(col):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan) * scale
        return v, np.zeros(len(v), dtype=bool), scale == FEET
    values, idx, pre, post = _parse_strings(s, _UNIT_CHARS)
    bad = _not_number(s, values)
    values = values * scale
    feet = scale == FEET
    if len(idx):
        units = {u: _LENGTH_UNITS.get(u.lower(), np.nan) for u in post.unique().tolist()}
        units[""] = scale
        unit = post.map(units).to_numpy(dtype=np.float64)
        wrong = (pre != "").to_numpy(dtype=bool) | np.isnan(unit)
        bad[idx[wrong]] = True
        values[idx] = values[idx] / scale * unit
        feet = feet or bool(np.any(unit == FEET))
    values[bad] = np.nan
    return values, bad, feet


def _coordinate_like(table: _Table, col: int) -> bool:
    """Decimal degrees (possibly with hemisphere letters) in the first rows."""
    s = table.sample(col)
    if s.empty or not bool(s.str.contains(r"\d[.,]\d", regex=True).all()):
        return False
    sub = _Table(
        frame=pd.DataFrame({0: s.reset_index(drop=True).astype("str")}),
        lines=np.arange(len(s), dtype=np.int64),
        header=None,
        source="",
    )
    v, _, bad = _parse_coord(sub, 0)
    return not bad.any() and bool(np.all(np.abs(v) <= 180))


def _projected_like(table: _Table, col: int) -> bool:
    s = table.sample(col)
    if s.empty:
        return False
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return bool(np.all(np.abs(v) > 180))


def _named_crs(key: str, unit: str) -> tuple[str, str] | None:
    """A longitude/latitude header that names its coordinate system, as (plain name, system):
    ``经度(GCJ-02)``, ``lng_gcj02``, ``gcj_lng``, ``bd_lon``, ``百度经度``, ``lon_wgs84``.

    >>> _named_crs(*_norm("经度(GCJ-02)")), _named_crs(*_norm("bd_lon")), _named_crs("lon", "")
    (('经度', 'gcj02'), ('lon', 'bd09'), None)
    """

    def system(text: str) -> str | None:
        found = crs_alias(text) if text.strip("_") else None
        return found if found in SOURCE_SYSTEMS else None

    for name in (*_LON_NAMES, *_LAT_NAMES):
        if name in _AMBIGUOUS_AXIS_NAMES:
            continue
        if key == name:
            found = system(unit) if unit else None
        elif key.startswith(name):
            found = system(key[len(name) :])
        elif key.endswith(name):
            found = system(key[: -len(name)])
        else:
            continue
        if found is not None:
            return name, found
    return None


def _roles(header: list[str]) -> tuple[dict[str, int], dict[int, tuple[str, str]]]:
    """Map roles to column numbers by header name; also return each column's (key, unit).

    A longitude/latitude header naming its coordinate system (:func:`_named_crs`) counts as
    a plain one; where a file has both WGS-84 and shifted columns, the WGS-84 ones are read.
    """
    keys = {i: _norm(h) for i, h in enumerate(header)}
    tagged = {i: t for i, (key, unit) in keys.items() if (t := _named_crs(key, unit))}
    shifted = {i for i, (_name, crs) in tagged.items() if crs not in ("wgs84", "cgcs2000")}
    hemi_stripped: dict[int, str] = {}
    for i, (key, _unit) in keys.items():
        m = re.search(r"_?(n/s|s/n|e/w|w/e)$", key)
        if m and key[: m.start()]:
            hemi_stripped[i] = key[: m.start()]
    found: dict[str, int] = {}

    def pick(role: str, names: tuple[str, ...]) -> None:
        order = sorted(keys, key=lambda i: i in shifted)
        for name in names:
            for i in order:
                key = keys[i][0]
                plain = tagged[i][0] if i in tagged else None
                if i not in found.values() and name in (key, hemi_stripped.get(i), plain):
                    found[role] = i
                    return

    pick("lon", _LON_NAMES)
    pick("lat", _LAT_NAMES)
    pick("time", _TIME_NAMES)
    if "time" not in found:
        for i, (key, _unit) in keys.items():
            if i not in found.values() and ("time" in key or "时间" in key):
                found["time"] = i
                break
    pick("date", _DATE_NAMES)
    pick("alt", _ALT_NAMES)
    pick("acc", _ACC_NAMES)
    pick("part", _PART_NAMES)
    for i, (key, _unit) in keys.items():
        kind = _HEMI_NAMES.get(key)
        if kind and f"hemi_{kind}" not in found:
            found[f"hemi_{kind}"] = i
    return found, keys


def _hemisphere_column(table: _Table, roles: dict[str, int], coord: int, kind: str) -> int | None:
    """A separate N/S or E/W column for ``coord``: named so, or right after it."""
    allowed = {"NS": {"N", "S"}, "EW": {"E", "W"}}[kind]
    candidates = [roles[f"hemi_{kind}"]] if f"hemi_{kind}" in roles else []
    if coord + 1 < table.ncols:
        candidates.append(coord + 1)
    for col in candidates:
        s = table.sample(col).str.upper()
        if not s.empty and bool(s.isin(allowed).all()):
            return col
    return None


def _apply_hemisphere(table: _Table, values: FloatArray, col: int, kind: str) -> FloatArray:
    cells = table.text(col).str.upper()
    allowed = ["N", "S"] if kind == "NS" else ["E", "W"]
    bad = ~(cells.isin(allowed) | (cells == "")).to_numpy(dtype=bool)
    if bad.any():
        raise table.fail(col, int(np.argmax(bad)), f"a hemisphere ({' or '.join(allowed)})")
    negative = cells.isin(["S", "W"]).to_numpy(dtype=bool)
    return np.where(negative, -np.abs(values), values)


def _positions(
    table: _Table, roles: dict[str, int], keys: dict[int, tuple[str, str]], notes: list[str]
) -> tuple[FloatArray, FloatArray, set[int]]:
    """Longitude and latitude in degrees (NaN where the row has none)."""
    x_col, y_col, named, half_named = _coordinate_columns(table, roles)
    xv, xl, xbad = _parse_coord(table, x_col)
    yv, yl, ybad = _parse_coord(table, y_col)
    for col, bad in ((x_col, xbad), (y_col, ybad)):
        if bad.any():
            raise table.fail(col, int(np.argmax(bad)), "a coordinate in degrees")
    ambiguous = (
        not named or half_named or bool({keys[x_col][0], keys[y_col][0]} & _AMBIGUOUS_AXIS_NAMES)
    )
    swap, why = _axis_order(xv, xl, yv, yl, named=named, ambiguous=ambiguous)
    if swap is None and not named:
        raise InvalidFile(
            f"cannot tell longitude from latitude in columns {table.label(x_col)} and "
            f"{table.label(y_col)} (the values fit either); add a header row such as "
            "lon,lat,time",
            source=table.source,
        )
    if swap:
        x_col, y_col, xv, yv = y_col, x_col, yv, xv
    notes.extend(_axis_notes(table.label(x_col), table.label(y_col), named, swap, ambiguous, why))
    ns = _hemisphere_column(table, roles, y_col, "NS")
    if ns is not None:
        yv = _apply_hemisphere(table, yv, ns, "NS")
    ew = _hemisphere_column(table, roles, x_col, "EW")
    if ew is not None:
        xv = _apply_hemisphere(table, xv, ew, "EW")
    _check_pairs(table, xv, yv, x_col, y_col)
    for col, vals, limit, what in ((y_col, yv, 90, "a latitude"), (x_col, xv, 180, "a longitude")):
        wrong = ~np.isnan(vals) & ~(np.abs(vals) <= limit)
        if wrong.any():
            raise table.fail(col, int(np.argmax(wrong)), what)
    used = {x_col, y_col} | {c for c in (ns, ew) if c is not None}
    return xv, yv, used


def _coordinate_columns(table: _Table, roles: dict[str, int]) -> tuple[int, int, bool, bool]:
    """The x and y columns: those named, else the first columns of coordinate-like values;
    (x, y, any named, only one named)."""
    x_col, y_col = roles.get("lon"), roles.get("lat")
    named = x_col is not None or y_col is not None
    half_named = (x_col is None) != (y_col is None)
    if x_col is None or y_col is None:
        used = set(roles.values())
        cands = [c for c in range(table.ncols) if c not in used and _coordinate_like(table, c)]
        if len(cands) < 2 - half_named:
            raise InvalidFile(
                "no longitude/latitude columns found: name them 经度/纬度 or lon/lat, or give "
                "two columns of decimal degrees",
                source=table.source,
            )
        if x_col is None and y_col is None:
            x_col, y_col = cands[0], cands[1]
        elif x_col is None:
            x_col = cands[0]
        else:
            y_col = cands[0]
    assert x_col is not None and y_col is not None
    return x_col, y_col, named, half_named


def _axis_order(
    xv: FloatArray,
    xl: NDArray[np.str_],
    yv: FloatArray,
    yl: NDArray[np.str_],
    *,
    named: bool,
    ambiguous: bool,
) -> tuple[bool | None, str]:
    """Whether x and y must be swapped (None: cannot tell) and why: by the hemisphere letters
    in the values, else by the values' ranges (which override explicit lon/lat names only for
    a latitude beyond ±90°)."""
    xs, ys = set(np.unique(xl).tolist()) - {""}, set(np.unique(yl).tolist()) - {""}
    letters = "the hemisphere letters N/S and E/W in the values"
    if xs and ys and xs <= {"N", "S"} and ys <= {"E", "W"}:
        return True, letters
    if xs and ys and xs <= {"E", "W"} and ys <= {"N", "S"}:
        return False, letters
    decided, why = lon_first_by_values(xv, yv)
    if decided is None:
        return None, why
    swap = not decided
    # Explicit lon/lat names: only a latitude beyond ±90° overrides them.
    if named and not ambiguous and swap and "±90" not in why:
        swap = False
    return swap, why


def _axis_notes(
    lon_name: str, lat_name: str, named: bool, swap: bool | None, ambiguous: bool, why: str
) -> list[str]:
    """What the uploader is told about the columns read as longitude and latitude."""
    if not named:
        return [
            f"no longitude/latitude header: longitude read from column {lon_name} and latitude "
            f"from column {lat_name}, told apart by {why}"
        ]
    if swap:
        return [
            f"columns swapped: longitude read from column {lon_name} and latitude from column "
            f"{lat_name}, as {why}"
        ]
    if ambiguous:
        return [
            f"longitude read from column {lon_name} and latitude from column {lat_name}"
            + (f" ({why})" if why else " (from the header; the values fit either order)")
        ]
    return []


def _header_crs(
    table: _Table, roles: dict[str, int], keys: dict[int, tuple[str, str]], notes: list[str]
) -> str | None:
    """The coordinate system the longitude/latitude headers name (noted), or None."""
    read = [c for c in (roles.get("lon"), roles.get("lat")) if c is not None]
    named = {c: t[1] for c in read if (t := _named_crs(*keys[c]))}
    systems = set(named.values())
    if len(systems) > 1:
        raise InvalidFile(
            "the longitude and latitude headers name different coordinate systems ("
            + ", ".join(f"{table.label(c)}: {crs}" for c, crs in named.items())
            + ")",
            source=table.source,
            place="line 1",
        )
    others = sorted(
        {t[1] for c, k in keys.items() if c not in read and (t := _named_crs(*k))} - systems
    )
    if others:
        notes.append(
            f"the file also has positions in {', '.join(others)}; columns "
            f"{' and '.join(table.label(c) for c in read)} were read"
        )
    if not systems:
        return None
    crs = systems.pop()
    notes.append(
        f"coordinates read as {crs}, as the header{'s' if len(named) > 1 else ''} "
        f"{' and '.join(table.label(c) for c in named)} say"
    )
    return crs


def _check_pairs(table: _Table, xv: FloatArray, yv: FloatArray, x_col: int, y_col: int) -> None:
    """Refuse a row with one coordinate but not the other."""
    for col, vals, other in ((x_col, xv, yv), (y_col, yv, xv)):
        half = np.isnan(vals) & ~np.isnan(other)
        if half.any():
            row = int(np.argmax(half))
            raise InvalidFile(
                "the row has a coordinate in the other column but none in this one",
                source=table.source,
                place=f"line {table.line(row)}, column {table.label(col)}",
            )


def _pick_crs(epsg: int) -> pyproj.CRS:
    try:
        return pyproj.CRS.from_epsg(epsg)
    except pyproj.exceptions.CRSError:
        raise InvalidInput(f"EPSG:{epsg} is not a known coordinate reference system") from None


def _inside(crs: pyproj.CRS, x: float, y: float) -> bool:
    """Does easting ``x``, northing ``y`` fall in the CRS's area of use?"""
    aou = crs.area_of_use
    if aou is None:
        return False
    try:
        lon, lat = from_metric(np.array([x]), np.array([y]), crs.to_string())
    except pyproj.exceptions.ProjError:
        return False
    w, s, e, n = aou.bounds
    lo, la = float(lon[0]), float(lat[0])
    return bool(
        np.isfinite(lo) and np.isfinite(la) and w - 1 <= lo <= e + 1 and s - 1 <= la <= n + 1
    )


def _in_china_bd09mc(x: float, y: float) -> bool:
    """Do Baidu Mercator metres ``x``, ``y`` fall in China?"""
    lon, lat = bd09mc_to_bd09(x, y)
    return bool(in_china(lon, lat))


def _projected(
    table: _Table,
    roles: dict[str, int],
    fits: Callable[[float, float], bool],
    label: str,
    notes: list[str],
) -> tuple[FloatArray, FloatArray, set[int]]:
    """Easting and northing as written, their order checked against where the CRS is for
    (``fits``: the area of use of ``EPSG:<code>``, China for ``bd09mc``)."""
    x_col, y_col = roles.get("lon"), roles.get("lat")
    if x_col is None or y_col is None:
        used = set(roles.values())
        cands = [c for c in range(table.ncols) if c not in used and _projected_like(table, c)]
        if len(cands) < 2:
            raise InvalidFile(
                f"no x/y columns found for {label}: name them x/y (or easting/northing)",
                source=table.source,
            )
        x_col, y_col = cands[0], cands[1]
    xv, xbad, _ = _parse_length(table, x_col, "")
    yv, ybad, _ = _parse_length(table, y_col, "")
    for col, bad in ((x_col, xbad), (y_col, ybad)):
        if bad.any():
            raise table.fail(col, int(np.argmax(bad)), "a number")
    ok = np.isfinite(xv) & np.isfinite(yv)
    if ok.any():
        mx, my = float(np.median(xv[ok])), float(np.median(yv[ok]))
        as_is, swapped = fits(mx, my), fits(my, mx)
        if swapped and not as_is:
            x_col, y_col, xv, yv = y_col, x_col, yv, xv
            notes.append(
                f"{label}: easting read from column {table.label(x_col)} and northing "
                f"from column {table.label(y_col)} (the other order falls outside the area "
                "the CRS is for)"
            )
        elif not as_is:
            notes.append(
                f"{label}: the positions fall outside the area the CRS is for; easting "
                f"read from column {table.label(x_col)}, northing from column "
                f"{table.label(y_col)}"
            )
    _check_pairs(table, xv, yv, x_col, y_col)
    bad_value = ~np.isnan(xv) & ~np.isfinite(xv) | ~np.isnan(yv) & ~np.isfinite(yv)
    if bad_value.any():
        raise table.fail(x_col, int(np.argmax(bad_value)), "a finite coordinate")
    return xv, yv, {x_col, y_col}


def _localise(naive: pd.Series, tz: ZoneInfo) -> pd.Series:
    """Naive datetimes read as local time in ``tz`` → UTC (``NaT`` in DST gaps/overlaps)."""
    local = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    out: pd.Series = local.dt.tz_convert("UTC").astype("datetime64[ms, UTC]")
    return out


def _iso_from_groups(ext: pd.DataFrame, date: pd.Series | None = None) -> pd.Series:
    """Rebuild ``YYYY-MM-DDTHH:MM:SS[.f][zone]`` from regex groups (vectorised)."""
    if date is None:
        date = ext["y"] + "-" + ext["mo"].str.zfill(2) + "-" + ext["d"].str.zfill(2)
    sec = ext["s"].fillna("0").str.zfill(2)
    frac = ext["f"].fillna("")
    frac = frac.where(frac == "", "." + frac)
    zone = ext["z"].fillna("").str.upper().replace({"UTC": "Z", "GMT": "Z"})
    zone = zone.str.replace(r"^([+-])(\d)(?!\d)", r"\g<1>0\2", regex=True)
    hour = ext["h"].str.zfill(2) + ":" + ext["mi"].str.zfill(2) + ":" + sec
    out: pd.Series = date + "T" + hour + frac + zone
    return out


def _strings_to_utc(table: _Table, col: int, iso: pd.Series, tz: ZoneInfo) -> tuple[pd.Series, int]:
    """ISO 8601 strings → UTC; the fast path for uniform columns, else :func:`parse_times`."""
    present = iso.notna() & (iso != "")
    try:
        parsed = pd.to_datetime(iso.where(present, None), format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        parsed = None
    if parsed is not None and isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert("UTC").astype("datetime64[ms, UTC]"), 0
    if parsed is not None:
        return _localise(parsed, tz), int(present.sum())
    texts: list[str | None] = [t if isinstance(t, str) and t else None for t in iso.tolist()]
    try:
        return parse_times(texts, tz=tz, source=table.source, what="row")
    except InvalidFile as exc:
        m = re.search(r"row (\d+)", exc.place or "")
        raise table.fail(col, int(m.group(1)) - 1 if m else 0, "a valid date and time") from None


def _datetime_column(
    table: _Table, col: int, tz: ZoneInfo, says_utc: bool
) -> tuple[pd.Series, int]:
    """One column holding date and time, in any of the usual layouts."""
    s = table.frame[col]
    present = table.present(col)
    text = s.where(s.notna(), None)
    if not table.numeric(col):
        text = text.astype(object)
        try:
            parsed = pd.to_datetime(text, format="ISO8601")
        except (ValueError, TypeError, OverflowError):
            parsed = None
        if parsed is None:
            for fmt in _DATETIME_FORMATS:
                try:
                    parsed = pd.to_datetime(text, format=fmt)
                    break
                except (ValueError, TypeError, OverflowError):
                    continue
        if parsed is not None and not isinstance(parsed.dtype, pd.DatetimeTZDtype):
            if says_utc:
                return parsed.dt.tz_localize("UTC").astype("datetime64[ms, UTC]"), 0
            return _localise(parsed, tz), int(present.sum())
        if parsed is not None:
            return parsed.dt.tz_convert("UTC").astype("datetime64[ms, UTC]"), 0
        # Mixed layouts or offsets: rebuild every cell as ISO 8601, then parse_times.
        cells = table.text(col)
        iso = cells.str.extract(_DATETIME).pipe(_iso_from_groups)
        bad = (iso.isna() & present).to_numpy(dtype=bool)
        if bad.any():
            raise table.fail(col, int(np.argmax(bad)), "a date and time")
        if says_utc:
            iso = iso.where(iso.str.contains(_OFFSET_END, regex=True, na=True), iso + "Z")
        return _strings_to_utc(table, col, iso, tz)
    raise AssertionError("numeric time columns are read by _epoch_column")


def _epoch_column(
    table: _Table, col: int, tz: ZoneInfo, says_utc: bool, notes: list[str]
) -> tuple[pd.Series, int]:
    """Numbers: ``YYYYMMDDhhmmss``, or Unix epoch seconds/milliseconds by magnitude."""
    nums = table.frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
    present = np.isfinite(nums)
    stamp = nums[present]
    if len(stamp) and bool(np.all((stamp >= 1.9e13) & (stamp < 2.2e13) & (stamp % 1 == 0))):
        text = pd.Series(np.where(present, nums, 0).astype(np.int64)).astype("str")
        parsed = pd.to_datetime(text.where(present, None), format="%Y%m%d%H%M%S", errors="coerce")
        bad = present & parsed.isna().to_numpy(dtype=bool)
        if bad.any():
            raise table.fail(col, int(np.argmax(bad)), "a date and time (YYYYMMDDhhmmss)")
        if says_utc:
            return parsed.dt.tz_localize("UTC").astype("datetime64[ms, UTC]"), 0
        return _localise(parsed, tz), int(present.sum())
    med = float(np.median(np.abs(stamp))) if len(stamp) else 0.0
    if med < 1e8:
        row = int(np.argmax(present))
        raise InvalidFile(
            f"the times in column {table.label(col)} (like {table.frame[col].iloc[row]!r}) "
            "have no date: give a date column or full timestamps",
            source=table.source,
            place=f"line {table.line(row)}",
        )
    unit: Literal["s", "ms", "us", "ns"] = "ns"
    label = "nanoseconds"
    if med < 1e11:
        unit, label = "s", "seconds"
    elif med < 1e14:
        unit, label = "ms", "milliseconds"
    elif med < 1e17:
        unit, label = "us", "microseconds"
    notes.append(f"times in column {table.label(col)} read as Unix epoch {label} (UTC)")
    times = pd.to_datetime(pd.Series(nums), unit=unit, utc=True, errors="coerce")
    return times.astype("datetime64[ms, UTC]"), 0


def _date_and_time_columns(
    table: _Table, date_col: int, time_col: int, tz: ZoneInfo, says_utc: bool
) -> tuple[pd.Series, int]:
    """A date column plus a time-of-day column (``HH:MM:SS[.f]`` or ``HHMMSS``)."""
    present = table.present(time_col)
    dates_raw = table.text(date_col)
    if table.numeric(date_col):
        dates_raw = dates_raw.str.replace(r"\.0$", "", regex=True)
        width = 8 if bool((dates_raw.str.len() > 6).any()) else 6
        dates_raw = dates_raw.where(dates_raw == "", dates_raw.str.zfill(width))
    dates: pd.Series | None = None
    first = str(dates_raw.iloc[int(np.argmax((dates_raw != "").to_numpy(dtype=bool)))])
    formats = {6: ("%y%m%d",), 8: ("%Y%m%d",)}.get(len(first), _DATE_FORMATS)
    if not first.isdigit():
        formats = _DATE_FORMATS
    for fmt in formats:
        try:
            dates = pd.to_datetime(dates_raw.where(dates_raw != "", None), format=fmt)
            break
        except (ValueError, TypeError, OverflowError):
            continue
    if dates is None:
        ext = dates_raw.str.extract(_DATE_ONLY)
        iso = ext["y"] + "-" + ext["mo"].str.zfill(2) + "-" + ext["d"].str.zfill(2)
        bad = (iso.isna() & (dates_raw != "")).to_numpy(dtype=bool)
        if bad.any():
            raise table.fail(date_col, int(np.argmax(bad)), "a date")
        try:
            dates = pd.to_datetime(iso, format="%Y-%m-%d")
        except ValueError:
            wrong = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce").isna() & (
                dates_raw != ""
            )
            row = int(np.argmax(wrong.to_numpy(dtype=bool)))
            raise table.fail(date_col, row, "a date") from None
    times_raw = table.text(time_col)
    if table.numeric(time_col):
        v = table.frame[time_col].to_numpy(dtype=np.float64, na_value=np.nan)
        whole = np.floor(v)
        seconds = (whole // 10000) * 3600 + (whole // 100 % 100) * 60 + whole % 100 + (v - whole)
        ok = ~np.isfinite(v) | ((whole // 100 % 100 < 60) & (whole % 100 < 61) & (v < 240000))
        if not ok.all():
            raise table.fail(time_col, int(np.argmax(~ok)), "a time of day (HHMMSS)")
        offsets = pd.to_timedelta(pd.Series(seconds), unit="s")
    else:
        digits = times_raw.str.fullmatch(r"\d{1,6}(?:\.\d+)?")
        if bool(digits[times_raw != ""].all()):
            v = pd.to_numeric(times_raw.where(times_raw != "", None), errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            whole = np.floor(v)
            seconds = (
                (whole // 10000) * 3600 + (whole // 100 % 100) * 60 + whole % 100 + (v - whole)
            )
            offsets = pd.to_timedelta(pd.Series(seconds), unit="s")
        else:
            clean = times_raw.str.replace("时", ":").str.replace("分", ":").str.rstrip("秒")
            clean = clean.str.replace(",", ".", regex=False)
            try:
                offsets = pd.to_timedelta(clean.where(clean != "", None))
            except ValueError:
                wrong = ~clean.str.fullmatch(r"\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?") & (
                    clean != ""
                )
                row = int(np.argmax(wrong.to_numpy(dtype=bool)))
                raise table.fail(time_col, row, "a time of day") from None
    naive = (dates.reset_index(drop=True) + offsets.reset_index(drop=True)).astype("datetime64[ms]")
    naive = naive.where(pd.Series(present))
    if says_utc:
        return naive.dt.tz_localize("UTC").astype("datetime64[ms, UTC]"), 0
    return _localise(naive, tz), int(np.sum(present & naive.notna().to_numpy(dtype=bool)))


def _find_time_by_values(table: _Table, used: set[int]) -> tuple[int | None, int | None]:
    """(time column, date column): datetimes, a date column then a time column, or epochs."""
    free = [c for c in range(table.ncols) if c not in used]
    for c in free:
        s = table.sample(c)
        if s.empty or not bool(s.str.match(_DATE_START).all()):
            continue
        if bool(s.str.fullmatch(_DATE_ONLY).all()):
            if c + 1 in free:
                t = table.sample(c + 1)
                if not t.empty and bool(t.str.fullmatch(_TIME_OF_DAY).all()):
                    return c + 1, c
            continue
        return c, None
    for c in free:
        s = table.sample(c)
        if not s.empty and bool(s.str.fullmatch(r"\d{9,19}(?:\.\d+)?").all()):
            return c, None
    return None, None


def _times(
    table: _Table,
    roles: dict[str, int],
    keys: dict[int, tuple[str, str]],
    tz: ZoneInfo,
    used: set[int],
    notes: list[str],
) -> tuple[pd.Series | None, int]:
    """Times from a datetime column, date + time columns or epoch numbers."""
    time_col, date_col = roles.get("time"), roles.get("date")
    if time_col is None and date_col is not None:
        time_col, date_col = date_col, None
    if time_col is None:
        time_col, date_col = _find_time_by_values(table, used | set(roles.values()))
        if time_col is None:
            notes.append("no time column: the fixes have no times")
            return None, 0
        shown = table.label(time_col)
        if date_col is not None:
            shown = f"{table.label(date_col)} + {shown}"
        if table.header is not None:
            notes.append(f"times read from column {shown}, recognised by their values")
    present = table.present(time_col)
    if not present.any():
        notes.append(f"the time column {table.label(time_col)} is empty: the fixes have no times")
        return None, 0
    key, unit = keys.get(time_col, ("", ""))
    says_utc = any(w in key or w in unit.lower() for w in ("utc", "gmt"))
    first = str(table.frame[time_col].iloc[int(np.argmax(present))]).strip()
    has_date = bool(_DATE_START.match(first)) or bool(re.fullmatch(r"\d{14}(\.0)?", first))
    if date_col is not None and not has_date:
        what = f"columns {table.label(date_col)} + {table.label(time_col)}"
        times, naive = _date_and_time_columns(table, date_col, time_col, tz, says_utc)
    elif table.numeric(time_col):
        what = f"column {table.label(time_col)}"
        times, naive = _epoch_column(table, time_col, tz, says_utc, notes)
    else:
        what = f"column {table.label(time_col)}"
        times, naive = _datetime_column(table, time_col, tz, says_utc)
    if says_utc:
        notes.append(f"times in {what} without offset read as UTC, as the header says")
    if naive:
        notes.append(f"{naive} times in {what} have no UTC offset: read as township local time")
    lost = present & times.isna().to_numpy(dtype=bool)
    if lost.any():
        notes.append(
            f"{int(lost.sum())} local times in {what} do not exist or repeat at a daylight-saving "
            f"change (first at line {table.line(int(np.argmax(lost)))}): left without time"
        )
    return times.reset_index(drop=True), naive


def _optional_length(
    table: _Table, col: int | None, keys: dict[int, tuple[str, str]], what: str, notes: list[str]
) -> FloatArray | None:
    """An optional length column in metres; unreadable cells become NaN (noted)."""
    if col is None:
        return None
    values, bad, feet = _parse_length(table, col, keys[col][1])
    if feet:
        notes.append(f"{what} in column {table.label(col)} converted from feet to metres")
    if bad.any():
        values[bad] = np.nan
        notes.append(
            f"{int(bad.sum())} {what} values in column {table.label(col)} are not numbers "
            f"(first at line {table.line(int(np.argmax(bad)))}): left empty"
        )
    return values


def _xy(
    table: _Table,
    roles: dict[str, int],
    keys: dict[int, tuple[str, str]],
    epsg: int | None,
    bd09mc: bool,
    notes: list[str],
) -> tuple[FloatArray, FloatArray, set[int], str | None]:
    """The positions as written (x, y, the columns used) and the system they are in: the
    uploader's projected ``epsg`` or Baidu Mercator, else degrees in the system the header
    names (None: none named)."""
    crs = _pick_crs(epsg) if epsg is not None else None
    if crs is not None and epsg is not None and not crs.is_geographic:
        area = crs
        xv, yv, used = _projected(
            table, roles, lambda x, y: _inside(area, x, y), f"EPSG:{epsg}", notes
        )
    elif bd09mc:
        xv, yv, used = _projected(table, roles, _in_china_bd09mc, "bd09mc", notes)
    else:
        xv, yv, used = _positions(table, roles, keys, notes)
    declared: str | None = None
    if epsg is not None:
        declared = f"EPSG:{epsg}"
    elif bd09mc:
        declared = "bd09mc"
    elif table.header is not None:
        declared = _header_crs(table, roles, keys, notes)
    return xv, yv, used, declared


def _accuracy(
    table: _Table, roles: dict[str, int], keys: dict[int, tuple[str, str]], notes: list[str]
) -> FloatArray | None:
    """Accuracy in metres (HDOP × 5 m for an HDOP column); 0 or less read as not given."""
    acc = _optional_length(table, roles.get("acc"), keys, "accuracy", notes)
    if acc is not None and keys[roles["acc"]][0] == "hdop":
        acc = acc * 5.0
        notes.append("accuracy estimated as HDOP × 5 m")
    if acc is not None and bool(np.any(acc <= 0)):
        notes.append(f"{int(np.sum(acc <= 0))} accuracy values of 0 or less read as not given")
        acc = np.where(acc > 0, acc, np.nan)
    return acc


def looks_like_csv(head: Head) -> bool:
    """Text whose first line holds a column separator (``,``, ``;`` or tab): the last format
    tried. XML that no XML reader took is not CSV (it is refused as XML).

    Examples
    --------
    >>> looks_like_csv(Head.of(b"lon;lat\\n")), looks_like_csv(Head.of(b"<a>1,2</a>"))
    (True, False)
    """
    if head.text.startswith("<"):
        return False
    return any(sep in head.first_line for sep in _SEPARATORS)


def read_csv_track(
    text: str,
    *,
    source: str,
    tz: ZoneInfo,
    epsg: int | None = None,
    bd09mc: bool = False,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> ParsedTrack:
    """Read a CSV/TSV track of positions (and times, altitude, accuracy when present).

    Parameters
    ----------
    text
        The file's text (decoded by :func:`geo.tracks.decode.decode_text`); ``,``, ``;`` or
        tab separated.
    source
        The file name, used in error messages.
    tz
        Township time zone: times without a UTC offset are read in it.
    epsg
        When given, the x/y columns are coordinates in this CRS (e.g. 4546, CGCS2000 3-degree
        Gauss-Kruger CM 111E) and are kept as written (easting in ``lon``, northing in
        ``lat``); :attr:`ParsedTrack.declared_crs` says ``EPSG:<epsg>``.
    bd09mc
        The x/y columns are Baidu Mercator metres, kept as written (``declared_crs`` says
        ``bd09mc``).
    limits
        At most ``limits.max_columns`` columns and ``limits.max_fixes`` rows
        (:class:`~geo.errors.PayloadTooLarge`), checked before the columns are read.

    Returns
    -------
    ParsedTrack
        Fixes in file order (``format="csv"``); ``part`` follows a trajectory/segment id
        column when there is one. Rows with neither coordinate are skipped (noted).

    Raises
    ------
    InvalidFile
        No position columns, longitude and latitude that the
        values cannot tell apart in a file without header, or a bad coordinate or time (naming
        the line and the column).
    InvalidInput
        An unknown ``epsg``.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> t = read_csv_track(
    ...     "经度,纬度,时间\\n109.9,28.1,2026-11-23 09:00:00\\n",
    ...     source="t.csv", tz=ZoneInfo("Asia/Shanghai"))
    >>> t.fixes[["lon", "lat"]].iloc[0].tolist(), str(t.fixes["time"].iloc[0]), t.naive_times
    ([109.9, 28.1], '2026-11-23 01:00:00+00:00', 1)
    """
    notes: list[str] = []
    table = _split(text, source=source, limits=limits)
    roles, keys = _roles(table.header) if table.header is not None else ({}, {})
    xv, yv, used, declared = _xy(table, roles, keys, epsg, bd09mc, notes)
    missing = np.isnan(xv)
    if missing.all():
        raise InvalidFile("no row has a position", source=source)
    times, naive = _times(table, roles, keys, tz, used, notes)
    alt = _optional_length(table, roles.get("alt"), keys, "altitude", notes)
    acc = _accuracy(table, roles, keys, notes)
    part: NDArray[np.int32] | None = None
    if "part" in roles:
        ids = table.text(roles["part"])
        part = ((ids != ids.shift()).cumsum() - 1).to_numpy(dtype=np.int64).astype(np.int32)
    if missing.any():
        notes.append(
            f"{int(missing.sum())} rows without coordinates skipped "
            f"(first at line {table.line(int(np.argmax(missing)))})"
        )
    sel = np.flatnonzero(~missing)
    fixes = make_fixes(
        xv[sel],
        yv[sel],
        None if times is None else times.iloc[sel].reset_index(drop=True),
        accuracy_m=None if acc is None else acc[sel],
        part=None if part is None else part[sel],
        alt_m=None if alt is None else alt[sel],
    )
    return ParsedTrack(
        format="csv", fixes=fixes, naive_times=naive, notes=tuple(notes), declared_crs=declared
    )
