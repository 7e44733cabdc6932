"""CQL2's temporal operators and ``datetime`` on the collections with a time, in SQL on both
stores: drone flights (their RFC 3339 times compared as instants) and the gap collections
(their ISO week). Each result is compared with a reference computed in Python on the whole
layer, and the statements the store runs show that the filter, sort and page are SQL's."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import event

from geo import operations
from geo.errors import NotFound
from geo.feature_query import FeatureQuery, parse_filter, parse_sortby
from geo.features import filter_mask, gaps_frame, parse_datetime, select_features
from geo.layers import TownshipLayers
from geo.store import Store
from geo.weeks import IsoWeek
from tests.api.simulated_stores import STORE_KINDS, simulated_store

WEEKS = [IsoWeek(2026, 46), IsoWeek(2026, 47)]
#: Flights added to the demo's two (2026-11-04 09:30-09:50 and 11-06 14:10-14:30, +08:00):
#: UTC, no offset (read as UTC), no end, a start at the same instant as the second demo
#: flight's written another way, and starts that are no time.
EXTRA_FLIGHTS = [
    ("T-UTC", "2026-11-05T01:00:00Z", "2026-11-05T02:00:00Z"),
    ("T-NAIVE", "2026-11-10T08:00:00", "2026-11-10T09:00:00"),
    ("T-NOEND", "2026-11-12T10:00:00+08:00", ""),
    ("T-SAME", "2026-11-06T06:10:00Z", "2026-11-06T06:20:00+00:00"),
    ("T-BAD", "yesterday", ""),
    ("T-FEB30", "2026-02-30T00:00:00Z", "2026-11-30T00:00:00Z"),  # a day that does not exist
]


def with_extra_flights(layers: TownshipLayers) -> TownshipLayers:
    flights = layers.drone_flights
    rows = []
    for fid, start, end in EXTRA_FLIGHTS:
        row = flights.iloc[0].copy()
        row["flight_id"], row["started_at"], row["ended_at"] = fid, start, end
        rows.append(row)
    extra = type(flights)(pd.DataFrame(rows), geometry="geometry", crs=flights.crs)
    both = pd.concat([flights, extra], ignore_index=True)
    return TownshipLayers(**{**layers.__dict__, "drone_flights": both})


@pytest.fixture(scope="module", params=STORE_KINDS)
def world(
    request: pytest.FixtureRequest,
    demo_layers: TownshipLayers,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Store, TownshipLayers]]:
    layers = with_extra_flights(demo_layers)
    store = simulated_store(request, tmp_path_factory.mktemp("temporal"), layers, WEEKS)
    for week in WEEKS:  # the gaps of both weeks are stored
        operations.week_coverage(store, layers.info.code, week, layers=layers)
    yield store, store.load_layers(layers.info.code)
    store.close()


# -- the Python reference ---------------------------------------------------------------------

_RELATIONS: dict[str, Callable[[Any, Any, Any, Any], bool]] = {
    "T_INTERSECTS": lambda a0, a1, b0, b1: a0 <= b1 and a1 >= b0,
    "T_DISJOINT": lambda a0, a1, b0, b1: a1 < b0 or a0 > b1,
    "T_BEFORE": lambda a0, a1, b0, b1: a1 < b0,
    "T_AFTER": lambda a0, a1, b0, b1: a0 > b1,
    "T_MEETS": lambda a0, a1, b0, b1: a1 == b0,
    "T_METBY": lambda a0, a1, b0, b1: a0 == b1,
    "T_OVERLAPS": lambda a0, a1, b0, b1: a0 < b0 < a1 < b1,
    "T_OVERLAPPEDBY": lambda a0, a1, b0, b1: b0 < a0 < b1 < a1,
    "T_STARTS": lambda a0, a1, b0, b1: a0 == b0 and a1 < b1,
    "T_STARTEDBY": lambda a0, a1, b0, b1: a0 == b0 and a1 > b1,
    "T_DURING": lambda a0, a1, b0, b1: a0 > b0 and a1 < b1,
    "T_CONTAINS": lambda a0, a1, b0, b1: a0 < b0 and a1 > b1,
    "T_FINISHES": lambda a0, a1, b0, b1: a0 > b0 and a1 == b1,
    "T_FINISHEDBY": lambda a0, a1, b0, b1: a0 < b0 and a1 == b1,
    "T_EQUALS": lambda a0, a1, b0, b1: a0 == b0 and a1 == b1,
}
EARLIEST = pd.Timestamp.min.tz_localize("UTC")
LATEST = pd.Timestamp.max.tz_localize("UTC")


def _bound(value: str | None, tz: ZoneInfo, *, end: bool) -> pd.Timestamp:
    if value is None:
        return LATEST if end else EARLIEST
    if len(value) == 10:
        day = date.fromisoformat(value)
        return pd.Timestamp(datetime.combine(day, time.max if end else time(0), tzinfo=tz))
    return pd.Timestamp(value.replace("Z", "+00:00"))


def reference(
    flights: pd.DataFrame,
    op: str,
    left: str,
    right: tuple[str | None, str | None],
    tz: ZoneInfo,
) -> set[str]:
    """The flight ids whose ``left`` (``started_at``, ``ended_at`` or ``interval``: both)
    stands in ``op`` to the literal ``right`` (first and last time; None for open)."""
    start = pd.to_datetime(flights["started_at"], utc=True, errors="coerce", format="ISO8601")
    end = pd.to_datetime(flights["ended_at"], utc=True, errors="coerce", format="ISO8601")
    b0, b1 = _bound(right[0], tz, end=False), _bound(right[1], tz, end=True)
    found = set()
    for fid, s, e in zip(flights["flight_id"], start, end, strict=True):
        a0, a1 = {"started_at": (s, s), "ended_at": (e, e), "interval": (s, e)}[left]
        if pd.isna(a0) or pd.isna(a1):
            continue  # an unknown time meets nothing (SQL's NULL)
        if _RELATIONS[op](a0, a1, b0, b1):
            found.add(str(fid))
    return found


def _cql_time(value: str | None) -> str:
    if value is None:
        return "'..'"
    return f"'{value}'"


# -- drone flights ----------------------------------------------------------------------------

CASES = [
    ("T_INTERSECTS", "started_at", ("2026-11-05", "2026-11-10")),
    ("T_INTERSECTS", "interval", (None, "2026-11-05T01:30:00Z")),
    ("T_DISJOINT", "started_at", ("2026-11-01", "2026-11-06")),
    ("T_BEFORE", "started_at", ("2026-11-06T06:10:00Z", "2026-11-06T06:10:00Z")),
    ("T_AFTER", "started_at", ("2026-11-05", "2026-11-05")),
    ("T_AFTER", "ended_at", ("2026-11-05T00:00:00Z", "2026-11-05T00:00:00Z")),
    ("T_DURING", "interval", ("2026-11-04T00:00:00Z", None)),
    ("T_EQUALS", "started_at", ("2026-11-06T14:10:00+08:00", "2026-11-06T14:10:00+08:00")),
    ("T_CONTAINS", "interval", ("2026-11-04T01:40:00Z", "2026-11-04T01:40:00Z")),
    ("T_OVERLAPS", "interval", ("2026-11-04T01:40:00Z", "2026-11-05T00:00:00Z")),
    ("T_OVERLAPPEDBY", "interval", ("2026-11-05T00:00:00Z", "2026-11-05T01:30:00Z")),
    ("T_MEETS", "interval", ("2026-11-05T02:00:00Z", "2026-11-05T02:00:00Z")),
    ("T_METBY", "interval", ("2026-11-01T00:00:00Z", "2026-11-10T08:00:00Z")),
    ("T_STARTS", "interval", ("2026-11-05T01:00:00Z", "2026-11-05T03:00:00Z")),
    ("T_STARTEDBY", "interval", ("2026-11-05T01:00:00Z", "2026-11-05T01:30:00Z")),
    ("T_FINISHES", "interval", ("2026-11-05T00:00:00Z", "2026-11-05T02:00:00Z")),
    ("T_FINISHEDBY", "interval", ("2026-11-10T08:30:00Z", "2026-11-10T09:00:00Z")),
]


def _text(op: str, left: str, right: tuple[str | None, str | None]) -> str:
    lhs = "INTERVAL(started_at, ended_at)" if left == "interval" else left
    if right[0] == right[1] and right[0] is not None:
        kind = "DATE" if len(right[0]) == 10 else "TIMESTAMP"
        rhs = f"{kind}('{right[0]}')"
    else:
        rhs = f"INTERVAL({_cql_time(right[0])}, {_cql_time(right[1])})"
    return f"{op}({lhs}, {rhs})"


def _json(op: str, left: str, right: tuple[str | None, str | None]) -> str:
    lhs: Any = (
        {"interval": [{"property": "started_at"}, {"property": "ended_at"}]}
        if left == "interval"
        else {"property": left}
    )
    if right[0] == right[1] and right[0] is not None:
        rhs: Any = {"date" if len(right[0]) == 10 else "timestamp": right[0]}
    else:
        rhs = {"interval": [r if r is not None else ".." for r in right]}
    return json.dumps({"op": op.lower(), "args": [lhs, rhs]})


def _ids(store: Store, layers: TownshipLayers, collection: str, **kw: Any) -> list[str]:
    page = operations.feature_page(store, layers, collection, limit=1000, **kw)
    assert page.number_matched == len(page.features)
    return [str(f["id"]) for f in page.features]


@pytest.mark.parametrize(("op", "left", "right"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_temporal_operator_matches_the_reference(
    world: tuple[Store, TownshipLayers], op: str, left: str, right: tuple[str | None, str | None]
) -> None:
    store, layers = world
    tz = layers.info.tz
    want = reference(layers.drone_flights, op, left, right, tz)
    for text, lang in ((_text(op, left, right), None), (_json(op, left, right), "cql2-json")):
        query = FeatureQuery(filter=parse_filter(text, lang))
        got = _ids(store, layers, "drone_flights", query=query)
        assert set(got) == want, (text, got, want)
        assert len(got) == len(set(got))


def test_the_cases_tell_flights_apart(world: tuple[Store, TownshipLayers]) -> None:
    """The reference answers differ between cases and are neither empty nor everything for
    most of them, so agreeing with it says something."""
    _, layers = world
    answers = [reference(layers.drone_flights, *case, layers.info.tz) for case in CASES]
    every = set(layers.drone_flights["flight_id"])
    telling = [a for a in answers if a and a != every]
    assert len(telling) >= len(CASES) - 3
    assert len({frozenset(a) for a in answers}) >= 8


@pytest.mark.parametrize(
    "interval",
    [
        "2026-11-05T00:00:00Z/..",
        "../2026-11-06",
        "2026-11-06T06:10:00Z",
        "2026-11-04T09:40:00+08:00",
        "2026-11-10",
        "2026-11-12T09:00:00+08:00/2026-11-12T11:00:00+08:00",
    ],
)
def test_drone_flights_datetime_in_sql_matches_python(
    world: tuple[Store, TownshipLayers], interval: str
) -> None:
    store, layers = world
    tz = layers.info.tz
    parsed = parse_datetime(interval, tz)
    flights = layers.drone_flights
    want = list(flights["flight_id"][filter_mask("drone_flights", flights, interval=parsed, tz=tz)])
    got = _ids(store, layers, "drone_flights", interval=parsed)
    assert got == want  # and in the stored order


def test_a_temporal_filter_combines_with_sortby_and_pages(
    world: tuple[Store, TownshipLayers],
) -> None:
    store, layers = world
    query = FeatureQuery(
        filter=parse_filter("T_AFTER(started_at, DATE('2026-11-04')) AND hfov_deg > 0", None),
        sortby=parse_sortby("-flight_id"),
    )
    whole = _ids(store, layers, "drone_flights", query=query)
    assert whole == sorted(whole, reverse=True) and len(whole) >= 3
    pages = [
        operations.feature_page(store, layers, "drone_flights", query=query, limit=2, offset=o)
        for o in range(0, len(whole), 2)
    ]
    assert [f["id"] for p in pages for f in p.features] == whole
    assert {p.number_matched for p in pages} == {len(whole)}


# -- gaps ---------------------------------------------------------------------------------------


def _python_gaps(store: Store, layers: TownshipLayers, collection: str, **kw: Any) -> list[str]:
    """The former path: every stored week's gaps read into a frame, then filtered, sorted
    and paged by pygeofilter's GeoPandas evaluator and pandas."""
    weeks = [IsoWeek.parse(w) for w in store.coverage_weeks(layers.info.code)]
    results = [operations.week_coverage(store, layers.info.code, w, layers=layers) for w in weeks]
    frame = gaps_frame(results, "area" if collection == "area_gaps" else "road")
    page = select_features(collection, frame, tz=layers.info.tz, limit=1000, **kw)
    return [str(f["id"]) for f in page.features]


@pytest.mark.parametrize("collection", ["area_gaps", "road_gaps"])
@pytest.mark.parametrize(
    ("interval", "text", "sortby"),
    [
        (None, None, None),
        ("2026-11-16/..", None, None),
        ("../2026-11-15T23:59:59+08:00", None, None),
        ("2026-11-10T12:00:00Z", None, None),
        (None, "rank <= 4 AND village_code LIKE '4331%'", "-rank"),
        ("2026-11-09/2026-11-22", "area_m2 > 50 OR length_m > 50", "-week,rank"),
        (None, "checkpoints >= 0 AND road_length_m >= 0", "village_code,-rank"),
    ],
)
def test_gaps_filtered_in_sql_match_the_python_path(
    world: tuple[Store, TownshipLayers],
    collection: str,
    interval: str | None,
    text: str | None,
    sortby: str | None,
) -> None:
    store, layers = world
    tz = layers.info.tz
    parsed = parse_datetime(interval, tz) if interval else None
    query = FeatureQuery(
        filter=parse_filter(text, None) if text else None,
        sortby=parse_sortby(sortby) if sortby else [],
    )
    got = _ids(store, layers, collection, interval=parsed, query=query)
    want = _python_gaps(store, layers, collection, interval=parsed, query=query)
    if sortby:  # ties may come in another order: compare the sort keys and the sets
        assert set(got) == set(want)
        assert len(got) == len(want)
    else:
        assert got == want
    if interval is None and text is None:
        assert len(got) > 0  # there are gaps to filter


@pytest.mark.parametrize("collection", ["area_gaps", "road_gaps"])
def test_the_filter_sort_and_page_are_sqls(
    world: tuple[Store, TownshipLayers], collection: str
) -> None:
    """Once the weeks are up to date, a page of gaps runs statements on ``coverage_gaps``
    that carry the filter and the LIMIT, and reads no gap without them; a page of drone
    flights carries the temporal comparison."""
    store, layers = world
    engine = store.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append(f"{statement} -- {parameters}")

    query = FeatureQuery(filter=parse_filter("road_length_m >= 0 AND rank > 1", None))
    operations.feature_page(store, layers, collection, query=query, limit=2)  # brings weeks up
    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = operations.feature_page(store, layers, collection, query=query, limit=2)
        flights = operations.feature_page(
            store,
            layers,
            "drone_flights",
            query=FeatureQuery(
                filter=parse_filter("T_AFTER(started_at, DATE('2026-11-05'))", None)
            ),
            limit=1,
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(page.features) <= 2 and page.number_matched >= len(page.features)
    gaps = [s for s in statements if "FROM coverage_gaps" in s]
    assert gaps, statements
    for statement in gaps:
        # the filter (a JSON property and a column) is in the statement and its parameters
        assert "road_length_m" in statement and "coverage_gaps.rank >" in statement, statement
        assert "LIMIT" in statement or "count(" in statement.lower(), statement
    assert not [s for s in statements if "FROM coverage_results" in s and "fingerprint" not in s]
    flight_sql = [s for s in statements if "FROM drone_flights" in s]
    assert flight_sql and all(("strftime" in s or "timestamp" in s.lower()) for s in flight_sql), (
        flight_sql
    )
    assert any("LIMIT" in s for s in flight_sql)
    assert flights.number_matched >= 2 and len(flights.features) == 1


def test_the_ends_of_time_and_a_huge_rank_are_answers_not_errors(
    world: tuple[Store, TownshipLayers],
) -> None:
    store, layers = world
    tz = layers.info.tz
    everything = parse_datetime("0001-01-01/9999-12-31", tz)
    flights = layers.drone_flights
    starts = pd.to_datetime(flights["started_at"], utc=True, errors="coerce", format="ISO8601")
    want = list(flights["flight_id"][starts.notna()])
    assert "T-BAD" not in want and "T-FEB30" not in want
    assert _ids(store, layers, "drone_flights", interval=everything) == want
    before = FeatureQuery(filter=parse_filter("T_BEFORE(started_at, DATE('0001-01-01'))", None))
    assert _ids(store, layers, "drone_flights", query=before) == []
    week = store.coverage_weeks(layers.info.code)[0]
    with pytest.raises(NotFound):
        operations.collection_feature(store, layers, "area_gaps", f"{week}-{10**30}")
