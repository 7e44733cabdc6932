"""The ``geo`` command line (Typer). Every command has ``--help`` with an example.

Errors a user can fix are printed as one line (``geo: error: FILE: PLACE: PROBLEM``) with exit
status 2; nothing prints a traceback unless GEO_DEBUG=1. Options with choices (formats,
languages, engines) are ``Literal`` types: Typer refuses another value as a usage error (exit
status 2, naming the choices) and ``--help`` lists them. Each command translates its options
into one call below it (:mod:`geo.operations`, :mod:`geo.outputs`) and prints the result.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from geo.errors import GeoError, InvalidInput
from geo.i18n import Lang
from geo.weeks import IsoWeek, parse_day

if TYPE_CHECKING:  # heavy (pydantic-settings, geopandas): imported when a command runs
    from rich.progress import Progress

    from geo.dispatch.plan import PatrolPlan
    from geo.settings import Settings
    from geo.store.base import Store

app = typer.Typer(
    help="geo: patrol coverage and surveillance assets for a township (巡查覆盖与监控资产).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
layers_app = typer.Typer(help="Township layers: load and export.", no_args_is_help=True)
tracks_app = typer.Typer(help="Patrol GPS tracks: import.", no_args_is_help=True)
db_app = typer.Typer(help="PostGIS schema.", no_args_is_help=True)
drone_app = typer.Typer(help="Drone flight logs: import.", no_args_is_help=True)
keys_app = typer.Typer(
    help="API keys for the HTTP API and the dashboard: create, list, revoke.",
    no_args_is_help=True,
)
devices_app = typer.Typer(
    help="Phones sending live positions (Traccar Client, OwnTracks, GPSLogger): add, list, revoke.",
    no_args_is_help=True,
)
report_app = typer.Typer(help="Printable reports: the monthly review.", no_args_is_help=True)
audit_app = typer.Typer(
    help="The audit log: layer edits, camera status changes, API key use.", no_args_is_help=True
)
cameras_app = typer.Typer(
    help="Surveillance cameras: where the next ones go.", no_args_is_help=True
)
app.add_typer(layers_app, name="layers")
app.add_typer(tracks_app, name="tracks")
app.add_typer(db_app, name="db")
app.add_typer(drone_app, name="drone")
app.add_typer(keys_app, name="keys")
app.add_typer(devices_app, name="devices")
app.add_typer(report_app, name="report")
app.add_typer(audit_app, name="audit")
app.add_typer(cameras_app, name="cameras")
alerts_app = typer.Typer(
    help="Mid-week alerts to WeCom, DingTalk or JSON webhooks, through an outbox.",
    no_args_is_help=True,
)
app.add_typer(alerts_app, name="alerts")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

TownshipOpt = Annotated[
    str | None,
    typer.Option("--township", "-t", help="Township code (default: the store's only township)."),
]
# The choices of options: Typer refuses any other value (exit status 2, naming the choices)
# and `--help` lists them. mypy holds each to the type of the function it is passed to.
TableFormat = Literal["table", "json"]
ReportFormat = Literal["text", "json"]
CoverageFormat = Literal["table", "json", "geojson"]
ExportFormat = Literal["gpkg", "geojson", "shp"]
Method = Literal["fast", "exact"]
LangOpt = Annotated[Lang, typer.Option(help="Language of names and texts.")]
StartOpt = Annotated[
    str | None,
    typer.Option(
        "--start",
        "--date",
        help="When a log without dates (some DJI SRT) started, e.g. 2024-05-12T15:30:12 "
        "(township local time unless it has an offset); by default the DJI_YYYYMMDDhhmmss_... "
        "file name's.",
    ),
]
#: Where ``geo demo`` keeps its admin key (beside the GeoPackage store), to reuse it.
DEMO_KEY_FILE = "demo-key.txt"


def get_settings() -> Settings:
    """The settings (:func:`geo.settings.get_settings`), imported on first use for a fast start."""
    from geo.settings import get_settings as load

    return load()


def _store(settings: Settings) -> Store:
    from geo.store import open_store

    return open_store(settings.store.database_url, settings.store.gpkg_path)


def _open(township: str | None) -> tuple[Store, str]:
    """The configured store and the township to work on."""
    from geo import operations

    settings = get_settings()
    store = _store(settings)
    return store, operations.resolve_township(store, township or settings.layers.township)


def _week(text: str | None, settings: Settings, township_tz: str = "Asia/Shanghai") -> IsoWeek:
    from zoneinfo import ZoneInfo

    if text:
        return IsoWeek.parse(text)
    return IsoWeek.last_complete(datetime.now(UTC), ZoneInfo(township_tz))


def _progress(*, quiet: bool = False) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=quiet,
    )


@layers_app.command("load")
def layers_load(
    directories: Annotated[
        list[Path],
        typer.Argument(
            help="Township layers folders (with township.toml), or folders of them (a county)."
        ),
    ],
) -> None:
    """Validate townships' layers folders and load them into the store (each replacing that
    township). Every folder is checked before any is loaded: one with problems loads none.

    Example: `geo layers load layers/xiaozhang`

    Example: `geo layers load layers/county-sample` (every township folder inside it)
    """
    from geo import operations
    from geo.layers import read_layers_dir

    settings = get_settings()
    store = _store(settings)
    folders = operations.township_dirs(directories)
    read = []
    for number, folder in enumerate(folders, 1):
        err.print(f"[{number}/{len(folders)}] checking {folder}", highlight=False)
        read.append((folder, read_layers_dir(folder)))
    for number, (folder, checked) in enumerate(read, 1):
        layers = operations.import_layers_dir(store, folder, layers=checked)
        out.print(
            f"[{number}/{len(read)}] loaded {layers.info.name} ({layers.info.code}): "
            f"{len(layers.villages)} villages, "
            f"{len(layers.roads)} roads, {len(layers.cameras)} cameras, "
            f"{len(layers.checkpoints)} checkpoints, {len(layers.drone_flights)} drone flights"
        )


@layers_app.command("export")
def layers_export(
    directory: Annotated[Path, typer.Argument(help="Folder to write the layers into.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="File format.")] = "gpkg",
    township: TownshipOpt = None,
) -> None:
    """Write the stored layers of a township to files that QGIS opens.

    Example: `geo layers export --format geojson exported/`
    """
    from geo.outputs.layers_export import export_layers

    store, code = _open(township)
    written = export_layers(store.load_layers(code), directory, fmt=fmt)
    for path in written:
        out.print(str(path))


@tracks_app.command("import")
def tracks_import(
    files: Annotated[
        list[Path],
        typer.Argument(help="Track files: GPX, KML/KMZ, GeoJSON, CSV, NMEA, PLT (gzip ok)."),
    ],
    squad: Annotated[str, typer.Option("--squad", "-s", help="The squad that recorded them.")],
    crs: Annotated[
        str | None,
        typer.Option(
            help="Coordinate system: wgs84, cgcs2000, gcj02, bd09, bd09mc, a Chinese name such "
            "as 火星坐标 or 百度, or EPSG:<code>. Default: what the file names, else wgs84."
        ),
    ] = None,
    device: Annotated[str, typer.Option(help="Phone or recorder name.")] = "",
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Read, check and clean, print the report, store nothing."),
    ] = False,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="The report as text or JSON.")
    ] = "text",
    township: TownshipOpt = None,
    start: StartOpt = None,
) -> None:
    """Import patrol GPS tracks for a squad. Each file is stored whole or not at all; the same
    file imported twice is stored once. Phone apps built on Amap or Tencent write GCJ-02: say
    `--crs gcj02`.

    Example: `geo tracks import day1.gpx day2.kml --squad squad-01 --crs gcj02`

    Example: `geo tracks import --dry-run --format json phone.csv --squad squad-01`
    """
    from geo import operations
    from geo.ingest.pipeline import prepare_upload

    store, code = _open(township)
    layers = store.load_layers(code)
    failed = 0
    reports: list[dict[str, object]] = []
    with _progress(quiet=fmt == "json") as progress:
        task = progress.add_task("checking" if dry_run else "importing", total=len(files))
        for path in files:
            try:
                data = _read_file(path)
                if dry_run:
                    prepared = prepare_upload(
                        data,
                        filename=str(path),
                        layers=layers,
                        squad=squad,
                        device=device,
                        crs=crs,
                        start=start,
                    )
                    report, note = prepared.upload.report, " (dry run: nothing stored)"
                else:
                    result = operations.import_track(
                        store,
                        data,
                        filename=str(path),
                        township=code,
                        squad=squad,
                        device=device,
                        crs=crs,
                        layers=layers,
                        start=start,
                    )
                    report = result.record.report
                    note = " (already stored)" if result.record.duplicate else ""
            except GeoError as exc:
                failed += 1
                progress.console.print(f"[red]geo: error:[/red] {exc.one_line()}", highlight=False)
                reports.append({"file": str(path), "error": exc.one_line()})
            else:
                reports.append({"file": str(path), **report})
                if fmt == "text":
                    progress.console.print(
                        f"{path}: {report['format']}, "
                        f"{report['fixes_kept']}/{report['fixes_read']} fixes kept, "
                        f"{report['segments']} segment(s), "
                        f"{report['first_time']} → {report['last_time']}{note}",
                        highlight=False,
                    )
                    for warning in report.get("warnings", []):
                        text = escape(f"{path}: {warning['zh']} ({warning['en']})")
                        progress.console.print(
                            f"[yellow]geo: warning:[/yellow] {text}", highlight=False
                        )
            progress.advance(task)
    if fmt == "json":
        body = reports[0] if len(reports) == 1 else reports
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    if failed:
        raise typer.Exit(2)


@drone_app.command("import")
def drone_import(
    files: Annotated[list[Path], typer.Argument(help="DJI SRT, AirData CSV, GPX or KML logs.")],
    crs: Annotated[
        str, typer.Option(help="Coordinate system of the logs (DJI writes wgs84).")
    ] = "wgs84",
    hfov: Annotated[float, typer.Option(help="Camera horizontal field of view, degrees.")] = 84.0,
    drone: Annotated[str, typer.Option(help="Aircraft name, e.g. 'DJI Mavic 3E'.")] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and check, print the report, store nothing.")
    ] = False,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="The report as text or JSON.")
    ] = "text",
    township: TownshipOpt = None,
    start: StartOpt = None,
) -> None:
    """Import drone flight logs as flights (the same log twice is one flight). SRT times are
    the aircraft's clock and are read as township local time; an SRT without dates takes them
    from its DJI file name or `--start`. Heights are above take-off: from the log's own height,
    or its altitude above sea level minus the take-off point's; the report says which.

    Example: `geo drone import DJI_0001.SRT flight.csv --drone "DJI Mavic 3E"`

    Example: `geo drone import clip.SRT --start 2024-05-12T15:30:12`
    """
    from geo import operations

    store, code = _open(township)
    layers = store.load_layers(code)
    failed = 0
    reports: list[dict[str, object]] = []
    for path in files:
        try:
            result = operations.import_flight(
                store,
                _read_file(path),
                filename=str(path),
                township=code,
                crs=crs,
                hfov_deg=hfov,
                drone=drone,
                layers=layers,
                dry_run=dry_run,
                start=start,
            )
        except GeoError as exc:
            failed += 1
            err.print(f"[red]geo: error:[/red] {exc.one_line()}", highlight=False)
            reports.append({"file": str(path), "error": exc.one_line()})
            continue
        reports.append({"file": str(path), "flight_id": result.flight_id, **result.report})
        if fmt == "text":
            state = "dry run" if dry_run else ("stored" if result.stored else "already stored")
            r = result.report
            out.print(
                f"{path}: flight {result.flight_id} ({state}), {r['format']}, "
                f"{r['fixes_kept']}/{r['fixes_read']} positions, "
                f"{r['first_time']} → {r['last_time']}, height {r['altitude_source']}, "
                f"swath {r['swath_m']} m",
                highlight=False,
            )
    if fmt == "json":
        body = reports[0] if len(reports) == 1 else reports
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    if failed:
        raise typer.Exit(2)


def _read_file(path: Path) -> bytes:
    from geo.errors import InvalidFile

    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidFile("no such file", source=str(path)) from None
    except IsADirectoryError:
        raise InvalidFile("is a folder, not a file", source=str(path)) from None
    except PermissionError:
        raise InvalidFile("permission denied", source=str(path)) from None


@app.command()
def simulate(
    week: Annotated[str, typer.Argument(help="ISO week, e.g. 2026-W47.")],
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the GPX files.")
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same week.")
    ] = 2026,
    township: TownshipOpt = None,
) -> None:
    """Simulate a realistic week of patrols as GPX files (one per squad and day), including a
    half-covered village, a phone silent for a day, one silent all week and GPS spikes.

    Example: `geo simulate 2026-W47 --out var/simulated/2026-W47`
    """
    from geo.paths import output_path
    from geo.simulate import default_plan, simulate_week, write_week

    store, code = _open(township)
    layers = store.load_layers(code)
    iso = IsoWeek.parse(week)
    tracks = simulate_week(layers, iso, default_plan(layers, seed=seed))
    directory = output or output_path(get_settings().output.simulate_dir, str(iso))
    paths = write_week(tracks, directory)
    fixes = sum(len(t.fixes) for t in tracks)
    out.print(f"wrote {len(paths)} GPX files ({fixes:,} fixes) to {directory}")


def print_coverage(result_dict: dict[str, object], *, lang: Lang = "zh") -> None:
    """Print the weekly table."""
    zh = lang == "zh"
    status = {
        "pass": ("达标", "pass"),
        "fail": ("未达标", "FAIL"),
        "no_data": ("无数据", "no data"),
    }
    table = Table(
        title=f"{result_dict['week']} " + ("周覆盖" if zh else "weekly coverage"),
        show_lines=False,
    )
    for header in (
        ("村", "village"),
        ("中队", "squad"),
        ("结论", "verdict"),
        ("天数", "days"),
        ("公里", "km"),
        ("道路", "roads"),
        ("面积", "area"),
        ("必到点", "checkpts"),
    ):
        table.add_column(header[0] if zh else header[1], no_wrap=True)
    villages = result_dict["villages"]
    assert isinstance(villages, list)
    notes: list[str] = []
    for v in villages:
        road = "—" if v["road_coverage"] is None else f"{v['road_coverage']:.0%}"
        label = status[v["status"]][0 if zh else 1]
        colour = {"pass": "green", "fail": "red", "no_data": "yellow"}[v["status"]]
        name = v["name"] if zh else (v["name_en"] or v["name"])
        table.add_row(
            name,
            v["squad"],
            f"[{colour}]{label}[/{colour}]",
            str(v["patrol_days"]),
            f"{v['distance_km']:.1f}",
            road,
            f"{v['area_coverage']:.0%}",
            f"{v['checkpoints_visited']}/{v['checkpoints_total']}",
        )
        notes.extend(f"  {name}: {r['zh' if zh else 'en']}" for r in v["reasons"])
    out.print(table)
    if notes:
        out.print("原因：" if zh else "Reasons:")
        for note in notes:
            out.print(note, highlight=False)
    passed, total = result_dict["villages_passed"], result_dict["villages_total"]
    verdict = result_dict["meets_requirement"]
    if zh:
        out.print(f"全乡{'达标' if verdict else '未达标'}：{passed}/{total} 个村达标")
    else:
        out.print(f"Township {'passes' if verdict else 'fails'}: {passed}/{total} villages pass")


@app.command()
def coverage(
    week: Annotated[str, typer.Argument(help="ISO week, e.g. 2026-W47.")],
    fmt: Annotated[
        CoverageFormat,
        typer.Option("--format", "-f", help="The table, JSON, or GeoJSON (the ranked gaps)."),
    ] = "table",
    refresh: Annotated[
        bool, typer.Option(help="Compute again even if a stored result is current.")
    ] = False,
    method: Annotated[
        Method, typer.Option(help="The engine: fast, or exact (the vector reference, slower).")
    ] = "fast",
    lang: LangOpt = "zh",
    township: TownshipOpt = None,
) -> None:
    """The weekly rule (周覆盖) for every village: verdict, patrol days, road and area coverage,
    checkpoints and reasons; or the week's ranked gaps as GeoJSON.

    Examples: `geo coverage 2026-W47 --format json`,
    `geo coverage 2026-W47 --format geojson > gaps.geojson`
    """
    from geo import operations

    store, code = _open(township)
    started = time.perf_counter()
    result = operations.week_coverage(
        store, code, IsoWeek.parse(week), refresh=refresh, method=method
    )
    elapsed = time.perf_counter() - started
    if fmt == "json":
        table = result.model_dump(mode="json")
        sys.stdout.write(json.dumps(table, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "geojson":
        gaps = result.gaps_geojson().model_dump(mode="json")
        sys.stdout.write(json.dumps(gaps, ensure_ascii=False) + "\n")
    else:
        print_coverage(result.model_dump(mode="json"), lang=lang)
        label = "用时" if lang == "zh" else "took"
        typer.echo(f"{label} {elapsed:.2f} s ({result.method})", err=True)


@app.command()
def daily(
    day: Annotated[str, typer.Argument(help="Local date, e.g. 2026-11-18.")],
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output.")] = "table",
    township: TownshipOpt = None,
) -> None:
    """The daily view (日巡查): per squad, minutes and km on patrol, villages entered and
    whether it met the daily minimum.

    Example: `geo daily 2026-11-18 --format json`
    """
    from geo import operations

    store, code = _open(township)
    body = operations.day_coverage(store, code, parse_day(day)).model_dump(mode="json")
    if fmt == "json":
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{body['date']} 日巡查")
    for header in ("中队", "结论", "分钟", "公里", "本村分钟", "到过的村"):
        table.add_column(header, no_wrap=True)
    labels = {
        "pass": "[green]达标[/green]",
        "fail": "[red]未达标[/red]",
        "no_data": "[yellow]无数据[/yellow]",
    }
    for s in body["squads"]:
        own = "—" if s["minutes_in_own_village"] is None else f"{s['minutes_in_own_village']:.0f}"
        table.add_row(
            s["squad"],
            labels[s["status"]],
            f"{s['minutes']:.0f}",
            f"{s['distance_km']:.1f}",
            own,
            str(len(s["villages_entered"])),
        )
    out.print(table)
    out.print(f"{body['squads_passed']}/{body['squads_total']} 个中队达标")


@app.command()
def monthly(
    month: Annotated[str, typer.Argument(help="Month, e.g. 2026-11.")],
    township: TownshipOpt = None,
) -> None:
    """The monthly review (月调度) as JSON: weekly verdicts per village, coverage trends,
    gaps that persisted two or more weeks, squad effort.

    Example: `geo monthly 2026-11 > 2026-11.json`
    """
    from geo import operations

    store, code = _open(township)
    body = operations.month_coverage(store, code, month).model_dump(mode="json")
    sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")


@app.command("county")
def county_cmd(
    weeks: Annotated[
        str | None,
        typer.Option(
            "--weeks",
            "-w",
            help="ISO weeks: 2026-W47, a span 2026-W44..2026-W47 or a comma list (default: the "
            "last 4 complete weeks).",
        ),
    ] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output.")] = "table",
    lang: LangOpt = "zh",
) -> None:
    """The county view (县级总览): every township of the store by week, each cell the
    township's verdict and villages passed (each township by its own rules and time zone).

    Example: `geo county --weeks 2026-W44..2026-W47`
    """
    from geo import operations
    from geo.coverage.county import parse_weeks

    store = _store(get_settings())
    view = operations.county_coverage(store, parse_weeks(weeks) if weeks else None)
    if fmt == "json":
        sys.stdout.write(
            json.dumps(view.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
        )
        return
    zh = lang == "zh"
    labels = {
        "pass": ("[green]达标[/green]", "[green]pass[/green]"),
        "fail": ("[red]未达标[/red]", "[red]FAIL[/red]"),
        "no_data": ("[yellow]无数据[/yellow]", "[yellow]no data[/yellow]"),
    }
    table = Table(title="县级总览" if zh else "County view")
    table.add_column("乡镇" if zh else "township", no_wrap=True)
    for week in view.weeks:
        table.add_column(week, no_wrap=True)
    for row in view.townships:
        name = row.name if zh else (row.name_en or row.name)
        cells = [
            f"{labels[c.status][0 if zh else 1]} {c.villages_passed}/{c.villages_total}"
            for c in (row.weeks[w] for w in view.weeks)
        ]
        table.add_row(f"{name} ({row.township_code})", *cells)
    out.print(table)


@report_app.command("month")
def report_month(
    month: Annotated[str, typer.Argument(help="Month, e.g. 2026-11.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: under GEO_MAPS_DIR)."),
    ] = None,
    lang: LangOpt = "zh",
    pdf: Annotated[bool, typer.Option("--pdf", help="Write PDF (A4) instead of HTML.")] = False,
    township: TownshipOpt = None,
    county: Annotated[
        bool,
        typer.Option("--county", help="The county's report: every township by week."),
    ] = False,
) -> None:
    """Write the monthly review report (月调度) for the monthly meeting: each village's weekly
    verdicts, coverage trends, gaps that persisted two or more weeks, squad effort and cameras
    offline. A self-contained HTML page that prints on A4, or a PDF with `--pdf`.

    Example: `geo report month 2026-11`

    Example: `geo report month 2026-11 --lang en --pdf -o 2026-11.pdf`

    Example: `geo report month 2026-11 --county` (every township of the store by week)
    """
    from geo import operations
    from geo.outputs.monthly_report import monthly_report_pdf, report_filename
    from geo.paths import output_path

    if county:
        if township:
            raise InvalidInput("--county and --township: choose one")
        store = _store(get_settings())
        name = report_filename("county", month, pdf=pdf)
        html = operations.county_report(store, month, lang=lang)
    else:
        store, code = _open(township)
        name = report_filename(code, month, pdf=pdf)
        html = operations.month_report(store, code, month, lang=lang)
    path = output or output_path(get_settings().output.maps_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if pdf:
        path.write_bytes(monthly_report_pdf(html))
    else:
        path.write_text(html, encoding="utf-8")
    out.print(str(path), highlight=False)


@app.command()
def plan(
    week: Annotated[str, typer.Argument(help="ISO week to plan, e.g. 2026-W48.")],
    squad: Annotated[str | None, typer.Option("--squad", "-s", help="This squad only.")] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output.")] = "table",
    gpx_dir: Annotated[
        Path | None,
        typer.Option("--gpx-dir", help="Also write each squad's day as GPX into this folder."),
    ] = None,
    sheet: Annotated[
        Path | None,
        typer.Option("--sheet", help="Also write each squad's printable A4 sheet (HTML) here."),
    ] = None,
    lang: LangOpt = "zh",
    township: TownshipOpt = None,
) -> None:
    """Next week's patrol plan (月调度): for each squad and day a route from its base over the
    roads it left uncovered, its missed mandatory checkpoints and its other roads, within its
    usual minutes; made from the four weeks before WEEK. The table ends with each village's
    road coverage last week and if the plan is walked.

    Example: `geo plan 2026-W48 --squad squad-06 --gpx-dir gpx/ --sheet sheets/`

    Example: `geo plan 2026-W48 --format json > plan.json`
    """
    from geo import operations

    store, code = _open(township)
    started = time.perf_counter()
    result = operations.patrol_plan(store, code, IsoWeek.parse(week), squad=squad)
    elapsed = time.perf_counter() - started
    if gpx_dir is not None:
        _write_plan_gpx(result, gpx_dir)
    if sheet is not None:
        _write_plan_sheets(result, store, code, sheet, lang)
    if fmt == "json":
        body = result.model_dump(mode="json")
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    print_plan(result.model_dump(mode="json"), result.rows(), lang=lang)
    label = "用时" if lang == "zh" else "took"
    typer.echo(f"{label} {elapsed:.2f} s", err=True)


@alerts_app.command("run")
def alerts_run(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Last day counted, YYYY-MM-DD (default: today, local)."),
    ] = None,
    township: TownshipOpt = None,
) -> None:
    """Judge the week so far, enqueue its alerts (once per target, day and villages at
    risk) and send every due message of the outbox to the webhooks of GEO_ALERT_TARGETS. A
    failed send stays pending and is retried by a later run, with exponential backoff; a
    sent message is never sent again. Nothing schedules this inside `geo serve`: run it from
    a systemd timer or cron (docs/dispatch.md).

    Example (cron, 18:00 every day): `0 18 * * * cd /srv/geo && geo alerts run`

    Example: `geo alerts run --as-of 2026-11-26 --township 433122207`
    """
    from geo import operations
    from geo.weeks import parse_day

    settings = get_settings()
    store, code = _open(township)
    if not settings.alerts.alert_targets:
        typer.echo("GEO_ALERT_TARGETS is empty: no alert is enqueued or sent", err=True)
    done = operations.run_alerts(
        store,
        code,
        settings.alerts.alert_targets,
        as_of=None if as_of is None else parse_day(as_of),
        timeout=settings.alerts.alert_timeout_seconds,
    )
    typer.echo(
        f"{done.week} as of {done.as_of}: {done.villages_at_risk} villages at risk, "
        f"{done.enqueued} enqueued, {done.sent} sent, {done.failed} failed, "
        f"{done.pending} pending"
    )
    if done.failed:
        raise typer.Exit(1)


def print_plan(
    body: dict[str, object], rows: list[dict[str, object]], *, lang: Lang = "zh"
) -> None:
    """Print the plan's table (one row per squad and day) and the coverage it reaches."""
    zh = lang == "zh"
    table = Table(title=f"{body['week']} " + ("巡查计划" if zh else "patrol plan"))
    for header in (
        ("中队", "squad"),
        ("天", "day"),
        ("公里", "km"),
        ("分钟", "min"),
        ("缺口公里", "gap km"),
        ("常规公里", "routine km"),
        ("必到点", "checkpoints"),
        ("起点", "base"),
    ):
        table.add_column(header[0] if zh else header[1], no_wrap=True)
    for row in rows:
        checkpoints = row["checkpoints"]
        assert isinstance(checkpoints, list)
        table.add_row(
            str(row["squad"]),
            str(row["day"]),
            f"{row['km']:.1f}",
            str(row["minutes"]),
            f"{row['gap_km']:.1f}",
            f"{row['routine_km']:.1f}",
            "、".join(checkpoints) if zh else ", ".join(checkpoints),
            str(row["base"]) or "—",
        )
    out.print(table)
    reach = Table(title="道路覆盖率：上周 → 按计划" if zh else "Road coverage: last week → planned")
    for header in (("村", "village"), ("中队", "squad"), ("上周", "last week"), ("计划", "plan")):
        reach.add_column(header[0] if zh else header[1], no_wrap=True)
    villages = body["villages"]
    assert isinstance(villages, list)
    for v in villages:
        reach.add_row(
            v["name"],
            v["squad"],
            "—" if v["last_week"] is None else f"{v['last_week']:.0%}",
            "—" if v["planned"] is None else f"{v['planned']:.0%}",
        )
    out.print(reach)
    # Over the township: road kilometres reached, last week and if the plan is walked.
    known = [v for v in villages if v["last_week"] is not None and v["planned"] is not None]
    road_km = sum(v["road_length_km"] for v in known)
    if road_km > 0:
        last = sum(v["last_week"] * v["road_length_km"] for v in known) / road_km
        planned = sum(v["planned"] * v["road_length_km"] for v in known) / road_km
        label = "全乡道路覆盖率" if zh else "Township road coverage"
        out.print(f"{label}: {last:.0%} → {planned:.0%}")
    squads = body["squads"]
    assert isinstance(squads, list)
    unplanned = [u for s in squads for u in s["unplanned"] if u["kind"] != "routine"]
    length = body["length_m"]
    assert isinstance(length, float | int)
    if zh:
        out.print(f"合计 {length / 1000:.1f} 公里；未能安排的必做项 {len(unplanned)} 个")
    else:
        out.print(f"Total {length / 1000:.1f} km; required work left unplanned: {len(unplanned)}")


def _write_plan_gpx(result: PatrolPlan, directory: Path) -> None:
    from geo.dispatch.gpx import plan_gpx
    from geo.paths import output_path

    files = plan_gpx(result)
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        output_path(directory, name, what="squad or week").write_bytes(data)
    err.print(f"wrote {len(files)} GPX files to {directory}", highlight=False)


def _write_plan_sheets(
    result: PatrolPlan, store: Store, township: str, directory: Path, lang: Lang
) -> None:
    from geo.outputs.plan_sheet import plan_sheet_html, sheet_filename
    from geo.paths import output_path

    layers = store.load_layers(township)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    for squad in result.squads:
        path = output_path(
            directory, sheet_filename(township, result.week, squad.squad), what="squad or week"
        )
        html = plan_sheet_html(result, squad.squad, layers, lang=lang, generated_at=now)
        path.write_text(html, encoding="utf-8")
    err.print(f"wrote {len(result.squads)} plan sheets to {directory}", highlight=False)


@cameras_app.command("suggest")
def cameras_suggest(
    count: Annotated[int, typer.Option("--count", "-k", min=1, max=100, help="Sites (K).")] = 3,
    village: Annotated[
        str | None, typer.Option("--village", help="Only this village (its code).")
    ] = None,
    week: Annotated[
        str | None,
        typer.Option(
            help="Place them over this week's area gaps (default: the villages minus what the "
            "cameras online now see)."
        ),
    ] = None,
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output.")] = "table",
    township: TownshipOpt = None,
) -> None:
    """Where the next K cameras go: sites along the roads adding the most uncovered area
    (greedy maximal coverage with the cameras' sector model), best first, each with its
    bearing and the area it adds.

    Example: `geo cameras suggest --count 5 --week 2026-W47`

    Example: `geo cameras suggest --count 2 --village 433122207206 --format json`
    """
    from geo import operations

    store, code = _open(township)
    iso = IsoWeek.parse(week) if week else None
    found = operations.camera_suggestions(store, code, count=count, village=village, week=iso)
    body = found.model_dump(mode="json")
    if fmt == "json":
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="建议摄像头位置 suggested camera sites")
    for header in (
        "序 rank",
        "村 village",
        "道路 road",
        "经度 lon",
        "纬度 lat",
        "朝向 bearing",
        "新增 m²",
    ):
        table.add_column(header, no_wrap=True)
    for site in body["sites"]:
        lon, lat = site["point"]["coordinates"]
        table.add_row(
            str(site["rank"]),
            site["village_code"],
            site["road_code"],
            f"{lon:.6f}",
            f"{lat:.6f}",
            f"{site['bearing_deg']:.0f}°",
            f"{site['added_m2']:,.0f}",
        )
    out.print(table)
    out.print(
        f"未覆盖 uncovered: {body['uncovered_m2']:,.0f} m² → {body['uncovered_after_m2']:,.0f} m²"
    )


@app.command("map")
def map_command(
    week: Annotated[str, typer.Argument(help="ISO week, e.g. 2026-W47.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="HTML file to write.")
    ] = None,
    township: TownshipOpt = None,
) -> None:
    """Write the week's coverage map (villages by verdict, gaps, tracks, cameras) as HTML.

    Example: `geo map 2026-W47 -o maps/2026-W47.html`
    """
    settings = get_settings()
    path = write_week_map(settings, IsoWeek.parse(week), township, output)
    out.print(f"wrote {path}")


def write_week_map(
    settings: Settings, week: IsoWeek, township: str | None, output: Path | None
) -> Path:
    """Write the week's map (:func:`geo.operations.week_map`) to a file; return the file."""
    from geo import operations
    from geo.paths import output_path

    store = _store(settings)
    code = operations.resolve_township(store, township or settings.layers.township)
    path = output or output_path(settings.output.maps_dir, f"{code}-{week}.html")
    page = operations.week_map(store, code, week, tianditu_key=settings.output.tianditu_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page.html, encoding="utf-8")
    return path


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Server processes (uvicorn workers). Default: one per CPU on PostGIS; one on "
            "the GeoPackage store, which has a single writer and refuses more.",
        ),
    ] = None,
    osmand_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Also serve the OsmAnd protocol (OsmAnd, Traccar Client) at / on this port, "
            "as Traccar's own server does on 5055 (docs/phones.md).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API and the dashboard on the configured store. Every route but the
    health checks, the sign-in page and the tracker apps' endpoints (a device id is their
    credential) needs an API key (`geo keys create`).

    Example: `geo serve --port 8000`, then open http://127.0.0.1:8000/docs

    Example: `GEO_DATABASE_URL=postgresql+psycopg://geo@db/geo geo serve --workers 4`

    Example: `geo serve --host 0.0.0.0 --osmand-port 5055` (Traccar Client's server URL:
    http://<host>:5055)
    """
    import uvicorn

    from geo.api.request_id import log_config
    from geo.errors import InvalidInput, StoreUnavailable

    settings = get_settings()
    postgis = bool(settings.store.database_url)
    if workers is None:
        workers = (os.cpu_count() or 1) if postgis else 1
    elif workers > 1 and not postgis:
        raise InvalidInput(
            f"--workers {workers}: the GeoPackage store has a single writer, so it is served "
            "by one process; use PostGIS (GEO_DATABASE_URL) for more"
        )
    try:
        no_keys = not _store(settings).api_keys()
    except StoreUnavailable:
        no_keys = False  # /readyz says so; serve anyway
    if no_keys:
        err.print(
            "尚无访问密钥 no API keys yet: every route but /healthz answers 401; create one "
            "with: geo keys create --role admin --name me",
            highlight=False,
        )
    # By name, so that each worker process builds its own app (store, caches, ingest threads)
    # from the same environment.
    options = {
        "factory": True,
        "workers": workers,
        "host": host or settings.server.host,
        "port": port or settings.server.port,
        "log_level": "info",
        "log_config": log_config("info"),
    }
    if osmand_port is None:
        uvicorn.run("geo.api.app:served_app", **options)  # type: ignore[arg-type]
        return
    _serve_with_osmand_port(options, osmand_port)


def _serve_with_osmand_port(options: dict[str, object], osmand_port: int) -> None:
    """Serve the app on its port and on ``osmand_port`` (one server, both sockets; the app
    answers the OsmAnd protocol at ``/`` on the second: :class:`geo.api.routers.phones.
    OsmAndPort`), with the workers asked for."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from geo.settings import get_settings as load

    os.environ["GEO_OSMAND_PORT"] = str(osmand_port)  # read by each worker's settings
    load.cache_clear()
    config = uvicorn.Config("geo.api.app:served_app", **options)  # type: ignore[arg-type]
    second = uvicorn.Config("geo.api.app:served_app", host=config.host, port=osmand_port)
    sockets = [config.bind_socket(), second.bind_socket()]
    server = uvicorn.Server(config)
    if config.workers > 1:
        Multiprocess(config, sockets=sockets).run()
    else:
        server.run(sockets=sockets)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="patrol, planner, leader or admin.")],
    name: Annotated[str, typer.Option(help="Who or what holds the key (shown in lists).")] = "",
    squad: Annotated[
        str | None, typer.Option(help="A patrol key's squad (required for patrol).")
    ] = None,
    township: Annotated[
        str | None,
        typer.Option(
            "--township",
            "-t",
            help="The township a patrol, leader or planner key acts for (a patrol key's default: "
            "the store's only township; a leader's or planner's: none, the whole county).",
        ),
    ] = None,
) -> None:
    """Create an API key and print it once: only its hash is stored, so it cannot be shown
    again. Patrol keys upload and read their own squad's tracks; planner and leader keys read
    coverage, maps and tracks (the dashboard); admin keys do everything.

    Example: `geo keys create --role patrol --squad squad-01 --name "squad-01 phone"`

    Example: `geo keys create --role leader --name "王乡长"` (a county key: every township)

    Example: `geo keys create --role leader --township 433122207 --name "王乡长"` (that
    township only)
    """
    from geo import access

    store = _store(get_settings())
    token, key = access.create_key(store, role=role, name=name, squad=squad, township=township)
    if key.squad:
        scope = f" for {key.squad} of township {key.township}"
    else:
        scope = f" for township {key.township}" if key.township else " for the county"
    err.print(
        f"created {key.role.value} key {key.key_id}{scope}. "
        "保存好这个密钥，它不会再显示 (store it now: it will not be shown again):",
        highlight=False,
    )
    out.print(token, highlight=False)


@keys_app.command("list")
def keys_list(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output.")] = "table",
) -> None:
    """List the API keys (never their secrets), revoked ones included.

    Example: `geo keys list --format json`
    """
    keys = [k.listing() for k in _store(get_settings()).api_keys()]
    if fmt == "json":
        out.print_json(json.dumps(keys, ensure_ascii=False))
        return
    table = Table(title="API keys")
    for column in (
        "key_id",
        "name",
        "role",
        "township",
        "squad",
        "created",
        "last used",
        "revoked",
    ):
        table.add_column(column)
    for k in keys:
        table.add_row(
            k["key_id"],
            k["name"],
            k["role"],
            k["township"] or "",
            k["squad"] or "",
            k["created_at"],
            k["last_used_at"] or "",
            k["revoked_at"] or "",
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `geo keys list` shows it.")],
) -> None:
    """Revoke an API key: it stops working at once, for the API and for signed-in browsers.

    Example: `geo keys revoke 3f9a1c0b7e21`
    """
    from geo import access

    key = access.revoke_key(_store(get_settings()), key_id)
    when = f"{key.revoked_at:%Y-%m-%d %H:%M:%S} UTC" if key.revoked_at else ""
    out.print(f"revoked {key.role.value} key {key.key_id} ({key.name}) at {when}")


SetupAppName = Literal["traccar", "owntracks", "gpslogger"]


@devices_app.command("add")
def devices_add(
    squad: Annotated[str, typer.Option(help="The squad whose phone this is.")],
    name: Annotated[str, typer.Option(help="A label for people (shown in lists).")] = "",
    crs: Annotated[
        str,
        typer.Option(
            help="What the phone's app reports: wgs84 (plain Android), gcj02 or bd09 (a ROM "
            "or SDK based on Amap or Baidu)."
        ),
    ] = "wgs84",
    url: Annotated[
        str | None,
        typer.Option(
            help="The server's address as the phone reaches it, e.g. https://geo.example.cn "
            "(default: http://<GEO_HOST>:<GEO_PORT>)."
        ),
    ] = None,
    qr: Annotated[
        SetupAppName, typer.Option(help="The app whose set-up QR code is printed.")
    ] = "traccar",
    township: TownshipOpt = None,
) -> None:
    """Register a phone of a squad and print its set-up links and a QR code to scan. The
    device id is shown this once: only its hash is stored (a lost phone is revoked and a new
    id issued). docs/phones.md says how each app is set up.

    Example: `geo devices add --squad squad-01 --name "一组 张三" --url https://geo.example.cn`

    Example: `geo devices add --squad squad-02 --crs gcj02 --qr owntracks`
    """
    from geo import phones
    from geo.devices import qr_text

    settings = get_settings()
    store = _store(settings)
    new, device = phones.register_device(
        store, squad=squad, name=name, crs=crs, township=township or settings.layers.township
    )
    base = url or f"http://{settings.server.host}:{settings.server.port}"
    links = {
        app: phones.setup_payload(store, app, new.device_id, base)
        for app in ("traccar", "owntracks", "gpslogger")
    }
    err.print(
        f"registered device {device.public_id} of {device.squad} (township {device.township}, "
        f"{device.crs}). 保存好设备编号，它不会再显示 (store it now: it will not be shown again):",
        highlight=False,
    )
    out.print(f"device id: {new.device_id}", highlight=False)
    for app, link in links.items():
        out.print(f"{app}: {link}", highlight=False, soft_wrap=True)
    out.print(f"QR code for {qr}:", highlight=False)
    out.print(qr_text(links[qr]), highlight=False, end="")


@devices_app.command("list")
def devices_list(
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output.")] = "table",
    township: Annotated[
        str | None, typer.Option("--township", "-t", help="Only this township's phones.")
    ] = None,
) -> None:
    """List the registered phones (never their ids), revoked ones included, with their last
    fix and battery.

    Example: `geo devices list --format json`
    """
    devices = [d.listing() for d in _store(get_settings()).devices(township)]
    if fmt == "json":
        out.print_json(json.dumps(devices, ensure_ascii=False))
        return
    table = Table(title="Devices")
    columns = ("id", "township", "squad", "name", "crs", "created_at", "last_fix_at")
    for column in (*columns, "battery", "revoked_at"):
        table.add_column(column)
    for d in devices:
        battery = d["last_battery"]
        table.add_row(
            *(str(d[c] or "") for c in columns),
            "" if battery is None else f"{battery:.0f}%",
            str(d["revoked_at"] or ""),
        )
    out.print(table)


@devices_app.command("revoke")
def devices_revoke(
    device: Annotated[
        str, typer.Argument(help="The device's id as `geo devices list` shows it (or its id).")
    ],
) -> None:
    """Revoke a phone (lost, or handed on): its app is refused (401) from now on; what it sent
    before stays.

    Example: `geo devices revoke 3f9a1c0b7e21`
    """
    from geo import phones

    revoked = phones.revoke_device(_store(get_settings()), device)
    when = f"{revoked.revoked_at:%Y-%m-%d %H:%M:%S} UTC" if revoked.revoked_at else ""
    out.print(f"revoked device {revoked.public_id} of {revoked.squad} ({revoked.name}) at {when}")


@audit_app.command("list")
def audit_list(
    since: Annotated[
        str | None,
        typer.Option(help="Only entries at or after this date or time (ISO; no offset: UTC)."),
    ] = None,
    township: Annotated[
        str | None, typer.Option("--township", "-t", help="Only entries of this township.")
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=100_000, help="At most this many entries, newest first.")
    ] = 50,
    fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="Output.")] = "table",
) -> None:
    """List the audit log, newest first: who (an API key id, or cli) loaded or edited layers,
    changed a camera's status, created, revoked or used an API key, and when.

    Example: `geo audit list --since 2026-11-20 --township 433122207`

    Example: `geo audit list --limit 500 --format json > audit.json`
    """
    from geo import operations
    from geo.errors import InvalidInput

    start = None
    if since:
        try:
            start = datetime.fromisoformat(since.strip())
        except ValueError:
            raise InvalidInput(
                f"--since {since!r} is not a date or time; write it like 2026-11-20 or "
                "2026-11-20T08:00+08:00"
            ) from None
    store = _store(get_settings())
    entries = [
        e.to_dict()
        for e in operations.audit_entries(store, since=start, township=township, limit=limit)
    ]
    if fmt == "json":
        sys.stdout.write(json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="审计日志 audit log")
    for column in ("at (UTC)", "actor", "township", "action", "target", "detail"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            e["at"][:19].replace("T", " "),
            e["actor"],
            e["township"] or "",
            e["action"],
            e["target"],
            json.dumps(e["detail"], ensure_ascii=False),
        )
    out.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the PostGIS schema to this version (needs GEO_DATABASE_URL).

    Example: `GEO_DATABASE_URL=postgresql+psycopg://geo@127.0.0.1/geo geo db upgrade`
    """
    from geo.errors import InvalidInput
    from geo.store.migrate import upgrade

    url = get_settings().store.database_url
    if not url:
        raise InvalidInput(
            "GEO_DATABASE_URL is not set: the embedded GeoPackage store needs no migration"
        )
    out.print(f"PostGIS schema at revision {upgrade(url)}")


@db_app.command("prune")
def db_prune(
    before: Annotated[
        str,
        typer.Option(help="Remove the fixes timed before this month (YYYY-MM, UTC months)."),
    ],
    yes: Annotated[
        bool, typer.Option("--yes", help="Remove them; without it, only list what would go.")
    ] = False,
) -> None:
    """Retention of raw fixes: list, then remove, the stored fixes before a month. PostGIS
    drops those months' partitions whole; the embedded GeoPackage deletes the rows. Uploads,
    their tracks and stored weekly results stay. The audit log records what was removed.

    Example: `geo db prune --before 2024-01` (lists), then `geo db prune --before 2024-01 --yes`
    """
    from geo import operations

    parts = operations.prune_fixes(_store(get_settings()), before, apply=yes)
    verb = "removed" if yes else "would remove"
    for part in parts:
        how = "whole partition" if part.dropped else "rows by time"
        out.print(f"{verb} {part.rows} fixes: {part.name} ({how})")
    total = sum(p.rows for p in parts)
    out.print(f"{verb} {total} fixes before {before.strip()} in {len(parts)} place(s)")
    if parts and not yes:
        out.print("nothing removed yet; add --yes to remove them")


@app.command()
def demo(
    week: Annotated[
        str | None, typer.Option(help="ISO week to simulate (default: the last complete week).")
    ] = None,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API when done.")
    ] = True,
    layers_dir: Annotated[Path | None, typer.Option(help="Layers folder to load.")] = None,
) -> None:
    """The whole path on the demo township: load layers, simulate a week of patrols, import it,
    compute the weekly verdicts, write the map, print the table, then serve.

    Example: `geo demo --week 2026-W47 --no-serve`
    """
    from geo import operations
    from geo.paths import output_path

    settings = get_settings()
    store = _store(settings)
    directory = layers_dir or settings.layers.layers_dir
    layers = operations.import_layers_dir(store, directory)
    out.print(f"layers: {layers.info.name} ({layers.info.code}) from {directory}")
    iso = _week(week, settings, layers.info.timezone)
    gpx_dir = output_path(settings.output.simulate_dir, str(iso))
    with _progress() as progress:
        task = progress.add_task(f"simulating and importing {iso}", total=None)
        paths = operations.simulate_and_import(
            store, layers, iso, gpx_dir, on_file=lambda: progress.advance(task)
        )
    out.print(f"simulated {iso}: {len(paths)} GPX files imported from {gpx_dir}")
    result = operations.week_coverage(store, layers.info.code, iso)
    print_coverage(result.model_dump(mode="json"))
    path = write_week_map(settings, iso, layers.info.code, None)
    out.print(f"map: {path}")
    if serve_after:
        from geo import access

        host, port = settings.server.host, settings.server.port
        token, _ = access.demo_key(store, settings.store.gpkg_path.parent / DEMO_KEY_FILE)
        out.print(f"dashboard: http://{host}:{port}/?week={iso}  (Ctrl+C to stop)")
        out.print(f"登录 sign in: http://{host}:{port}/signin")
        out.print(f"演示密钥 demo key (admin): {token}", highlight=False)
        out.print(f"API: http://{host}:{port}/docs  (Authorize: the demo key)")
        serve(host=None, port=None)


batch_app = typer.Typer(
    help="Many township-weeks at once on a Dask cluster (a local one by default).",
    no_args_is_help=True,
)
app.add_typer(batch_app, name="batch")


@batch_app.command("coverage")
def batch_coverage(
    weeks: Annotated[
        str, typer.Option(help="The weeks: one (2026-W48) or FIRST..LAST (2026-W01..2026-W48).")
    ],
    township: Annotated[
        list[str] | None,
        typer.Option(
            "--township", "-t", help="A township code (repeat for several; default: the only one)."
        ),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every township in the store.")] = False,
    stale: Annotated[
        bool,
        typer.Option(
            "--stale",
            help="Only township-weeks whose stored result is missing or out of date (layers, "
            "rules, camera statuses or uploads changed since).",
        ),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(help="A running Dask scheduler, e.g. tcp://10.0.0.5:8786 (PostGIS only)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=1024, help="Processes of the local cluster (default: one per core)."
        ),
    ] = None,
    in_process: Annotated[
        bool, typer.Option("--in-process", help="No Dask: one township-week after the other here.")
    ] = False,
    method: Annotated[
        Method, typer.Option(help="The engine: fast, or exact (the vector reference, slower).")
    ] = "fast",
    fmt: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="The summary as text or JSON.")
    ] = "text",
) -> None:
    """Compute the weekly coverage of many township-weeks and store it: one Dask task per
    township-week, each reading its inputs from the store in its worker and writing its result
    back. Without `--scheduler` a local cluster uses every core. A township-week that fails is
    listed at the end (exit status 2); the others are stored.

    Example: `geo batch coverage --all --weeks 2026-W01..2026-W48`

    Example: `geo batch coverage --all --weeks 2026-W01..2026-W48 --stale --scheduler tcp://10.0.0.5:8786`
    """
    from geo.batch import StoreAddress, check_cluster, run_batch, township_weeks
    from geo.errors import InvalidInput
    from geo.weeks import parse_weeks

    if every and township:
        raise InvalidInput("give --township or --all, not both")
    settings = get_settings()
    week_list = parse_weeks(weeks)
    # The file's absolute path: a worker process need not share this one's directory.
    gpkg = str(settings.store.gpkg_path.resolve())
    address = StoreAddress(settings.store.database_url, gpkg)
    check_cluster(address, scheduler, workers)
    store = _store(settings)
    try:
        if every:
            pairs = township_weeks(store, None, week_list)
        else:
            from geo import operations

            codes = township or [operations.resolve_township(store, settings.layers.township)]
            pairs = township_weeks(store, codes, week_list)
    finally:
        store.close()
    with _progress(quiet=fmt == "json") as progress:
        task = progress.add_task("coverage 周覆盖", total=len(pairs))
        report = run_batch(
            address,
            pairs,
            stale=stale,
            method=method,
            scheduler=scheduler,
            workers=workers,
            in_process=in_process,
            on_outcome=lambda _: progress.advance(task),
        )
    summary = {
        "where": report.where,
        "workers": report.workers,
        "township_weeks": len(report.outcomes),
        "computed": report.count("computed"),
        "current": report.count("current"),
        "failed": [
            {"township": o.township, "week": o.week, "error": o.error} for o in report.failed
        ],
        "seconds": round(report.seconds, 2),
    }
    if fmt == "json":
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(
            f"{summary['township_weeks']} township-weeks ({report.where}): "
            f"{summary['computed']} computed, {summary['current']} already current, "
            f"{len(report.failed)} failed, in {report.seconds:.1f} s",
            highlight=False,
        )
        for o in report.failed:
            err.print(
                f"[red]geo: error:[/red] {escape(o.township)} {escape(o.week)}: {escape(o.error)}",
                highlight=False,
            )
    if report.failed:
        raise typer.Exit(2)


def main() -> None:
    """Entry point of the ``geo`` console script."""
    try:
        app()
    except GeoError as exc:
        err.print(f"[red]geo: error:[/red] {exc.one_line()}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("GEO_DEBUG"):
            raise
        err.print(
            f"[red]geo: internal error:[/red] {type(exc).__name__}. This is a bug; "
            "run again with GEO_DEBUG=1 for details and report it.",
            highlight=False,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
