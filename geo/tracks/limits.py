"""What one track file may unpack to and hold: the shared guard of every reader.

A file is refused (:class:`~geo.errors.PayloadTooLarge`, HTTP 413) as soon as it passes a
limit, never after the work is done:

* compressed data (gzip, a KMZ's zip members) is unpacked in chunks and stops at
  ``max_unpacked_bytes`` or once it grows more than ``max_unpack_ratio`` times the compressed
  bytes read so far (a compression bomb);
* an archive may hold at most ``max_archive_members`` entries;
* readers count fixes while they read and stop at ``max_fixes``
  (:meth:`ReadLimits.check_fixes` in each reader's loop);
* a CSV may have at most ``max_columns`` columns, checked before any per-column work.

The HTTP server builds its limits from the settings
(:meth:`geo.settings.ServerSettings.read_limits`); the CLI uses the defaults below.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from geo.errors import PayloadTooLarge

#: Unpacked bytes below which the ratio is not checked (a small file of blanks is no bomb).
RATIO_FLOOR_BYTES = 1_000_000
_CHUNK = 1 << 20


class Readable(Protocol):
    """A file object read in chunks (``gzip.GzipFile``, a zip member)."""

    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True)
class ReadLimits:
    """The limits of one track file (see the module docstring)."""

    max_fixes: int | None = None
    """Most fixes in one file; None: no limit (the CLI)."""
    max_unpacked_bytes: int = 200_000_000
    """Most bytes a gzip file or a KMZ's .kml may unpack to."""
    max_unpack_ratio: float = 100.0
    """Most unpacked bytes per compressed byte (real GPS files: 20 at most)."""
    max_archive_members: int = 100
    """Most entries in a KMZ (zip) archive."""
    max_columns: int = 256
    """Most columns in a CSV track."""

    def check_fixes(self, count: int, *, source: str) -> None:
        """Refuse once a reader has counted more than ``max_fixes`` fixes.

        Examples
        --------
        >>> ReadLimits(max_fixes=2).check_fixes(2, source="a.gpx")
        >>> ReadLimits(max_fixes=2).check_fixes(3, source="a.gpx")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        geo.errors.PayloadTooLarge: a.gpx: the file has more than 2 fixes; the limit is 2 ...
        """
        if self.max_fixes is not None and count > self.max_fixes:
            raise PayloadTooLarge(
                f"the file has more than {self.max_fixes:,} fixes; the limit is "
                f"{self.max_fixes:,} per upload: send it in parts",
                source=source,
            )

    def check_columns(self, count: int, *, source: str) -> None:
        """Refuse a table with more than ``max_columns`` columns (before any per-column work)."""
        if count > self.max_columns:
            raise PayloadTooLarge(
                f"the file has {count:,} columns; the limit is {self.max_columns:,}",
                source=source,
            )

    def unpack(
        self, stream: Readable, *, consumed: Callable[[], int], what: str, source: str
    ) -> bytes:
        """Read a decompressing ``stream`` in chunks, refusing once it passes a limit.

        Parameters
        ----------
        stream
            A file object that decompresses as it is read (``gzip.GzipFile``, ``ZipFile.open``).
        consumed
            The compressed bytes read so far (for the ratio).
        what
            What is unpacked, for the message (``"the gzip data"``, ``"the KMZ's doc.kml"``).
        source
            The file name, for the message.

        Raises
        ------
        PayloadTooLarge
            More than ``max_unpacked_bytes``, or more than ``max_unpack_ratio`` times the
            compressed bytes read (past :data:`RATIO_FLOOR_BYTES`).
        """
        out = io.BytesIO()
        size = 0
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > self.max_unpacked_bytes:
                raise PayloadTooLarge(
                    f"{what} unpacks to more than {self.max_unpacked_bytes:,} bytes; the limit "
                    f"is {self.max_unpacked_bytes:,}: send it in parts",
                    source=source,
                )
            if size > RATIO_FLOOR_BYTES and size > self.max_unpack_ratio * max(consumed(), 1):
                raise PayloadTooLarge(
                    f"{what} unpacks to more than {self.max_unpack_ratio:g} times its compressed "
                    f"size (the limit): refused as a compression bomb",
                    source=source,
                )
            out.write(chunk)
        # getvalue() hands over the buffer without a copy when nothing else holds it.
        return out.getvalue()


#: The limits of the CLI and of callers that give none.
DEFAULT_LIMITS = ReadLimits()
