"""NMEA 0183 log reader: GGA and RMC sentences (any talker: GP, GN, BD, GB, GL, GA) as fixes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo.errors import InvalidFile
from geo.tracks.decode import Head
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits

_SENTENCE = re.compile(
    r"\$(?P<body>(?P<talker>[A-Z]{2})(?P<kind>[A-Z]{3}),[^*$\r\n]*)(?:\*(?P<sum>[0-9A-Fa-f]{2}))?"
)
_SAME_EPOCH_S = 0.0005
"""GGA and RMC times closer than this belong to the same fix."""
_HALF_DAY_S = 43_200.0


@dataclass
class _Fix:
    line: int
    seconds: float
    """Time of day (UTC), in seconds."""
    day: date | None = None
    lon: float = math.nan
    lat: float = math.nan
    alt: float = math.nan
    hdop: float = math.nan
    from_gga: bool = False


_START = re.compile(r"^\$(gp|gn|gl|ga|bd)[a-z]{3},")


def looks_like_nmea(head: Head) -> bool:
    """Text that starts with an NMEA sentence of a GNSS talker (``$GPGGA,``, ``$GNRMC,``...).

    Examples
    --------
    >>> looks_like_nmea(Head.of(b"$GPGGA,1,2,3")), looks_like_nmea(Head.of(b"$PGRMZ,1"))
    (True, False)
    """
    return bool(_START.match(head.lower))


def _checksum(body: str) -> int:
    return reduce(lambda acc, ch: acc ^ ord(ch), body, 0)


def _number(text: str, what: str, *, source: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidFile(
            f"{what} {text!r} is not a number", source=source, place=f"line {line}"
        ) from None
    if not math.isfinite(value):
        raise InvalidFile(f"{what} {text!r} is not a number", source=source, place=f"line {line}")
    return value


def _time_of_day(text: str, *, source: str, line: int) -> float:
    """``hhmmss[.sss]`` as seconds after midnight."""
    if not re.fullmatch(r"\d{6}(?:\.\d+)?", text):
        raise InvalidFile(f"time {text!r} is not hhmmss", source=source, place=f"line {line}")
    h, m, s = int(text[0:2]), int(text[2:4]), float(text[4:])
    if h > 23 or m > 59 or s >= 61:
        raise InvalidFile(
            f"time {text!r} is not a time of day", source=source, place=f"line {line}"
        )
    return h * 3600 + m * 60 + s


def _date(text: str, *, source: str, line: int) -> date:
    """RMC ``ddmmyy``; two-digit years 80-99 are 19xx (GPS began in 1980), others 20xx."""
    try:
        if not re.fullmatch(r"\d{6}", text):
            raise ValueError(text)
        yy = int(text[4:6])
        return date(1900 + yy if yy >= 80 else 2000 + yy, int(text[2:4]), int(text[0:2]))
    except ValueError:
        raise InvalidFile(
            f"date {text!r} is not ddmmyy", source=source, place=f"line {line}"
        ) from None


def _angle(value: str, hemi: str, *, lat: bool, source: str, line: int) -> float:
    """``ddmm.mmmm`` / ``dddmm.mmmm`` with its hemisphere letter as signed degrees."""
    what = "latitude" if lat else "longitude"
    raw = _number(value, what, source=source, line=line)
    degrees, minutes = divmod(raw, 100.0)
    if raw < 0 or minutes >= 60 or hemi not in (("N", "S") if lat else ("E", "W")):
        raise InvalidFile(
            f"{what} {value},{hemi} is not {'ddmm.mmmm,N|S' if lat else 'dddmm.mmmm,E|W'}",
            source=source,
            place=f"line {line}",
        )
    deg = degrees + minutes / 60.0
    if deg > (90 if lat else 180):
        raise InvalidFile(
            f"{what} {value},{hemi} is not a position on Earth", source=source, place=f"line {line}"
        )
    return -deg if hemi in ("S", "W") else deg


def _days(fixes: list[_Fix]) -> list[date | None]:
    """A date for every fix: its own (from RMC/ZDA), else carried from the nearest dated fix.

    Time of day going back by more than half a day is taken as passing midnight.
    """
    offset = [0] * len(fixes)
    for i in range(1, len(fixes)):
        back = fixes[i - 1].seconds - fixes[i].seconds > _HALF_DAY_S
        offset[i] = offset[i - 1] + int(back)
    starts = [
        (i, f.day - timedelta(days=offset[i])) for i, f in enumerate(fixes) if f.day is not None
    ]
    if not starts:
        return [None] * len(fixes)
    out: list[date | None] = []
    j = 0
    for i, f in enumerate(fixes):
        while j + 1 < len(starts) and starts[j + 1][0] <= i:
            j += 1
        out.append(f.day if f.day is not None else starts[j][1] + timedelta(days=offset[i]))
    return out


def read_nmea(
    text: str, *, source: str, tz: ZoneInfo, limits: ReadLimits = DEFAULT_LIMITS
) -> ParsedTrack:
    """Read the fixes of an NMEA 0183 log from its GGA and RMC sentences.

    A GGA and an RMC of the same time are one fix: position, altitude and HDOP from GGA, the
    date from RMC (ZDA sentences also give dates). Sentences with a wrong checksum, RMC with
    status ``V`` and GGA with fix quality 0 are skipped and counted in ``notes``. NMEA times
    are UTC; without any date in the log the times are ``NaT``.

    Parameters
    ----------
    text
        The log's text (decoded leniently by :func:`geo.tracks.decode.decode_text`: a stray
        byte is replaced, and its sentence then fails its checksum).
    source
        The file name, used in error messages.
    tz
        Township time zone (unused: NMEA times are always UTC).
    limits
        Reading stops at ``limits.max_fixes`` (:class:`~geo.errors.PayloadTooLarge`).

    Returns
    -------
    ParsedTrack
        Fixes in log order; ``accuracy_m`` is HDOP × 5 m; ``alt_m`` is GGA's altitude above
        mean sea level.

    Raises
    ------
    InvalidFile
        For text without NMEA sentences, a field that is not a number, time,
        date or position (with its line), or a log without any fix.
    """
    del tz  # NMEA times are UTC by definition.
    log = _Log(source=source, limits=limits)
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        for m in _SENTENCE.finditer(raw_line):
            log.sentence(m, lineno)
    if log.sentences == 0:
        raise InvalidFile(
            "no NMEA sentences ($GPGGA, $GPRMC, ...) found: this is not an NMEA log", source=source
        )
    notes = log.notes()
    if not log.fixes:
        raise InvalidFile(
            "the NMEA log has no track points (no GGA or RMC sentence with a valid fix"
            + (f"; {'; '.join(notes)})" if notes else ")"),
            source=source,
        )
    days = _days(log.fixes)
    if all(d is None for d in days):
        notes.append("the log has no date (no RMC or ZDA sentences), so the fixes have no times")
    # NMEA has no accuracy field; hdop × 5 m is the usual rough conversion to metres.
    fixes_frame = make_fixes(
        [f.lon for f in log.fixes],
        [f.lat for f in log.fixes],
        _times(log.fixes, days),
        accuracy_m=np.asarray([f.hdop for f in log.fixes]) * 5.0,
        alt_m=[f.alt for f in log.fixes],
    )
    return ParsedTrack(format="nmea", fixes=fixes_frame, notes=tuple(notes))


def _times(fixes: list[_Fix], days: list[date | None]) -> pd.Series:
    """Each fix's UTC time from its date and time of day (``NaT`` without a date)."""
    return pd.Series(
        [
            pd.NaT
            if d is None
            else datetime(d.year, d.month, d.day, tzinfo=UTC)
            + timedelta(milliseconds=round(fx.seconds * 1000))
            for d, fx in zip(days, fixes, strict=True)
        ],
        dtype="datetime64[ms, UTC]",
    )


@dataclass
class _Position:
    """The time and position fields of a GGA or RMC sentence with a fix."""

    time_of_day: str
    lat: str
    ns: str
    lon: str
    ew: str


@dataclass
class _Log:
    """The fixes of a log as its sentences are read, with what was skipped."""

    source: str
    limits: ReadLimits
    fixes: list[_Fix] = field(default_factory=list)
    sentences: int = 0
    bad_sum: int = 0
    no_checksum: int = 0
    void: int = 0
    no_fix: int = 0
    zda: tuple[float, date] | None = None
    """The last ZDA sentence's time of day and date."""

    def sentence(self, m: re.Match[str], line: int) -> None:
        """Read one sentence: checked, then a ZDA date or a GGA/RMC fix; others ignored."""
        self.sentences += 1
        body, kind = m.group("body"), m.group("kind")
        if m.group("sum") is None:
            self.no_checksum += 1
        elif _checksum(body) != int(m.group("sum"), 16):
            self.bad_sum += 1
            return
        f = body.split(",")
        if kind == "ZDA" and len(f) >= 5 and f[1] and f[2] and f[3] and f[4]:
            self.zda_date(f, line)
        elif kind in ("GGA", "RMC"):
            self.fix(kind, f, line)

    def zda_date(self, f: list[str], line: int) -> None:
        """ZDA: time, day, month, year, ... ; it dates the fix of the same second."""
        try:
            zda_date = date(int(f[4]), int(f[3]), int(f[2]))
        except ValueError:
            raise InvalidFile(
                f"ZDA date {f[2]}/{f[3]}/{f[4]} is not a date",
                source=self.source,
                place=f"line {line}",
            ) from None
        self.zda = (_time_of_day(f[1], source=self.source, line=line), zda_date)
        last = self.fixes[-1] if self.fixes else None
        if last is not None and last.day is None and abs(last.seconds - self.zda[0]) < 1.0:
            last.day = self.zda[1]

    def position(self, kind: str, f: list[str]) -> _Position | None:
        """The fields of a sentence with a fix (``f`` padded); None, counted, without one."""
        if kind == "GGA":
            # GGA: time, lat, N/S, lon, E/W, quality, satellites, hdop, altitude, M, ...
            f += [""] * (11 - len(f))
            if f[6] in ("", "0") or not f[2] or not f[4]:
                self.no_fix += 1
                return None
            found = _Position(f[1], f[2], f[3], f[4], f[5])
        else:
            # RMC: time, status, lat, N/S, lon, E/W, speed, course, date, ...
            f += [""] * (10 - len(f))
            if f[2] != "A" or not f[3] or not f[5]:
                self.void += 1
                return None
            found = _Position(f[1], f[3], f[4], f[5], f[6])
        if not found.time_of_day:
            self.no_fix += 1
            return None
        return found

    def fix(self, kind: str, f: list[str], line: int) -> None:
        """A GGA or RMC sentence: a new fix, or the one of the same time completed."""
        found = self.position(kind, f)
        if found is None:
            return
        source = self.source
        seconds = _time_of_day(found.time_of_day, source=source, line=line)
        lat = _angle(found.lat, found.ns, lat=True, source=source, line=line)
        lon = _angle(found.lon, found.ew, lat=False, source=source, line=line)
        last = self.fixes[-1] if self.fixes else None
        if last is None or abs(last.seconds - seconds) > _SAME_EPOCH_S:
            last = _Fix(line=line, seconds=seconds)
            self.fixes.append(last)
            self.limits.check_fixes(len(self.fixes), source=source)
        if kind == "GGA":
            last.lon, last.lat, last.from_gga = lon, lat, True
            if f[8]:
                last.hdop = _number(f[8], "HDOP", source=source, line=line)
            if f[9]:
                last.alt = _number(f[9], "altitude", source=source, line=line)
        else:
            if not last.from_gga:
                last.lon, last.lat = lon, lat
            if f[9]:
                last.day = _date(f[9], source=source, line=line)
        if last.day is None and self.zda is not None and abs(self.zda[0] - seconds) < 1.0:
            last.day = self.zda[1]

    def notes(self) -> list[str]:
        """What was skipped or read unchecked, for the uploader."""
        notes: list[str] = []
        if self.bad_sum:
            notes.append(f"{self.bad_sum} sentence(s) with a wrong checksum skipped")
        if self.void:
            notes.append(f"{self.void} RMC sentence(s) with status V (no valid fix) skipped")
        if self.no_checksum:
            notes.append(f"{self.no_checksum} sentence(s) without a checksum read unchecked")
        if self.no_fix:
            notes.append(
                f"{self.no_fix} GGA sentence(s) without a fix (quality 0 or empty) skipped"
            )
        return notes
