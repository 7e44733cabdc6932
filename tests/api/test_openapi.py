"""The OpenAPI document is complete: every operation has a summary, a description, a described
2xx answer with an example, examples for its parameters and body, and problem answers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from geo.api.app import create_app
from geo.settings import LayerSettings, Settings, StoreSettings


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("openapi") / "empty.gpkg"
    settings = Settings(
        store=StoreSettings(database_url=None, gpkg_path=path), layers=LayerSettings(township=None)
    )
    with TestClient(create_app(settings)) as client:
        body: dict[str, Any] = client.get("/openapi.json").json()
    return body


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _has_example(doc: dict[str, Any], holder: dict[str, Any]) -> bool:
    if "example" in holder or holder.get("examples"):
        return True
    schema = _resolve(doc, holder.get("schema", {}))
    return bool(schema.get("examples") or "example" in schema)


def _operations(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    ]


def test_every_operation_is_documented(document: dict[str, Any]) -> None:
    missing: list[str] = []
    for name, op in _operations(document):
        if not op.get("summary"):
            missing.append(f"{name}: summary")
        if not op.get("description"):
            missing.append(f"{name}: description")
        ok = {code: r for code, r in op["responses"].items() if code.startswith("2")}
        if not ok:
            missing.append(f"{name}: no 2xx response")
        for code, response in ok.items():
            if not response.get("description") or response["description"] == "Successful Response":
                missing.append(f"{name}: {code} description")
            for media, content in response.get("content", {}).items():
                binary = media in ("application/pdf", "application/vnd.mapbox-vector-tile")
                if not binary and not _has_example(document, content):
                    missing.append(f"{name}: {code} {media} example")
        for param in op.get("parameters", []):
            if not _has_example(document, param):
                missing.append(f"{name}: parameter {param['name']} example")
            if not param.get("description"):
                missing.append(f"{name}: parameter {param['name']} description")
        for media, content in op.get("requestBody", {}).get("content", {}).items():
            if not _has_example(document, content):
                missing.append(f"{name}: request body {media} example")
    assert missing == [], "\n".join(missing)


#: Pages in the document: their 403 is the sign-in page with the reason (HTML).
PAGES = {
    "GET /api/v1/coverage/{week}/map",
    "GET /api/v1/reports/monthly/{month}",
    "GET /api/v1/plan/{week}/{squad}/sheet",
}


def test_every_error_answer_is_a_documented_problem(document: dict[str, Any]) -> None:
    for name, op in _operations(document):
        errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        assert "500" in errors, name
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in errors, name
        for code, response in errors.items():
            if name in PAGES and code == "403":  # a page answers with the sign-in page
                assert set(response["content"]) == {"text/html"}, name
                continue
            assert set(response["content"]) == {"application/problem+json"}, (name, code)
            content = response["content"]["application/problem+json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ProblemModel"}
            assert content["example"]["status"] == int(code)
        for response in op["responses"].values():
            assert "X-Request-ID" in response["headers"]


def test_the_asked_for_examples_are_there(document: dict[str, Any]) -> None:
    text = str(document)
    for example in ("2026-W47", "2026-11-18", "2026-11", "<gpx", "phone-01:2026-11-18"):
        assert example in text, example
