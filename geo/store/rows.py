"""Conversions between the domain types and the rows of :mod:`geo.store.tables`.

Rows come from :class:`geo.store.sql.SqlStore` on either backend with the same Python types
(shapely geometries, UTC datetimes, JSON as dicts; :mod:`geo.store.types`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.audit import Action, AuditEntry
from geo.coverage.camera_status import SINCE_EVER, StatusChange
from geo.coverage.result import WeekCoverage
from geo.devices import Device
from geo.ingest.cleaning import Drop
from geo.keys import ApiKey, Role
from geo.layers import LAYER_COLUMNS, WGS84, TownshipInfo, TownshipLayers
from geo.store.base import SEGMENT_KEY_BASE, UploadRecord

#: Rows of a layer that ``save_layers`` replaces: SQL condition beside ``township = ?``
#: (unless it is asked to replace imported drone flights too).
LAYER_ROW_FILTER = {"drone_flights": "source = 'layers'"}
ImportedFlights = Literal["keep", "replace"]


def layer_rows(
    layers: TownshipLayers, name: str, *, imported_flights: ImportedFlights = "keep"
) -> tuple[list[str], list[list[Any]]]:
    """Column names (``township`` first, ``geom`` last, geometry as shapely) and row values.

    Drone flights imported with ``geo drone import`` (or created through the API) are not
    part of a layers folder: with ``imported_flights="keep"`` only those whose source is
    ``layers`` are written (and replaced, :data:`LAYER_ROW_FILTER`); with ``"replace"``
    every flight of ``layers`` is written, as a layer edit that loaded them all does."""
    frame = layers.layer(name)
    if name == "drone_flights" and imported_flights == "keep":
        frame = frame[frame["source"] == "layers"]
    cols = list(LAYER_COLUMNS[name])
    code = layers.info.code
    rows: list[list[Any]] = []
    values = {c: frame[c].tolist() for c in cols}
    geoms = frame.geometry.to_numpy()
    for i in range(len(frame)):
        row: list[Any] = [code]
        for c in cols:
            v = values[c][i]
            if isinstance(v, float) and np.isnan(v):
                v = None
            elif isinstance(v, np.bool_):
                v = bool(v)
            row.append(v)
        row.append(geoms[i])
        rows.append(row)
    return ["township", *cols, "geom"], rows


def layer_frame(name: str, records: list[tuple[Any, ...]], geoms: Any) -> gpd.GeoDataFrame:
    """Rebuild a layer from stored rows (columns in :data:`LAYER_COLUMNS` order) and geometries."""
    cols = LAYER_COLUMNS[name]
    data: dict[str, Any] = {}
    for j, (col, kind) in enumerate(cols.items()):
        column = [r[j] for r in records]
        if kind == "float":
            data[col] = np.asarray([np.nan if v is None else v for v in column], dtype=np.float64)
        elif kind == "bool":
            data[col] = np.asarray([bool(v) for v in column], dtype=bool)
        else:
            data[col] = pd.Series(["" if v is None else str(v) for v in column], dtype="object")
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(list(geoms), crs=WGS84), crs=WGS84)


def township_layers(
    settings: dict[str, Any],
    outline: BaseGeometry,
    frames: dict[str, gpd.GeoDataFrame],
) -> TownshipLayers:
    info = TownshipInfo.from_dict(settings)
    outline_frame = gpd.GeoDataFrame(
        {"code": [info.code], "name": [info.name], "name_en": [info.name_en]},
        geometry=[outline],
        crs=WGS84,
    )
    return TownshipLayers(info=info, outline=outline_frame, **frames)


def week_fix_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Finish a ``week_fixes`` query read straight from the driver: UTC times from
    ``time_ms`` (milliseconds since 1970) and segment keys unique across uploads."""
    out = frame.copy()
    ms = out["time_ms"].to_numpy(dtype=np.int64).astype("datetime64[ms]")
    out["time"] = pd.Series(ms, index=out.index).dt.tz_localize(UTC)
    seg = out["segment"].to_numpy(dtype=np.int64)
    upload = out["upload_id"].to_numpy(dtype=np.int64)
    out["segment"] = np.where(seg >= 0, upload * SEGMENT_KEY_BASE + seg, -1)
    out["lon"] = out["lon"].astype(np.float64)
    out["lat"] = out["lat"].astype(np.float64)
    return out[["time", "lon", "lat", "squad", "device", "upload_id", "segment"]]


def fix_time_range(fixes: pd.DataFrame) -> tuple[datetime | None, datetime | None]:
    """The first and last time of an upload's fixes (UTC), leaving out fixes dated outside the
    accepted times (:data:`geo.ingest.cleaning.Drop.OUT_OF_TIME`): an upload's stored range
    says which weeks it touches, and a phone clock at year 1 touches none."""
    times = fixes["time"][fixes["drop"].to_numpy() != Drop.OUT_OF_TIME].dropna()
    if not len(times):
        return None, None
    return times.min().to_pydatetime(), times.max().to_pydatetime()


def upload_record(row: dict[str, Any], *, duplicate: bool = False) -> UploadRecord:
    """A stored ``uploads`` row as an :class:`UploadRecord`."""
    return UploadRecord.model_validate({**row, "duplicate": duplicate})


def coverage_rows(result: WeekCoverage, fingerprint: str) -> list[dict[str, Any]]:
    """The ``coverage_results`` rows of a result: one per village, its measures as dumped."""
    return [
        {
            "township": result.township_code,
            "week": result.week,
            "village_code": v.village_code,
            "status": v.status,
            "meets_requirement": v.meets_requirement,
            "result": v.model_dump(mode="json"),
            "computed_at": result.computed_at,
            "fingerprint": fingerprint,
            "fixes_used": result.fixes_used,
            "method": result.method,
            "cameras_online": result.cameras_online,
            "drone_flights": result.drone_flights,
        }
        for v in result.villages
    ]


def gap_rows(result: WeekCoverage) -> list[dict[str, Any]]:
    """The ``coverage_gaps`` rows of a result (properties as dumped, geometry as shapely)."""
    return [
        {
            "township": result.township_code,
            "week": result.week,
            "rank": g.rank,
            "kind": g.kind,
            "village_code": g.village_code,
            "area_m2": g.area_m2,
            "length_m": g.length_m,
            "properties": g.properties(),
            "geom": g.geometry,
        }
        for g in result.gaps
    ]


def week_coverage(
    township: str,
    week: str,
    results: list[dict[str, Any]],
    gaps: list[tuple[dict[str, Any], BaseGeometry]],
) -> tuple[WeekCoverage, str]:
    """Rebuild a stored result from its village rows (in id order) and gap rows."""

    first = results[0]
    result = WeekCoverage.model_validate(
        {
            "township_code": township,
            "week": week,
            "computed_at": first["computed_at"],
            "villages": [r["result"] for r in results],
            "gaps": sorted(
                ({**props, "geometry": geom} for props, geom in gaps),
                key=lambda g: int(g["rank"]),
            ),
            "fixes_used": first["fixes_used"],
            "method": first["method"],
            "cameras_online": first.get("cameras_online") or 0,
            "drone_flights": first.get("drone_flights") or 0,
        }
    )
    return result, first["fingerprint"]


#: Stored column names of each layer, in order.
LAYER_COLUMNS_OF = {name: tuple(cols) for name, cols in LAYER_COLUMNS.items()}


def track_frame(
    records: list[dict[str, Any]], geoms: Any, extra: tuple[str, ...] = ()
) -> gpd.GeoDataFrame:
    """Patrol segments as a GeoDataFrame with UTC times (and the ``extra`` columns)."""
    columns = ["squad", "device", "upload_id", *extra, "started_at", "ended_at", "fixes", "geom"]
    frame = pd.DataFrame(records, columns=columns).drop(columns="geom")
    for col in ("started_at", "ended_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geoms), crs=WGS84), crs=WGS84)


def api_key(row: dict[str, Any]) -> ApiKey:
    """A stored ``api_keys`` row as an :class:`geo.keys.ApiKey`."""
    return ApiKey(
        key_id=row["key_id"],
        secret_sha256=row["secret_sha256"],
        name=row["name"] or "",
        role=Role(row["role"]),
        township=row["township"],
        squad=row["squad"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
    )


def api_key_row(key: ApiKey) -> dict[str, Any]:
    """The ``api_keys`` row of a new key (times as UTC datetimes)."""
    return {
        "key_id": key.key_id,
        "secret_sha256": key.secret_sha256,
        "name": key.name,
        "role": key.role.value,
        "township": key.township,
        "squad": key.squad,
        "created_at": key.created_at.astimezone(UTC),
        "revoked_at": None,
        "last_used_at": None,
    }


def status_change(row: dict[str, Any]) -> StatusChange:
    """A ``camera_status_changes`` row as a :class:`StatusChange` (UTC time)."""
    return StatusChange(
        camera_code=row["camera_code"],
        status=row["status"],
        changed_at=row["changed_at"],
        note=row["note"] or "",
        changed_by=row["changed_by"] or "",
    )


def baseline_change(camera_code: str, layer_status: str) -> StatusChange:
    """The history row that keeps a camera's layer status before its first recorded change."""
    return StatusChange(
        camera_code=camera_code,
        status=layer_status,
        changed_at=SINCE_EVER,
        note="status in the layers before the first recorded change",
        changed_by="layers",
    )


def fingerprint(layers_stamp: str, uploads: int, last_upload: Any, changes: int, last: Any) -> str:
    """The inputs fingerprint of a window (both stores write the same text)."""
    return (
        f"layers={layers_stamp};uploads={uploads};last={last_upload};camera_status={changes},{last}"
    )


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    """The ``audit_log`` row of an entry (time as a UTC datetime, detail as a dict)."""
    return {
        "at": entry.at.astimezone(UTC),
        "actor": entry.actor,
        "township": entry.township,
        "action": entry.action.value,
        "target": entry.target,
        "detail": entry.detail,
    }


def audit_entry(row: dict[str, Any]) -> AuditEntry:
    """A stored ``audit_log`` row as an :class:`geo.audit.AuditEntry`."""
    return AuditEntry(
        at=row["at"],
        actor=row["actor"],
        action=Action(row["action"]),
        township=row["township"],
        target=row["target"] or "",
        detail=dict(row["detail"] or {}),
        id=int(row["id"]),
    )


def device(row: dict[str, Any]) -> Device:
    """A stored ``devices`` row as a :class:`geo.devices.Device`."""
    return Device(
        public_id=row["public_id"],
        id_sha256=row["id_sha256"],
        township=row["township"],
        squad=row["squad"],
        name=row["name"] or "",
        crs=row["crs"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        last_fix_at=row["last_fix_at"],
        last_battery=row["last_battery"],
    )


def device_row(device: Device) -> dict[str, Any]:
    """The ``devices`` row of a newly registered device."""
    return {
        "public_id": device.public_id,
        "id_sha256": device.id_sha256,
        "township": device.township,
        "squad": device.squad,
        "name": device.name,
        "crs": device.crs,
        "created_at": device.created_at.astimezone(UTC),
        "revoked_at": None,
        "last_fix_at": None,
        "last_battery": None,
    }
