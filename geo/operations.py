"""What the CLI and the API do, once: each function joins the compute core and a store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import and_

from geo.audit import CLI_ACTOR, Action, AuditEntry, entry
from geo.coverage import WeekCoverage, evaluate_week
from geo.coverage.camera_status import CameraStatus, StatusChange, week_statuses
from geo.coverage.evaluate import Method
from geo.errors import InvalidInput, NotFound
from geo.feature_query import FeatureQuery
from geo.features import (
    DEFAULT_LIMIT,
    GAP_COLLECTIONS,
    Bbox,
    FeaturePage,
    TimeInterval,
    check_temporal,
    feature_ids,
    to_features,
)
from geo.i18n import Lang
from geo.ingest.pipeline import (
    PreparedUpload,
    check_squad,
    normalise_crs,
    prepare_parsed,
    prepare_upload,
)
from geo.layer_edits import add_feature, delete_feature, find_feature, replace_feature
from geo.layers import (
    CAMERA_STATUSES,
    OPTIONAL_LAYERS,
    TownshipLayers,
    check_township_code,
    read_layers_dir,
)
from geo.store import NewUpload, Store, UploadRecord
from geo.store.base import PrunedPart
from geo.store.cql_sql import layer_condition
from geo.text import check_text
from geo.tracks.fixes import ParsedTrack, make_fixes
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits
from geo.weeks import IsoWeek

if TYPE_CHECKING:  # Folium is imported when a map is drawn
    from geo.coverage.county import CountyCoverage
    from geo.coverage.daily import DayCoverage
    from geo.coverage.monthly import MonthReview
    from geo.dispatch.cameras import CameraSuggestions
    from geo.dispatch.outbox import AlertTarget
    from geo.dispatch.plan import PatrolPlan
    from geo.dispatch.risk import WeekRisk
    from geo.outputs.dashboard import DashboardView
    from geo.outputs.weekly_map import MapPage

#: How far back a gap's "last covered" date is looked for.
GAP_LOOKBACK = timedelta(weeks=8)
#: How many weeks before the planned one a patrol plan reads (last week and the ones before it:
#: how long a road stayed uncovered, each squad's usual effort).
PLAN_WEEKS_BACK = 4
#: How far ahead of the server's clock a camera status change may be dated.
CLOCK_SKEW = timedelta(minutes=5)


def resolve_township(store: Store, wanted: str | None) -> str:
    """The township to work on: ``wanted`` if given, else the store's only township; a code
    that is not a division code (:func:`geo.layers.check_township_code`) is refused before it
    names anything."""
    if wanted:
        check_township_code(wanted, place="township")
    codes = store.townships()
    if wanted:
        if wanted not in codes:
            known = ", ".join(codes) or "none"
            raise NotFound(f"township {wanted} is not in the store (stored: {known})")
        return wanted
    if not codes:
        raise NotFound("the store holds no township yet; run: geo layers load layers/<township>")
    if len(codes) > 1:
        raise InvalidInput(
            f"the store holds several townships ({', '.join(codes)}); choose one with "
            "--township or GEO_TOWNSHIP"
        )
    return check_township_code(codes[0], place="stored township")


def township_dirs(paths: Sequence[Path]) -> list[Path]:
    """The township folders named by ``paths``: each path is a township's layers folder (it
    holds ``township.toml``) or a folder of township folders (a county, e.g.
    ``layers/county-sample``), whose sub-folders holding ``township.toml`` are taken in name
    order. Each folder once, in the order given.

    Raises
    ------
    InvalidInput
        A path that is not a folder, or a folder with neither ``township.toml`` nor a
        sub-folder holding one.
    """
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise InvalidInput("not a folder", source=str(path))
        if (path / "township.toml").is_file():
            inner = [path]
        else:
            inner = sorted(
                d for d in path.iterdir() if d.is_dir() and (d / "township.toml").is_file()
            )
            if not inner:
                raise InvalidInput(
                    "no township.toml here nor in a sub-folder: name a township's layers folder "
                    "or a folder of them",
                    source=str(path),
                )
        found.extend(d for d in inner if d not in found)
    return found


def import_layers_dir(
    store: Store,
    directory: Path,
    *,
    actor: str = CLI_ACTOR,
    layers: TownshipLayers | None = None,
) -> TownshipLayers:
    """Read and validate a layers folder (or take ``layers`` already read from it), then
    replace that township's layers in the store (with its audit entry, in one transaction)."""
    layers = layers or read_layers_dir(directory)
    code = layers.info.code
    counts = {n: len(layers.layer(n)) for n in ("villages", *OPTIONAL_LAYERS)}
    store.save_layers(
        layers,
        audit=entry(
            Action.LAYERS_LOAD,
            actor=actor,
            township=code,
            target=code,
            detail={"folder": str(directory), **counts},
        ),
    )
    return layers


@dataclass(frozen=True)
class ImportResult:
    """One stored (or already stored) upload and its cleaning report."""

    record: UploadRecord
    prepared: PreparedUpload


def import_track(
    store: Store,
    data: bytes,
    *,
    filename: str,
    township: str,
    squad: str,
    device: str = "",
    crs: str | None = None,
    layers: TownshipLayers | None = None,
    idempotency_key: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    start: str | None = None,
) -> ImportResult:
    """Parse, clean and store one track file in one transaction (nothing stored on error).
    ``start`` dates a log that has none (``--start``)."""
    check_text(filename, "filename")  # a multipart part's name comes with the body
    layers = layers or store.load_layers(township)
    prepared = prepare_upload(
        data,
        filename=filename,
        layers=layers,
        squad=squad,
        device=device,
        crs=crs,
        limits=limits,
        start=start,
    )
    if idempotency_key:
        prepared = replace(
            prepared, upload=replace(prepared.upload, idempotency_key=idempotency_key)
        )
    record = store.add_upload(prepared.upload)
    return ImportResult(record=record, prepared=prepared)


def simulate_and_import(
    store: Store,
    layers: TownshipLayers,
    week: IsoWeek,
    directory: Path,
    *,
    on_file: Callable[[], None] | None = None,
) -> list[Path]:
    """Simulate a week of patrols (the default plan), write it as GPX under ``directory`` and
    import every file through the real upload path; ``on_file`` is called after each."""
    from geo.simulate import default_plan, simulate_week, write_week

    tracks = simulate_week(layers, week, default_plan(layers))
    paths = write_week(tracks, directory)
    for path, track in zip(paths, tracks, strict=True):
        import_track(
            store,
            path.read_bytes(),
            filename=path.name,
            township=layers.info.code,
            squad=track.squad,
            device=track.device,
            layers=layers,
        )
        if on_file is not None:
            on_file()
    return paths


def simulated_uploads(
    layers: TownshipLayers, week: IsoWeek, *, seed: int = 2026
) -> list[NewUpload]:
    """A simulated week of patrols (the default plan with ``seed``) as uploads, one per
    squad-day, cleaned as an uploaded file is but without writing and parsing GPX: the volume
    path of the scale bench and of tests with many township-weeks (store them with
    :func:`import_simulated_week` or ``store.add_upload``)."""
    from geo.simulate import default_plan, simulate_week

    uploads = []
    for track in simulate_week(layers, week, default_plan(layers, seed=seed)):
        f = track.fixes
        frame = make_fixes(f["lon"], f["lat"], f["time"], accuracy_m=f["hdop"] * 5.0)
        digest = hashlib.sha256(pd.util.hash_pandas_object(frame).to_numpy().tobytes())
        prepared = prepare_parsed(
            ParsedTrack(format="simulated", fixes=frame),
            sha256=digest.hexdigest(),
            filename=f"simulated-{track.squad}-{track.day.isoformat()}",
            layers=layers,
            squad=track.squad,
            device=track.device,
            source_crs="wgs84",
        )
        uploads.append(prepared.upload)
    return uploads


def import_simulated_week(
    store: Store, layers: TownshipLayers, week: IsoWeek, *, seed: int = 2026
) -> int:
    """Store :func:`simulated_uploads`; returns the fixes stored (the same week and seed
    twice are stored once)."""
    stored = 0
    for upload in simulated_uploads(layers, week, seed=seed):
        if not store.add_upload(upload).duplicate:
            stored += len(upload.fixes)
    return stored


@dataclass(frozen=True)
class LiveFix:
    """One position of a live batch; a time without offset is township local time."""

    time: datetime
    lon: float
    lat: float
    accuracy_m: float | None = None


def import_positions(
    store: Store,
    *,
    township: str,
    batch_id: str,
    squad: str,
    device: str,
    fixes: list[LiveFix],
    crs: str = "wgs84",
    layers: TownshipLayers | None = None,
) -> ImportResult:
    """Store a batch of live positions from a phone, once per (device, batch id).

    The batch is one upload; coverage joins it to the device's other uploads into one track
    (:func:`geo.coverage.evaluate.link_segments`), so batches of a few fixes lose nothing.
    ``layers``: the township's layers when the caller holds them (else they are loaded).
    """
    layers = layers or store.load_layers(township)
    check_squad(layers, squad)
    if not device:
        raise InvalidInput("a live batch needs its device name, so batches join into one track")
    if not fixes:
        raise InvalidInput("the batch has no fixes")
    tz = layers.info.tz
    times = [f.time if f.time.tzinfo else f.time.replace(tzinfo=tz) for f in fixes]
    naive = sum(f.time.tzinfo is None for f in fixes)
    frame = make_fixes(
        [f.lon for f in fixes],
        [f.lat for f in fixes],
        pd.to_datetime([as_utc(t) for t in times], utc=True),
        accuracy_m=[np.nan if f.accuracy_m is None else f.accuracy_m for f in fixes],
    )
    canonical = json.dumps(
        [
            squad,
            device,
            crs,
            [
                [t.isoformat(), f.lon, f.lat, f.accuracy_m]
                for t, f in zip(times, fixes, strict=True)
            ],
        ]
    )
    prepared = prepare_parsed(
        ParsedTrack(format="positions", fixes=frame, naive_times=naive),
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        filename=f"positions:{batch_id}",
        layers=layers,
        squad=squad,
        device=device,
        source_crs=normalise_crs(crs),
        continues_open_track=True,
    )
    upload = replace(prepared.upload, idempotency_key=f"positions:{device}:{batch_id}")
    return ImportResult(record=store.add_upload(upload), prepared=prepared)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a time at the edge of the calendar whose UTC falls outside it
    (``0001-01-01T00:00+14:00``) becomes the calendar's first or last instant, which cleaning
    then drops as out of time like any other impossible date."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if moment.year == datetime.min.year else datetime.max
        return edge.replace(tzinfo=UTC)


def audit_entries(
    store: Store,
    *,
    since: datetime | None = None,
    township: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntry]:
    """Audit entries, newest first: only those at or after ``since`` (a time without an
    offset is UTC) and of ``township`` (a division code, checked before it is looked up)."""
    if township is not None:
        check_township_code(township, place="township")
    if since is not None:
        since = as_utc(since if since.tzinfo else since.replace(tzinfo=UTC))
    return store.audit_entries(since=since, township=township, limit=limit, offset=offset)


@dataclass(frozen=True)
class FlightImport:
    """A drone flight's id, whether it was new, and its report."""

    flight_id: str
    stored: bool
    report: dict[str, object]


def import_flight(
    store: Store,
    data: bytes,
    *,
    filename: str,
    township: str,
    crs: str = "wgs84",
    hfov_deg: float = 84.0,
    drone: str = "",
    layers: TownshipLayers | None = None,
    dry_run: bool = False,
    start: str | None = None,
) -> FlightImport:
    """Read and store one drone log as a flight (the same log twice is one flight). ``start``
    dates a log that has none (``--start``)."""
    from geo.ingest.drone import prepare_flight

    check_text(filename, "filename")

    layers = layers or store.load_layers(township)
    flight = prepare_flight(
        data,
        filename=filename,
        layers=layers,
        crs=crs,
        hfov_deg=hfov_deg,
        drone=drone,
        start=start,
    )
    stored = False if dry_run else store.add_drone_flight(flight.row())
    return FlightImport(flight_id=flight.flight_id, stored=stored, report=flight.report)


def week_coverage(
    store: Store,
    township: str,
    week: IsoWeek,
    *,
    refresh: bool = False,
    method: Method = "fast",
    layers: TownshipLayers | None = None,
) -> WeekCoverage:
    """The township's result for a week: the stored one while its inputs are unchanged (and
    it was computed by ``method``), otherwise computed again.

    Only a week with data (a fix in the week, or a drone flight that started in it) is
    stored, replacing that week's previous result: a read of a week without data computes
    its (all "no data") answer and stores nothing, so reads of any week cannot grow the store
    (docs/storage.md, "What reads store").

    Parameters
    ----------
    method
        ``fast`` (the default engine) or ``exact`` (the vector reference; slower).
    layers
        The township's layers when the caller holds them (else they are loaded).
    """
    layers = layers or store.load_layers(township)
    start, end = week.bounds(layers.info.tz)
    fingerprint = store.inputs_fingerprint(township, start - GAP_LOOKBACK, end)
    if not refresh:
        stored = current_week(store, layers, week, fingerprint, method=method)
        if stored is not None:
            return stored
    # Fixes of the weeks before date the gaps' last coverage.
    fixes = store.week_fixes(township, start - GAP_LOOKBACK, end)
    result = evaluate_week(week_layers(store, layers, week), fixes, week, method=method)
    if _has_data(fixes, start, end) or result.drone_flights:
        store.save_coverage(result, fingerprint)
    return result


def current_week(
    store: Store,
    layers: TownshipLayers,
    week: IsoWeek,
    fingerprint: str | None = None,
    *,
    method: Method = "fast",
) -> WeekCoverage | None:
    """The stored result of the week while it is current (its inputs' fingerprint unchanged
    and computed by ``method``), else None: none stored, or a layer, rule, camera status or
    upload change made it stale. ``fingerprint``: the inputs' one when the caller has it."""
    township = layers.info.code
    if fingerprint is None:
        start, end = week.bounds(layers.info.tz)
        fingerprint = store.inputs_fingerprint(township, start - GAP_LOOKBACK, end)
    stored = store.load_coverage(township, str(week))
    if stored is not None and stored[1] == fingerprint and stored[0].method == method:
        return stored[0]
    return None


def _has_data(fixes: pd.DataFrame, start: datetime, end: datetime) -> bool:
    """Whether a fix (kept or dropped by cleaning) lies in ``start <= time < end``."""
    times = fixes["time"]
    return bool(((times >= start) & (times < end)).any())


def week_layers(store: Store, layers: TownshipLayers, week: IsoWeek) -> TownshipLayers:
    """The layers with each camera's status for the week (online when it was online at least
    half of the week, from its recorded status changes), not today's."""
    start, end = week.bounds(layers.info.tz)
    changes = store.camera_status_changes(layers.info.code, before=end)
    if not changes or layers.cameras.empty:
        return layers
    cameras = layers.cameras.copy()
    cameras["status"] = week_statuses(cameras, changes, start, end)
    return replace(layers, cameras=cameras)


def _edit_entry(
    action: Action, actor: str, township: str, layer: str, fid: str | None = None
) -> Callable[[TownshipLayers], AuditEntry]:
    """The audit entry of a layer edit, made from the edited layers (a new feature's id is
    known only then)."""

    def make(layers: TownshipLayers) -> AuditEntry:
        target = fid if fid is not None else feature_ids(layer, layers.layer(layer))[-1]
        return entry(
            action,
            actor=actor,
            township=township,
            target=f"{layer}/{target}",
            detail={"layer": layer, "id": target, "features": len(layers.layer(layer))},
        )

    return make


def add_layer_feature(
    store: Store,
    township: str,
    layer: str,
    feature: Mapping[str, Any],
    *,
    actor: str = CLI_ACTOR,
) -> dict[str, Any]:
    """Add one feature to a layer, checked like ``geo layers load``; return it as GeoJSON.
    ``actor`` (an API key id) is recorded in the audit log with the change."""
    layers = store.edit_layers(
        township,
        lambda old: add_feature(old, layer, feature),
        audit=_edit_entry(Action.FEATURE_CREATE, actor, township, layer),
    )
    return layer_feature(layers, layer, feature_ids(layer, layers.layer(layer))[-1])


def replace_layer_feature(
    store: Store,
    township: str,
    layer: str,
    fid: str,
    feature: Mapping[str, Any],
    *,
    actor: str = CLI_ACTOR,
) -> dict[str, Any]:
    """Replace one feature of a layer, checked like ``geo layers load``; return the new one."""
    layers = store.edit_layers(
        township,
        lambda old: replace_feature(old, layer, fid, feature),
        audit=_edit_entry(Action.FEATURE_REPLACE, actor, township, layer, fid),
    )
    return layer_feature(layers, layer, fid)


def delete_layer_feature(
    store: Store, township: str, layer: str, fid: str, *, actor: str = CLI_ACTOR
) -> None:
    """Delete one feature of a layer (refused when the township would break a rule)."""
    store.edit_layers(
        township,
        lambda old: delete_feature(old, layer, fid),
        audit=_edit_entry(Action.FEATURE_DELETE, actor, township, layer, fid),
    )


def layer_feature(layers: TownshipLayers, layer: str, fid: str) -> dict[str, Any]:
    """One feature of a layer as GeoJSON; :class:`NotFound` when there is none."""
    position = find_feature(layers, layer, fid)
    frame = layers.layer(layer)
    return to_features(layer, frame.iloc[position : position + 1])[0]


def set_camera_status(
    store: Store,
    township: str,
    code: str,
    status: str,
    *,
    changed_at: datetime | None = None,
    note: str = "",
    changed_by: str = "",
    actor: str = CLI_ACTOR,
) -> CameraStatus:
    """Record that camera ``code`` has ``status`` from ``changed_at`` (default now) on, with
    its audit entry (``actor``: the API key id).

    A time without an offset is township local time; a time in the future is refused. The
    weeks the change falls in (or precedes) are computed again on their next read.

    Returns
    -------
    CameraStatus
        The camera's current ``status`` and its ``history`` (oldest first).
    """
    if status not in CAMERA_STATUSES:
        raise InvalidInput(
            f"status {status!r} is not one of {', '.join(CAMERA_STATUSES)}", place="status"
        )
    layers = store.load_layers(township)
    now = datetime.now(UTC)
    moment = now if changed_at is None else changed_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=layers.info.tz)
    if moment > now + CLOCK_SKEW:
        raise InvalidInput(
            f"changed_at {moment.isoformat()} is in the future; record a change when it happens",
            place="changed_at",
        )
    change = StatusChange(code, status, moment.astimezone(UTC), note, changed_by)
    audit = entry(
        Action.CAMERA_STATUS,
        actor=actor,
        township=township,
        target=f"cameras/{code}",
        detail={"status": status, "changed_at": change.changed_at.isoformat(), "note": note},
    )
    current = store.add_camera_status(township, change, audit=audit)
    history = store.camera_status_changes(township, camera=code)
    return CameraStatus(
        code=code, status=current, history=sorted(history, key=lambda c: c.changed_at)
    )


def camera_status_history(store: Store, township: str, code: str) -> CameraStatus:
    """A camera's current status and its recorded changes, oldest first."""
    layers = store.load_layers(township)
    position = find_feature(layers, "cameras", code)
    history = store.camera_status_changes(township, camera=code)
    return CameraStatus(
        code=code,
        status=str(layers.cameras["status"].iloc[position]),
        history=sorted(history, key=lambda c: c.changed_at),
    )


def refresh_gap_weeks(
    store: Store, layers: TownshipLayers, interval: TimeInterval | None = None
) -> None:
    """Bring the stored weeks meeting ``interval`` up to date before their gaps are read in
    SQL: a week whose inputs' fingerprint (or engine) differs from its stored result's is
    computed again (:func:`week_coverage`); an up-to-date week is not read at all."""
    township, tz = layers.info.code, layers.info.tz
    for text, (fingerprint, method) in sorted(store.coverage_stamps(township).items()):
        week = IsoWeek.parse(text)
        start, end = week.bounds(tz)
        if interval is not None and (
            (interval.start is not None and end <= interval.start)
            or (interval.end is not None and start > interval.end)
        ):
            continue
        current = store.inputs_fingerprint(township, start - GAP_LOOKBACK, end)
        if current != fingerprint or method != "fast":
            week_coverage(store, township, week, layers=layers)


def feature_page(
    store: Store,
    layers: TownshipLayers,
    collection: str,
    *,
    bbox: Bbox | None = None,
    interval: TimeInterval | None = None,
    query: FeatureQuery | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> FeaturePage:
    """One page of a layer's features, or of the gaps of the stored weeks (``area_gaps``,
    ``road_gaps``: each week brought up to date first), filtered by ``bbox`` (CRS84),
    ``interval`` and the ``query``'s CQL2 filter (geometries in CRS84,
    :func:`geo.feature_query.in_storage_crs`; temporal operators on drone flights' times),
    sorted by its ``sortby``.

    Everything runs in SQL (:func:`geo.store.cql_sql.layer_condition`): a stored layer
    through :meth:`Store.layer_features`, the gaps through :meth:`Store.gap_features` over
    ``coverage_gaps``; only the page's rows are read.
    """
    query = query or FeatureQuery()
    if interval is not None:
        check_temporal(collection)
    tz = layers.info.tz
    where = layer_condition(collection, bbox, query.filter, interval, tz)
    order = [(k.name, k.descending) for k in query.sortby]
    if collection in GAP_COLLECTIONS:
        refresh_gap_weeks(store, layers, interval)
        frame, matched = store.gap_features(
            layers.info.code, collection, where=where, order_by=order, limit=limit, offset=offset
        )
    else:
        frame, matched = store.layer_features(
            layers.info.code, collection, where=where, order_by=order, limit=limit, offset=offset
        )
    return FeaturePage(to_features(collection, frame), matched, offset, limit)


def collection_feature(
    store: Store, layers: TownshipLayers, collection: str, fid: str
) -> dict[str, Any]:
    """One feature by id: a layer's code (:func:`layer_feature`) or a gap's
    ``<week>-<rank>`` (:class:`NotFound` when there is none, or when the gap of that rank is
    of the other kind)."""
    if collection not in GAP_COLLECTIONS:
        return layer_feature(layers, collection, fid)
    week_text, _, rank = fid.rpartition("-")
    weeks = store.coverage_weeks(layers.info.code)
    if week_text not in weeks or not rank.isdigit() or int(rank) > 2**31 - 1:
        raise NotFound(
            f"{collection} has no feature {fid!r}; ids are <week>-<rank>, e.g. 2026-W47-1"
        )
    start = IsoWeek.parse(week_text).bounds(layers.info.tz)[0]
    refresh_gap_weeks(store, layers, TimeInterval(start, start))
    frame, _ = store.gap_features(
        layers.info.code,
        collection,
        where=lambda g: and_(g.c.week == week_text, g.c.rank == int(rank)),
        limit=1,
    )
    if frame.empty:
        raise NotFound(f"{collection} has no feature {fid!r}")
    return to_features(collection, frame)[0]


def day_coverage(
    store: Store, township: str, day: date, *, layers: TownshipLayers | None = None
) -> DayCoverage:
    """The daily view (日巡查) of a township for one local day.
    ``layers``: the township's layers when the caller holds them (else they are loaded)."""
    from geo.coverage.daily import day_bounds, day_view

    layers = layers or store.load_layers(township)
    start, end = day_bounds(day, layers)
    return day_view(layers, store.week_fixes(township, start, end), day)


def month_coverage(
    store: Store, township: str, month_text: str, *, layers: TownshipLayers | None = None
) -> MonthReview:
    """The monthly review (月调度) of a township. The layers are loaded once (or taken from
    ``layers``) and passed to every week of the month."""
    from geo.coverage.daily import day_bounds, evaluate_day
    from geo.coverage.monthly import Month, month_review, squad_effort

    month = Month.parse(month_text)
    layers = layers or store.load_layers(township)
    weeks = [week_coverage(store, township, week, layers=layers) for week in month.weeks()]
    start, _ = day_bounds(month.days[0], layers)
    _, end = day_bounds(month.days[-1], layers)
    fixes = store.week_fixes(township, start, end)
    effort = squad_effort(evaluate_day(layers, fixes, day) for day in month.days)
    return month_review(month, weeks, effort, layers.info.metric_crs)


#: Suggested camera sites in the monthly report (from the month's last week with data).
REPORT_CAMERA_SITES = 3


def month_report(
    store: Store,
    township: str,
    month_text: str,
    *,
    lang: Lang = "zh",
    layers: TownshipLayers | None = None,
) -> str:
    """The monthly review report (月调度) of a township as a printable HTML page.

    The township's layers are loaded once for the whole report (or taken from ``layers``)
    and passed to the month's review, each of its weeks and the page.
    """
    from geo.outputs.monthly_report import monthly_report_html

    layers = layers or store.load_layers(township)
    review = month_coverage(store, township, month_text, layers=layers)
    camera_weeks: dict[str, list[str]] = {str(c): [] for c in layers.cameras["code"]}
    for text in review.weeks:
        statuses = week_layers(store, layers, IsoWeek.parse(text)).cameras
        for code, status in zip(statuses["code"], statuses["status"], strict=True):
            camera_weeks[str(code)].append(str(status))
    with_data = [
        w for w in review.weeks if any(v.weeks[w].status != "no_data" for v in review.villages)
    ]
    sites_week = with_data[-1] if with_data else None
    sites = camera_suggestions(
        store,
        township,
        count=REPORT_CAMERA_SITES,
        week=IsoWeek.parse(sites_week) if sites_week else None,
        layers=layers,
    )
    return monthly_report_html(
        review,
        layers,
        lang=lang,
        generated_at=datetime.now(UTC),
        camera_weeks=camera_weeks,
        camera_sites=sites,
        camera_sites_week=sites_week,
    )


def week_map(
    store: Store,
    township: str,
    week: IsoWeek,
    *,
    tianditu_key: str | None = None,
    collapsed_control: bool = False,
    layers: TownshipLayers | None = None,
) -> MapPage:
    """The week's coverage map (Folium): villages by verdict, gaps, the week's tracks and the
    cameras with their status in that week (as coverage counted them).

    The result is the stored one while its inputs are unchanged (:func:`week_coverage`).
    ``layers``: the township's layers when the caller holds them (else they are loaded).

    Returns
    -------
    MapPage
        The page (its policy in a ``<meta>`` tag too, for a file) and the policy for a header.
    """
    from geo.outputs.weekly_map import map_page, weekly_map

    layers = layers or store.load_layers(township)
    result = week_coverage(store, township, week, layers=layers)
    start, end = week.bounds(layers.info.tz)
    fmap = weekly_map(
        week_layers(store, layers, week),
        result,
        store.week_tracks(township, start, end),
        tianditu_key=tianditu_key,
        collapsed_control=collapsed_control,
    )
    return map_page(fmap)


def dashboard_view(
    store: Store,
    township: str,
    week: IsoWeek | None,
    lang: Lang,
    *,
    layers: TownshipLayers | None = None,
    devices: bool = False,
    county_link: bool = False,
) -> DashboardView:
    """What the dashboard shows: ``week`` (default: the last complete week in the township's
    time zone) with its verdicts and ranked gaps, named in ``lang``; with ``devices`` (an
    admin's view) the township's phones, their last fix and battery; with ``county_link`` (a
    county key, several townships) a link to the county view.
    ``layers``: the township's layers when the caller holds them (else they are loaded)."""
    from geo.outputs.dashboard import dashboard_view as view

    layers = layers or store.load_layers(township)
    week = week or IsoWeek.last_complete(datetime.now(UTC), layers.info.tz)
    phones = store.devices(township) if devices else None
    result = week_coverage(store, township, week, layers=layers)
    return view(layers, result, week, lang, phones, county_link=county_link)


def county_coverage(
    store: Store,
    weeks: Sequence[IsoWeek] | None = None,
    *,
    now: datetime | None = None,
    load_layers: Callable[[str], TownshipLayers] | None = None,
) -> CountyCoverage:
    """The county view (县级总览): every stored township × ``weeks`` (default: the last
    :data:`~geo.coverage.county.DEFAULT_WEEKS` complete weeks in the first township's time
    zone), each cell the township's weekly result as :func:`week_coverage` gives it (stored
    while its inputs are unchanged, each township with its own rules, time zone and CRS).
    ``load_layers``: how a township's layers are had (default: from the store; the API passes
    its layers cache)."""
    from geo.coverage.county import county_coverage as assemble
    from geo.coverage.county import county_township, last_weeks

    codes = store.townships()
    if not codes:
        raise NotFound("the store holds no township yet; run: geo layers load layers/<township>")
    rows = []
    for code in codes:
        layers = load_layers(code) if load_layers else store.load_layers(code)
        if weeks is None:
            weeks = last_weeks(IsoWeek.last_complete(now or datetime.now(UTC), layers.info.tz))
        results = [week_coverage(store, code, week, layers=layers) for week in weeks]
        rows.append(county_township(layers.info, results))
    assert weeks is not None
    return assemble(weeks, rows)


def county_report(
    store: Store, month_text: str, *, lang: Lang = "zh", now: datetime | None = None
) -> str:
    """The county monthly report (全县月调度): every township × the month's ISO weeks, as a
    printable HTML page (:func:`county_coverage` over :meth:`Month.weeks`)."""
    from geo.coverage.monthly import Month
    from geo.outputs.county_page import county_report_html

    month = Month.parse(month_text)
    view = county_coverage(store, month.weeks(), now=now)
    return county_report_html(
        view, str(month), lang=lang, generated_at=(now or datetime.now(UTC)).astimezone(UTC)
    )


def patrol_plan(
    store: Store,
    township: str,
    week: IsoWeek,
    *,
    squad: str | None = None,
    layers: TownshipLayers | None = None,
) -> PatrolPlan:
    """The patrol plan (月调度) of ``week``, made from the :data:`PLAN_WEEKS_BACK` weeks before
    it (each the stored result while its inputs are unchanged, :func:`week_coverage`).

    Parameters
    ----------
    squad
        Plan this squad only (:class:`NotFound` when no village has it).
    layers
        The township's layers when the caller holds them (else they are loaded).
    """
    from geo.dispatch.plan import PlanSettings, plan_week

    layers = layers or store.load_layers(township)
    if squad is not None:
        check_text(squad, "squad")
        squads = sorted({str(s) for s in layers.villages["squad"] if s})
        if squad not in squads:
            raise NotFound(f"squad {squad!r} has no village (squads: {', '.join(squads)})")
    recent = []
    before = week
    for _ in range(PLAN_WEEKS_BACK):
        before = before.previous()
        recent.append(week_coverage(store, township, before, layers=layers))
    settings = PlanSettings(squads=None if squad is None else [squad])
    return plan_week(layers, recent, settings)


def plan_day_gpx(
    store: Store,
    township: str,
    week: IsoWeek,
    squad: str,
    day: int,
    *,
    layers: TownshipLayers | None = None,
) -> bytes:
    """The planned route of one squad and day as GPX 1.1 (:func:`geo.dispatch.gpx.day_gpx`);
    :class:`NotFound` when the squad has no such day in the plan."""
    from geo.dispatch.gpx import day_gpx

    plan = patrol_plan(store, township, week, squad=squad, layers=layers)
    squad_plan = plan.squad(squad)
    for planned in squad_plan.days:
        if planned.day == day:
            return day_gpx(planned, squad=squad, base=squad_plan.base)
    raise NotFound(f"squad {squad} has {len(squad_plan.days)} planned day(s) in {week}, not {day}")


def camera_suggestions(
    store: Store,
    township: str,
    *,
    count: int,
    village: str | None = None,
    week: IsoWeek | None = None,
    layers: TownshipLayers | None = None,
) -> CameraSuggestions:
    """Where the next ``count`` cameras go: the road sites adding the most uncovered area.

    Uncovered is the ``week``'s area gaps (what no patrol, online camera or drone reached that
    week), or without a week the villages minus the sectors of the cameras online now.

    Parameters
    ----------
    village
        Only this village's area and roads (:class:`NotFound` when there is none).
    layers
        The township's layers when the caller holds them (else they are loaded).
    """
    from geo.dispatch.cameras import CameraSettings, suggest_cameras, uncovered_area

    layers = layers or store.load_layers(township)
    if village is not None:
        check_text(village, "village")
        if village not in {str(c) for c in layers.villages["code"]}:
            raise NotFound(f"village {village!r} is not in township {township}")
    settings = CameraSettings(count=count, village=village)
    if week is None:
        return suggest_cameras(layers, uncovered_area(layers, village=village), settings)
    result = week_coverage(store, township, week, layers=layers)
    of_week = week_layers(store, layers, week)
    return suggest_cameras(of_week, uncovered_area(of_week, result, village=village), settings)


def plan_sheet(
    store: Store,
    township: str,
    week: IsoWeek,
    squad: str,
    *,
    lang: Lang = "zh",
    layers: TownshipLayers | None = None,
) -> str:
    """The printable A4 sheet (HTML) of one squad's week of the patrol plan
    (:func:`geo.outputs.plan_sheet.plan_sheet_html`)."""
    from geo.outputs.plan_sheet import plan_sheet_html

    layers = layers or store.load_layers(township)
    plan = patrol_plan(store, township, week, squad=squad, layers=layers)
    return plan_sheet_html(plan, squad, layers, lang=lang, generated_at=datetime.now(UTC))


@dataclass(frozen=True)
class AlertRun:
    """What one ``geo alerts run`` did: the villages at risk found, the messages enqueued
    (new ones only), sent, and failed (kept pending for a later run, or given up)."""

    week: str
    as_of: date
    villages_at_risk: int
    enqueued: int
    sent: int
    failed: int
    pending: int


def mid_week_risk(
    store: Store,
    township: str,
    as_of: date,
    *,
    layers: TownshipLayers | None = None,
) -> WeekRisk:
    """The villages at risk of failing ``as_of``'s week, judged on the week's fixes up to the
    end of ``as_of`` and the :data:`PLAN_WEEKS_BACK` weeks before (their stored results while
    their inputs are unchanged, :func:`week_coverage`)."""
    from geo.dispatch.risk import week_risk

    layers = layers or store.load_layers(township)
    week = IsoWeek.of(as_of)
    start, end = week.bounds(layers.info.tz)
    fixes = store.week_fixes(township, start, end)
    recent = []
    before = week
    for _ in range(PLAN_WEEKS_BACK):
        before = before.previous()
        recent.append(week_coverage(store, township, before, layers=layers))
    return week_risk(layers, fixes, week, as_of, recent=recent)


def run_alerts(
    store: Store,
    township: str,
    targets: Sequence[AlertTarget],
    *,
    as_of: date | None = None,
    now: datetime | None = None,
    timeout: float = 10.0,
    limit: int = 100,
) -> AlertRun:
    """Judge the week so far, enqueue its alert messages (each once: the outbox key is the
    township, target, day and villages at risk), then send every due message of the outbox.

    A send that fails (refused, timed out, an HTTP error or a robot's ``errcode``) stays
    pending with an exponential backoff (:func:`geo.dispatch.outbox.backoff`), so the next
    run retries it; a sent message is never sent again.

    Parameters
    ----------
    targets
        The webhooks (``GEO_ALERT_TARGETS``).
    as_of
        The last day counted (today in the township's time zone by default).
    now
        The current time (for tests).
    timeout
        Seconds one webhook call may take.
    limit
        Most messages sent in one run.
    """
    import httpx

    from geo.dispatch.alerts import messages, send

    now = now or datetime.now(UTC)
    layers = store.load_layers(township)
    as_of = as_of or now.astimezone(layers.info.tz).date()
    risk = mid_week_risk(store, township, as_of, layers=layers)
    enqueued = sum(store.enqueue_alert(m) for m in messages(risk, list(targets), now))
    by_name = {t.name: t for t in targets}
    sent = failed = 0
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for message in store.due_alerts(now, limit=limit):
            assert message.id is not None
            target = by_name.get(message.target)
            error = (
                f"no alert target named {message.target!r} in GEO_ALERT_TARGETS"
                if target is None or target.kind != message.channel
                else send(client, target, message, now)
            )
            if error is None:
                store.mark_alert_sent(message.id, datetime.now(UTC))
                sent += 1
            else:
                store.mark_alert_failed(message.id, now, error)
                failed += 1
    pending = sum(1 for m in store.alerts(township) if m.status == "pending")
    return AlertRun(
        week=risk.week,
        as_of=as_of,
        villages_at_risk=risk.villages_at_risk,
        enqueued=enqueued,
        sent=sent,
        failed=failed,
        pending=pending,
    )


def prune_fixes(
    store: Store, before: str, *, apply: bool = False, actor: str = CLI_ACTOR
) -> list[PrunedPart]:
    """Retention: remove the stored fixes timed before the month ``before`` (``YYYY-MM``, UTC
    months). PostGIS drops the months' partitions whole, the GeoPackage deletes the rows;
    uploads, their tracks and stored results stay. Without ``apply`` nothing is removed and
    the answer lists what would be; with it the audit log records what was removed.
    """
    from geo.coverage.monthly import Month

    month = Month.parse(before)
    first = date(month.year, month.month, 1)

    def audit(parts: list[PrunedPart]) -> AuditEntry:
        return entry(
            Action.FIXES_PRUNE,
            actor=actor,
            target=f"fixes before {first:%Y-%m}",
            detail={
                "before": f"{first:%Y-%m}",
                "rows": sum(p.rows for p in parts),
                "dropped": [p.name for p in parts if p.dropped],
                "deleted_from": [p.name for p in parts if not p.dropped],
            },
        )

    return store.prune_fixes(first, apply=apply, audit=audit)
