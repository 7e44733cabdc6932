"""The weekly coverage map (Folium): villages by verdict, gaps, patrol tracks and cameras."""

from __future__ import annotations

import json
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
from geo.coverage.surveillance import camera_sectors
from geo.layers import WGS84, TownshipLayers
from geo.web_assets import self_contained

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
_ASSETS = Path(__file__).with_name("templates")
#: Points of the patrol heat map at most (sampled evenly from the simplified tracks).
HEAT_POINTS = 20_000
#: Display simplification of tracks, in degrees (about 2 m): keeps a week's map small.
TRACK_SIMPLIFY_DEG = 0.00002


def _village_popup(v: VillageCoverage) -> str:
    road = "—" if v.road_coverage is None else f"{v.road_coverage:.0%}"
    reasons = "".join(f"<li>{escape(r.zh)}</li>" for r in v.reasons) or "<li>全部条件满足</li>"
    return (
        f"<b>{escape(v.name)}</b> ({escape(v.name_en)})<br>"
        f"结论：{escape(STATUS_LABELS[v.status])}<br>"
        f"巡逻天数：{v.patrol_days} 天<br>"
        f"村内巡逻：{v.minutes:.0f} 分钟，{v.distance_km:.1f} 公里<br>"
        f"道路覆盖率：{road}<br>面积覆盖率：{v.area_coverage:.0%}<br>"
        f"必到点位：{v.checkpoints_visited}/{v.checkpoints_total}<br>"
        f"<ul style='margin:4px 0 0 16px;padding:0'>{reasons}</ul>"
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
    script = (_ASSETS / "gcj02_overlays.js").read_text(encoding="utf-8")
    root: Any = fmap.get_root()
    root.header.add_child(folium.Element(f"<script>{script}</script>"), name="gcj02_overlays")
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


def weekly_map(
    layers: TownshipLayers,
    result: WeekCoverage,
    tracks: gpd.GeoDataFrame,
    *,
    tianditu_key: str | None = None,
    collapsed_control: bool = False,
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

    Returns
    -------
    folium.Map
        Zoomed to the township, with a layer control and a legend.
    """
    minx, miny, maxx, maxy = layers.outline.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=13, tiles=None)
    _basemaps(fmap, tianditu_key)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    by_code = {v.village_code: v for v in result.villages}
    villages = folium.FeatureGroup(name="村庄结论 Villages", show=True)
    for i in range(len(layers.villages)):
        row = layers.villages.iloc[i]
        v = by_code.get(str(row["code"]))
        colour = STATUS_COLOURS[v.status] if v else "#9e9e9e"
        shape = folium.GeoJson(
            shapely.geometry.mapping(row.geometry),
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 2,
                "fillColor": c,
                "fillOpacity": 0.3,
            },
            tooltip=escape(str(row["name"])),
        )
        if v:
            shape.add_child(folium.Popup(_village_popup(v), max_width=320))
        shape.add_to(villages)
    villages.add_to(fmap)

    # Where roads are mapped the rule is judged on roads, and area gaps cover most of a village:
    # they start hidden so the verdict colours stay readable.
    area_gaps = folium.FeatureGroup(name="未覆盖区域 Area gaps", show=False)
    road_gaps = folium.FeatureGroup(name="未覆盖道路 Road gaps", show=True)
    names = dict(zip(layers.villages["code"], layers.villages["name"], strict=True))
    for gap in result.gaps:
        where = escape(str(names.get(gap.village_code, gap.village_code)))
        last = f"，最后巡查 {gap.last_covered}" if gap.last_covered else "，八周内未巡查"
        if gap.kind == "area":
            text = f"#{gap.rank} {where} 未覆盖区域 {gap.area_m2 / 10000:.1f} 公顷{last}"
            folium.GeoJson(
                shapely.geometry.mapping(gap.geometry),
                style_function=lambda _f: {
                    "color": "#e65100",
                    "weight": 1,
                    "fillColor": "#ff9800",
                    "fillOpacity": 0.35,
                },
                tooltip=text,
            ).add_to(area_gaps)
        else:
            text = f"#{gap.rank} {where} 未巡道路 {gap.length_m:.0f} 米{last}"
            folium.GeoJson(
                shapely.geometry.mapping(gap.geometry),
                style_function=lambda _f: {"color": "#b71c1c", "weight": 5, "dashArray": "6 6"},
                tooltip=text,
            ).add_to(road_gaps)
    area_gaps.add_to(fmap)
    road_gaps.add_to(fmap)

    squads = sorted(set(tracks["squad"])) if len(tracks) else []
    for k, squad in enumerate(squads):
        group = folium.FeatureGroup(name=f"轨迹 Tracks: {escape(squad)}", show=True)
        lines = tracks.loc[tracks["squad"] == squad].geometry.simplify(TRACK_SIMPLIFY_DEG)
        merged = shapely.MultiLineString(
            [g for g in shapely.get_parts(lines.to_numpy()) if not g.is_empty]
        )
        squad_colour = SQUAD_COLOURS[k % len(SQUAD_COLOURS)]
        folium.GeoJson(
            shapely.geometry.mapping(merged),
            style_function=lambda _f, c=squad_colour: {
                "color": c,
                "weight": 2,
                "opacity": 0.8,
            },
            tooltip=escape(squad),
        ).add_to(group)
        group.add_to(fmap)

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

    cameras = folium.FeatureGroup(name="监控 Cameras", show=True)
    cams = layers.cameras
    if len(cams):
        metric = cams.to_crs(layers.info.metric_crs)
        sectors = gpd.GeoSeries(camera_sectors(metric), crs=layers.info.metric_crs).to_crs(WGS84)
        for i in range(len(cams)):
            row = cams.iloc[i]
            colour = CAMERA_COLOURS.get(str(row["status"]), "#616161")
            folium.GeoJson(
                shapely.geometry.mapping(sectors.iloc[i]),
                style_function=lambda _f, c=colour: {
                    "color": c,
                    "weight": 1,
                    "fillColor": c,
                    "fillOpacity": 0.25,
                },
            ).add_to(cameras)
            folium.CircleMarker(
                [row.geometry.y, row.geometry.x],
                radius=4,
                color=colour,
                fill=True,
                fill_opacity=1.0,
                tooltip=escape(f"{row['code']} {row['name']} ({row['status']})"),
            ).add_to(cameras)
    cameras.add_to(fmap)

    folium.GeoJson(
        shapely.geometry.mapping(layers.outline.geometry.iloc[0]),
        name="乡界 Township",
        style_function=lambda _f: {"color": "#000000", "weight": 2, "fill": False},
    ).add_to(fmap)
    folium.LayerControl(collapsed=collapsed_control).add_to(fmap)
    Fullscreen(title="全屏 Fullscreen", title_cancel="退出全屏 Exit fullscreen").add_to(fmap)  # type: ignore[no-untyped-call]
    MeasureControl(  # type: ignore[no-untyped-call]
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
    ).add_to(fmap)
    root: Any = fmap.get_root()
    root.html.add_child(folium.Element(_legend(result)))
    return self_contained(fmap)


def _legend(result: WeekCoverage) -> str:
    items: list[tuple[str, str]] = [(STATUS_COLOURS[k], STATUS_LABELS[k]) for k in STATUS_COLOURS]
    items += [("#ff9800", "未覆盖区域 area gap"), ("#b71c1c", "未巡道路 road gap")]
    items += [(c, f"监控 camera {s}") for s, c in CAMERA_COLOURS.items()]
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


def map_html(fmap: folium.Map) -> str:
    """The map as a standalone HTML page."""
    html: Any = fmap.get_root().render()
    return str(html)
