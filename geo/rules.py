"""The township's rule parameters (product.md section 3), read from ``[rules]`` in township.toml."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from geo.errors import InvalidInput


@dataclass(frozen=True)
class Rules:
    """Thresholds of the weekly coverage rule and of track cleaning.

    Every field has the default of product.md section 3; a township's rules file overrides any
    of them.

    Examples
    --------
    >>> Rules.from_mapping({"patrol_radius_m": 30}).patrol_radius_m
    30.0
    """

    patrol_radius_m: float = 50.0
    min_minutes_in_village: float = 10.0
    min_road_coverage: float = 0.8
    min_area_coverage: float = 0.5
    checkpoint_radius_m: float = 50.0
    min_gap_area_m2: float = 5000.0
    max_accuracy_m: float = 50.0
    v_max_kmh: float = 120.0
    split_gap_minutes: float = 10.0
    split_jump_m: float = 1000.0
    min_segment_fixes: int = 2
    min_segment_seconds: float = 30.0

    @classmethod
    def from_mapping(cls, values: dict[str, Any], *, source: str | None = None) -> Rules:
        """Build rules from a mapping, naming unknown keys and bad values."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise InvalidInput(
                f"unknown rule(s) {', '.join(unknown)}; known rules: {', '.join(known)}",
                source=source,
                place="[rules]",
            )
        parsed: dict[str, Any] = {}
        for key, value in values.items():
            kind = int if known[key].type in ("int", int) else float
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(
                    f"rule {key} must be a number, got {value!r}", source=source, place="[rules]"
                )
            if value < 0:
                raise InvalidInput(
                    f"rule {key} must not be negative, got {value}", source=source, place="[rules]"
                )
            parsed[key] = kind(value)
        rules = cls(**parsed)
        for key in ("min_road_coverage", "min_area_coverage"):
            if getattr(rules, key) > 1:
                raise InvalidInput(
                    f"rule {key} is a fraction between 0 and 1, got {getattr(rules, key)}",
                    source=source,
                    place="[rules]",
                )
        if rules.patrol_radius_m <= 0:
            raise InvalidInput("rule patrol_radius_m must be positive", source=source)
        return rules

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)
