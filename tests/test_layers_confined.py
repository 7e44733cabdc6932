"""Crafted layers folders (issue 10, item 3): only the documented drivers read a layer file,
nothing outside the folder is read or fetched, and township codes cannot steer output files."""

from __future__ import annotations

import http.server
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from geo.errors import InvalidInput
from geo.layers import TownshipLayers, read_layers_dir
from geo.paths import output_path
from geo.store.geopackage import GeoPackageStore
from tests.conftest import LAYERS_DIR


def copy_layers(tmp_path: Path) -> Path:
    target = tmp_path / "layers"
    shutil.copytree(LAYERS_DIR, target)
    return target


def camera_vrt(source: str, layer: str, demo_layers: TownshipLayers) -> str:
    """An OGR VRT that turns each row of ``source`` into a camera inside the first village."""
    p = demo_layers.villages.geometry.iloc[0].representative_point()
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="cameras">'
        f"<SrcDataSource>{source}</SrcDataSource>"
        '<OpenOptions><OOI key="HEADERS">NO</OOI></OpenOptions>'
        f"<SrcSQL dialect=\"OGRSQL\">SELECT {layer}.*, CAST('{p.x}' AS float) AS x, "
        f"CAST('{p.y}' AS float) AS y FROM {layer}</SrcSQL>"
        "<LayerSRS>EPSG:4326</LayerSRS>"
        '<GeometryField encoding="PointFromColumns" x="x" y="y"/>'
        "</OGRVRTLayer></OGRVRTDataSource>"
    )


def test_a_vrt_reading_a_system_file_is_refused(
    tmp_path: Path, demo_layers: TownshipLayers
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("code\ns3cr3t-0\ns3cr3t-1\n", encoding="utf-8")
    folder = copy_layers(tmp_path)
    (folder / "cameras.geojson").unlink()
    (folder / "cameras.json").write_text(
        camera_vrt(f"CSV:{secret}", "secret", demo_layers).replace(
            '<OOI key="HEADERS">NO</OOI>', '<OOI key="HEADERS">YES</OOI>'
        ),
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as refused:
        read_layers_dir(folder)
    assert refused.value.source == str(folder / "cameras.json")
    assert "is not a GeoJSON file" in refused.value.detail
    assert "s3cr3t" not in refused.value.one_line()


def test_the_password_file_through_csv_is_refused(
    tmp_path: Path, demo_layers: TownshipLayers
) -> None:
    if not Path("/etc/passwd").is_file():
        pytest.skip("no /etc/passwd here")
    folder = copy_layers(tmp_path)
    (folder / "cameras.geojson").unlink()
    (folder / "cameras.json").write_text(
        camera_vrt("CSV:/etc/passwd", "passwd", demo_layers), encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match="is not a GeoJSON file"):
        read_layers_dir(folder)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - shared by the handler instances of one server
    body = b""

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def do_HEAD(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, type[_Recorder]]]:
    """An HTTP server on 127.0.0.1 serving the demo cameras and recording every request."""

    class Handler(_Recorder):
        requests: list[str] = []  # noqa: RUF012
        body = (LAYERS_DIR / "cameras.geojson").read_bytes()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_vsicurl_source_is_never_fetched(
    tmp_path: Path, loopback_server: tuple[str, type[_Recorder]]
) -> None:
    url, handler = loopback_server
    folder = copy_layers(tmp_path)
    (folder / "cameras.geojson").unlink()
    (folder / "cameras.json").write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="cameras">'
        f"<SrcDataSource>/vsicurl/{url}/cameras.geojson</SrcDataSource>"
        "</OGRVRTLayer></OGRVRTDataSource>",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="is not a GeoJSON file"):
        read_layers_dir(folder)
    assert handler.requests == []


@pytest.mark.parametrize("name", ["cameras.geojson", "township.toml"])
def test_a_symlink_out_of_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    folder = copy_layers(tmp_path)
    shutil.move(folder / name, outside / name)
    (folder / name).symlink_to(outside / name)
    with pytest.raises(InvalidInput) as refused:
        read_layers_dir(folder)
    assert refused.value.source == str(folder / name)
    assert "outside the layers folder" in refused.value.detail


def test_a_symlink_within_the_folder_is_read(tmp_path: Path) -> None:
    folder = copy_layers(tmp_path)
    (folder / "sub").mkdir()
    shutil.move(folder / "cameras.geojson", folder / "sub" / "cameras.geojson")
    (folder / "cameras.geojson").symlink_to(folder / "sub" / "cameras.geojson")
    assert len(read_layers_dir(folder).cameras) == 34


def test_a_pipe_is_not_read(tmp_path: Path) -> None:
    folder = copy_layers(tmp_path)
    (folder / "roads.geojson").unlink()
    os.mkfifo(folder / "roads.geojson")
    with pytest.raises(InvalidInput, match="not a regular file"):
        read_layers_dir(folder)


def test_every_allowed_format_is_still_read(tmp_path: Path, demo_layers: TownshipLayers) -> None:
    for driver, suffix in (("GPKG", ".gpkg"), ("FlatGeobuf", ".fgb"), ("GeoJSON", ".json")):
        folder = tmp_path / suffix[1:]
        folder.mkdir()
        shutil.copy(LAYERS_DIR / "township.toml", folder)
        demo_layers.outline.to_file(folder / f"township{suffix}", driver=driver)
        for name in ("villages", "roads", "cameras", "checkpoints"):
            demo_layers.layer(name).to_file(folder / f"{name}{suffix}", driver=driver)
        got = read_layers_dir(folder)
        assert (len(got.villages), len(got.cameras), len(got.roads)) == (7, 34, 65), suffix
    shp = tmp_path / "shp"
    shp.mkdir()
    shutil.copy(LAYERS_DIR / "township.toml", shp)
    demo_layers.outline.to_file(shp / "township.shp")
    demo_layers.villages.to_file(shp / "villages.shp", encoding="UTF-8")
    assert list(read_layers_dir(shp).villages["name"]) == list(demo_layers.villages["name"])


@pytest.mark.parametrize("code", ["../../../../x", "4331/22", "x", ""])
def test_a_township_code_that_is_not_a_division_code_is_refused(tmp_path: Path, code: str) -> None:
    folder = copy_layers(tmp_path)
    toml = (folder / "township.toml").read_text(encoding="utf-8")
    (folder / "township.toml").write_text(
        toml.replace('code = "433122207"', f'code = "{code}"'), encoding="utf-8"
    )
    with pytest.raises(InvalidInput, match="code"):
        read_layers_dir(folder)


def test_output_paths_stay_in_their_folder(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    assert output_path(maps, "433122207-2026-W47.html") == maps / "433122207-2026-W47.html"
    for bad in ("../x.html", "..", "a/b.html", "a\\b", "x\x00.html", "x\n.html"):
        with pytest.raises(InvalidInput):
            output_path(maps, bad)
    maps.mkdir()
    (maps / "link.html").symlink_to(tmp_path / "outside.html")
    with pytest.raises(InvalidInput, match="leaves the folder"):
        output_path(maps, "link.html")


def _cli(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str]:
    """Run ``geo ARGS`` in this process as the console script does; (exit status, stderr)."""
    from geo import cli
    from geo.settings import get_settings

    monkeypatch.setenv("GEO_GPKG_PATH", str(tmp_path / "geo.gpkg"))
    monkeypatch.setenv("GEO_MAPS_DIR", str(tmp_path / "a" / "b" / "c" / "maps"))
    monkeypatch.delenv("GEO_DATABASE_URL", raising=False)
    monkeypatch.delenv("GEO_TOWNSHIP", raising=False)
    monkeypatch.setattr(sys, "argv", ["geo", *args])
    get_settings.cache_clear()
    capsys.readouterr()
    try:
        cli.main()
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    finally:
        get_settings.cache_clear()
    return status, capsys.readouterr().err


def test_map_and_report_never_write_outside_the_maps_folder(
    tmp_path: Path,
    demo_layers: TownshipLayers,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A township code ``../../../../x`` in a layers folder, or already in a store written by
    an older geo: ``geo map`` and ``geo report month`` refuse it and write nothing."""
    evil = "../../../../x"
    folder = copy_layers(tmp_path)
    toml = (folder / "township.toml").read_text(encoding="utf-8")
    (folder / "township.toml").write_text(
        toml.replace('code = "433122207"', f'code = "{evil}"'), encoding="utf-8"
    )
    status, stderr = _cli(["layers", "load", str(folder)], tmp_path, monkeypatch, capsys)
    assert status == 2 and "is not a division code" in stderr
    # A store that holds such a township already (written without the check).
    GeoPackageStore(tmp_path / "geo.gpkg").save_layers(
        replace(demo_layers, info=replace(demo_layers.info, code=evil))
    )
    for args in (["map", "2026-W47"], ["report", "month", "2026-11"]):
        for extra in ([], ["--township", evil]):
            status, stderr = _cli([*args, *extra], tmp_path, monkeypatch, capsys)
            assert status == 2, (args, extra, stderr)
            assert "division code" in stderr and "Traceback" not in stderr
    written = [p for p in tmp_path.rglob("*") if p.suffix in (".html", ".pdf")]
    assert written == []
