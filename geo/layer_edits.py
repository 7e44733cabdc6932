"""Edits of one feature of a township's layers, checked exactly like ``geo layers load``.

Each edit takes the whole :class:`TownshipLayers`, applies the change to a copy, coerces the
new feature with :func:`geo.layers.normalise_layer`, fills cameras' and checkpoints' village
from their position and runs :func:`geo.layers.validate_layers` on the whole township, so an
edit can never store what a layers folder could not (a camera outside every village, two
villages overlapping, an unknown road class ...). The caller stores the result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo.errors import Conflict, LayerProblems, NotFound
from geo.features import ID_COLUMN, LAYER_NAMES, feature_ids
from geo.layers import (
    LAYER_COLUMNS,
    WGS84,
    TownshipLayers,
    assign_villages,
    normalise_layer,
    validate_layers,
)

#: Attributes the service sets: a drone flight's ``source`` (``layers``, ``import`` or ``api``).
SERVICE_COLUMNS = {"drone_flights": ("source",)}
#: ``source`` of drone flights created through the API: kept by ``geo layers load``.
API_SOURCE = "api"


def check_layer_name(layer: str) -> None:
    """Raise :class:`NotFound` unless ``layer`` is an editable layer."""
    if layer not in LAYER_NAMES:
        raise NotFound(f"no layer {layer!r}; the layers are {', '.join(LAYER_NAMES)}")


def find_feature(layers: TownshipLayers, layer: str, fid: str) -> int:
    """Position of feature ``fid`` in its layer; :class:`NotFound` when there is none."""
    check_layer_name(layer)
    ids = feature_ids(layer, layers.layer(layer))
    if fid not in ids:
        raise NotFound(f"{layer} has no feature {fid!r}")
    return ids.index(fid)


def add_feature(layers: TownshipLayers, layer: str, feature: Mapping[str, Any]) -> TownshipLayers:
    """The layers with one new feature (a GeoJSON Feature mapping).

    Raises
    ------
    LayerProblems
        When the feature or the township with it breaks a rule; every problem is named.
    Conflict
        When the layer already holds a feature with that id.
    """
    check_layer_name(layer)
    key = ID_COLUMN[layer]
    # Checked before coercion, which would number a road without a code by its position.
    if not str((feature.get("properties") or {}).get(key) or "").strip():
        raise LayerProblems([f"{layer}: a new feature needs its {key}, the id it is known by"])
    new = feature_frame(layer, feature)
    fid = str(new[key].iloc[0])
    if fid in feature_ids(layer, layers.layer(layer)):
        raise Conflict(f"{layer} already has a feature {fid!r}; change it with PUT")
    if layer == "drone_flights":
        new["source"] = API_SOURCE
    return checked(_with_layer(layers, layer, _concat(layers.layer(layer), new)))


def replace_feature(
    layers: TownshipLayers, layer: str, fid: str, feature: Mapping[str, Any]
) -> TownshipLayers:
    """The layers with feature ``fid`` replaced; the id stays ``fid``.

    A camera's status is not changed here: a status holds from a time on and is recorded
    with ``PATCH /api/v1/cameras/{code}`` (:func:`geo.coverage.camera_status.week_statuses`).
    """
    position = find_feature(layers, layer, fid)
    frame = layers.layer(layer)
    key = ID_COLUMN[layer]
    properties = dict(feature.get("properties") or {})
    given = properties.get(key)
    if given not in (None, "", fid):
        raise LayerProblems(
            [f"{layer} {fid}: {key} {given!r} in the body differs from {fid!r} in the path"]
        )
    properties[key] = fid
    old = frame.iloc[position]
    if layer == "cameras":
        status = properties.get("status", old["status"])
        if status != old["status"]:
            raise LayerProblems(
                [
                    f"cameras {fid}: status changes from {old['status']!r} to {status!r} are "
                    "recorded with PATCH /api/v1/cameras/{code}, which keeps the time of the "
                    "change for the weekly coverage"
                ]
            )
    new = feature_frame(layer, {**feature, "properties": properties})
    if layer == "drone_flights":
        new["source"] = old["source"]
    rows = frame.drop(index=frame.index[position])
    combined = _concat(rows.iloc[:position], new, rows.iloc[position:])
    return checked(_with_layer(layers, layer, combined))


def delete_feature(layers: TownshipLayers, layer: str, fid: str) -> TownshipLayers:
    """The layers without feature ``fid`` (checked: deleting a village that still holds
    cameras is refused)."""
    position = find_feature(layers, layer, fid)
    frame = layers.layer(layer)
    return checked(_with_layer(layers, layer, frame.drop(index=frame.index[position])))


def checked(layers: TownshipLayers) -> TownshipLayers:
    """Fill villages of cameras and checkpoints and validate the whole township."""
    layers = assign_villages(layers)
    problems = validate_layers(layers)
    if problems:
        raise LayerProblems(problems)
    return layers


def feature_frame(layer: str, feature: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """One GeoJSON Feature as a one-row layer with the columns of :data:`LAYER_COLUMNS`.

    Raises
    ------
    LayerProblems
        Unknown attributes, a geometry that cannot be read or is not lon/lat, values that
        cannot be coerced.
    """
    problems: list[str] = []
    properties = dict(feature.get("properties") or {})
    for column in SERVICE_COLUMNS.get(layer, ()):
        properties.pop(column, None)
    known = LAYER_COLUMNS[layer]
    unknown = sorted(set(properties) - set(known))
    if unknown:
        problems.append(
            f"{layer}: unknown attribute(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    label = str(properties.get(ID_COLUMN[layer]) or properties.get("name") or "new feature")
    geometry = _geometry(layer, label, feature.get("geometry"), problems)
    if problems:
        raise LayerProblems(problems)
    raw = gpd.GeoDataFrame(
        {k: [v] for k, v in properties.items()},
        geometry=gpd.GeoSeries([geometry], crs=WGS84),
        crs=WGS84,
    )
    frame = normalise_layer(layer, raw, problems)
    if problems:
        raise LayerProblems(problems)
    return frame


def _geometry(layer: str, label: str, data: Any, problems: list[str]) -> BaseGeometry | None:
    if not isinstance(data, Mapping):
        problems.append(f"{layer} {label}: has no geometry")
        return None
    try:
        geom = shape(dict(data))
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        problems.append(f"{layer} {label}: geometry cannot be read ({exc})")
        return None
    if geom.is_empty:
        problems.append(f"{layer} {label}: has no geometry")
        return None
    xy = shapely.get_coordinates(geom)
    if not (np.all(np.abs(xy[:, 0]) <= 180) and np.all(np.abs(xy[:, 1]) <= 90)):
        problems.append(
            f"{layer} {label}: coordinates are not WGS-84 longitude, latitude (GeoJSON order)"
        )
        return None
    if layer == "drone_flights" and isinstance(geom, shapely.LineString) and not geom.has_z:
        # The store keeps drone flights in 3-D; an unknown height is NaN (default altitude).
        geom = shapely.LineString(np.column_stack([xy, np.full(len(xy), np.nan)]))
    return geom


def _concat(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    parts = [f for f in frames if len(f)]
    if not parts:
        return frames[0].iloc[0:0]
    joined = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(joined, geometry=joined.geometry.name, crs=WGS84)


def _with_layer(layers: TownshipLayers, layer: str, frame: gpd.GeoDataFrame) -> TownshipLayers:
    return replace(layers, **{layer: frame.reset_index(drop=True)})
