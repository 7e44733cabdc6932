"""The alert outbox on both stores: a message is enqueued once per key, due messages are
read, a sent one is never due again, a failed one waits with exponential backoff (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from geo.dispatch.outbox import MAX_ATTEMPTS, OutboxMessage, backoff
from geo.errors import NotFound
from geo.store import Store

NOW = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)


def message(
    key: str = "k1", target: str = "wecom-group", township: str = "433122207"
) -> OutboxMessage:
    return OutboxMessage(
        key=key,
        township=township,
        week="2026-W48",
        as_of="2026-11-26",
        channel="wecom",
        target=target,
        payload={"msgtype": "markdown", "markdown": {"content": "小章村 有风险"}},
        next_attempt_at=NOW,
        created_at=NOW,
    )


def test_a_message_is_enqueued_once_per_key(store: Store) -> None:
    assert store.enqueue_alert(message())
    assert not store.enqueue_alert(message())
    assert store.enqueue_alert(message("k2", township="433122208"))
    stored = store.alerts()
    assert [m.key for m in stored] == ["k1", "k2"]
    assert stored[0].payload == message().payload and stored[0].id is not None
    assert [m.key for m in store.alerts("433122208")] == ["k2"]


def test_due_messages_and_sent_ones(store: Store) -> None:
    store.enqueue_alert(message())
    assert store.due_alerts(NOW - timedelta(seconds=1)) == []
    (due,) = store.due_alerts(NOW)
    assert due.status == "pending" and due.id is not None
    store.mark_alert_sent(due.id, NOW)
    assert store.due_alerts(NOW + timedelta(days=1)) == []
    (sent,) = store.alerts()
    assert (sent.status, sent.sent_at, sent.attempts) == ("sent", NOW, 1)


def test_a_failed_send_waits_with_backoff_then_fails_for_good(store: Store) -> None:
    store.enqueue_alert(message())
    (due,) = store.due_alerts(NOW)
    assert due.id is not None
    failed = store.mark_alert_failed(due.id, NOW, "connection refused")
    assert (failed.status, failed.attempts, failed.last_error) == (
        "pending",
        1,
        "connection refused",
    )
    assert failed.next_attempt_at == NOW + backoff(1)
    assert store.due_alerts(NOW + backoff(1) - timedelta(seconds=1)) == []
    assert len(store.due_alerts(NOW + backoff(1))) == 1
    again = store.mark_alert_failed(due.id, NOW, "HTTP 500")
    assert again.attempts == 2 and again.next_attempt_at == NOW + 2 * backoff(1)
    for _ in range(MAX_ATTEMPTS - 2):
        last = store.mark_alert_failed(due.id, NOW, "HTTP 500")
    assert last.status == "failed" and last.attempts == MAX_ATTEMPTS
    assert store.due_alerts(NOW + timedelta(days=30)) == []
    with pytest.raises(NotFound):
        store.mark_alert_failed(999_999, NOW, "x")
