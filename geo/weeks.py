"""ISO weeks and local days in a township's time zone, and the years the service answers for.

Rules are judged per ISO week, Monday 00:00 to Sunday 24:00 local time, written ``2026-W48``.
Weeks, days and months are read here (:meth:`IsoWeek.parse`, :func:`parse_day`; months in
:class:`geo.coverage.monthly.Month`) and only within :data:`FIRST_YEAR`..:data:`LAST_YEAR`,
so local bounds, the eight weeks of look-back before a week and every timestamp of the store
fit a ``datetime``, a pandas timestamp and a PostgreSQL ``timestamptz``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from geo.errors import InvalidInput

_WEEK_RE = re.compile(r"^(\d{4})-?W(\d{2})$")

#: The first and last year a week, day, month or live fix may fall in (both included).
FIRST_YEAR = 2000
LAST_YEAR = 2100
#: The supported range as users read it.
SUPPORTED_YEARS = f"{FIRST_YEAR}–{LAST_YEAR}"


def year_problem(year: int, what: str) -> str | None:
    """Why ``year`` is refused (a sentence naming ``what`` and the range), or None.

    Examples
    --------
    >>> year_problem(2026, "week '2026-W48'") is None
    True
    >>> year_problem(9999, "week '9999-W52'")
    "week '9999-W52' is outside the supported years 2000–2100"
    """
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"{what} is outside the supported years {SUPPORTED_YEARS}"


def check_year(year: int, what: str) -> None:
    """Raise :class:`InvalidInput` when ``year`` is outside the supported years."""
    problem = year_problem(year, what)
    if problem:
        raise InvalidInput(problem)


def parse_day(text: str) -> date:
    """A local date ``YYYY-MM-DD`` within the supported years, or :class:`InvalidInput`.

    Examples
    --------
    >>> parse_day("2026-11-18")
    datetime.date(2026, 11, 18)
    """
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"date {text!r} is not a date; write it like 2026-11-18") from None
    check_year(day.year, f"date {text!r}")
    return day


@dataclass(frozen=True, order=True)
class IsoWeek:
    """One ISO week, e.g. ``IsoWeek(2026, 48)``.

    Examples
    --------
    >>> w = IsoWeek.parse("2026-W48")
    >>> w.monday, str(w)
    (datetime.date(2026, 11, 23), '2026-W48')
    """

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Read ``YYYY-Www`` (``2026-W48``) within the supported years; raise
        :class:`InvalidInput` otherwise."""
        m = _WEEK_RE.match(text.strip())
        if not m:
            raise InvalidInput(f"week {text!r} is not an ISO week; write it like 2026-W48")
        year, week = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise InvalidInput(f"week {text!r} does not exist: {year} has no week {week}") from None
        check_year(year, f"week {text!r}")
        return cls(year, week)

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The ISO week containing a date."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_complete(cls, now: datetime, tz: ZoneInfo) -> IsoWeek:
        """The most recent week that has fully ended at ``now`` in time zone ``tz``."""
        today = now.astimezone(tz).date()
        return cls.of(today - timedelta(days=7))

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def days(self) -> list[date]:
        """The seven local dates, Monday first."""
        return [self.monday + timedelta(days=i) for i in range(7)]

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """Start (inclusive) and end (exclusive) as time-zone-aware datetimes in ``tz``."""
        start = datetime.combine(self.monday, time(0), tzinfo=tz)
        end = datetime.combine(self.monday + timedelta(days=7), time(0), tzinfo=tz)
        return start, end

    def next(self) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(days=7))

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.monday - timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def parse_weeks(text: str, *, max_weeks: int | None = None) -> list[IsoWeek]:
    """The weeks named by ``text``: one week (``2026-W47``), a span (``2026-W45..2026-W48``,
    both ends included) or a comma-separated list of either; oldest first, each once.

    Parameters
    ----------
    max_weeks
        The most weeks accepted (the county view's bound on one request's work); no bound
        when ``None`` (a batch recomputation).

    Raises
    ------
    InvalidInput
        A week that is not an ISO week, a span that ends before it starts, or more than
        ``max_weeks`` weeks.

    Examples
    --------
    >>> [str(w) for w in parse_weeks("2026-W52..2027-W02")]
    ['2026-W52', '2026-W53', '2027-W01', '2027-W02']
    >>> [str(w) for w in parse_weeks("2026-W48, 2026-W46..2026-W47")]
    ['2026-W46', '2026-W47', '2026-W48']
    """
    weeks: set[IsoWeek] = set()
    for part in text.split(","):
        if not part.strip():
            continue
        first_text, sep, last_text = part.strip().partition("..")
        first = IsoWeek.parse(first_text.strip())
        last = IsoWeek.parse(last_text.strip()) if sep else first
        if last < first:
            raise InvalidInput(f"weeks {part.strip()!r} end before they start; write FIRST..LAST")
        week = first
        while week <= last and (max_weeks is None or len(weeks) <= max_weeks):
            weeks.add(week)
            week = week.next()
        if max_weeks is not None and len(weeks) > max_weeks:
            raise InvalidInput(f"weeks {text!r}: at most {max_weeks} weeks at once")
    if not weeks:
        raise InvalidInput("weeks: name at least one week, e.g. 2026-W45..2026-W48")
    return sorted(weeks)
