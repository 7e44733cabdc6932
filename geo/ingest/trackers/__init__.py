"""Tracker apps' wire formats → typed positions (pure: no web, no store).

One reader per protocol, each taking a :class:`TrackerRequest` and returning a
:class:`TrackerBatch` (the positions, the credential that identifies the phone, what to
answer) or raising a :class:`~geo.errors.GeoError`. docs/phones.md describes the formats.
"""

from __future__ import annotations

from geo.ingest.trackers.gpslogger import GPSLOGGER_QUERY, gpslogger_url, parse_gpslogger
from geo.ingest.trackers.model import (
    Protocol,
    Reply,
    TrackerBatch,
    TrackerLimits,
    TrackerPosition,
    TrackerRequest,
    answer_refused,
    answer_retry,
    answer_stored,
)
from geo.ingest.trackers.osmand import osmand_protocol, parse_osmand, parse_timestamp
from geo.ingest.trackers.owntracks import parse_owntracks

__all__ = [
    "GPSLOGGER_QUERY",
    "Protocol",
    "Reply",
    "TrackerBatch",
    "TrackerLimits",
    "TrackerPosition",
    "TrackerRequest",
    "answer_refused",
    "answer_retry",
    "answer_stored",
    "gpslogger_url",
    "osmand_protocol",
    "parse_gpslogger",
    "parse_osmand",
    "parse_owntracks",
    "parse_timestamp",
]
