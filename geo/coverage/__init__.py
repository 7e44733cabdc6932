"""The coverage engine: the weekly rule of product.md section 3, computed in a metric CRS.

This package is the compute core: it imports neither FastAPI nor SQLAlchemy.
"""

from geo.coverage.evaluate import evaluate_week
from geo.coverage.result import Gap, Reason, VillageCoverage, WeekCoverage
from geo.rules import Rules

__all__ = ["Gap", "Reason", "Rules", "VillageCoverage", "WeekCoverage", "evaluate_week"]
