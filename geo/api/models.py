"""Models of the API that only the API has: request bodies, health, problems, an upload's
segments. Results answer with the models of the code that computes them (e.g.
:class:`geo.coverage.result.WeekCoverage`, :class:`geo.store.UploadRecord`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from geo.store.base import UploadRecord
from geo.text import text_problem
from geo.weeks import year_problem


def _storable(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(f"the text {problem}")
    return value


def _supported(value: datetime) -> datetime:
    problem = year_problem(value.year, f"time {value.isoformat()}")
    if problem:
        raise ValueError(problem)
    return value


#: A text field of a request body: refused (422 naming the field) when no store can hold it.
Text = Annotated[str, AfterValidator(_storable)]
#: A time in a request body: refused (422) outside the supported years (:mod:`geo.weeks`),
#: before anything moves it to UTC (which overflows at year 1 or 9999).
Moment = Annotated[datetime, AfterValidator(_supported)]


class PositionModel(BaseModel):
    """One live fix."""

    # Not a Moment: a fix dated outside the accepted times is dropped and counted by ingest
    # (geo/ingest/cleaning.py), so one bad clock reading does not lose the batch's good fixes.
    time: datetime = Field(
        description=(
            "ISO 8601; without an offset it is read as township local time. Fixes before "
            "2000-01-01 or more than a day ahead are dropped and counted (out_of_time); a batch "
            "with no other fix is refused"
        ),
        examples=["2026-11-18T09:00:05+08:00"],
    )
    lon: float = Field(ge=-180, le=180, examples=[109.9012])
    lat: float = Field(ge=-90, le=90, examples=[28.1503])
    accuracy_m: float | None = Field(default=None, ge=0, examples=[8.0])


#: A batch of one live fix (the example of the positions route).
POSITION_BATCH_EXAMPLE: dict[str, Any] = {
    "batch_id": "2026-11-18T09:00:00/0001",
    "squad": "squad-01",
    "device": "phone-01",
    "crs": "gcj02",
    "fixes": [
        {"time": "2026-11-18T09:00:05+08:00", "lon": 109.9012, "lat": 28.1503, "accuracy_m": 8.0}
    ],
}


class PositionBatchModel(BaseModel):
    """A batch of live fixes from one phone; sending the same batch again stores nothing."""

    model_config = ConfigDict(json_schema_extra={"examples": [POSITION_BATCH_EXAMPLE]})

    batch_id: Text = Field(min_length=1, max_length=200, examples=["2026-11-18T09:00:00/0001"])
    squad: Text = Field(min_length=1, examples=["squad-01"])
    device: Text = Field(min_length=1, max_length=200, examples=["phone-01"])
    crs: Text = Field(default="wgs84", examples=["gcj02"])
    fixes: list[PositionModel] = Field(
        min_length=1, description="At most GEO_MAX_BATCH_FIXES (1,000 by default; 413 above)"
    )


class TrackFeatureModel(BaseModel):
    """One cleaned segment of an upload."""

    type: str = Field(examples=["Feature"])
    geometry: dict[str, Any] = Field(
        examples=[{"type": "LineString", "coordinates": [[109.901, 28.150], [109.902, 28.151]]}]
    )
    properties: dict[str, Any] = Field(
        examples=[
            {
                "upload_id": 12,
                "squad": "squad-01",
                "device": "phone-01",
                "segment": 0,
                "started_at": "2026-11-18T01:00:00+00:00",
                "ended_at": "2026-11-18T01:19:55+00:00",
                "fixes": 240,
            }
        ]
    )


class TrackCollectionModel(BaseModel):
    """An upload's cleaned segments (GeoJSON FeatureCollection) and the upload itself."""

    type: str = Field(examples=["FeatureCollection"])
    upload: UploadRecord
    features: list[TrackFeatureModel]


class HealthModel(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str = Field(examples=["ok"])


class ProblemModel(BaseModel):
    """RFC 9457 problem details, with the request id and, when known, where the problem is."""

    type: str = Field(examples=["/problems/invalid-input"])
    title: str = Field(examples=["Invalid input"])
    status: int = Field(ge=400, le=599, examples=[422])
    detail: str = Field(examples=["week '2026-W99' does not exist: 2026 has no week 99"])
    instance: str = Field(examples=["/api/v1/coverage/2026-W99"])
    request_id: str | None = Field(
        default=None, description="Also sent as the X-Request-ID header", max_length=64
    )
    source: str | None = Field(default=None, description="The file or input at fault")
    place: str | None = Field(default=None, description="Where in the source", examples=["line 3"])
    problems: list[str] | None = Field(default=None, description="Each problem of a layer check")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Each invalid field of a request"
    )
