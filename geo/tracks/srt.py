"""DJI SRT subtitle telemetry: one cue per video frame (or second) with the aircraft's position.

The variants seen in the field:

* old ``GPS(lon,lat,alt) BAROMETER:1.9`` with ``HOME(lon,lat) 2017.08.05 14:11:51`` (Mavic Pro;
  other firmware writes ``Hb:1.9 Hs:1.9``; the Avata 2 ``BAROMETER(91.2)``),
  ``GPS(lat,lon,0.0M) BAROMETER:0.3M`` (Matrice 300: the other axis order), and
  ``GPS (lon, lat, n), HOME (lon, lat, alt), D 698.70m, H 85.80m, H.S n/a`` (Phantom 4 RTK,
  Mavic Mini) - the order inside ``GPS(...)`` is settled per file (see :func:`read_srt`);
* bracketed ``[latitude: 28.1] [longitude: 109.9] [rel_alt: 1.2 abs_alt: 300.1]``, with the
  firmware typo ``longtitude``, ``<font>`` wrappers, ``key:value`` without spaces (Neo 2) and
  stray commas;
* cue timecodes ``00:00:01,000 --> ...`` (one variant has none), datetimes such as
  ``2022-08-07 13:40:40,774,808`` (milliseconds, microseconds), ``2026-05-15 08:24:18.623`` or
  ``2017.08.05 14:11:51``. These are the aircraft's local clock: read as township local time.
  Some models (Mavic Mini, Mini 2, Phantom 4 Pro) write no date at all: their timecodes are kept
  (``ParsedTrack.elapsed_s``) and dated from the ``DJI_YYYYMMDDhhmmss_...`` file name or the
  user's start time (:mod:`geo.tracks.log_dates`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.errors import InvalidFile
from geo.tracks.axis_order import lon_first_by_values
from geo.tracks.decode import Head
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits
from geo.tracks.timestamps import parse_times

_NUM = r"([-+]?\d+(?:\.\d+)?)"
_TAG = re.compile(r"<[^>]*>")
_INDEX = re.compile(r"\d+")
_TIMECODE = re.compile(r"\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")
_DATETIME = re.compile(
    r"(\d{4})[-./](\d{1,2})[-./](\d{1,2})[ T]+(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(?:,(\d{3})(?!\d))?"
)
_GPS = re.compile(rf"\bGPS\s*\(\s*{_NUM}\s*,\s*{_NUM}\s*(?:,\s*{_NUM}\s*([Mm])?)?\s*\)")
_HOME = re.compile(rf"\bHOME\s*\(\s*{_NUM}\s*,\s*{_NUM}")
_DIST = re.compile(rf"(?:^|[\s,])D\s+{_NUM}\s*m\b")
_LAT = re.compile(rf"\blatitude\s*:\s*{_NUM}", re.IGNORECASE)
_LON = re.compile(rf"\blongt?itude\s*:\s*{_NUM}", re.IGNORECASE)
_TC_START = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})\s*-->")
# Altitude sources, best first, with what they measure (see ParsedTrack.alt_source): height
# above take-off (rel_alt; H of the Phantom 4 / Mavic Mini layout), barometric height above
# take-off (BAROMETER:1.9, BAROMETER(91.2), Hb:1.9), then altitude above sea level.
_ALTS = (
    ("rel_alt", "takeoff_rel", re.compile(rf"\brel_alt\s*:\s*{_NUM}")),
    ("H", "takeoff_rel", re.compile(rf"(?:^|[\s,])H\s+{_NUM}\s*m\b")),
    ("BAROMETER", "barometer", re.compile(rf"\bBAROMETER\s*(?::|\()\s*{_NUM}")),
    ("Hb", "barometer", re.compile(rf"\bHb\s*(?::|\()\s*{_NUM}")),
    ("abs_alt", "asl", re.compile(rf"\babs_alt\s*:\s*{_NUM}")),
    ("altitude", "asl", re.compile(rf"\baltitude\s*:\s*{_NUM}", re.IGNORECASE)),
)
_MEANING = {
    "takeoff_rel": "height above take-off",
    "barometer": "barometric height above take-off",
    "asl": "altitude above sea level",
}


@dataclass
class _Cue:
    line: int
    number: int | None
    lines: list[str] = field(default_factory=list)

    def where(self) -> str:
        return f"cue {self.number} (line {self.line})" if self.number else f"line {self.line}"


def looks_like_srt(head: Head) -> bool:
    """Is this the start of a DJI SRT file? (Format detection from the first bytes.)

    Examples
    --------
    >>> looks_like_srt(Head.of(b"1\\n00:00:00,000 --> 00:00:01,000\\nGPS(149.0,-20.2,16)\\n"))
    True
    >>> looks_like_srt(Head.of(b"lon,lat\\n1,2\\n"))
    False
    """
    text = head.text[:4096]
    lines = [line.strip() for line in text.splitlines()[:6]]
    if not lines or not _INDEX.fullmatch(lines[0]):
        return False
    near = "\n".join(lines[1:5])
    if _TIMECODE.search(near):
        return True
    return bool(_DATETIME.search(near) and (_GPS.search(text) or _LAT.search(text)))


def _split_cues(text: str) -> list[_Cue]:
    """Blocks separated by blank lines; a number line followed by a timecode also starts one."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    clean = [_TAG.sub("", line).strip() for line in raw]
    cues: list[_Cue] = []
    cur: _Cue | None = None
    for i, line in enumerate(clean):
        if not line:
            if cur is not None:
                cues.append(cur)
                cur = None
            continue
        if _INDEX.fullmatch(line):
            nxt = clean[i + 1] if i + 1 < len(clean) else ""
            if cur is None or _TIMECODE.match(nxt) or _DATETIME.match(nxt):
                if cur is not None:
                    cues.append(cur)
                cur = _Cue(line=i + 1, number=int(line))
                continue
        if cur is None:
            cur = _Cue(line=i + 1, number=None)
        cur.lines.append(line)
    if cur is not None:
        cues.append(cur)
    return cues


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance, plenty for telling two axis orders apart."""
    k = 111_320.0
    dx = (lon2 - lon1) * k * np.cos(np.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * k
    return float(np.hypot(dx, dy))


def _gps_order(
    gps: NDArray[np.float64],
    labelled: NDArray[np.float64],
    home_checks: list[tuple[float, float, float, float, float]],
    metre_suffix: bool,
) -> tuple[bool, str]:
    """Is ``GPS(a, b, ...)`` (lon, lat)? Settled per file; returns the answer and why."""
    a, b = gps[:, 0], gps[:, 1]
    if len(labelled):
        ref_lon, ref_lat = float(np.median(labelled[:, 0])), float(np.median(labelled[:, 1]))
        ma, mb = float(np.median(a)), float(np.median(b))
        as_lon_lat = abs(ma - ref_lon) + abs(mb - ref_lat)
        as_lat_lon = abs(mb - ref_lon) + abs(ma - ref_lat)
        if as_lon_lat != as_lat_lon:
            return bool(as_lon_lat < as_lat_lon), "it matches the labelled latitude/longitude cues"
    decided, why = lon_first_by_values(a, b)
    if decided is not None:
        return decided, why
    if home_checks:
        # "D" is the distance from HOME(...), written in the same order as GPS(...).
        err_ll = np.median([abs(_metres(ha, hb, ga, gb) - d) for ga, gb, ha, hb, d in home_checks])
        err_la = np.median([abs(_metres(hb, ha, gb, ga) - d) for ga, gb, ha, hb, d in home_checks])
        if min(err_ll, err_la) < 0.5 * max(err_ll, err_la):
            return bool(err_ll < err_la), "only that order matches the distance D from HOME"
    if metre_suffix:
        return False, "assumed from the Matrice-style GPS(lat,lon,altM); the values fit either"
    return True, "assumed from the usual DJI GPS(lon,lat,alt); the values fit either order"


def read_srt(
    text: str, *, source: str, tz: ZoneInfo, limits: ReadLimits = DEFAULT_LIMITS
) -> ParsedTrack:
    """Read the positions of a DJI SRT subtitle file.

    Parameters
    ----------
    text
        The file's text (decoded by :func:`geo.tracks.decode.decode_text`; CRLF allowed).
    source
        The file name, used in error messages.
    tz
        Township time zone: the cue datetimes are the aircraft's local clock and are read in it.
    limits
        At most ``limits.max_fixes`` cues (:class:`~geo.errors.PayloadTooLarge`).

    Returns
    -------
    ParsedTrack
        ``format="dji-srt"``; one fix per cue with a position, in file order. ``alt_m`` is the
        height above take-off (``rel_alt``, ``H``, ``BAROMETER``, ``Hb``) when the file gives
        it, else the altitude above sea level it gives. Cues without a datetime get ``NaT``.
        ``part`` starts again where the cue numbering restarts. The order inside ``GPS(a,b)``
        is settled per file: by labelled ``latitude``/``longitude`` cues in the same file, by
        value ranges (only longitude exceeds ±90°; in China longitude is above 73° and
        latitude below 54°), by the distance ``D`` from ``HOME``, or else by the model's
        known layout; the notes say which. ``alt_source`` says what ``alt_m`` measures (one
        source per file: ``rel_alt`` and ``H`` above take-off, ``BAROMETER``/``Hb``
        barometric, ``abs_alt``/``altitude`` above sea level); ``elapsed_s`` holds the cue
        timecodes when every cue has one, so a log without dates can be dated from its file
        name or the user's start time.

    Raises
    ------
    InvalidFile
        No cue with a GPS position (``no GPS positions: ...``), a position off
        the Earth (naming the cue), or a file cut off before its first complete cue.
    """
    notes: list[str] = []
    cues = _split_cues(text)
    n = len(cues)
    limits.check_fixes(n, source=source)  # one fix per cue at most
    found = _Values.of(cues, notes)
    if not n or not found.kind.any():
        what = f"{n} cue(s)" if n else "no subtitle cues"
        raise InvalidFile(
            f"no GPS positions: {what} without GPS(...) or latitude/longitude", source=source
        )
    _drop_cut_off_cue(text, cues, found.kind, notes, source)
    keep = _kept(found, notes, source)
    lon, lat = _ordered(found, keep, notes)
    for i in np.flatnonzero(keep).tolist():
        if not (abs(lat[i]) <= 90 and abs(lon[i]) <= 180):
            raise InvalidFile(
                f"latitude {lat[i]} longitude {lon[i]} is not a position on Earth",
                source=source,
                place=cues[i].where(),
            )
    sel = np.flatnonzero(keep)
    times, naive = _cue_times(found.stamps, sel, cues, tz, notes, source)
    alt, alt_source, alt_note = _choose_altitude(found.alts, sel)
    if alt_note:
        notes.append(alt_note)
    fixes = make_fixes(lon[sel], lat[sel], times, part=found.parts[sel], alt_m=alt)
    kept_elapsed = found.elapsed[sel]
    return ParsedTrack(
        format="dji-srt",
        fixes=fixes,
        naive_times=naive,
        notes=tuple(notes),
        alt_source=alt_source,
        elapsed_s=kept_elapsed if np.isfinite(kept_elapsed).all() else None,
    )


@dataclass
class _Values:
    """What each cue says, one entry per cue (NaN or None where it says nothing)."""

    kind: NDArray[np.int8]
    """0 no position, 1 labelled latitude/longitude, 2 ``GPS(a, b)``."""
    first: NDArray[np.float64]
    second: NDArray[np.float64]
    alts: dict[str, NDArray[np.float64]]
    """Every altitude source's value per cue; one source is chosen per file."""
    elapsed: NDArray[np.float64]
    stamps: list[str | None]
    parts: NDArray[np.int32]
    home_checks: list[tuple[float, float, float, float, float]] = field(default_factory=list)
    metre_suffix: bool = False

    @classmethod
    def of(cls, cues: list[_Cue], notes: list[str]) -> _Values:
        """Read every cue; a cue numbering that starts again at 1 starts a new part (noted)."""
        n = len(cues)
        found = cls(
            kind=np.zeros(n, dtype=np.int8),
            first=np.full(n, np.nan),
            second=np.full(n, np.nan),
            alts={},
            elapsed=np.full(n, np.nan),
            stamps=[None] * n,
            parts=np.zeros(n, dtype=np.int32),
        )
        part, last_number = 0, 0
        for i, cue in enumerate(cues):
            if cue.number is not None:
                if cue.number <= last_number and cue.number == 1:
                    part += 1
                    notes.append(f"the cue numbering starts again at line {cue.line}: a new part")
                last_number = cue.number
            found.parts[i] = part
            found.cue(i, " ".join(cue.lines))
        return found

    def cue(self, i: int, body: str) -> None:
        """The position, altitudes, timecode and datetime of cue ``i``."""
        n = len(self.kind)
        gps_m = self.position(i, body)
        for name, _, pattern in _ALTS:
            m = pattern.search(body)
            if m:
                self.alts.setdefault(name, np.full(n, np.nan))[i] = float(m.group(1))
        if gps_m and gps_m.group(3) and gps_m.group(4):
            self.alts.setdefault("GPS", np.full(n, np.nan))[i] = float(gps_m.group(3))
        tc = _TC_START.search(body)
        if tc:
            th, tm, ts, tms = (int(g) for g in tc.groups())
            self.elapsed[i] = th * 3600 + tm * 60 + ts + tms / 10 ** len(tc.group(4))
        dt = _DATETIME.search(body)
        if dt:
            y, mo, d, hh, mi, ss, frac, micro = dt.groups()
            fraction = (frac or "") + (micro or "") if frac else ""
            self.stamps[i] = f"{y}-{int(mo):02d}-{int(d):02d}T{int(hh):02d}:{mi}:{ss}" + (
                f".{fraction[:9]}" if fraction else ""
            )

    def position(self, i: int, body: str) -> re.Match[str] | None:
        """Labelled latitude/longitude, else ``GPS(a, b)`` (with HOME and D when given);
        returns the ``GPS(...)`` match."""
        lat_m, lon_m, gps_m = _LAT.search(body), _LON.search(body), _GPS.search(body)
        if lat_m and lon_m:
            self.kind[i], self.first[i], self.second[i] = (
                1,
                float(lon_m.group(1)),
                float(lat_m.group(1)),
            )
        elif gps_m:
            self.kind[i], self.first[i], self.second[i] = (
                2,
                float(gps_m.group(1)),
                float(gps_m.group(2)),
            )
            self.metre_suffix = self.metre_suffix or bool(gps_m.group(4))
            home, dist = _HOME.search(body), _DIST.search(body)
            if home and dist:
                h_a, h_b, d_m = float(home.group(1)), float(home.group(2)), float(dist.group(1))
                self.home_checks.append((self.first[i], self.second[i], h_a, h_b, d_m))
        return gps_m


def _drop_cut_off_cue(
    text: str, cues: list[_Cue], kind: NDArray[np.int8], notes: list[str], source: str
) -> None:
    """A file cut off mid-cue: the last cue lost its position line (or the end of it)."""
    ends_cut = not text.endswith(("\n", "\r")) and bool(re.search(r"\d$", text.rstrip(" \t")))
    if not (kind[-1] == 0 or ends_cut):
        return
    if len(cues) == 1:
        raise InvalidFile(
            "the file ends inside its first cue: no complete cue to read",
            source=source,
            place=cues[0].where(),
        )
    notes.append(
        f"the file is cut off inside {cues[-1].where()}: read the {len(cues) - 1} cues before it"
    )
    kind[-1] = 0


def _kept(found: _Values, notes: list[str], source: str) -> NDArray[np.bool_]:
    """The cues with a position other than 0, 0 (no GPS lock); the others noted."""
    kind = found.kind
    zero = (kind > 0) & (found.first == 0) & (found.second == 0)
    no_pos = kind == 0
    no_pos[-1] = False  # the cut-off cue, noted above
    if not ((kind > 0) & ~zero).any():
        if zero.any():
            detail = f"all {int(zero.sum())} cues are at latitude 0, longitude 0 (no GPS lock)"
        else:
            detail = "no complete cue has GPS(...) or latitude/longitude"
        raise InvalidFile(f"no GPS positions: {detail}", source=source)
    if zero.any():
        notes.append(f"{int(zero.sum())} cues at latitude 0, longitude 0 (no GPS lock) skipped")
    if no_pos.any():
        notes.append(f"{int(no_pos.sum())} cues without a position skipped")
    keep: NDArray[np.bool_] = (kind > 0) & ~zero
    return keep


def _ordered(
    found: _Values, keep: NDArray[np.bool_], notes: list[str]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Longitudes and latitudes, with ``GPS(a, b)`` put in the order settled for the file."""
    first, second, kind = found.first, found.second, found.kind
    lon, lat = first.copy(), second.copy()
    tuples = keep & (kind == 2)
    if tuples.any():
        labelled = np.column_stack([first[keep & (kind == 1)], second[keep & (kind == 1)]])
        gps = np.column_stack([first[tuples], second[tuples]])
        lon_first, why = _gps_order(gps, labelled, found.home_checks, found.metre_suffix)
        if not lon_first:
            lon[tuples], lat[tuples] = second[tuples], first[tuples]
        order = "(longitude, latitude)" if lon_first else "(latitude, longitude)"
        notes.append(f"GPS(...) read as {order}: {why}")
    return lon, lat


def _cue_times(
    stamps: list[str | None],
    sel: NDArray[np.intp],
    cues: list[_Cue],
    tz: ZoneInfo,
    notes: list[str],
    source: str,
) -> tuple[pd.Series, int]:
    """The kept cues' datetimes (the aircraft's local clock, read in ``tz``), errors naming
    the cue."""
    kept_stamps = [stamps[int(i)] for i in sel]
    try:
        times, naive = parse_times(kept_stamps, tz=tz, source=source, what="fix")
    except InvalidFile as exc:
        m = re.search(r"fix (\d+)", exc.place or "")
        cue = cues[int(sel[int(m.group(1)) - 1])] if m else cues[0]
        raise InvalidFile(exc.detail, source=source, place=cue.where()) from None
    undated = sum(1 for s in kept_stamps if s is None)
    if naive:
        notes.append(
            f"{naive} cue times are the aircraft's local clock (no UTC offset): read as "
            "township local time"
        )
    if undated:
        notes.append(f"{undated} cues have no date and time: their fixes have no time")
    return times, naive


def _choose_altitude(
    alts: dict[str, NDArray[np.float64]], sel: NDArray[np.intp]
) -> tuple[NDArray[np.float64], str, str]:
    """The best altitude source the file gives for its kept cues: (values, meaning, note).

    One source per file (the first of ``_ALTS`` present), so heights never mix meanings; cues
    without it get NaN. ``GPS(lat,lon,altM)`` (Matrice) is the last resort, above sea level.
    """
    for name, meaning in [(name, meaning) for name, meaning, _ in _ALTS] + [("GPS", "asl")]:
        values = alts.get(name)
        if values is None:
            continue
        chosen = values[sel]
        count = int(np.isfinite(chosen).sum())
        if count:
            note = f"alt_m: {_MEANING[meaning]} from {name} ({count} cues)"
            if meaning == "asl":
                note += ": the file gives no height above take-off"
            return chosen, meaning, note
    return np.full(len(sel), np.nan), "", ""
