"""The optional alert scheduler inside ``geo serve`` (``--alerts-at HH:MM``,
``GEO_ALERTS_AT``): each day at that township-local time the week so far is judged and its
alerts enqueued (:func:`geo.operations.run_alerts`), and every few minutes the outbox's due
messages are sent (:func:`geo.operations.send_due_alerts`), so a webhook that was down gets
its messages once it is back.

It runs as one asyncio task per server process whose work goes to a thread, so requests are
never waited on; an error (a webhook down, the store unreachable) is logged and the next wake
tries again. Several server processes (``--workers``) may each run one without sending
anything twice: enqueuing is idempotent (the outbox's unique key: township, target, day and
villages at risk), a day already judged by any process (a message of that day in the outbox)
is not judged again, and each message is claimed by one conditional UPDATE before it is sent
(:meth:`geo.store.base.Store.claim_alert`), so exactly one process sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from geo import operations
from geo.errors import GeoError
from geo.settings import AlertSettings
from geo.store import Store

log = logging.getLogger("geo.alerts")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AlertScheduler:
    """Judges each township's week at ``at`` (township-local time) once a day, and drains the
    outbox at every tick.

    Parameters
    ----------
    store
        The server's store.
    settings
        The webhook targets, timeout, time of day (``alerts_at``) and the drain interval.
    clock
        The current time, UTC (tests give their own).
    """

    store: Store
    settings: AlertSettings
    clock: Callable[[], datetime] = _utc_now
    judged: dict[str, date] = field(default_factory=dict)
    _zones: dict[str, ZoneInfo] = field(default_factory=dict)

    @property
    def at(self) -> time:
        assert self.settings.alerts_at is not None
        return self.settings.alerts_at

    def _zone(self, township: str) -> ZoneInfo:
        if township not in self._zones:
            self._zones[township] = self.store.load_layers(township).info.tz
        return self._zones[township]

    def tick(self, now: datetime | None = None) -> list[operations.AlertRun]:
        """One wake: judge every township whose local time passed ``at`` and whose day is
        not judged yet (by this or another process), then send what is due in the outbox.
        The runs made, one per township judged."""
        now = now or self.clock()
        targets = self.settings.alert_targets
        timeout = self.settings.alert_timeout_seconds
        runs = []
        for township in self.store.townships():
            local = now.astimezone(self._zone(township))
            day = local.date()
            if local.time() < self.at or self.judged.get(township) == day:
                continue
            if any(m.as_of == day.isoformat() for m in self.store.alerts(township)):
                self.judged[township] = day  # judged today by another process
                continue
            try:
                run = operations.run_alerts(
                    self.store, township, targets, as_of=day, now=now, timeout=timeout
                )
            except GeoError as exc:  # this township only; the others and the drain go on
                log.warning("alerts of %s on %s not judged: %s", township, day, exc)
                continue
            runs.append(run)
            self.judged[township] = day
            log.info("alerts judged for %s on %s: %s", township, day, run)
        operations.send_due_alerts(self.store, targets, now=now, timeout=timeout)
        return runs

    def next_wake(self, now: datetime) -> datetime:
        """The earlier of the next drain and the next ``at`` of any township."""
        wake = now + timedelta(minutes=self.settings.alert_retry_minutes)
        for zone in self._zones.values():
            local = now.astimezone(zone)
            today = datetime.combine(local.date(), self.at, tzinfo=zone)
            nxt = today if today > local else today + timedelta(days=1)
            wake = min(wake, nxt.astimezone(UTC))
        return wake

    async def run(self, stop: asyncio.Event) -> None:
        """Tick (in a thread) until ``stop`` is set; errors are logged, never raised."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.tick)
            except Exception:  # a store or webhook failure: try again at the next wake
                log.exception("alert scheduler tick failed")
            now = self.clock()
            delay = max((self.next_wake(now) - now).total_seconds(), 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)


@dataclass
class RunningScheduler:
    """The scheduler's task in a server process (none when ``alerts_at`` is unset)."""

    task: asyncio.Task[None] | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    grace_seconds: float = 30.0

    async def stop(self) -> None:
        """Ask the task to end and wait for it a bounded time (a tick under way finishes)."""
        self.stopping.set()
        if self.task is not None:
            await asyncio.wait({self.task}, timeout=self.grace_seconds)


def start_alert_scheduler(store: Store, settings: AlertSettings) -> RunningScheduler:
    """Start the scheduler as a task of the running event loop when ``settings.alerts_at`` is
    set (``geo serve --alerts-at``); a handle whose :meth:`RunningScheduler.stop` ends it."""
    running = RunningScheduler(grace_seconds=2 * settings.alert_timeout_seconds + 30)
    if settings.alerts_at is None:
        return running
    if not settings.alert_targets:
        log.warning("GEO_ALERTS_AT is set but GEO_ALERT_TARGETS is empty: nothing is sent")
    scheduler = AlertScheduler(store, settings)
    running.task = asyncio.get_running_loop().create_task(scheduler.run(running.stopping))
    return running


__all__ = ["AlertScheduler", "RunningScheduler", "start_alert_scheduler"]
