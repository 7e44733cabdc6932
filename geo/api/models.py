"""Response models of the API (also its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ReasonModel(BaseModel):
    code: str = Field(examples=["road_coverage_low"])
    zh: str = Field(examples=["道路覆盖率 75%，低于要求的 80%"])
    en: str = Field(examples=["Road coverage 75% is below the required 80%"])


class VillageCoverageModel(BaseModel):
    village_code: str = Field(examples=["433122207201"])
    name: str = Field(examples=["小章村"])
    name_en: str = Field(examples=["Xiaozhang"])
    squad: str = Field(examples=["squad-01"])
    status: str = Field(description="pass, fail or no_data", examples=["pass"])
    meets_requirement: bool
    patrol_days: int = Field(ge=0, le=7)
    minutes: float = Field(ge=0)
    distance_km: float = Field(ge=0)
    area_coverage: float = Field(ge=0, le=1)
    road_coverage: float | None = Field(default=None, ge=0, le=1)
    road_length_km: float = Field(ge=0)
    checkpoints_total: int = Field(ge=0)
    checkpoints_visited: int = Field(ge=0)
    missed_mandatory: list[str]
    minutes_by_day: dict[str, float]
    reasons: list[ReasonModel]


class WeekCoverageModel(BaseModel):
    township_code: str = Field(examples=["433122207"])
    week: str = Field(examples=["2026-W47"])
    computed_at: str
    method: str = Field(examples=["fast"])
    meets_requirement: bool
    villages_passed: int
    villages_total: int
    fixes_used: int
    villages: list[VillageCoverageModel]


class UploadModel(BaseModel):
    """A stored upload and its cleaning report."""

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

    time: datetime = Field(
        description="ISO 8601; without an offset it is read as township local time",
        examples=["2026-11-18T09:00:05+08:00"],
    )
    lon: float = Field(ge=-180, le=180, examples=[109.9012])
    lat: float = Field(ge=-90, le=90, examples=[28.1503])
    accuracy_m: float | None = Field(default=None, ge=0, examples=[8.0])


class PositionBatchModel(BaseModel):
    """A batch of live fixes from one phone; sending the same batch again stores nothing."""

    batch_id: str = Field(min_length=1, max_length=200, examples=["2026-11-18T09:00:00/0001"])
    squad: str = Field(min_length=1, examples=["squad-01"])
    device: str = Field(min_length=1, max_length=200, examples=["phone-01"])
    crs: str = Field(default="wgs84", examples=["gcj02"])
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
    status: str = Field(examples=["ok"])


class ProblemModel(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
