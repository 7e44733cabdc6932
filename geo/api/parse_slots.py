"""A cap on heavy uploads parsed at once, so that bombs sent together cannot take the memory.

An upload is heavy when it is compressed (gzip, or a KMZ's zip) or larger than
``heavy_upload_bytes``: those may unpack to ``max_unpacked_bytes`` and hold up to
``max_upload_fixes`` fixes. At most ``max_heavy_parses`` of them are read, cleaned and stored
at once; another waits up to ``parse_wait_seconds`` for a slot, then gets a 503 problem with
``Retry-After`` (:class:`~geo.errors.ServerBusy`). Small plain files (a phone's GPX of a patrol)
never wait for a slot.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from geo.errors import ServerBusy
from geo.settings import ServerSettings

_COMPRESSED = (b"\x1f\x8b", b"PK")


class ParseSlots:
    """``size`` slots for heavy parses; a heavy upload waits ``wait_seconds`` at most."""

    def __init__(self, size: int, wait_seconds: float, heavy_bytes: int) -> None:
        self.size = size
        self.wait_seconds = wait_seconds
        self.heavy_bytes = heavy_bytes
        self._free = asyncio.Semaphore(size)

    @classmethod
    def from_settings(cls, server: ServerSettings) -> ParseSlots:
        """The slots the settings ask for."""
        return cls(server.max_heavy_parses, server.parse_wait_seconds, server.heavy_upload_bytes)

    def is_heavy(self, data: bytes) -> bool:
        """Compressed, or over the heavy size."""
        return len(data) > self.heavy_bytes or data[:2] in _COMPRESSED

    @asynccontextmanager
    async def slot(self, data: bytes) -> AsyncIterator[None]:
        """Hold a slot while ``data`` is parsed and stored (none for a light upload).

        Raises
        ------
        ServerBusy
            Every slot stayed taken for ``wait_seconds``.
        """
        if not self.is_heavy(data):
            yield
            return
        try:
            await asyncio.wait_for(self._free.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            retry = max(1, math.ceil(self.wait_seconds))
            raise ServerBusy(
                f"{self.size} large or compressed uploads are being read; send it again in "
                f"{retry} s",
                retry_after=retry,
            ) from None
        try:
            yield
        finally:
            self._free.release()
