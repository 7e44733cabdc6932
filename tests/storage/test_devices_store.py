"""Phones registered to a squad, on both stores: add, look up by the id's hash, list, revoke,
record the last fix and battery (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from geo.audit import Action, entry
from geo.devices import Device, device_id_sha256, new_device_id
from geo.errors import Conflict, NotFound
from geo.store import Store

CREATED = datetime(2026, 11, 20, 8, 30, 15, 123000, tzinfo=UTC)


def new_device(
    township: str = "433122207", squad: str = "squad-01", crs: str = "wgs84"
) -> tuple[str, Device]:
    new = new_device_id()
    device = Device.register(
        new, township=township, squad=squad, name="一组 张三", crs=crs, created_at=CREATED
    )
    return new.device_id, device


def test_a_device_is_found_by_the_hash_of_its_id_only(store: Store) -> None:
    device_id, device = new_device(crs="gcj02")
    store.add_device(device)
    got = store.device_by_hash(device_id_sha256(device_id))
    assert got == device and got.crs == "gcj02" and got.active
    assert got.last_fix_at is None and got.last_battery is None
    assert device_id not in repr(store.devices())
    assert store.device_by_hash(device_id_sha256(new_device_id().device_id)) is None


def test_devices_are_listed_oldest_first_by_township_and_ids_are_unique(store: Store) -> None:
    made = [new_device()[1], new_device(squad="squad-02")[1], new_device("433122208")[1]]
    for device in made:
        store.add_device(device)
    assert [d.public_id for d in store.devices()] == [d.public_id for d in made]
    assert [d.squad for d in store.devices("433122207")] == ["squad-01", "squad-02"]
    assert store.devices("433122999") == []
    with pytest.raises(Conflict):
        store.add_device(made[0])
    assert len(store.devices()) == 3


def test_revoking_keeps_the_first_time_and_writes_one_audit_entry(store: Store) -> None:
    _, device = new_device()
    audit = entry(Action.DEVICE_REVOKE, actor="cli", target=device.public_id)
    store.add_device(device)
    first = CREATED + timedelta(days=1)
    revoked = store.revoke_device(device.public_id, first, audit=audit)
    assert revoked.revoked_at == first and not revoked.active
    again = store.revoke_device(device.public_id, first + timedelta(days=1), audit=audit)
    assert again.revoked_at == first
    assert len(store.audit_entries()) == 1
    stored = store.device_by_hash(device.id_sha256)
    assert stored is not None and stored.revoked_at == first
    with pytest.raises(NotFound, match="no device"):
        store.revoke_device("000000000000", first)


def test_touch_keeps_the_latest_fix_and_its_battery(store: Store) -> None:
    _, device = new_device()
    store.add_device(device)
    t0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    store.touch_device(device.id_sha256, t0, 81.0)
    store.touch_device(device.id_sha256, t0 - timedelta(hours=1), 95.0)  # an old batch late
    stored = store.device_by_hash(device.id_sha256)
    assert stored is not None and (stored.last_fix_at, stored.last_battery) == (t0, 81.0)
    store.touch_device(device.id_sha256, t0 + timedelta(minutes=1), None)
    stored = store.device_by_hash(device.id_sha256)
    assert stored is not None
    assert (stored.last_fix_at, stored.last_battery) == (t0 + timedelta(minutes=1), None)
