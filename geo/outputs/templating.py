"""The one Jinja2 environment of the HTML pages (autoescaped; templates in geo/templates)."""

from __future__ import annotations

from functools import cache

import jinja2


@cache
def templates() -> jinja2.Environment:
    """The package's templates, autoescaped, failing on an undefined name."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("geo", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
