"""A day's planned route as a small inline SVG sketch (no map tiles, no scripts): the route,
the required road pieces over it, the base and the numbered checkpoints, a scale bar."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from markupsafe import Markup, escape
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

#: Metres per degree of latitude (a sketch's scale; the sphere is close enough at this size).
M_PER_DEG = 111_320.0
WIDTH, HEIGHT, PAD = 520, 360, 18
ROUTE_COLOUR = "#1565c0"
GAP_COLOUR = "#c62828"
BASE_COLOUR = "#263238"
CHECKPOINT_COLOUR = "#ef6c00"


class _Frame:
    """Lon/lat to SVG pixels: a local equirectangular projection fitted into the sketch."""

    def __init__(self, geoms: Sequence[BaseGeometry]) -> None:
        xy = np.vstack([shapely.get_coordinates(g) for g in geoms if not g.is_empty])
        self.lat0 = float(np.mean(xy[:, 1]))
        m = self.metres(xy)
        self.x0, self.y0 = m.min(axis=0)
        span = np.maximum(m.max(axis=0) - m.min(axis=0), 1.0)
        self.scale = min((WIDTH - 2 * PAD) / span[0], (HEIGHT - 2 * PAD) / span[1])
        # Centred in the box.
        self.dx = (WIDTH - 2 * PAD - span[0] * self.scale) / 2
        self.dy = (HEIGHT - 2 * PAD - span[1] * self.scale) / 2

    def metres(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        k = math.cos(math.radians(self.lat0))
        return np.column_stack([xy[:, 0] * M_PER_DEG * k, xy[:, 1] * M_PER_DEG])

    def pixels(self, geom: BaseGeometry) -> NDArray[np.float64]:
        m = self.metres(shapely.get_coordinates(geom))
        x = PAD + self.dx + (m[:, 0] - self.x0) * self.scale
        y = HEIGHT - PAD - self.dy - (m[:, 1] - self.y0) * self.scale
        return np.column_stack([x, y])


def _path(points: NDArray[np.float64]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _lines(geom: BaseGeometry) -> list[BaseGeometry]:
    parts = shapely.get_parts(geom)
    return [p for p in parts if p.geom_type == "LineString" and not p.is_empty]


def _scale_bar(scale: float) -> str:
    """A bar of a round length about a fifth of the sketch wide."""
    target = (WIDTH / 5) / scale
    length = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * length <= target:
            length *= step
            break
    px = length * scale
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    x, y = PAD, HEIGHT - 6
    return (
        f'<path d="M{x},{y - 4} V{y} H{x + px:.1f} V{y - 4}" fill="none" stroke="#333" '
        f'stroke-width="1.2"/><text x="{x + px + 4:.1f}" y="{y}" font-size="11" '
        f'fill="#333">{label}</text>'
    )


def route_sketch(
    route: BaseGeometry,
    *,
    base: BaseGeometry,
    checkpoints: Sequence[BaseGeometry] = (),
    required: Sequence[BaseGeometry] = (),
    title: str = "",
) -> Markup:
    """The sketch of one day (every geometry lon/lat, WGS-84): the route in blue, the
    ``required`` pieces (last week's gaps) in red over it, the base as a dark square and
    the ``checkpoints`` as orange circles numbered 1, 2, ... in the given order.

    Returns
    -------
    Markup
        Safe SVG markup; ``title`` is escaped.

    Examples
    --------
    >>> svg = route_sketch(shapely.LineString([(109.9, 28.1), (109.91, 28.1), (109.9, 28.1)]),
    ...     base=shapely.Point(109.9, 28.1), checkpoints=[shapely.Point(109.91, 28.1)])
    >>> svg.count("<circle"), svg.count("<polyline"), "200 m" in svg
    (1, 1, True)
    """
    frame = _Frame([route, base, *checkpoints, *required])
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sketch" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="{HEIGHT - 1}" fill="#fff" '
        'stroke="#cfd8dc"/>',
    ]
    for line in _lines(route):
        out.append(
            f'<polyline points="{_path(frame.pixels(line))}" fill="none" stroke="{ROUTE_COLOUR}" '
            'stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    for piece in required:
        for line in _lines(piece):
            out.append(
                f'<polyline class="required" points="{_path(frame.pixels(line))}" fill="none" '
                f'stroke="{GAP_COLOUR}" stroke-width="4" stroke-opacity="0.8" '
                'stroke-linecap="round"/>'
            )
    for number, point in enumerate(checkpoints, start=1):
        x, y = frame.pixels(point)[0]
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="{CHECKPOINT_COLOUR}" stroke="#fff"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="middle" '
            f'fill="#fff" font-weight="700">{number}</text>'
        )
    bx, by = frame.pixels(base)[0]
    out.append(
        f'<rect class="base" x="{bx - 7:.1f}" y="{by - 7:.1f}" width="14" height="14" '
        f'fill="{BASE_COLOUR}" stroke="#fff"/>'
    )
    out.append(_scale_bar(frame.scale))
    out.append(
        f'<text x="{WIDTH - PAD}" y="{PAD + 4}" font-size="13" text-anchor="end" '
        'fill="#333">N ↑</text></svg>'
    )
    return Markup("".join(out))
