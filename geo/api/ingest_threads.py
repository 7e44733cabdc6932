"""The ingest threads: uploads are parsed, checked and stored on a few long-lived threads.

The upload path projects coordinates with pyproj, whose transformers hold one PROJ object per
thread (:class:`pyproj.Transformer`), built on a thread's first use. Building one for a
township's CGCS2000 zone (EPSG:4546 for the demo township) takes about half a second of CPU.
Starlette's thread pool starts up to 40 threads and ends a thread after 10 s idle, so every
burst of uploads paid those half seconds again on fresh threads: 50 phones uploading at once
waited 2.2 s (p50) for work that takes a twentieth of that. Here a fixed pool (two threads a
CPU, at most eight) lives as long as the app, so each thread builds its transformers once in
the life of the process; it also bounds how many uploads are parsed at the same time.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

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

    def close(self) -> None:
        """Finish the uploads under way and end the threads (the app's shutdown)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
