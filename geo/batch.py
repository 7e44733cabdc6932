"""Coverage of many township-weeks at once (``geo batch coverage``), on Dask.

One task per township-week. A task carries only where the store is (:class:`StoreAddress`:
plain strings) and which township-week to compute; inside the worker it opens the store (once
per process, :func:`worker_store`), reads the township's layers (once per process while they
are unchanged, :class:`geo.layers_cache.LayersCache`), computes the week with the one engine
(:func:`geo.operations.week_coverage`, as ``geo coverage`` does) and writes the result back.
The coordinator receives a small :class:`Outcome` per task, never a frame or a result.

Where the tasks run:

- ``scheduler`` given: a running ``dask scheduler`` and its workers (PostGIS only: a worker
  on another machine cannot share the GeoPackage file);
- else a :class:`distributed.LocalCluster` sized to the machine: one process per core, one
  thread each (numba's kernels run on one thread in a worker, so N workers use N cores);
- ``in_process``: no Dask at all, the tasks one after the other here (the reference the tests
  compare with, and a store too small to be worth processes).

The GeoPackage file takes a LocalCluster of processes: SQLite (WAL) lets every process read at
once and queues their writes, and a week's write is one short transaction (docs/deploy.md).

A failed township-week is an :class:`Outcome` with its error, reported at the end; the others
go on. Nothing here holds state a worker cannot rebuild: no settings (the address is passed),
engines made in the worker's process, numba's compiled kernels loaded from its on-disk cache.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from geo.coverage.evaluate import Method
from geo.errors import GeoError, InvalidInput
from geo.layers_cache import LayersCache
from geo.store import Store, open_store
from geo.weeks import IsoWeek

if TYPE_CHECKING:
    from distributed import Client

Status = Literal["computed", "current", "failed"]


@dataclass(frozen=True)
class StoreAddress:
    """Where a worker finds the store: a PostGIS URL, or the GeoPackage file's path."""

    database_url: str | None
    gpkg_path: str

    @property
    def embedded(self) -> bool:
        """Whether the store is the GeoPackage file (one machine's disk)."""
        return not self.database_url

    def open(self) -> Store:
        """A new store at this address."""
        return open_store(self.database_url, Path(self.gpkg_path))


@dataclass(frozen=True)
class Outcome:
    """What became of one township-week."""

    township: str
    week: str
    status: Status
    seconds: float
    fixes_used: int = 0
    error: str = ""
    cpu_seconds: float = 0.0
    """CPU time of the task's thread (the database's work for it is the server's)."""


@dataclass(frozen=True)
class BatchReport:
    """Every township-week's outcome, the wall time and how many workers ran them."""

    outcomes: list[Outcome]
    seconds: float
    workers: int
    where: str
    memory_mb: dict[str, float] = field(default_factory=dict)
    """Each worker's peak resident memory (MB) when the batch ended (Dask runs only)."""
    startup_seconds: float = 0.0
    """Of :attr:`seconds`, the time until the workers were ready (cluster started, geo
    imported in each): the rest is the township-weeks'."""

    def count(self, status: Status) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


# Per worker process: the stores it opened (by address) and the layers it read. A process
# keeps them across tasks; nothing of them travels between processes.
_STORES: dict[StoreAddress, Store] = {}
_LAYERS: dict[StoreAddress, LayersCache] = {}


def worker_store(address: StoreAddress) -> Store:
    """This process's store at ``address``, opened on first use (its engine and pool are this
    process's own: a connection never crosses a fork or a pickle)."""
    store = _STORES.get(address)
    if store is None:
        store = _STORES[address] = address.open()
        _LAYERS[address] = LayersCache()
    return store


def close_worker_stores() -> None:
    """Close the stores this process opened (a worker's teardown)."""
    while _STORES:
        address, store = _STORES.popitem()
        _LAYERS.pop(address, None)
        store.close()


def compute_township_week(
    address: StoreAddress, township: str, week: str, *, stale: bool, method: Method
) -> Outcome:
    """One task: the township-week computed and stored again (or, with ``stale``, only when
    its stored result is missing or out of date). Errors are the outcome, not raised, so one
    bad township-week does not stop the batch."""
    from geo import operations

    started, cpu = time.perf_counter(), time.thread_time()
    try:
        _one_numba_thread_in_a_worker()
        store = worker_store(address)
        layers = _LAYERS[address].get(store, township)
        iso = IsoWeek.parse(week)
        if stale and operations.current_week(store, layers, iso, method=method) is not None:
            return Outcome(township, week, "current", time.perf_counter() - started)
        result = operations.week_coverage(
            store, township, iso, refresh=True, method=method, layers=layers
        )
    except GeoError as exc:
        return _failed(township, week, started, exc.one_line())
    except Exception as exc:  # a bug or a lost worker resource: reported, the batch goes on
        return _failed(township, week, started, f"internal error {type(exc).__name__}: {exc}")
    return Outcome(
        township,
        week,
        "computed",
        time.perf_counter() - started,
        result.fixes_used,
        cpu_seconds=time.thread_time() - cpu,
    )


def _failed(township: str, week: str, started: float, error: str) -> Outcome:
    return Outcome(township, week, "failed", time.perf_counter() - started, error=error)


def township_weeks(
    store: Store, townships: Sequence[str] | None, weeks: Sequence[IsoWeek]
) -> list[tuple[str, str]]:
    """The (township, week) pairs of a batch: ``townships`` (None: every stored one) × weeks.

    Raises
    ------
    geo.errors.NotFound
        A named township is not in the store, or the store holds none.
    """
    from geo import operations

    if townships is None:
        codes = store.townships()
        if not codes:
            operations.resolve_township(store, None)  # raises: no township stored
    else:
        codes = [operations.resolve_township(store, code) for code in townships]
    return [(code, str(week)) for code in codes for week in weeks]


def local_workers() -> int:
    """Workers of a LocalCluster sized to the machine: one per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB (run on each worker)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _one_numba_thread_in_a_worker() -> None:
    """In a Dask worker, numba's parallel kernels run on one thread (one worker per core; the
    setting is per thread, so it is made in the thread that runs the task). Elsewhere (in
    process) they keep every core."""
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return
    import numba

    numba.set_num_threads(1)


@contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[tuple[Client, str]]:
    """A client on ``scheduler``, or on a LocalCluster of ``workers`` processes (default:
    :func:`local_workers`) with one thread each; closed (and the cluster stopped) on exit."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="30s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise GeoError(
                f"cannot reach the Dask scheduler at {scheduler} ({exc}); is it running "
                "(docs/deploy.md)?"
            ) from None
        with client:
            yield client, scheduler
        return
    n = workers or local_workers()
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            # Its HTTP server (health, and the dashboard when bokeh is installed) on a free
            # port: two batches on one machine do not collide on 8787.
            dashboard_address=":0",
            silence_logs=logging.ERROR,
            # Numba reads this when a worker starts: its kernels' thread pool has one thread.
            env={"NUMBA_NUM_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client, f"LocalCluster of {n} processes"


def check_cluster(address: StoreAddress, scheduler: str | None, workers: int | None) -> None:
    """Refuse what cannot run: a scheduler for the GeoPackage store, workers with a scheduler.

    Raises
    ------
    geo.errors.InvalidInput
        With the one-line reason.
    """
    if scheduler and address.embedded:
        raise InvalidInput(
            "--scheduler needs PostGIS (GEO_DATABASE_URL): the GeoPackage file is on this "
            "machine's disk, which another machine's workers cannot share; leave out "
            "--scheduler to use this machine's cores"
        )
    if scheduler and workers:
        raise InvalidInput("--workers sizes the local cluster; a --scheduler has its own workers")


def run_batch(
    address: StoreAddress,
    pairs: Sequence[tuple[str, str]],
    *,
    stale: bool = False,
    method: Method = "fast",
    scheduler: str | None = None,
    workers: int | None = None,
    in_process: bool = False,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> BatchReport:
    """Compute the township-weeks ``pairs`` and store their results.

    Parameters
    ----------
    address
        Where the store is; each worker opens it itself.
    pairs
        ``(township, week)`` pairs, e.g. from :func:`township_weeks`.
    stale
        Only township-weeks whose stored result is missing or out of date (a layer, rule,
        camera status or upload changed since); the others are ``current``.
    scheduler
        ``tcp://host:8786`` of a running Dask scheduler; None for a LocalCluster.
    workers
        Processes of the LocalCluster (default: one per core).
    in_process
        Compute here, one after the other, without Dask.
    on_outcome
        Called with each outcome as it arrives (progress).

    Raises
    ------
    geo.errors.InvalidInput
        A scheduler for the GeoPackage store, or workers with a scheduler.
    """
    check_cluster(address, scheduler, workers)
    notify = on_outcome or (lambda _: None)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    if in_process:
        try:
            for township, week in pairs:
                outcome = compute_township_week(address, township, week, stale=stale, method=method)
                outcomes.append(outcome)
                notify(outcome)
        finally:
            close_worker_stores()
        return BatchReport(outcomes, time.perf_counter() - started, 1, "in process")
    with dask_client(scheduler, workers) as (client, where):
        client.run(_warm_up)
        ready = time.perf_counter() - started
        outcomes, memory = _run_on(client, address, pairs, stale, method, notify)
        n = len(client.scheduler_info(n_workers=-1)["workers"])
    return BatchReport(outcomes, time.perf_counter() - started, n, where, memory, ready)


def _warm_up() -> None:
    """Import the engine and the store on a worker before its first task."""
    import geo.coverage.raster
    import geo.operations
    import geo.store.sql  # noqa: F401


def _run_on(
    client: Client,
    address: StoreAddress,
    pairs: Sequence[tuple[str, str]],
    stale: bool,
    method: Method,
    notify: Callable[[Outcome], None],
) -> tuple[list[Outcome], dict[str, float]]:
    from distributed import as_completed

    batch = uuid.uuid4().hex[:8]
    futures = {
        client.submit(
            compute_township_week,
            address,
            township,
            week,
            stale=stale,
            method=method,
            key=f"coverage-{township}-{week}-{batch}",
            pure=False,
        ): (township, week)
        for township, week in pairs
    }
    outcomes: list[Outcome] = []
    for future in as_completed(futures):
        township, week = futures[future]
        if future.status == "finished":
            outcome: Outcome = future.result()
        else:  # the task itself failed: its worker died or it could not be run
            exc = future.exception()
            error = f"the task failed on its worker: {type(exc).__name__}: {exc}"
            outcome = Outcome(township, week, "failed", 0.0, error=error)
        outcomes.append(outcome)
        notify(outcome)
        future.release()
    memory = {str(k): float(v) for k, v in client.run(_peak_rss_mb).items()}
    client.run(close_worker_stores)
    return outcomes, memory
