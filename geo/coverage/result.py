"""Result types of the coverage engine: pydantic models, the one schema of a weekly result.

The engine builds them; the CLI prints them (``model_dump(mode="json")``), the API answers
with them (``response_model``) and the stores keep them (``model_dump`` / ``model_validate``).
Measures keep full precision in memory and are rounded when dumped (minutes to 0.01, km to
0.001, shares to 1e-6, metres to 0.1), so a stored result reads back as it was answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import shapely
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    computed_field,
    model_serializer,
    model_validator,
)
from shapely.geometry.base import BaseGeometry

VillageStatus = Literal["pass", "fail", "no_data"]
GapKind = Literal["area", "road"]


def rounded(digits: int) -> PlainSerializer:
    """A serializer rounding a float to ``digits`` decimals when dumped (JSON or Python)."""
    return PlainSerializer(lambda value: round(value, digits))


#: A time, dumped as ISO 8601 text with its offset (``2026-11-18T04:00:00+00:00``).
IsoTime = Annotated[datetime, PlainSerializer(lambda moment: moment.isoformat(), return_type=str)]
#: Minutes, rounded to 0.01 when dumped.
Minutes = Annotated[float, Field(ge=0), rounded(2)]
#: Kilometres, rounded to 0.001 when dumped.
Km = Annotated[float, Field(ge=0), rounded(3)]
#: Metres, rounded to 0.1 when dumped.
Metres = Annotated[float, Field(ge=0), rounded(1)]
#: A share of 0..1, rounded to 1e-6 when dumped (its maximum is documented, not checked: a
#: ratio of two areas may pass 1 by a rounding error that the dump takes away).
Share = Annotated[float, Field(ge=0, json_schema_extra={"maximum": 1}), rounded(6)]


def with_example(example: dict[str, Any]) -> ConfigDict:
    """The config of a frozen result model whose OpenAPI schema shows ``example``."""
    return ConfigDict(frozen=True, json_schema_extra={"examples": [example]})


def _geometry(value: Any) -> BaseGeometry:
    return value if isinstance(value, BaseGeometry) else shapely.geometry.shape(value)


#: A shapely geometry in memory, a GeoJSON geometry (RFC 7946) when dumped or read.
Geometry = Annotated[
    BaseGeometry,
    PlainValidator(_geometry),
    PlainSerializer(lambda g: shapely.geometry.mapping(g)),
    WithJsonSchema(
        {
            "type": "object",
            "description": "A GeoJSON geometry (RFC 7946, WGS-84)",
            "examples": [{"type": "LineString", "coordinates": [[109.86, 28.16], [109.87, 28.17]]}],
        }
    ),
]


class Reason(BaseModel):
    """One failed condition of the weekly rule, with a sentence in Chinese and in English."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["road_coverage_low"])
    zh: str = Field(examples=["道路覆盖率 75%，低于要求的 80%"])
    en: str = Field(examples=["Road coverage 75% is below the required 80%"])


class VillageCoverage(BaseModel):
    """The weekly measures and verdict of one village (product.md section 3)."""

    model_config = ConfigDict(frozen=True)

    village_code: str = Field(examples=["433122207201"])
    name: str = Field(examples=["小章村"])
    name_en: str = Field(default="", examples=["Xiaozhang"])
    squad: str = Field(default="", examples=["squad-01"])
    status: VillageStatus = Field(description="pass, fail or no_data", examples=["pass"])
    meets_requirement: bool
    patrol_days: int = Field(ge=0, le=7)
    minutes: Minutes
    distance_km: Km
    area_coverage: Share
    surveillance_coverage: Share = Field(
        default=0.0, description="Share seen by a patrol, an online camera or a drone this week"
    )
    road_coverage: Share | None = None
    road_length_km: Km = 0.0
    checkpoints_total: int = Field(default=0, ge=0)
    checkpoints_visited: int = Field(default=0, ge=0)
    missed_mandatory: list[str] = Field(default_factory=list)
    minutes_by_day: dict[str, Minutes] = Field(default_factory=dict)
    reasons: list[Reason] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _seen_at_least_patrolled(cls, data: Any) -> Any:
        """Results stored before surveillance counted saw what patrols saw."""
        if isinstance(data, dict) and "surveillance_coverage" not in data:
            return {**data, "surveillance_coverage": data.get("area_coverage", 0.0)}
        return data


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


#: The weekly table of the demo township (its OpenAPI example).
_WEEK_EXAMPLE: dict[str, Any] = {
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


class GapProperties(BaseModel):
    """What a gap is, without its geometry (a gap's GeoJSON properties)."""

    model_config = ConfigDict(frozen=True)

    kind: GapKind
    rank: int
    village_code: str
    area_m2: Metres
    length_m: Metres
    road_length_m: Metres
    checkpoints: int = Field(ge=0)
    distance_to_road_m: Metres | None
    last_covered: str | None


class Gap(GapProperties):
    """An uncovered piece of a village: an area (polygon) or a road stretch (line), in WGS-84
    (in the township's metric CRS while the engine ranks them)."""

    geometry: Geometry

    def properties(self) -> dict[str, Any]:
        """The gap's properties as dumped (rounded), without its geometry."""
        return self.model_dump(exclude={"geometry"})


class _OfWeek(BaseModel):
    week: str = Field(examples=["2026-W47"])


class GapFeatureProperties(GapProperties, _OfWeek):
    """A gap's GeoJSON properties: its week, then what it is."""


class GapFeature(BaseModel):
    """One gap as a GeoJSON Feature, id ``<week>-<rank>``."""

    type: Literal["Feature"] = "Feature"
    id: str = Field(examples=["2026-W47-1"])
    properties: GapFeatureProperties
    geometry: Geometry


class GapCollection(BaseModel):
    """A week's gaps as an RFC 7946 FeatureCollection, in rank order."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[GapFeature]


class WeekCoverage(BaseModel):
    """One township's verdict for one ISO week: the weekly table (周覆盖).

    Its gaps are part of the result (stored with it) but not of the table: they are dumped
    as a FeatureCollection by :meth:`gaps_geojson`.
    """

    model_config = with_example(_WEEK_EXAMPLE)

    township_code: str = Field(examples=["433122207"])
    week: str = Field(examples=["2026-W47"])
    computed_at: str
    villages: list[VillageCoverage]
    gaps: list[Gap] = Field(default_factory=list, exclude=True)
    fixes_used: int = Field(default=0, ge=0)
    method: str = Field(default="exact", examples=["fast"])
    cameras_online: int = Field(default=0, ge=0)
    drone_flights: int = Field(default=0, ge=0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def meets_requirement(self) -> bool:
        """The township passes when every village passes."""
        return bool(self.villages) and all(v.meets_requirement for v in self.villages)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def villages_passed(self) -> int:
        """How many villages pass."""
        return sum(v.meets_requirement for v in self.villages)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def villages_total(self) -> int:
        """How many villages the township has."""
        return len(self.villages)

    # No return annotation: pydantic would take it for the JSON schema instead of the fields.
    @model_serializer(mode="wrap")
    def _in_table_order(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data: dict[str, Any] = handler(self)
        return {key: data[key] for key in _WEEK_ORDER if key in data}

    def gaps_geojson(self) -> GapCollection:
        """Gaps as an RFC 7946 FeatureCollection, in rank order."""
        return GapCollection(
            features=[
                GapFeature(
                    id=f"{self.week}-{g.rank}",
                    properties=GapFeatureProperties(week=self.week, **g.properties()),
                    geometry=g.geometry,
                )
                for g in sorted(self.gaps, key=lambda g: g.rank)
            ]
        )


#: The weekly table's keys in the order clients have always seen them.
_WEEK_ORDER = (
    "township_code",
    "week",
    "computed_at",
    "method",
    "meets_requirement",
    "villages_passed",
    "villages_total",
    "fixes_used",
    "cameras_online",
    "drone_flights",
    "villages",
    "gaps",
)
