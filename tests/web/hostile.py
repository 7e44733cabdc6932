"""Layers whose every text field holds what breaks pages that splice text into code or HTML."""

from __future__ import annotations

import dataclasses

from geo.layers import TownshipLayers

#: Each of these must show as text on every page and never run.
PAYLOADS = (
    "${alert(1)}",
    "`",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
)
HOSTILE = "".join(PAYLOADS)


def hostile(tag: str) -> str:
    """The payloads with a tag that keeps codes unique."""
    return f"{tag}{HOSTILE}"


def hostile_layers(layers: TownshipLayers) -> TownshipLayers:
    """``layers`` with every text field that is free text or a code replaced by the payloads:
    village, camera, checkpoint and road codes and names, squads, the township's names.
    Fields with a fixed vocabulary (camera status, road class, checkpoint kind) keep theirs;
    their values are checked when loaded."""
    villages = layers.villages.copy()
    codes = {str(c): hostile(f"V{i}") for i, c in enumerate(villages["code"])}
    # Squads name the simulator's files: everything but the slash of "</script>".
    squads = {
        s: hostile(f"S{i}").replace("</script>", "<script>")
        for i, s in enumerate(sorted(set(villages["squad"]) - {""}))
    }
    villages["code"] = villages["code"].map(codes)
    villages["name"] = [hostile(f"村{i}") for i in range(len(villages))]
    villages["name_en"] = [hostile(f"village {i}") for i in range(len(villages))]
    villages["squad"] = villages["squad"].map(lambda s: squads.get(s, s))
    frames = {"villages": villages}
    for name in ("cameras", "checkpoints", "roads"):
        frame = layers.layer(name).copy()
        frame["code"] = [hostile(f"{name[:3].upper()}{i}") for i in range(len(frame))]
        if name == "cameras":
            # One camera keeps a code a URL path can carry (no slash): a planner edits it over
            # HTTP in the tests, as an attacker with a planner key would.
            frame.loc[frame.index[0], "code"] = layers.cameras["code"].iloc[0]
        frame["name"] = [hostile(f"{name} {i}") for i in range(len(frame))]
        if "village" in frame:
            frame["village"] = frame["village"].map(lambda v: codes.get(str(v), v))
        frames[name] = frame
    info = layers.info
    info_squads = {squads.get(k, k): v for k, v in info.squads.items()}
    info = dataclasses.replace(
        info, name=hostile("乡"), name_en=hostile("township"), squads=info_squads
    )
    return dataclasses.replace(layers, info=info, **frames)
