"""Schemathesis against the app's own /openapi.json on both stores (demo layers, a simulated
week), with every role's key and with none: no 5xx, and every answer (401 and 403 included)
conforms to its documented status, content type and schema.

Bounded in ``make test``: a few derandomized examples per operation and role (more with the
admin key, which every route admits, so every operation is exercised past the door), no
shrinking. ``make fuzz`` (HYPOTHESIS_PROFILE=fuzz) runs a tenth of GEO_FUZZ_EXAMPLES per
operation and role, random.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from geo import access
from geo.api.app import create_app
from geo.keys import Role
from geo.layers import TownshipLayers
from geo.settings import LayerSettings, Settings, StoreSettings
from geo.store import Store
from geo.weeks import IsoWeek
from tests.api.simulated_stores import STORE_KINDS, simulated_store
from tests.api.test_coverage_api import settings_for

FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
#: Examples per operation under ``make test``: with the admin key (every route admits it) a few,
#: fewer on the heavy pages (a month's report renders a PDF, a month computes five weeks); with
#: each other role's key or none one (most answers are 401 or 403; readers run the read routes).
#: Under ``make fuzz`` a tenth of GEO_FUZZ_EXAMPLES for every operation and caller.
HEAVY = ("/map", "/monthly/")
ADMIN_EXAMPLES, HEAVY_EXAMPLES, ROLE_EXAMPLES = (
    (int(os.environ.get("GEO_FUZZ_EXAMPLES", "2000")) // 10,) * 3 if FUZZ else (5, 2, 1)
)
#: A PDF report or a month of coverage takes seconds on a busy 2-core machine: no read timeout
#: short of a hung server fails the run.
REQUEST_TIMEOUT_S = 300
#: Who calls: each role's key (a patrol key of squad-01) and no key at all.
CALLERS = [*(role.value for role in Role), "no key"]
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


@schemathesis.serializer("application/gpx+xml")
def _gpx(ctx: Any, value: Any) -> bytes:
    """Track bodies go out as the text they are (bytes unchanged)."""
    return value if isinstance(value, bytes) else str(value).encode()


@pytest.fixture(scope="module", params=STORE_KINDS)
def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
) -> Iterator[tuple[str, dict[str, Any], Store]]:
    """The app served over HTTP by uvicorn (lifespan once), its OpenAPI document, its store."""
    tmp = tmp_path_factory.mktemp("schemathesis")
    store = simulated_store(request, tmp, demo_layers, [IsoWeek(2026, 47)])
    app = create_app(settings_for(store, tmp))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app.openapi(), store
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


@pytest.fixture(scope="module")
def caller_headers(served: tuple[str, dict[str, Any], Store]) -> dict[str, dict[str, str]]:
    """The headers of each caller: a key of each role (patrol: squad-01's), and none."""
    headers: dict[str, dict[str, str]] = {"no key": {}}
    for role in Role:
        squad = "squad-01" if role is Role.PATROL else None
        token, _ = access.create_key(served[2], role=role, name=f"schemathesis {role}", squad=squad)
        headers[role.value] = {"Authorization": f"Bearer {token}"}
    return headers


@pytest.fixture(scope="module")
def api_schema(served: tuple[str, dict[str, Any], Store]) -> Any:
    """The loaded document, once per store."""
    return schemathesis.openapi.from_dict(served[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _operation_labels() -> list[str]:
    """The operations of the document (the app is only built here; no store is opened)."""
    app = create_app(
        Settings(
            store=StoreSettings(database_url=None, gpkg_path=Path("unused.gpkg")),
            layers=LayerSettings(township=None),
        )
    )
    loaded = schemathesis.openapi.from_dict(app.openapi())
    return sorted(result.ok().label for result in loaded.get_all_operations())


def bounded(examples: int) -> settings:
    """Hypothesis settings of one run: derandomized and without shrinking under ``make test``,
    random under ``make fuzz``."""
    return settings(
        max_examples=examples,
        derandomize=not FUZZ,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking
        suppress_health_check=list(HealthCheck),
    )


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("label", _operation_labels())
def test_api_conforms_to_its_schema(
    label: str,
    caller: str,
    served: tuple[str, dict[str, Any], Store],
    api_schema: Any,
    caller_headers: dict[str, dict[str, str]],
) -> None:
    base_url = served[0]
    operation = next(r.ok() for r in api_schema.get_all_operations() if r.ok().label == label)
    strategies = [
        *api_schema.get_strategies_from_examples(operation),
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    headers = caller_headers[caller]
    if caller != Role.ADMIN.value:
        examples = ROLE_EXAMPLES
    else:
        examples = HEAVY_EXAMPLES if any(h in label for h in HEAVY) else ADMIN_EXAMPLES

    @bounded(examples)
    @given(case=st.one_of(*strategies))
    def check(case: Any) -> None:
        case.call_and_validate(
            base_url=base_url, headers=headers, checks=CHECKS, timeout=REQUEST_TIMEOUT_S
        )

    check()
