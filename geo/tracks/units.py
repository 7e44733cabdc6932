"""Length units the readers convert from."""

from __future__ import annotations

#: Metres in one international foot (imperial drone exports: AirData, CsvView).
FEET = 0.3048
