"""Property tests of the week, day and month parsers, the OGC datetime filter and the text
rule: any text in, a value within the supported years (whose local bounds compute in any time
zone) or a :class:`GeoError`, never another exception.

Bounded in ``make test`` (profile ``bounded`` in tests/conftest.py), longer in ``make fuzz``.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from geo.coverage.monthly import Month
from geo.errors import GeoError, InvalidInput
from geo.features import parse_datetime
from geo.text import check_text
from geo.weeks import FIRST_YEAR, LAST_YEAR, IsoWeek, parse_day

ZONES = st.sampled_from(sorted(available_timezones() - {"Factory", "localtime"})).map(ZoneInfo)
#: Text near each format (digits, dashes, a W) as well as any text at all.
WEEK_TEXT = st.one_of(st.from_regex(r"\A\s*[0-9]{1,5}-?W[0-9]{1,3}\s*\Z"), st.text(max_size=12))
DAY_TEXT = st.one_of(st.from_regex(r"\A[0-9]{4}-?[0-9]{2}-?[0-9]{2}\Z"), st.text(max_size=12))
MONTH_TEXT = st.one_of(st.from_regex(r"\A[+-]?[0-9_]{1,6}-[0-9]{1,3}\Z"), st.text(max_size=10))
RFC3339 = st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?)?\Z"
)
DATETIME_TEXT = st.one_of(
    RFC3339,
    st.tuples(st.one_of(RFC3339, st.just("..")), st.one_of(RFC3339, st.just(".."))).map("/".join),
    st.text(max_size=30),
)


def _in_range(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


@given(text=WEEK_TEXT, tz=ZONES)
@example(text="9999-W52", tz=ZoneInfo("Pacific/Kiritimati"))
@example(text="0001-W01", tz=ZoneInfo("Pacific/Kiritimati"))
@example(text="2100-W53", tz=ZoneInfo("Asia/Shanghai"))
def test_week_parser(text: str, tz: ZoneInfo) -> None:
    try:
        week = IsoWeek.parse(text)
    except InvalidInput:
        return
    assert _in_range(week.year)
    assert IsoWeek.parse(str(week)) == week
    start, end = week.bounds(tz)
    assert timedelta(days=6) < end - start < timedelta(days=8)
    assert week.next() > week > week.previous()


@given(text=DAY_TEXT)
@example(text="9999-12-31")
@example(text="0001-01-01")
def test_day_parser(text: str) -> None:
    try:
        day = parse_day(text)
    except InvalidInput:
        return
    assert _in_range(day.year)
    assert parse_day(day.isoformat()) == day


@given(text=MONTH_TEXT)
@example(text="9999-12")
@example(text="0001-01")
def test_month_parser(text: str) -> None:
    try:
        month = Month.parse(text)
    except InvalidInput:
        return
    assert _in_range(month.year)
    assert Month.parse(str(month)) == month
    assert all(day.month == month.month for day in month.days)
    assert all(_in_range(w.year) or w.year == FIRST_YEAR - 1 for w in month.weeks())


@given(year=st.integers(FIRST_YEAR, LAST_YEAR), week=st.integers(1, 53))
def test_every_week_of_the_supported_years_is_read(year: int, week: int) -> None:
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        return  # a year of 52 weeks
    assert IsoWeek.parse(f"{year}-W{week:02d}") == IsoWeek(year, week)


@pytest.mark.parametrize("text", ["1999-W52", "2101-W01", "1999-12-31", "2101-01-01"])
def test_the_years_just_outside_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="supported years 2000–2100"):
        if "W" in text:
            IsoWeek.parse(text)
        else:
            parse_day(text)


@given(text=DATETIME_TEXT, tz=ZONES)
@example(text="9999-12-31", tz=ZoneInfo("Pacific/Kiritimati"))
@example(text="0001-01-01T00:00:00+14:00/..", tz=ZoneInfo("UTC"))
def test_ogc_datetime_filter(text: str, tz: ZoneInfo) -> None:
    """An interval whose sides compare with a pandas UTC series (as the filter does)."""
    try:
        interval = parse_datetime(text, tz)
    except GeoError:
        return
    times = pd.Series(pd.to_datetime(["2026-11-18T01:00:00Z"], utc=True))
    for side in (interval.start, interval.end):
        if side is not None:
            assert side.tzinfo is not None
            (times >= pd.Timestamp(side)).to_numpy()


@given(value=st.text())
@example(value="a\x00b")
@example(value="\ud800")
def test_text_rule(value: str) -> None:
    try:
        kept = check_text(value, "field")
    except InvalidInput as exc:
        assert exc.place == "field"
        return
    assert kept == value and "\x00" not in value
    value.encode("utf-8")
