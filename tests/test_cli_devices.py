"""``geo devices add / list / revoke`` and ``geo serve --osmand-port`` (issue 13)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from geo.devices import decode_owntracks_link, is_device_id
from tests.serve import free_port, geo_serve, gpkg_env, run_geo
from tests.test_cli import run


def test_every_devices_command_has_help_with_an_example(tmp_path: Path) -> None:
    for command in (["devices", "add"], ["devices", "list"], ["devices", "revoke"]):
        done = run([*command, "--help"], tmp_path)
        assert done.returncode == 0, command
        assert "Example" in done.stdout, command
    shown = run(["devices", "add", "--help"], tmp_path)
    assert "<traccar|owntracks|gpslogger>" in shown.stdout
    assert "--osmand-port" in run(["serve", "--help"], tmp_path).stdout


def test_devices_are_added_listed_and_revoked(tmp_path: Path) -> None:
    assert run(["layers", "load", "layers/xiaozhang"], tmp_path).returncode == 0
    made = run(
        [
            "devices",
            "add",
            "--squad",
            "squad-01",
            "--name",
            "一组 张三",
            "--url",
            "https://geo.example.cn",
            "--qr",
            "owntracks",
        ],
        tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert "will not be shown again" in made.stderr
    lines = made.stdout.splitlines()
    device_id = lines[0].removeprefix("device id: ")
    assert is_device_id(device_id)
    links = dict(line.split(": ", 1) for line in lines[1:4])
    assert links["traccar"].startswith(
        f"https://geo.example.cn/api/v1/osmand?id={device_id}&accuracy=high"
    )
    assert decode_owntracks_link(links["owntracks"])["password"] == device_id
    assert links["gpslogger"].startswith("https://geo.example.cn/api/v1/gpslogger?lat=%LAT")
    assert lines[4] == "QR code for owntracks:"
    assert len(lines) > 20 and set("".join(lines[5:])) <= set("█▀▄ ")  # the code itself

    listed = json.loads(run(["devices", "list", "--format", "json"], tmp_path).stdout)
    assert [(d["squad"], d["name"], d["crs"]) for d in listed] == [
        ("squad-01", "一组 张三", "wgs84")
    ]
    assert device_id not in json.dumps(listed)
    table = run(["devices", "list"], tmp_path)
    assert listed[0]["id"] in table.stdout and device_id not in table.stdout
    done = run(["devices", "revoke", listed[0]["id"]], tmp_path)
    assert done.returncode == 0 and "revoked device" in done.stdout
    again = json.loads(run(["devices", "list", "--format", "json"], tmp_path).stdout)
    assert again[0]["revoked_at"] is not None


def test_device_errors_are_one_line(tmp_path: Path) -> None:
    assert run(["layers", "load", "layers/xiaozhang"], tmp_path).returncode == 0
    cases = [
        (["devices", "add", "--squad", "squad-99"], "squad 'squad-99' is not"),
        (["devices", "add", "--squad", "squad-01", "--crs", "EPSG:3857"], "a phone reports"),
        (["devices", "revoke", "0123456789ab"], "no device with id 0123456789ab"),
    ]
    for args, words in cases:
        done = run(args, tmp_path)
        assert done.returncode == 2, args
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("geo: error: ") and words in lines[0], lines


def test_serve_answers_the_osmand_protocol_on_its_own_port(tmp_path: Path) -> None:
    env = gpkg_env(tmp_path / "geo.gpkg", "GEO_OSMAND_PORT")
    run_geo(env, "layers", "load", "layers/xiaozhang")
    added = run_geo(env, "devices", "add", "--squad", "squad-01")
    device_id = added.splitlines()[0].removeprefix("device id: ")
    osmand = free_port()
    with geo_serve(env, "--osmand-port", str(osmand)):
        # The demo township's first road, 09:00 local on 2026-11-18 (in the township).
        query = urlencode(
            {"id": device_id, "lat": 28.1532632, "lon": 109.8421199, "timestamp": 1794963600}
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{osmand}/?{query}", timeout=10) as answer:
            assert answer.status == 200 and answer.read() == b""
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{osmand}/healthz", timeout=10)
            raise AssertionError("the OsmAnd port serves the OsmAnd route only")
        except urllib.error.HTTPError as error:
            assert error.code == 404
    (device,) = json.loads(run_geo(env, "devices", "list", "--format", "json"))
    assert device["last_fix_at"] == "2026-11-18T01:00:00+00:00"
