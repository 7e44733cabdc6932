"""Settings from the environment (prefix ``GEO_``), split by concern and built lazily.

Per-township settings (time zone, metric CRS, rule thresholds) live in each layers folder's
``township.toml`` and travel into the store with the layers; the defaults of those are the
dataclass defaults of :class:`geo.layers.TownshipInfo` and :class:`geo.rules.Rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import time
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.dispatch.outbox import AlertTarget
from geo.tracks.limits import DEFAULT_LIMITS, ReadLimits


class StoreSettings(BaseSettings):
    """Where data is kept. ``GEO_DATABASE_URL`` unset means the embedded GeoPackage file."""

    model_config = SettingsConfigDict(env_prefix="GEO_", extra="ignore")

    database_url: str | None = None
    """``postgresql+psycopg://user@host:5432/db`` for PostGIS; unset for the GeoPackage file."""
    gpkg_path: Path = Path("var/geo.gpkg")


class LayerSettings(BaseSettings):
    """Which township and layers folder to work on."""

    model_config = SettingsConfigDict(env_prefix="GEO_", extra="ignore")

    layers_dir: Path = Path("layers/xiaozhang")
    township: str | None = None
    """Township code; may be left unset while the store holds a single township."""


class OutputSettings(BaseSettings):
    """Where generated files go."""

    model_config = SettingsConfigDict(env_prefix="GEO_", extra="ignore")

    maps_dir: Path = Path("maps")
    simulate_dir: Path = Path("var/simulated")
    tianditu_key: str | None = None
    """Tianditu key (``tk``): maps offer its vector and imagery basemaps when set."""


class ServerSettings(BaseSettings):
    """The HTTP server of ``geo serve``."""

    model_config = SettingsConfigDict(env_prefix="GEO_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_bytes: int = 50_000_000
    """Largest track file accepted over HTTP (413 as soon as the body passes it)."""
    max_body_bytes: int = 5_000_000
    """Largest request body of every other route: live positions, layer edits, sign-in (413
    as soon as the body passes it)."""
    max_upload_fixes: int = 2_000_000
    """Most fixes in one uploaded file (413; readers stop counting there)."""
    max_unpacked_bytes: int = DEFAULT_LIMITS.max_unpacked_bytes
    """Most bytes a gzip upload or a KMZ's .kml may unpack to (413 when passed)."""
    max_unpack_ratio: float = DEFAULT_LIMITS.max_unpack_ratio
    """Most unpacked bytes per compressed byte (413 when passed: a compression bomb)."""
    max_batch_fixes: int = 1_000
    """Most fixes in one live batch of ``POST /api/v1/positions`` or one tracker request
    (413 above)."""
    osmand_port: int | None = None
    """A second port serving the OsmAnd protocol at ``/`` (``geo serve --osmand-port``)."""
    max_heavy_parses: int = 2
    """Heavy uploads (compressed, or over ``heavy_upload_bytes``) parsed at once; others wait."""
    heavy_upload_bytes: int = 1_000_000
    """Uploads over this size (or compressed) are heavy and take a parse slot."""
    parse_wait_seconds: float = 10.0
    """How long a heavy upload waits for a slot before a 503 with ``Retry-After``."""

    def read_limits(self) -> ReadLimits:
        """The limits of one uploaded track file, from these settings."""
        return replace(
            DEFAULT_LIMITS,
            max_fixes=self.max_upload_fixes,
            max_unpacked_bytes=self.max_unpacked_bytes,
            max_unpack_ratio=self.max_unpack_ratio,
        )


class AlertSettings(BaseSettings):
    """Where mid-week alerts go (``geo alerts run``, docs/dispatch.md)."""

    model_config = SettingsConfigDict(env_prefix="GEO_", extra="ignore")

    alert_targets: list[AlertTarget] = []
    """``GEO_ALERT_TARGETS``: a JSON list of ``{"name", "kind": "wecom"|"dingtalk"|"json",
    "url"}`` (and optionally a DingTalk ``secret`` and ``townships``)."""
    alert_timeout_seconds: float = 10.0
    """How long one webhook call may take before it counts as failed."""
    alerts_at: time | None = None
    """``GEO_ALERTS_AT`` (``geo serve --alerts-at 18:00``): judge the week and enqueue its
    alerts each day at this township-local time inside ``geo serve``; unset: no scheduler
    (run ``geo alerts run`` from a timer instead)."""
    alert_retry_minutes: float = Field(5.0, gt=0)
    """How often the scheduler inside ``geo serve`` sends the outbox's due messages."""


@dataclass(frozen=True)
class Settings:
    """All settings, grouped by concern."""

    store: StoreSettings = field(default_factory=StoreSettings)
    layers: LayerSettings = field(default_factory=LayerSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read from the environment once per process."""
    return Settings()
