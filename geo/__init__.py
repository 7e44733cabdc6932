"""geo: patrol coverage and surveillance assets for rural townships.

GPS tracks and a township's layers go in; per-village weekly verdicts, gap polygons and
maps come out. See docs/architecture.md for the map of the code.
"""

__version__ = "0.1.0"
