"""Request and response models of the layer endpoints and OGC API – Features (also their
OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from geo.api.models import Moment, Text

CAMERA_EXAMPLE: dict[str, Any] = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [109.8912, 28.1534]},
    "properties": {
        "code": "CAM-35",
        "name": "小章村桥头",
        "bearing_deg": 120,
        "fov_deg": 90,
        "range_m": 80,
        "ptz": False,
        "height_m": 6,
        "status": "online",
        "installed_on": "2026-11-20",
    },
}

#: Examples of answers (OpenAPI): the demo township's camera CAM-07 in 小章村, as stored.
BASE_URL_EXAMPLE = "http://127.0.0.1:8000"
STORED_CAMERA_EXAMPLE: dict[str, Any] = {
    "type": "Feature",
    "id": "CAM-07",
    "geometry": {"type": "Point", "coordinates": [109.9011491, 28.1496083]},
    "properties": {
        "code": "CAM-07",
        "name": "X051与小章—瓦槽村道交叉口",
        "village": "433122207201",
        "bearing_deg": 9.0,
        "fov_deg": 110.0,
        "range_m": 90.0,
        "ptz": False,
        "height_m": 6.2,
        "status": "online",
        "installed_on": "2024-09-26",
    },
}
#: The new camera of :data:`CAMERA_EXAMPLE` as stored (its village found from its place).
ADDED_CAMERA_EXAMPLE: dict[str, Any] = {
    "type": "Feature",
    "id": "CAM-35",
    "geometry": {"type": "Point", "coordinates": [109.8912, 28.1534]},
    "properties": {
        "code": "CAM-35",
        "name": "小章村桥头",
        "village": "433122207201",
        "bearing_deg": 120.0,
        "fov_deg": 90.0,
        "range_m": 80.0,
        "ptz": False,
        "height_m": 6.0,
        "status": "online",
        "installed_on": "2026-11-20",
    },
}


def page_example(path: str, *extra_links: dict[str, Any]) -> dict[str, Any]:
    """A one-feature page of the cameras (CAM-07, the 7th of 34) served at ``path``."""
    url = f"{BASE_URL_EXAMPLE}{path}"
    geojson = "application/geo+json"
    return {
        "type": "FeatureCollection",
        "features": [STORED_CAMERA_EXAMPLE],
        "numberMatched": 34,
        "numberReturned": 1,
        "timeStamp": "2026-11-23T01:30:00Z",
        "links": [
            {
                "href": f"{url}?limit=1&offset=6",
                "rel": "self",
                "type": geojson,
                "title": "this page",
            },
            {
                "href": f"{url}?limit=1&offset=7",
                "rel": "next",
                "type": geojson,
                "title": "next page",
            },
            {
                "href": f"{url}?limit=1&offset=5",
                "rel": "prev",
                "type": geojson,
                "title": "previous page",
            },
            *extra_links,
        ],
    }


CAMERA_STATUS_EXAMPLE: dict[str, Any] = {
    "code": "CAM-07",
    "status": "offline",
    "history": [
        {
            "camera_code": "CAM-07",
            "status": "online",
            "changed_at": "1970-01-01T00:00:00+00:00",
            "note": "status in the layers before the first recorded change",
            "changed_by": "layers",
        },
        {
            "camera_code": "CAM-07",
            "status": "offline",
            "changed_at": "2026-11-18T04:00:00+00:00",
            "note": "电源故障 power failure",
            "changed_by": "planning office",
        },
    ],
}


class FeatureIn(BaseModel):
    """A GeoJSON Feature (RFC 7946) to store: WGS-84 lon/lat geometry and the layer's
    attributes (docs/layers.md). The id is the ``code`` property (``flight_id`` for drone
    flights)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CAMERA_EXAMPLE]})

    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any] | None = Field(description="A GeoJSON geometry in lon/lat")
    properties: dict[str, Any] = Field(default_factory=dict)
    id: str | int | None = Field(default=None, description="Ignored: the id is the code")


class FeatureModel(BaseModel):
    """A GeoJSON Feature with its id."""

    type: Literal["Feature"] = "Feature"
    id: str = Field(examples=["CAM-01"])
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class LinkModel(BaseModel):
    """A web link (OGC API – Common)."""

    href: str = Field(examples=["http://127.0.0.1:8000/ogc/collections"])
    rel: str = Field(examples=["data"])
    type: str | None = Field(default=None, examples=["application/json"])
    title: str | None = None


class LinkedFeatureModel(FeatureModel):
    """A GeoJSON Feature with links to itself and its collection (OGC API – Features)."""

    links: list[LinkModel]


class FeatureCollectionModel(BaseModel):
    """A page of a GeoJSON FeatureCollection with paging links (``next`` until the last)."""

    model_config = ConfigDict(populate_by_name=True)

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[FeatureModel]
    number_matched: int = Field(alias="numberMatched", ge=0)
    number_returned: int = Field(alias="numberReturned", ge=0)
    time_stamp: str | None = Field(default=None, alias="timeStamp")
    links: list[LinkModel]


class CameraStatusIn(BaseModel):
    """A camera's new status and when it took effect."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "offline",
                    "changed_at": "2026-11-18T12:00:00+08:00",
                    "note": "电源故障 power failure",
                }
            ]
        }
    )

    status: Literal["online", "offline", "maintenance"]
    changed_at: Moment | None = Field(
        default=None,
        description="When the status took effect (ISO 8601; without an offset it is township "
        "local time); now when left out. Not in the future.",
    )
    note: Text = Field(default="", max_length=1000)


class LandingPageModel(BaseModel):
    title: str
    description: str
    links: list[LinkModel]


class ConformanceModel(BaseModel):
    conforms_to: list[str] = Field(alias="conformsTo")


class SpatialExtentModel(BaseModel):
    bbox: list[list[float]]
    crs: str


class TemporalExtentModel(BaseModel):
    interval: list[list[str | None]]
    trs: str


class ExtentModel(BaseModel):
    spatial: SpatialExtentModel | None = None
    temporal: TemporalExtentModel | None = None


class CollectionModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(examples=["cameras"])
    title: str = Field(examples=["监控 Cameras"])
    description: str
    links: list[LinkModel]
    extent: ExtentModel
    item_type: Literal["feature"] = Field(default="feature", alias="itemType")
    crs: list[str]
    storage_crs: str = Field(alias="storageCrs")


class CollectionsModel(BaseModel):
    links: list[LinkModel]
    collections: list[CollectionModel]


FeatureModel.model_rebuild()
LinkedFeatureModel.model_rebuild()
