"""Small charts drawn as inline SVG in Python: no JavaScript and no external assets, so a page
that carries them works offline and prints as drawn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 320
HEIGHT = 120
MARGIN_LEFT = 34
MARGIN_RIGHT = 10
MARGIN_TOP = 10
MARGIN_BOTTOM = 22


@dataclass(frozen=True)
class Series:
    """One line of a chart: shares between 0 and 1 (None where there is no value).

    ``dash`` is an SVG ``stroke-dasharray`` so series differ by more than their colour.
    """

    name: str
    values: Sequence[float | None]
    colour: str
    dash: str = ""


def _x(i: int, n: int) -> float:
    inner = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    return MARGIN_LEFT + (inner * i / (n - 1) if n > 1 else inner / 2)


def _y(share: float) -> float:
    inner = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    return MARGIN_TOP + inner * (1.0 - min(max(share, 0.0), 1.0))


def _line(series: Series, n: int, hollow: Sequence[bool]) -> str:
    points = [(i, v) for i, v in enumerate(series.values) if v is not None]
    parts = []
    if len(points) > 1:
        path = " ".join(f"{_x(i, n):.1f},{_y(v):.1f}" for i, v in points)
        dash = f' stroke-dasharray="{series.dash}"' if series.dash else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{series.colour}" '
            f'stroke-width="2"{dash}/>'
        )
    for i, v in points:
        fill = "#fff" if hollow[i] else series.colour
        parts.append(
            f'<circle cx="{_x(i, n):.1f}" cy="{_y(v):.1f}" r="3" fill="{fill}" '
            f'stroke="{series.colour}" stroke-width="1.5"><title>{escape(series.name)}: '
            f"{v:.0%}</title></circle>"
        )
    return "".join(parts)


def trend_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    threshold: float | None = None,
    threshold_label: str = "",
    hollow: Sequence[bool] | None = None,
) -> Markup:
    """A line chart of shares (0-100 %) over a few periods, as an ``<svg>`` element.

    Parameters
    ----------
    labels
        One label per period (x axis), e.g. ``["W45", "W46"]``.
    series
        The lines; each has one value per label.
    title
        The chart's accessible title (escaped).
    threshold
        A share drawn as a dotted horizontal line, e.g. the required road coverage.
    threshold_label
        Text next to the threshold line.
    hollow
        Per period, whether its points are drawn hollow (e.g. weeks without data).

    Returns
    -------
    Markup
        Safe SVG markup; every text from the caller is escaped.

    Examples
    --------
    >>> svg = trend_chart(["W1", "W2"], [Series("road", [0.5, 0.9], "#1565c0")], title="<a>")
    >>> svg.startswith("<svg") and "&lt;a&gt;" in svg
    True
    """
    n = len(labels)
    for s in series:
        if len(s.values) != n:
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {n} labels")
    flags = list(hollow) if hollow is not None else [False] * n
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="chart">'
        f"<title>{escape(title)}</title>"
    ]
    for share in (0.0, 0.5, 1.0):
        y = _y(share)
        out.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{MARGIN_LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="9" '
            f'fill="#555">{share:.0%}</text>'
        )
    if threshold is not None:
        y = _y(threshold)
        out.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" '
            'stroke="#c62828" stroke-width="1" stroke-dasharray="2 2"/>'
            f'<text x="{WIDTH - MARGIN_RIGHT}" y="{y - 3:.1f}" text-anchor="end" font-size="9" '
            f'fill="#c62828">{escape(threshold_label)}</text>'
        )
    for i, label in enumerate(labels):
        out.append(
            f'<text x="{_x(i, n):.1f}" y="{HEIGHT - 6}" text-anchor="middle" font-size="9" '
            f'fill="#333">{escape(label)}</text>'
        )
    out.extend(_line(s, n, flags) for s in series)
    out.append("</svg>")
    return Markup("".join(out))
