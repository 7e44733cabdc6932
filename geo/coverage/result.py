"""Result types of the coverage engine, with plain-dict forms for JSON and storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import shapely
from shapely.geometry.base import BaseGeometry

VillageStatus = Literal["pass", "fail", "no_data"]
GapKind = Literal["area", "road"]


@dataclass(frozen=True)
class Reason:
    """One failed condition of the weekly rule, with a sentence in Chinese and in English."""

    code: str
    zh: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class VillageCoverage:
    """The weekly measures and verdict of one village (product.md section 3)."""

    village_code: str
    name: str
    name_en: str
    squad: str
    status: VillageStatus
    meets_requirement: bool
    patrol_days: int
    minutes: float
    distance_km: float
    area_coverage: float
    surveillance_coverage: float
    """Share of the village seen by a patrol, an online camera or a drone this week."""
    road_coverage: float | None
    road_length_km: float
    checkpoints_total: int
    checkpoints_visited: int
    missed_mandatory: list[str]
    minutes_by_day: dict[str, float]
    reasons: list[Reason]

    def to_dict(self) -> dict[str, Any]:
        return {
            "village_code": self.village_code,
            "name": self.name,
            "name_en": self.name_en,
            "squad": self.squad,
            "status": self.status,
            "meets_requirement": self.meets_requirement,
            "patrol_days": self.patrol_days,
            "minutes": round(self.minutes, 2),
            "distance_km": round(self.distance_km, 3),
            "area_coverage": round(self.area_coverage, 6),
            "surveillance_coverage": round(self.surveillance_coverage, 6),
            "road_coverage": None if self.road_coverage is None else round(self.road_coverage, 6),
            "road_length_km": round(self.road_length_km, 3),
            "checkpoints_total": self.checkpoints_total,
            "checkpoints_visited": self.checkpoints_visited,
            "missed_mandatory": list(self.missed_mandatory),
            "minutes_by_day": {k: round(v, 2) for k, v in self.minutes_by_day.items()},
            "reasons": [r.to_dict() for r in self.reasons],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VillageCoverage:
        return cls(
            village_code=d["village_code"],
            name=d["name"],
            name_en=d.get("name_en", ""),
            squad=d.get("squad", ""),
            status=d["status"],
            meets_requirement=bool(d["meets_requirement"]),
            patrol_days=int(d["patrol_days"]),
            minutes=float(d["minutes"]),
            distance_km=float(d["distance_km"]),
            area_coverage=float(d["area_coverage"]),
            surveillance_coverage=float(d.get("surveillance_coverage", d["area_coverage"])),
            road_coverage=None if d.get("road_coverage") is None else float(d["road_coverage"]),
            road_length_km=float(d.get("road_length_km", 0.0)),
            checkpoints_total=int(d.get("checkpoints_total", 0)),
            checkpoints_visited=int(d.get("checkpoints_visited", 0)),
            missed_mandatory=list(d.get("missed_mandatory", [])),
            minutes_by_day={str(k): float(v) for k, v in d.get("minutes_by_day", {}).items()},
            reasons=[Reason(**r) for r in d.get("reasons", [])],
        )


@dataclass(frozen=True)
class Gap:
    """An uncovered piece of a village: an area (polygon) or a road stretch (line), in WGS-84."""

    kind: GapKind
    rank: int
    village_code: str
    area_m2: float
    length_m: float
    road_length_m: float
    checkpoints: int
    distance_to_road_m: float | None
    last_covered: str | None
    geometry: BaseGeometry

    def properties(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rank": self.rank,
            "village_code": self.village_code,
            "area_m2": round(self.area_m2, 1),
            "length_m": round(self.length_m, 1),
            "road_length_m": round(self.road_length_m, 1),
            "checkpoints": self.checkpoints,
            "distance_to_road_m": (
                None if self.distance_to_road_m is None else round(self.distance_to_road_m, 1)
            ),
            "last_covered": self.last_covered,
        }


@dataclass(frozen=True)
class WeekCoverage:
    """One township's verdict for one ISO week."""

    township_code: str
    week: str
    computed_at: str
    villages: list[VillageCoverage]
    gaps: list[Gap] = field(default_factory=list)
    fixes_used: int = 0
    method: str = "exact"
    cameras_online: int = 0
    drone_flights: int = 0

    @property
    def meets_requirement(self) -> bool:
        """The township passes when every village passes."""
        return bool(self.villages) and all(v.meets_requirement for v in self.villages)

    def to_dict(self, *, with_gaps: bool = False) -> dict[str, Any]:
        """The weekly table as a JSON-ready dict (gaps as a GeoJSON FeatureCollection if asked)."""
        out: dict[str, Any] = {
            "township_code": self.township_code,
            "week": self.week,
            "computed_at": self.computed_at,
            "method": self.method,
            "meets_requirement": self.meets_requirement,
            "villages_passed": sum(v.meets_requirement for v in self.villages),
            "villages_total": len(self.villages),
            "fixes_used": self.fixes_used,
            "cameras_online": self.cameras_online,
            "drone_flights": self.drone_flights,
            "villages": [v.to_dict() for v in self.villages],
        }
        if with_gaps:
            out["gaps"] = self.gaps_geojson()
        return out

    def gaps_geojson(self) -> dict[str, Any]:
        """Gaps as an RFC 7946 FeatureCollection, in rank order."""
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": f"{self.week}-{g.rank}",
                    "properties": {"week": self.week, **g.properties()},
                    "geometry": shapely.geometry.mapping(g.geometry),
                }
                for g in sorted(self.gaps, key=lambda g: g.rank)
            ],
        }
