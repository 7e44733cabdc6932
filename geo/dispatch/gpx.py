"""A day's planned route as GPX 1.1 for phone navigation apps.

The route is written as a track without times (navigation apps such as OsmAnd, Locus and
2bulu follow a track; a route of hundreds of points would be re-routed between them), with the
base and the checkpoints to visit as waypoints. :func:`geo.tracks.gpx_write.write_gpx` writes
recorded fixes, whose times are required, so it is not used here.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import shapely

from geo.dispatch.plan import Base, DayRoute, PatrolPlan


def day_gpx(day: DayRoute, *, squad: str, base: Base, creator: str = "geo") -> bytes:
    """The planned route of one squad and day as GPX 1.1 (coordinates to 7 decimals).

    Examples
    --------
    >>> route = shapely.LineString([(109.9, 28.1), (109.91, 28.1)])
    >>> day = DayRoute(day=1, length_m=980.0, minutes=4.0, route_m=route, route=route,
    ...     pieces=[], checkpoints=[])
    >>> base = Base(code="CP-1", name="村部", point=shapely.Point(109.9, 28.1))
    >>> gpx = day_gpx(day, squad="squad-01", base=base)
    >>> gpx.count(b"<trkpt"), gpx.count(b"<wpt")
    (2, 1)
    """
    title = f"{squad} day {day.day}: {day.length_m / 1000:.1f} km, {day.minutes:.0f} min"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<gpx version="1.1" creator={quoteattr(creator)} xmlns="http://www.topografix.com/GPX/1/1">',
        f"<metadata><name>{escape(title)}</name></metadata>",
    ]
    points = [(base.point, base.name or "base", "base")]
    points += [(c.road_point, c.name or c.code, "checkpoint") for c in day.checkpoints]
    for point, name, kind in points:
        lon, lat = shapely.get_coordinates(point)[0]
        out.append(
            f'<wpt lat="{lat:.7f}" lon="{lon:.7f}"><name>{escape(name)}</name>'
            f"<type>{kind}</type></wpt>"
        )
    out.append(f"<trk><name>{escape(title)}</name><trkseg>")
    for lon, lat in shapely.get_coordinates(day.route):
        out.append(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"></trkpt>')
    out.append("</trkseg></trk></gpx>\n")
    return "\n".join(out).encode("utf-8")


def plan_gpx(plan: PatrolPlan) -> dict[str, bytes]:
    """Every day of every squad as GPX, by file name ``<squad>_<week>_day<n>.gpx`` (names to
    pass through :func:`geo.paths.output_path` when written)."""
    return {
        f"{squad.squad}_{plan.week}_day{day.day}.gpx": day_gpx(
            day, squad=squad.squad, base=squad.base
        )
        for squad in plan.squads
        for day in squad.days
    }
