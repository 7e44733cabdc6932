"""The monthly review report (月调度) over HTTP and from the CLI, on both stores, with two
simulated weeks in November 2026 (W46, W47) and a village named like a script tag."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from geo import operations
from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.store import Store
from geo.weeks import IsoWeek
from tests.api.simulated_stores import (
    HOSTILE_NAME,
    STORE_KINDS,
    hostile_layers,
    simulated_store,
)
from tests.api.test_coverage_api import bearer, settings_for
from tests.cli_runner import Done, run_geo

MONTH_WEEKS = ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
SIMULATED = [IsoWeek(2026, 46), IsoWeek(2026, 47)]


@pytest.fixture(scope="module", params=STORE_KINDS)
def month_store(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
) -> Iterator[tuple[Store, TownshipLayers, Path]]:
    tmp = tmp_path_factory.mktemp("month")
    layers = hostile_layers(demo_layers)
    store = simulated_store(request, tmp, layers, SIMULATED)
    yield store, layers, tmp
    store.close()


@pytest.fixture(scope="module")
def client(month_store: tuple[Store, TownshipLayers, Path]) -> Iterator[TestClient]:
    store, _, tmp = month_store
    headers = bearer(store, Role.LEADER)
    with TestClient(create_app(settings_for(store, tmp)), headers=headers) as c:
        yield c


class _Tables(HTMLParser):
    """Rows of each table (by id) as lists of cell texts, and every <script> seen."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.scripts = 0
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        elif tag == "table":
            self._table = dict(attrs).get("id") or ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def check_report(html: str, store: Store, layers: TownshipLayers, lang: str) -> None:
    """Known content: one row per village, the month's weeks as columns, each week's verdict
    in words, the persistent gaps, every squad, the cameras not online; nothing executable."""
    review = operations.month_coverage(store, "433122207", "2026-11").model_dump(mode="json")
    page = parse(html)
    assert page.scripts == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and HOSTILE_NAME not in html
    header, *rows = page.tables["verdicts"]
    assert [h.split()[0] for h in header[1:-1]] == ["W45", "W46", "W47", "W48"]
    names = layers.villages["name"] if lang == "zh" else layers.villages["name_en"]
    assert sorted(r[0].split()[0] for r in rows) == sorted(n.split()[0] for n in names)
    words = {"zh": {"pass": "达标", "fail": "未达标", "no_data": "无数据"}, "en": {}}.get(lang, {})
    words = words or {"pass": "Pass", "fail": "Fail", "no_data": "No data"}
    by_squad = {v["squad"]: v for v in review["villages"]}
    for row in rows:
        squad = row[0].split()[-1]
        village = by_squad[squad]
        for week, cell in zip(MONTH_WEEKS, row[1:-1], strict=True):
            assert cell.startswith(words[village["weeks"][week]["status"]]), (squad, week, cell)
        assert row[-1] == f"{village['weeks_passed']}/4"
    # Nothing was simulated in W45 and W48: no data there; W46 and W47 have verdicts.
    assert all(r[1].startswith(words["no_data"]) for r in rows)
    assert any(r[2].startswith(words["pass"]) for r in rows)
    gaps = review["persistent_gaps"]
    assert gaps, "the simulated month has gaps that persisted"
    gap_rows = page.tables["persistent-gaps"][1:]
    assert len(gap_rows) == min(len(gaps), 40)
    assert [int(r[3]) for r in gap_rows] == [g["weeks"] for g in gaps[:40]]
    assert [r[4] for r in gap_rows] == [g["since"] for g in gaps[:40]]
    effort = page.tables["squad-effort"][1:]
    assert sorted(r[0].split()[0] for r in effort) == sorted(review["squad_effort"])
    for r in effort:
        e = review["squad_effort"][r[0].split()[0]]
        assert int(r[1]) == e["days_patrolled"] and float(r[5].replace(",", "")) == pytest.approx(
            e["km"], abs=0.06
        )
    down = layers.cameras[layers.cameras["status"] != "online"]
    assert sorted(r[0] for r in page.tables["cameras-offline"][1:]) == sorted(down["code"])
    # Suggested camera sites from the month's last week with data (W47), as the API gives them.
    sites = operations.camera_suggestions(
        store, "433122207", count=operations.REPORT_CAMERA_SITES, week=IsoWeek.parse("2026-W47")
    ).sites
    site_rows = page.tables["camera-sites"][1:]
    assert sites and [r[0] for r in site_rows] == [str(site.rank) for site in sites]
    assert [r[2].split()[-1] for r in site_rows] == [site.road_code for site in sites]
    added = [float(r[4].replace(",", "")) for r in site_rows]
    assert added == pytest.approx([site.added_m2 / 10_000 for site in sites], abs=0.006)
    assert all(a > 0 for a in added) and added == sorted(added, reverse=True)
    assert "2026-W47" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == len(layers.villages)
    # Weeks with nothing patrolled get no point (not a point at 0): W45 and W48 here.
    measured = sum(
        1
        for v in review["villages"]
        for w in v["weeks"].values()
        if not (w["status"] == "no_data" and w["patrol_days"] == 0)
    )
    series = 2  # every demo village has roads: road and area coverage
    assert html.count("<circle ") == series * measured


def test_report_html_in_chinese(
    client: TestClient, month_store: tuple[Store, TownshipLayers, Path]
) -> None:
    store, layers, _ = month_store
    response = client.get("/api/v1/reports/monthly/2026-11")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "小章乡 · 2026-11 月调度报告" in html and 'lang="zh-CN"' in html
    check_report(html, store, layers, "zh")
    assert "@media print" in html and "size: A4" in html
    assert not re.search(r"""(src|href)=["']?https?:""", html), "nothing loads from outside"


def test_report_html_in_english(
    client: TestClient, month_store: tuple[Store, TownshipLayers, Path]
) -> None:
    store, layers, _ = month_store
    html = client.get("/api/v1/reports/monthly/2026-11?lang=en").text
    assert "Xiaozhang Township · 2026-11 Monthly review" in html and 'lang="en"' in html
    check_report(html, store, layers, "en")
    by_browser = client.get("/api/v1/reports/monthly/2026-11", headers={"Accept-Language": "en"})
    assert "Monthly review" in by_browser.text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/reports/monthly/2026-13", 422),
        ("/api/v1/reports/monthly/november", 422),
        ("/api/v1/reports/monthly/2026-11?lang=fr", 422),
        ("/api/v1/reports/monthly/2026-11?format=docx", 422),
        ("/api/v1/reports/monthly/2026-11?township=999", 404),
    ],
)
def test_report_refusals_are_problems(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def _pdf_text(data: bytes) -> tuple[int, str]:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(BytesIO(data))
    return len(reader.pages), "".join(p.extract_text() or "" for p in reader.pages)


def test_report_pdf(client: TestClient) -> None:
    pytest.importorskip("weasyprint")
    response = client.get("/api/v1/reports/monthly/2026-11?format=pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    pages, text = _pdf_text(response.content)
    assert pages >= 3  # the grid, the trends, the gaps and effort each start a page
    assert "小章乡" in text and "月调度报告" in text and "烟竹坪村" in text


def test_pdf_without_weasyprint_is_a_501_problem(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    response = client.get("/api/v1/reports/monthly/2026-11?format=pdf")
    assert response.status_code == 501
    assert response.headers["content-type"] == "application/problem+json"
    assert "WeasyPrint" in response.json()["detail"]


def _geo(args: list[str], store: Store, tmp: Path) -> Done:
    env: dict[str, str | None] = {
        "GEO_MAPS_DIR": str(tmp / "maps"),
        "COLUMNS": "200",
        "GEO_TOWNSHIP": None,
    }
    url = getattr(store, "url", None)
    if url:
        env["GEO_DATABASE_URL"] = url
    else:
        env["GEO_DATABASE_URL"] = None
        env["GEO_GPKG_PATH"] = str(getattr(store, "path"))  # noqa: B009
    return run_geo(args, env)


def test_cli_writes_the_report(month_store: tuple[Store, TownshipLayers, Path]) -> None:
    store, layers, tmp = month_store
    done = _geo(["report", "month", "2026-11"], store, tmp)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path == tmp / "maps" / "433122207-2026-11-report.html"
    check_report(path.read_text(encoding="utf-8"), store, layers, "zh")
    english = tmp / "en.html"
    done = _geo(["report", "month", "2026-11", "--lang", "en", "-o", str(english)], store, tmp)
    assert done.returncode == 0 and done.stdout.strip() == str(english)
    check_report(english.read_text(encoding="utf-8"), store, layers, "en")
    bad = _geo(["report", "month", "2026-13"], store, tmp)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "month '2026-13' is not a month" in bad.stderr


def test_cli_writes_a_pdf(month_store: tuple[Store, TownshipLayers, Path]) -> None:
    pytest.importorskip("weasyprint")
    store, _, tmp = month_store
    done = _geo(["report", "month", "2026-11", "--pdf", "--lang", "en"], store, tmp)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.suffix == ".pdf"
    pages, text = _pdf_text(path.read_bytes())
    assert pages >= 3 and "Xiaozhang Township" in text and "Monthly review" in text


def test_printing_fetches_nothing(caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("weasyprint")
    import socket

    from geo.outputs.monthly_report import monthly_report_pdf

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        pdf = monthly_report_pdf(f'<p>x</p><img src="http://127.0.0.1:{port}/a.png">')
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody came
    assert pdf.startswith(b"%PDF-")
    assert "disallowed protocol" in caplog.text


def test_cameras_offline_follow_the_status_history(
    store: Store, demo_layers: TownshipLayers
) -> None:
    """A camera that is online today but was off for most of W47 is listed for W47 only;
    cameras off all month are listed for every week."""
    store.save_layers(demo_layers)
    cameras = demo_layers.cameras
    online = sorted(cameras.loc[cameras["status"] == "online", "code"])[0]
    operations.set_camera_status(
        store, "433122207", online, "offline", changed_at=datetime(2026, 11, 16, 0, 0)
    )
    operations.set_camera_status(
        store, "433122207", online, "online", changed_at=datetime(2026, 11, 20, 12, 0)
    )
    page = parse(operations.month_report(store, "433122207", "2026-11"))
    rows = {r[0]: r for r in page.tables["cameras-offline"][1:]}
    assert rows[online][4] == "W47"  # off 4.5 of 7 days: not online that week
    for code in cameras.loc[cameras["status"] != "online", "code"]:
        assert rows[code][4] == "W45, W46, W47, W48"
    assert len(rows) == 1 + int((cameras["status"] != "online").sum())


def test_the_report_loads_the_layers_once(
    month_store: tuple[Store, TownshipLayers, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report loads the township's layers once and passes them down to the month's review,
    each of its weeks and the page (it loaded them 2 + N times for N weeks before)."""
    store, _, _ = month_store
    loads: list[str] = []
    load = store.load_layers

    def counted(township: str) -> TownshipLayers:
        loads.append(township)
        return load(township)

    monkeypatch.setattr(store, "load_layers", counted)
    html = operations.month_report(store, "433122207", "2026-11")
    assert "2026-11" in html
    assert loads == ["433122207"]
    loads.clear()
    review = operations.month_coverage(store, "433122207", "2026-11")
    assert review.weeks == MONTH_WEEKS and loads == ["433122207"]
