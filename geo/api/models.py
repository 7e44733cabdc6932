"""Response models of the API (also its OpenAPI schema)."""

from __future__ import annotations

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
    method: str = Field(examples=["vector"])
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


class HealthModel(BaseModel):
    status: str = Field(examples=["ok"])


class ProblemModel(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
