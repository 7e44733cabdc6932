"""Writing a township's layers to files that QGIS and GDAL open without a warning.

- **GeoPackage**: one file, every layer, written as GeoPackage 1.3 (:data:`GPKG_VERSION`):
  GDAL 3.9 and newer write 1.4 by default, which QGIS 3.22's GDAL (3.6) warns about.
- **GeoJSON**: one file per layer per RFC 7946 (WGS-84 longitude/latitude, no ``crs`` member,
  counter-clockwise outer rings).
- **Shapefile**: one per layer. dBase limits a field name to 10 characters and a text value to
  254 bytes, and GDAL cuts anything longer with no more than a warning. Nothing is cut here:
  long field names take the fixed short names of :data:`SHAPEFILE_FIELD_NAMES`, and a text
  field holding a value longer than 254 bytes (a drone flight's ``times_s``) is left out of the
  ``.shp`` and written whole beside it, in ``<layer>_long_values.csv`` keyed by the layer's
  key column (UTF-8 with a BOM, so spreadsheet programs read the Chinese; QGIS joins it on the key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd

from geo.errors import InvalidInput
from geo.layers import TownshipLayers, check_township_code
from geo.paths import output_path

ExportFormat = Literal["gpkg", "geojson", "shp"]
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "gpkg": ("GPKG", ".gpkg"),
    "geojson": ("GeoJSON", ".geojson"),
    "shp": ("ESRI Shapefile", ".shp"),
}
#: The GeoPackage version written (GDAL's ``VERSION`` creation option).
GPKG_VERSION = "1.3"
#: The layers in the order they are written.
LAYER_NAMES = ("township", "villages", "roads", "cameras", "checkpoints", "drone_flights")
#: Each layer's key column, which a shapefile's long-values file is keyed by.
LAYER_KEYS = {"drone_flights": "flight_id"}
#: Short names for the layer columns longer than dBase's 10 characters.
SHAPEFILE_FIELD_NAMES = {
    "bearing_deg": "bearing",
    "installed_on": "installed",
    "altitude_source": "alt_source",
}
#: dBase's limits: characters in a field name, bytes in a text value.
DBF_NAME_CHARS = 10
DBF_TEXT_BYTES = 254


def export_layers(
    layers: TownshipLayers, directory: Path, *, fmt: ExportFormat = "gpkg"
) -> list[Path]:
    """Write every non-empty layer; GeoPackage puts them all in one file.

    Returns
    -------
    list of Path
        The files written (for a shapefile, only the ``.shp`` of each layer, and any
        ``_long_values.csv`` beside it).
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    driver, suffix = EXPORT_FORMATS[fmt]
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in LAYER_NAMES:
        frame = layers.outline if name == "township" else layers.layer(name)
        if frame.empty:
            continue
        if fmt == "gpkg":
            path = output_path(directory, f"{check_township_code(layers.info.code)}{suffix}")
            frame.to_file(path, layer=name, driver=driver, engine="pyogrio", VERSION=GPKG_VERSION)
        elif fmt == "geojson":
            path = output_path(directory, f"{name}{suffix}")
            frame.to_file(path, driver=driver, engine="pyogrio", RFC7946="YES", WRITE_NAME="NO")
        else:
            path = output_path(directory, f"{name}{suffix}")
            shp, long_values = shapefile_frames(frame, LAYER_KEYS.get(name, "code"))
            shp.to_file(path, driver=driver, engine="pyogrio", encoding="UTF-8")
            if long_values is not None:
                csv = output_path(directory, f"{name}_long_values.csv")
                long_values.to_csv(csv, index=False, encoding="utf-8-sig")
                written.append(path)
                path = csv
        if path not in written:
            written.append(path)
    return written


def _text_bytes(column: pd.Series) -> int:
    """The longest value of a column in UTF-8 bytes (0 for a column without text)."""
    texts = column[column.map(lambda v: isinstance(v, str))]
    return int(texts.map(lambda v: len(v.encode("utf-8"))).max()) if len(texts) else 0


def shapefile_frames(
    frame: gpd.GeoDataFrame, key: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame | None]:
    """The layer as a shapefile can hold it, and the values it cannot hold (or None).

    Columns holding a text longer than :data:`DBF_TEXT_BYTES` bytes move whole to the second
    frame, beside ``key``; long column names take their :data:`SHAPEFILE_FIELD_NAMES` names.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> frame = gpd.GeoDataFrame(
    ...     {"flight_id": ["f1"], "altitude_source": ["takeoff_rel"], "times_s": ["0," * 200]},
    ...     geometry=[Point(0, 0)], crs="EPSG:4326")
    >>> shp, long_values = shapefile_frames(frame, "flight_id")
    >>> list(shp.columns), list(long_values.columns)
    (['flight_id', 'alt_source', 'geometry'], ['flight_id', 'times_s'])
    """
    geometry = frame.geometry.name
    long = [c for c in frame.columns if c != geometry and _text_bytes(frame[c]) > DBF_TEXT_BYTES]
    if long and key not in frame.columns:
        raise InvalidInput(f"cannot write {', '.join(long)} to a shapefile without a {key} column")
    if long and key in long:
        raise InvalidInput(f"the {key} column holds values too long for a shapefile")
    shp = frame.drop(columns=long).rename(columns=SHAPEFILE_FIELD_NAMES)
    too_long = [c for c in shp.columns if c != geometry and len(c) > DBF_NAME_CHARS]
    if too_long:
        raise InvalidInput(
            f"field names longer than {DBF_NAME_CHARS} characters cannot be written to a "
            f"shapefile: {', '.join(too_long)}; export to gpkg or geojson instead"
        )
    long_values = pd.DataFrame(frame[[key, *long]]) if long else None
    return shp, long_values
