"""Response models of the API (also its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from geo.text import text_problem
from geo.weeks import year_problem

Status = Literal["pass", "fail", "no_data"]


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


class ReasonModel(BaseModel):
    code: str = Field(examples=["road_coverage_low"])
    zh: str = Field(examples=["道路覆盖率 75%，低于要求的 80%"])
    en: str = Field(examples=["Road coverage 75% is below the required 80%"])


class VillageCoverageModel(BaseModel):
    village_code: str = Field(examples=["433122207201"])
    name: str = Field(examples=["小章村"])
    name_en: str = Field(examples=["Xiaozhang"])
    squad: str = Field(examples=["squad-01"])
    status: Status = Field(description="pass, fail or no_data", examples=["pass"])
    meets_requirement: bool
    patrol_days: int = Field(ge=0, le=7)
    minutes: float = Field(ge=0)
    distance_km: float = Field(ge=0)
    area_coverage: float = Field(ge=0, le=1)
    surveillance_coverage: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share seen by a patrol, an online camera or a drone this week",
    )
    road_coverage: float | None = Field(default=None, ge=0, le=1)
    road_length_km: float = Field(ge=0)
    checkpoints_total: int = Field(ge=0)
    checkpoints_visited: int = Field(ge=0)
    missed_mandatory: list[str]
    minutes_by_day: dict[str, float]
    reasons: list[ReasonModel]


_VILLAGE_EXAMPLE: dict[str, Any] = {
    "village_code": "433122207206",
    "name": "瓦槽村",
    "name_en": "Wacao",
    "squad": "squad-06",
    "status": "fail",
    "meets_requirement": False,
    "patrol_days": 7,
    "minutes": 1260.5,
    "distance_km": 61.9,
    "area_coverage": 0.08,
    "surveillance_coverage": 0.11,
    "road_coverage": 0.75,
    "road_length_km": 12.4,
    "checkpoints_total": 3,
    "checkpoints_visited": 2,
    "missed_mandatory": ["瓦槽村小学"],
    "minutes_by_day": {"2026-11-16": 180.0},
    "reasons": [
        {
            "code": "road_coverage_low",
            "zh": "道路覆盖率 75%，低于要求的 80%",
            "en": "Road coverage 75% is below the required 80%",
        }
    ],
}


class WeekCoverageModel(BaseModel):
    """The weekly table (周覆盖) of a township."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "township_code": "433122207",
                    "week": "2026-W47",
                    "computed_at": "2026-11-23T01:00:00+00:00",
                    "method": "vector",
                    "meets_requirement": False,
                    "villages_passed": 5,
                    "villages_total": 7,
                    "fixes_used": 151203,
                    "cameras_online": 31,
                    "drone_flights": 1,
                    "villages": [_VILLAGE_EXAMPLE],
                }
            ]
        }
    )

    township_code: str = Field(examples=["433122207"])
    week: str = Field(examples=["2026-W47"])
    computed_at: str
    method: str = Field(examples=["fast"])
    meets_requirement: bool
    villages_passed: int = Field(ge=0)
    villages_total: int = Field(ge=0)
    fixes_used: int = Field(ge=0)
    cameras_online: int = Field(default=0, ge=0)
    drone_flights: int = Field(default=0, ge=0)
    villages: list[VillageCoverageModel]


class SquadDayModel(BaseModel):
    """One squad's patrol on one local day."""

    squad: str = Field(examples=["squad-01"])
    village_code: str | None = Field(
        description="The squad's own village (none for a township squad)",
        examples=["433122207201"],
    )
    status: Status = Field(examples=["pass"])
    minutes: float = Field(ge=0, examples=[182.5])
    distance_km: float = Field(ge=0, examples=[24.1])
    minutes_in_own_village: float | None = Field(ge=0, examples=[170.0])
    villages_entered: list[str] = Field(examples=[["433122207201"]])


class DayCoverageModel(BaseModel):
    """The daily view (日巡查) of a township for one local day."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "township_code": "433122207",
                    "date": "2026-11-18",
                    "time_zone": "Asia/Shanghai",
                    "min_minutes": 10.0,
                    "squads_passed": 6,
                    "squads_total": 8,
                    "squads": [
                        {
                            "squad": "squad-01",
                            "village_code": "433122207201",
                            "status": "pass",
                            "minutes": 182.5,
                            "distance_km": 24.1,
                            "minutes_in_own_village": 170.0,
                            "villages_entered": ["433122207201"],
                        }
                    ],
                }
            ]
        }
    )

    township_code: str
    date: str
    time_zone: str
    min_minutes: float = Field(ge=0)
    squads_passed: int = Field(ge=0)
    squads_total: int = Field(ge=0)
    squads: list[SquadDayModel]


class VillageWeekModel(BaseModel):
    """One village's verdict and coverage in one week of the month."""

    status: Status
    road_coverage: float | None = Field(ge=0, le=1)
    area_coverage: float = Field(ge=0, le=1)
    surveillance_coverage: float = Field(ge=0, le=1)
    patrol_days: int = Field(ge=0, le=7)


class VillageMonthModel(BaseModel):
    """One village over the month."""

    village_code: str
    name: str
    name_en: str
    squad: str
    weeks: dict[str, VillageWeekModel] = Field(description="By ISO week")
    weeks_passed: int = Field(ge=0)
    trend: float | None = Field(
        description="Last week's coverage minus the first week's (road, else area)"
    )


class PersistentGapModel(BaseModel):
    """A gap of the month's last week that was a gap in the weeks before too."""

    kind: Literal["area", "road"]
    rank: int
    village_code: str
    area_m2: float = Field(ge=0)
    length_m: float = Field(ge=0)
    road_length_m: float = Field(ge=0)
    checkpoints: int = Field(ge=0)
    distance_to_road_m: float | None
    last_covered: str | None
    weeks: int = Field(ge=2, description="Consecutive weeks it has lasted")
    since: str = Field(description="The ISO week it started")


class SquadEffortModel(BaseModel):
    """A squad's effort over the month."""

    days_patrolled: int = Field(ge=0)
    days_passed: int = Field(ge=0)
    minutes: float = Field(ge=0)
    km: float = Field(ge=0)


class MonthReviewModel(BaseModel):
    """The monthly review (月调度) of a township."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "township_code": "433122207",
                    "month": "2026-11",
                    "weeks": ["2026-W45", "2026-W46", "2026-W47", "2026-W48"],
                    "township_weeks_passed": 0,
                    "villages": [],
                    "persistent_gaps": [],
                    "squad_effort": {
                        "squad-01": {
                            "days_patrolled": 14,
                            "days_passed": 14,
                            "minutes": 2520.0,
                            "km": 352.4,
                        }
                    },
                }
            ]
        }
    )

    township_code: str
    month: str = Field(examples=["2026-11"])
    weeks: list[str] = Field(description="ISO weeks whose Thursday is in the month")
    township_weeks_passed: int = Field(ge=0)
    villages: list[VillageMonthModel]
    persistent_gaps: list[PersistentGapModel]
    squad_effort: dict[str, SquadEffortModel]


#: A stored upload as the API answers it (the example of the upload routes).
UPLOAD_RECORD_EXAMPLE: dict[str, Any] = {
    "id": 12,
    "township": "433122207",
    "squad": "squad-01",
    "device": "phone-01",
    "filename": "2026-11-18.gpx",
    "source_format": "gpx",
    "source_crs": "gcj02",
    "sha256": "9f2b5c0e" + "0" * 56,
    "uploaded_at": "2026-11-18T10:02:11+00:00",
    "duplicate": False,
    "report": {"fixes_read": 1051, "fixes_kept": 1050, "speed_spikes": 1, "segments": 1},
}


class UploadModel(BaseModel):
    """A stored upload and its cleaning report."""

    model_config = ConfigDict(json_schema_extra={"examples": [UPLOAD_RECORD_EXAMPLE]})

    id: int
    township: str = Field(examples=["433122207"])
    squad: str = Field(examples=["squad-01"])
    device: str
    filename: str
    source_format: str = Field(examples=["gpx"])
    source_crs: str = Field(examples=["wgs84"])
    sha256: str
    uploaded_at: str
    duplicate: bool = Field(description="True when this file had been stored before")
    report: dict[str, Any] = Field(
        examples=[{"fixes_read": 1051, "fixes_kept": 1050, "speed_spikes": 1, "segments": 1}]
    )


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


class PositionBatchModel(BaseModel):
    """A batch of live fixes from one phone; sending the same batch again stores nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "2026-11-18T09:00:00/0001",
                    "squad": "squad-01",
                    "device": "phone-01",
                    "crs": "gcj02",
                    "fixes": [
                        {
                            "time": "2026-11-18T09:00:05+08:00",
                            "lon": 109.9012,
                            "lat": 28.1503,
                            "accuracy_m": 8.0,
                        }
                    ],
                }
            ]
        }
    )

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
    upload: UploadModel
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
