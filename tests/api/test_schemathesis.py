"""Schemathesis against the app's own /openapi.json on both stores (demo layers, a simulated
week): no 5xx, and every answer conforms to its documented status, content type and schema.

Bounded: a few examples per operation, derandomized (the same cases every run), no shrinking.
Requests carry :func:`api_headers`: an admin key.
"""

from __future__ import annotations

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

MAX_EXAMPLES = 20
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
def api_headers(served: tuple[str, dict[str, Any], Store]) -> dict[str, str]:
    """Headers every request carries: an admin key (admitted by every route), so every
    operation is exercised past the door; tests/api/test_auth_api.py covers the doors."""
    token, _ = access.create_key(served[2], role=Role.ADMIN, name="schemathesis")
    return {"Authorization": f"Bearer {token}"}


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


BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("label", _operation_labels())
def test_api_conforms_to_its_schema(
    label: str, served: tuple[str, dict[str, Any], Store], api_headers: dict[str, str]
) -> None:
    base_url, document, _ = served
    api_schema = schemathesis.openapi.from_dict(document)
    operation = next(r.ok() for r in api_schema.get_all_operations() if r.ok().label == label)
    strategies = [
        *api_schema.get_strategies_from_examples(operation),
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]

    @BOUNDED
    @given(case=st.one_of(*strategies))
    def check(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=api_headers, checks=CHECKS)

    check()
