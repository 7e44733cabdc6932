"""The weekly coverage map (Folium): villages by verdict, gaps, patrol tracks and cameras."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from folium.plugins import Fullscreen, HeatMap, MeasureControl
from jinja2 import Template

from geo.coverage.result import VillageCoverage, WeekCoverage
from geo.coverage.terrain import township_dem, viewsheds
from geo.dispatch.cameras import CameraSuggestions
from geo.layers import WGS84, TownshipLayers
from geo.outputs import csp
from geo.outputs.web_assets import self_contained

STATUS_COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "no_data": "#757575"}
STATUS_LABELS = {"pass": "达标 pass", "fail": "未达标 fail", "no_data": "无数据 no data"}
CAMERA_COLOURS = {"online": "#1565c0", "offline": "#c62828", "maintenance": "#ef6c00"}
SQUAD_COLOURS = (
    "#6a1b9a",
    "#00838f",
    "#ad1457",
    "#283593",
    "#558b2f",
    "#4e342e",
    "#f9a825",
    "#37474f",
)
_ASSETS = Path(__file__).resolve().parents[1] / "templates"
#: Points of the patrol heat map at most (sampled evenly from the simplified tracks).
HEAT_POINTS = 20_000
#: Display simplification of tracks, in degrees (about 2 m): keeps a week's map small.
TRACK_SIMPLIFY_DEG = 0.00002


def _village_popup(v: VillageCoverage) -> dict[str, Any]:
    """The village's popup as plain text: a title, lines and the reasons (drawn as text)."""
    road = "—" if v.road_coverage is None else f"{v.road_coverage:.0%}"
    return {
        "title": f"{v.name} ({v.name_en})",
        "lines": [
            f"结论：{STATUS_LABELS[v.status]}",
            f"巡逻天数：{v.patrol_days} 天",
            f"村内巡逻：{v.minutes:.0f} 分钟，{v.distance_km:.1f} 公里",
            f"道路覆盖率：{road}",
            f"面积覆盖率：{v.area_coverage:.0%}",
            f"必到点位：{v.checkpoints_visited}/{v.checkpoints_total}",
        ],
        "items": [r.zh for r in v.reasons] or ["全部条件满足"],
    }


def _feature(
    geometry: Any,
    style: dict[str, Any],
    tooltip: str = "",
    popup: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One GeoJSON feature of an overlay: its Leaflet style and its texts (plain text)."""
    properties: dict[str, Any] = {"style": style}
    if tooltip:
        properties["tooltip"] = tooltip
    if popup:
        properties["popup"] = popup
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(geometry),
        "properties": properties,
    }


class _Overlays(MacroElement):
    """The map's overlays as data: one JSON block (``#geo-overlays``) that
    ``geo/templates/weekly_map.js`` draws into the layer control's feature groups.

    Text in the data (village and camera names, squads) reaches the page only as JSON and is
    shown with ``textContent``: it is never spliced into the page's code or parsed as HTML.
    """

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "GeoOverlays"
        self.groups: dict[str, str] = {}
        self.data: list[dict[str, Any]] = []

    def add(
        self, fmap: folium.Map, name: str, features: list[dict[str, Any]], *, show: bool = True
    ) -> None:
        """A feature group named ``name`` (in the layer control) holding ``features``."""
        # The layer control shows names as HTML: escaped here, and JSON in the code.
        group = folium.FeatureGroup(name=escape(name), show=show)
        group.add_to(fmap)
        key = f"g{len(self.groups)}"
        self.groups[key] = group.get_name()
        self.data.append(
            {"group": key, "features": {"type": "FeatureCollection", "features": features}}
        )

    def finish(self, fmap: folium.Map) -> None:
        """Put the data into the page and the call that draws it after the groups."""
        root: Any = fmap.get_root()
        root.html.add_child(folium.Element(csp.json_block("geo-overlays", self.data)))
        fmap.add_child(self)

    _template = Template(
        "{% macro script(this, kwargs) %}geoDrawOverlays({ "
        "{% for key, name in this.groups.items() %}{{ key|tojson }}: {{ name }},{% endfor %}"
        "});{% endmacro %}"
    )


AMAP_NAME = "高德地图 Amap (GCJ-02)"
AMAP_URL = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
    "&TILECOL={{x}}&tk={key}"
)


def _basemaps(fmap: folium.Map, tianditu_key: str | None) -> None:
    """OpenStreetMap (default), Tianditu vector and imagery with labels (only with a key), and
    Amap, under which every overlay is drawn at its GCJ-02 position."""
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(fmap)
    if tianditu_key:
        for name, base, labels in (("天地图 矢量", "vec", "cva"), ("天地图 影像", "img", "cia")):
            group = folium.FeatureGroup(name=name, overlay=False, control=True, show=False)
            for layer in (base, labels):
                folium.TileLayer(
                    TIANDITU_URL.format(s="{s}", layer=layer, key=tianditu_key),
                    attr="© 天地图 Tianditu",
                    subdomains="01234567",
                    max_zoom=18,
                ).add_to(group)
            group.add_to(fmap)
    folium.TileLayer(
        AMAP_URL,
        name=AMAP_NAME,
        attr="© 高德地图 AutoNavi",
        subdomains="1234",
        show=False,
        overlay=False,
        max_zoom=18,
    ).add_to(fmap)
    root: Any = fmap.get_root()
    for name in ("gcj02_overlays", "weekly_map"):
        script = (_ASSETS / f"{name}.js").read_text(encoding="utf-8")
        root.header.add_child(folium.Element(f"<script>{script}</script>"), name=name)
    root.header.add_child(
        folium.Element("<style>.geo-reasons{margin:4px 0 0 16px;padding:0}</style>"),
        name="geo_styles",
    )
    fmap.add_child(_FollowGcj02Basemap())


class _FollowGcj02Basemap(MacroElement):
    """Rendered after the map is created: switches overlays to GCJ-02 under Amap."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "FollowGcj02Basemap"

    _template = Template(
        "{% macro script(this, kwargs) %}geoFollowGcj02Basemap({{ this._parent.get_name() }}, "
        + json.dumps(AMAP_NAME)
        + ");{% endmacro %}"
    )


#: The class of each suggested camera's marker and sector (SVG paths; tests find them by it).
SUGGESTED_CLASS = "geo-suggested-camera"
SUGGESTED_COLOUR = "#6a1b9a"


def _suggested(suggestions: CameraSuggestions) -> list[dict[str, Any]]:
    """Each suggested site as its sector (dashed) and a marker whose tooltip gives its rank,
    bearing and the area it adds (hectares and m²)."""
    out = []
    for site in suggestions.sites:
        facing = "全向 PTZ" if site.ptz else f"朝向 {site.bearing_deg:.0f}°"
        text = (
            f"建议摄像头 #{site.rank}：{facing}，射程 {site.range_m:.0f} 米，"
            f"新增覆盖 {site.added_m2 / 10000:.2f} 公顷 "
            f"(suggested camera #{site.rank}, adds {site.added_m2:,.0f} m²)"
        )
        sector = {
            "color": SUGGESTED_COLOUR,
            "weight": 2,
            "dashArray": "4 4",
            "fillColor": SUGGESTED_COLOUR,
            "fillOpacity": 0.2,
            "className": f"{SUGGESTED_CLASS}-sector",
        }
        marker = {
            "radius": 7,
            "color": "#ffffff",
            "weight": 2,
            "fill": True,
            "fillColor": SUGGESTED_COLOUR,
            "fillOpacity": 1.0,
            "className": SUGGESTED_CLASS,
        }
        out.append(_feature(site.sector, sector, text))
        out.append(_feature(site.point, marker, text))
    return out


def weekly_map(
    layers: TownshipLayers,
    result: WeekCoverage,
    tracks: gpd.GeoDataFrame,
    *,
    tianditu_key: str | None = None,
    collapsed_control: bool = False,
    suggestions: CameraSuggestions | None = None,
) -> folium.Map:
    """Build the week's map.

    Parameters
    ----------
    layers
        The township's layers (EPSG:4326).
    result
        The week's coverage (verdicts and gaps).
    tracks
        The week's cleaned patrol segments (EPSG:4326) with a ``squad`` column.
    tianditu_key
        A Tianditu key (``tk``): adds its vector and imagery basemaps with labels.
    collapsed_control
        Fold the layer list into a button (for small embedded maps, as on the dashboard).
    suggestions
        Suggested camera sites (:func:`geo.dispatch.cameras.suggest_cameras`), drawn as
        numbered markers with their sectors and the area each adds.

    Returns
    -------
    folium.Map
        Zoomed to the township, with a layer control and a legend.
    """
    minx, miny, maxx, maxy = layers.outline.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=13, tiles=None)
    _basemaps(fmap, tianditu_key)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    overlays = _Overlays()
    by_code = {v.village_code: v for v in result.villages}
    villages = []
    for i in range(len(layers.villages)):
        row = layers.villages.iloc[i]
        v = by_code.get(str(row["code"]))
        colour = STATUS_COLOURS[v.status] if v else "#9e9e9e"
        style = {"color": colour, "weight": 2, "fillColor": colour, "fillOpacity": 0.3}
        villages.append(
            _feature(row.geometry, style, str(row["name"]), _village_popup(v) if v else None)
        )
    overlays.add(fmap, "村庄结论 Villages", villages)

    # Where roads are mapped the rule is judged on roads, and area gaps cover most of a village:
    # they start hidden so the verdict colours stay readable.
    area_gaps, road_gaps = [], []
    names = dict(zip(layers.villages["code"], layers.villages["name"], strict=True))
    for gap in result.gaps:
        where = str(names.get(gap.village_code, gap.village_code))
        last = f"，最后巡查 {gap.last_covered}" if gap.last_covered else "，八周内未巡查"
        if gap.kind == "area":
            text = f"#{gap.rank} {where} 未覆盖区域 {gap.area_m2 / 10000:.1f} 公顷{last}"
            style = {"color": "#e65100", "weight": 1, "fillColor": "#ff9800", "fillOpacity": 0.35}
            area_gaps.append(_feature(gap.geometry, style, text))
        else:
            text = f"#{gap.rank} {where} 未巡道路 {gap.length_m:.0f} 米{last}"
            style = {"color": "#b71c1c", "weight": 5, "dashArray": "6 6"}
            road_gaps.append(_feature(gap.geometry, style, text))
    overlays.add(fmap, "未覆盖区域 Area gaps", area_gaps, show=False)
    overlays.add(fmap, "未覆盖道路 Road gaps", road_gaps)

    squads = sorted(set(tracks["squad"])) if len(tracks) else []
    for k, squad in enumerate(squads):
        lines = tracks.loc[tracks["squad"] == squad].geometry.simplify(TRACK_SIMPLIFY_DEG)
        merged = shapely.MultiLineString(
            [g for g in shapely.get_parts(lines.to_numpy()) if not g.is_empty]
        )
        style = {"color": SQUAD_COLOURS[k % len(SQUAD_COLOURS)], "weight": 2, "opacity": 0.8}
        overlays.add(fmap, f"轨迹 Tracks: {squad}", [_feature(merged, style, str(squad))])

    if len(tracks):
        points = shapely.get_coordinates(tracks.geometry.simplify(TRACK_SIMPLIFY_DEG).to_numpy())
        step = max(1, len(points) // HEAT_POINTS)
        HeatMap(  # type: ignore[no-untyped-call]
            [[float(y), float(x)] for x, y in points[::step]],
            name="巡逻热力 Patrol heat",
            radius=12,
            blur=15,
            show=False,
        ).add_to(fmap)

    cameras = []
    cams = layers.cameras
    if len(cams):
        metric = cams.to_crs(layers.info.metric_crs)
        # With terrain, each camera's sector cut to what it sees (as the engine counts it).
        seen = viewsheds(metric, township_dem(layers))
        sectors = gpd.GeoSeries(seen, crs=layers.info.metric_crs).to_crs(WGS84)
        for i in range(len(cams)):
            row = cams.iloc[i]
            colour = CAMERA_COLOURS.get(str(row["status"]), "#616161")
            style = {"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.25}
            cameras.append(_feature(sectors.iloc[i], style))
            marker = {"radius": 4, "color": colour, "fill": True, "fillOpacity": 1.0}
            label = f"{row['code']} {row['name']} ({row['status']})"
            cameras.append(_feature(row.geometry, marker, label))
    overlays.add(fmap, "监控 Cameras", cameras)
    if suggestions is not None:
        overlays.add(fmap, "建议新增摄像头 Suggested cameras", _suggested(suggestions))

    outline = {"color": "#000000", "weight": 2, "fill": False}
    overlays.add(fmap, "乡界 Township", [_feature(layers.outline.geometry.iloc[0], outline)])
    overlays.finish(fmap)
    folium.LayerControl(collapsed=collapsed_control).add_to(fmap)
    Fullscreen(title="全屏 Fullscreen", title_cancel="退出全屏 Exit fullscreen").add_to(fmap)  # type: ignore[no-untyped-call]
    MeasureControl(  # type: ignore[no-untyped-call]
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
    ).add_to(fmap)
    root: Any = fmap.get_root()
    root.html.add_child(folium.Element(_legend(result, suggested=suggestions is not None)))
    return self_contained(fmap)


def _legend(result: WeekCoverage, *, suggested: bool = False) -> str:
    items: list[tuple[str, str]] = [(STATUS_COLOURS[k], STATUS_LABELS[k]) for k in STATUS_COLOURS]
    items += [("#ff9800", "未覆盖区域 area gap"), ("#b71c1c", "未巡道路 road gap")]
    items += [(c, f"监控 camera {s}") for s, c in CAMERA_COLOURS.items()]
    if suggested:
        items.append((SUGGESTED_COLOUR, "建议新增摄像头 suggested camera"))
    rows = "".join(
        f"<div><span style='display:inline-block;width:12px;height:12px;background:{c};"
        f"margin-right:6px'></span>{escape(t)}</div>"
        for c, t in items
    )
    verdict = "全乡达标" if result.meets_requirement else "全乡未达标"
    return (
        "<div class='geo-legend' style='position:fixed;bottom:24px;left:12px;z-index:1000;"
        "background:#fff;padding:8px 10px;border-radius:4px;font:12px sans-serif;"
        "box-shadow:0 1px 4px rgba(0,0,0,.3)'>"
        f"<b>{escape(result.week)} {verdict}</b>{rows}</div>"
    )


@dataclass(frozen=True)
class MapPage:
    """The map as a standalone HTML page and its Content-Security-Policy (as a header)."""

    html: str
    policy: str


def map_page(fmap: folium.Map) -> MapPage:
    """Render the map; its inline scripts (code only: the data is in a JSON block) are allowed
    by hash, in a ``<meta>`` policy for the file and in the policy returned for a header."""
    html = str(fmap.get_root().render())
    scripts = csp.inline_scripts(html)
    meta = csp.meta_tag(csp.policy(scripts, images=csp.TILE_SOURCES, header=False))
    # After the charset (which must come first), before every script.
    charset = re.search(r"<meta[^>]*charset[^>]*>", html, re.IGNORECASE)
    at = charset.end() if charset else html.index("<head>") + len("<head>")
    return MapPage(
        html=html[:at] + meta + html[at:],
        policy=csp.policy(scripts, images=csp.TILE_SOURCES, embeddable=True),
    )


def map_html(fmap: folium.Map) -> str:
    """The map as a standalone HTML page (with its Content-Security-Policy as a meta tag)."""
    return map_page(fmap).html
