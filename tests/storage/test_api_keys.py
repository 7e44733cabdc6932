"""API keys and track reads on both stores: create, list, look up, revoke, touch; one upload's
segments; uploads filtered by squad and week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from geo import operations
from geo.errors import Conflict, NotFound
from geo.keys import ApiKey, Role, generate_token, parse_token, secret_matches
from geo.layers import TownshipLayers
from geo.store import Store
from tests.storage.test_store import WEEK, village_track_gpx

CREATED = datetime(2026, 11, 20, 8, 30, 15, 123000, tzinfo=UTC)


def new_key(role: Role = Role.PATROL, squad: str | None = "squad-01") -> tuple[str, ApiKey]:
    made = generate_token()
    key = ApiKey(
        key_id=made.key_id,
        secret_sha256=made.secret_sha256,
        name="村口手机",
        role=role,
        township="433122207" if squad else None,
        squad=squad,
        created_at=CREATED,
    )
    return made.token, key


def test_key_round_trip_holds_only_the_hash(store: Store) -> None:
    token, key = new_key()
    store.add_api_key(key)
    got = store.api_key(key.key_id)
    assert got == key
    parsed = parse_token(token)
    assert parsed is not None and parsed[0] == key.key_id
    assert secret_matches(parsed[1], got.secret_sha256)
    assert parsed[1] not in repr(store.api_keys())
    assert store.api_key("000000000000") is None


def test_keys_are_listed_oldest_first_and_ids_are_unique(store: Store) -> None:
    keys = [new_key(Role.LEADER, None)[1], new_key()[1], new_key(Role.ADMIN, None)[1]]
    for key in keys:
        store.add_api_key(key)
    assert [k.key_id for k in store.api_keys()] == [k.key_id for k in keys]
    assert [k.role for k in store.api_keys()] == [Role.LEADER, Role.PATROL, Role.ADMIN]
    with pytest.raises(Conflict):
        store.add_api_key(keys[0])
    assert len(store.api_keys()) == 3


def test_revoking_keeps_the_first_time_and_unknown_ids_are_not_found(store: Store) -> None:
    _, key = new_key()
    store.add_api_key(key)
    first = CREATED + timedelta(days=1)
    assert store.revoke_api_key(key.key_id, first).revoked_at == first
    assert store.revoke_api_key(key.key_id, first + timedelta(days=1)).revoked_at == first
    stored = store.api_key(key.key_id)
    assert stored is not None and stored.revoked_at == first
    with pytest.raises(NotFound):
        store.revoke_api_key("0123456789ab", first)


def test_touch_records_the_last_use(store: Store) -> None:
    _, key = new_key()
    store.add_api_key(key)
    assert key.last_used_at is None
    used = CREATED + timedelta(hours=3)
    store.touch_api_key(key.key_id, used)
    stored = store.api_key(key.key_id)
    assert stored is not None and stored.last_used_at == used and stored.revoked_at is None


def test_uploads_by_squad_and_week_and_one_uploads_segments(
    store: Store, demo_layers: TownshipLayers
) -> None:
    store.save_layers(demo_layers)
    ids = {}
    for squad, start in (("squad-01", "2026-11-18 09:00"), ("squad-02", "2026-11-25 09:00")):
        done = operations.import_track(
            store,
            village_track_gpx(demo_layers, start=start),
            filename=f"{squad}.gpx",
            township="433122207",
            squad=squad,
        )
        ids[squad] = done.record.id
    start, end = WEEK.bounds(demo_layers.info.tz)
    assert [u.id for u in store.uploads("433122207", squad="squad-01")] == [ids["squad-01"]]
    assert [u.id for u in store.uploads("433122207", start=start, end=end)] == [ids["squad-01"]]
    assert store.uploads("433122207", squad="squad-02", start=start, end=end) == []
    assert len(store.uploads("433122207")) == 2
    record = store.upload(ids["squad-02"])
    assert record.squad == "squad-02" and record.filename == "squad-02.gpx"
    segments = store.upload_segments(ids["squad-02"])
    assert len(segments) == record.report["segments"] and segments.crs.to_epsg() == 4326
    assert list(segments["segment"]) == sorted(segments["segment"])
    assert set(segments["upload_id"]) == {ids["squad-02"]}
    assert str(segments["started_at"].dt.tz) == "UTC"
    with pytest.raises(NotFound):
        store.upload(999_999)
    assert store.upload_segments(999_999).empty
