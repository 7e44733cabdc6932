"""The page policy's parts without a browser: JSON for scripts, inline scripts and their hashes,
the map page (its scripts are code only: hostile text is in the JSON block, as data)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from geo import operations
from geo.layers import TownshipLayers
from geo.outputs import csp
from geo.outputs.web_assets import precompile_templates
from geo.outputs.weekly_map import map_page, weekly_map
from geo.weeks import IsoWeek
from tests.conftest import SimulatedStores
from tests.web.hostile import HOSTILE, hostile_layers


def test_json_for_script_cannot_end_the_element_and_round_trips() -> None:
    data = {"name": HOSTILE + "<!-- \u2028 &amp;", "n": [1, 2.5]}
    text = csp.json_for_script(data)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == data
    block = csp.json_block("x", data)
    assert block.count("</script>") == 1 and block.endswith("</script>")


def test_inline_scripts_lists_code_only_and_refuses_scripts_from_elsewhere() -> None:
    page = (
        "<script>a()</script><script type='application/json'>{\"a\": 1}</script>"
        "<script type=module>b()</script><p>c()</p>"
    )
    assert csp.inline_scripts(page) == ["a()", "b()"]
    with pytest.raises(ValueError, match="elsewhere"):
        csp.inline_scripts('<script src="https://cdn.example/x.js"></script>')
    assert len(csp.inline_scripts('<script src="https://x/y.js"></script>', external=True)) == 0


def test_policy_allows_exactly_the_hashed_scripts() -> None:
    policy = csp.policy(["a()"], frames=True)
    assert csp.script_hash("a()") in policy and "'unsafe-inline'" not in policy.split(";")[1]
    assert "frame-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "frame-ancestors" not in csp.policy(header=False)
    assert "script-src 'none'" in csp.policy()


def test_the_measuring_tools_templates_are_compiled_ahead() -> None:
    source = '_.template("<p><%= a.b %></p><% if (x) { %>y<% } %>")'
    compiled = precompile_templates(f"var t = {source};")
    assert "_.template(" not in compiled and "new Function" not in compiled
    assert compiled.startswith("var t = function(obj){")


@pytest.fixture(scope="module")
def hostile_map(
    tmp_path_factory: pytest.TempPathFactory,
    demo_layers: TownshipLayers,
    simulated_stores: SimulatedStores,
) -> str:
    tmp = tmp_path_factory.mktemp("hostile-map")
    week = IsoWeek(2026, 47)
    layers = hostile_layers(demo_layers)
    store = simulated_stores.copy(tmp / "geo.gpkg", layers, [week])
    result = operations.week_coverage(store, "433122207", week)
    start, end = week.bounds(layers.info.tz)
    page = map_page(weekly_map(layers, result, store.week_tracks("433122207", start, end)))
    Path(tmp / "map.html").write_text(page.html, encoding="utf-8")
    return page.html


def test_map_scripts_hold_data_only_as_json_strings_and_are_hashed(hostile_map: str) -> None:
    scripts = csp.inline_scripts(hostile_map)
    # gcj02_overlays.js, weekly_map.js, the inlined assets, Folium's settings, the map
    assert len(scripts) == 5
    strings = re.compile(r'"(?:[^"\\\n]|\\.)*"')
    for script in scripts:
        # Text from data is only ever inside JSON strings (the layer control's names): none
        # is left once they are taken out, and none of them holds markup.
        assert "alert(1)" not in strings.sub("", script)
        assert all("<" not in s for s in strings.findall(script) if "alert(1)" in s)
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', hostile_map)
    assert meta is not None
    for script in scripts:
        assert csp.script_hash(script) in meta.group(1).replace("&#x27;", "'")
    assert "unsafe-eval" not in meta.group(1)
    assert "_.template(" not in hostile_map  # the measuring tool needs no eval
    block = re.search(
        r'<script type="application/json" id="geo-overlays">(.*?)</script>', hostile_map, re.S
    )
    assert block is not None
    texts = json.dumps(json.loads(block.group(1)), ensure_ascii=False)
    assert json.dumps(HOSTILE, ensure_ascii=False)[1:-1] in texts
