"""The ingest threads: uploads are parsed, checked and stored on a few long-lived threads.

The upload path projects coordinates with pyproj, whose transformers hold one PROJ object per
thread (:class:`pyproj.Transformer`), built on a thread's first use. Building one for a
township's CGCS2000 zone (EPSG:4546 for the demo township) takes about half a second of CPU.
Starlette's thread pool starts up to 40 threads and ends a thread after 10 s idle, so every
burst of uploads paid those half seconds again on fresh threads: 50 phones uploading at once
waited 2.2 s (p50) for work that takes a twentieth of that. Here a fixed pool (two threads a
CPU, at most eight) lives as long as the app, so each thread builds its transformers once in
the life of the process; it also bounds how many uploads are parsed at the same time.

:func:`warm_up` does the rest of the first upload's fixed cost when the app starts, before it
answers ``/readyz``: each township's layers loaded into the :class:`LayersCache`, what the
plausibility check derives from them (the projected road network) and, on every thread, a
small track prepared (its transformers, about 0.2 s of CPU per thread and direction, and the
readers' compiled code loaded). Without it the first burst after a start paid them, in every
process of ``geo serve --workers``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np
import pandas as pd

from geo.errors import GeoError
from geo.ingest.pipeline import prepare_upload
from geo.ingest.plausibility import township_index
from geo.layers import TownshipLayers
from geo.tracks.gpx_write import write_gpx

if TYPE_CHECKING:
    from geo.api.dependencies import LayersCache
    from geo.store import Store

P = ParamSpec("P")
T = TypeVar("T")

#: Threads of the pool: CPU-bound work under the GIL, with waits on the database.
WORKERS = min(8, 2 * (os.cpu_count() or 1))


class IngestThreads:
    """A fixed pool of long-lived threads for the upload path (one per app).

    Parameters
    ----------
    workers
        Threads in the pool; :data:`WORKERS` when None.
    """

    def __init__(self, workers: int | None = None):
        self.workers = workers or WORKERS
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="geo-ingest")

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` on a pool thread, in the caller's context (request id
        in the log lines), and wait for it without blocking the event loop."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def on_each_thread(self, fn: Callable[[], object]) -> None:
        """Run ``fn()`` once on every thread of the pool and wait (started threads stay)."""
        barrier = threading.Barrier(self.workers)

        def once() -> None:
            barrier.wait(timeout=60)  # every task on a thread of its own
            fn()

        for done in [self._pool.submit(once) for _ in range(self.workers)]:
            done.result()

    def close(self) -> None:
        """Finish the uploads under way and end the threads (the app's shutdown)."""
        self._pool.shutdown(wait=True, cancel_futures=True)


log = logging.getLogger(__name__)


def warm_up(threads: IngestThreads, cache: LayersCache, store: Store) -> None:
    """Pay the upload path's one-time costs now, not in the first burst of uploads.

    For every township in the store: its layers into ``cache`` and the plausibility check's
    :func:`~geo.ingest.plausibility.township_index`; then every ingest thread prepares (reads,
    checks and cleans, never stores) a small track of each township, which builds that thread's
    transformers and loads the compiled readers. A store that cannot be read (PostGIS down at
    start) is skipped: the first uploads then pay these costs as before.
    """
    samples: list[tuple[TownshipLayers, bytes]] = []
    try:
        for code in store.townships():
            layers = cache.get(store, code)
            township_index(layers)
            samples.append((layers, _sample_track(layers)))
    except GeoError as exc:
        log.warning("warm-up skipped: %s", exc)
        return

    def prepare() -> None:
        for layers, data in samples:
            with contextlib.suppress(GeoError):  # a township without squads, say
                prepare_upload(
                    data, filename="warm-up.gpx", layers=layers, squad=layers.squads()[0]
                )

    threads.on_each_thread(prepare)


def _sample_track(layers: TownshipLayers) -> bytes:
    """A minute's walk from a point of the township, as GPX."""
    point = layers.outline.geometry.iloc[0].representative_point()
    steps = np.arange(60, dtype=np.float64)
    times = pd.Series(pd.date_range("2026-01-05 01:00", periods=60, freq="s", tz="UTC"))
    return write_gpx(point.x + steps * 1e-5, point.y + steps * 1e-5, times)
