"""Writing a township's layers to files (GeoPackage, GeoJSON or Shapefile) for QGIS."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from geo.errors import InvalidInput
from geo.layers import TownshipLayers, check_township_code
from geo.paths import output_path

ExportFormat = Literal["gpkg", "geojson", "shp"]
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "gpkg": ("GPKG", ".gpkg"),
    "geojson": ("GeoJSON", ".geojson"),
    "shp": ("ESRI Shapefile", ".shp"),
}


def export_layers(
    layers: TownshipLayers, directory: Path, *, fmt: ExportFormat = "gpkg"
) -> list[Path]:
    """Write every non-empty layer; GeoPackage puts them all in one file.

    Returns
    -------
    list of Path
        The files written.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    driver, suffix = EXPORT_FORMATS[fmt]
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    names = ["township", "villages", "roads", "cameras", "checkpoints", "drone_flights"]
    for name in names:
        frame = layers.outline if name == "township" else layers.layer(name)
        if frame.empty:
            continue
        if fmt == "gpkg":
            path = output_path(directory, f"{check_township_code(layers.info.code)}{suffix}")
            frame.to_file(path, layer=name, driver=driver, engine="pyogrio")
        else:
            path = output_path(directory, f"{name}{suffix}")
            frame.to_file(path, driver=driver, engine="pyogrio", encoding="UTF-8")
        if path not in written:
            written.append(path)
    return written
