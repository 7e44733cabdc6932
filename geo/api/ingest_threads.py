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
plausibility check derives from them (the projected road network) and, on every thread, the
transformers to the township's metric CRS. Without it the first burst after a start paid them
(about 0.2 s of CPU per thread and direction), in every process of ``geo serve --workers``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np

from geo.crs import to_metric
from geo.errors import GeoError
from geo.plausibility import township_index

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

    For every township in the store: its layers into ``cache``, the plausibility check's
    :func:`~geo.plausibility.township_index`, and on every ingest thread the transformer from
    WGS-84 to its metric CRS. A store that cannot be read (PostGIS down at start) is skipped:
    the first uploads then pay these costs as before.
    """
    points: dict[str, tuple[float, float]] = {}
    try:
        for code in store.townships():
            layers = cache.get(store, code)
            township_index(layers)
            minx, miny, _, _ = layers.outline.total_bounds
            points[layers.info.metric_crs] = (float(minx), float(miny))
    except GeoError as exc:
        log.warning("warm-up skipped: %s", exc)
        return

    def transformers() -> None:
        for crs, (lon, lat) in points.items():
            to_metric(np.array([lon]), np.array([lat]), crs)

    threads.on_each_thread(transformers)
