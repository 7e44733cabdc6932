"""The one text decoder of track files, and the sniffed start of a file.

Every text reader (CSV, NMEA, PLT, SRT, AirData, DJI CSV, GeoJSON) receives ``str``: ingest
decodes the bytes once, here, before the reader runs (:func:`geo.ingest.pipeline.read_format`).
The order is the same for every format:

1. a byte-order mark says the encoding (UTF-8, UTF-16 LE/BE);
2. NUL bytes in the first 512 bytes mean UTF-16 without a mark (LE or BE from where the NULs
   fall);
3. UTF-8;
4. GB18030 (Chinese Windows exports; GBK is a subset).

A file that is none of these is refused naming the line of the first undecodable byte. An
encoding that had to be guessed (no mark, not UTF-8) is noted for the uploader.

Format detection reads only the start of a file (:class:`Head`), decoded the same way but
never refused (undecodable bytes are replaced).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from geo.errors import InvalidFile

#: Bytes format detection looks at.
HEAD_BYTES = 8192
#: Bytes looked at for NULs (UTF-16 without a byte-order mark).
_NUL_PROBE = 512
_BLANK = b"\xef\xbb\xbf\xff\xfe \t\r\n\x00"


@dataclass(frozen=True)
class DecodedText:
    """A file's text and, when its encoding was guessed, a note for the uploader."""

    text: str
    note: str | None = None


def is_blank(data: bytes) -> bool:
    """True for an empty file or one holding only whitespace, BOMs and NULs (without copying
    a large file).

    Examples
    --------
    >>> is_blank(b"\\xef\\xbb\\xbf \\r\\n"), is_blank(b" x ")
    (True, False)
    """
    if len(data) > 4096 and data[:4096].strip(_BLANK):
        return False
    return not data.strip(_BLANK)


def refuse_empty(data: bytes, *, source: str) -> None:
    """Refuse an empty file: the one place "the file is empty" is said.

    Raises
    ------
    InvalidFile
        The file holds nothing but whitespace, byte-order marks and NULs.
    """
    if is_blank(data):
        raise empty_file(source)


def empty_file(source: str) -> InvalidFile:
    """The refusal of a file with nothing in it (also for a document without content)."""
    return InvalidFile("the file is empty", source=source)


def _utf16_without_mark(body: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the start of ``body`` holds NULs, else None."""
    head = body[:_NUL_PROBE]
    if b"\x00" not in head:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    return "utf-16-le" if odd > even else "utf-16-be"


def decode_text(data: bytes, *, source: str, lenient: bool = False) -> DecodedText:
    """Decode a text upload (see the module docstring for the order).

    Parameters
    ----------
    data
        The file's bytes.
    source
        The file name, for messages.
    lenient
        Replace undecodable bytes instead of refusing the file, and never guess GB18030: for
        ASCII formats whose lines carry their own check (an NMEA sentence with a stray byte
        then fails its checksum and is skipped).

    Returns
    -------
    DecodedText
        The text without byte-order mark; ``note`` when the encoding was guessed.

    Raises
    ------
    InvalidFile
        Bytes that are none of the encodings, naming the line of the first undecodable byte.

    Examples
    --------
    >>> decode_text("经度,纬度".encode("gb18030"), source="t.csv")
    DecodedText(text='经度,纬度', note='decoded as GB18030 (the file is not UTF-8)')
    >>> decode_text(b"\\xff\\xfel\\x00o\\x00n\\x00", source="t.csv").text
    'lon'
    """
    errors = "replace" if lenient else "strict"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return DecodedText(data.decode("utf-16", errors=errors))
        except UnicodeDecodeError:
            raise InvalidFile(
                "the file is not UTF-8 text: it starts with a UTF-16 byte-order mark but is not "
                "UTF-16 text either",
                source=source,
            ) from None
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    utf16 = _utf16_without_mark(body)
    if utf16 is not None:
        note = f"decoded as {utf16.upper()} (no byte-order mark)"
        try:
            return DecodedText(body.decode(utf16, errors=errors), note)
        except UnicodeDecodeError:
            raise InvalidFile(
                "the file contains NUL bytes: it is not a text file (or not UTF-8 text)",
                source=source,
            ) from None
    try:
        return DecodedText(body.decode("utf-8", errors=errors))
    except UnicodeDecodeError:
        pass
    try:
        return DecodedText(body.decode("gb18030"), "decoded as GB18030 (the file is not UTF-8)")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise InvalidFile(
            "the file is neither UTF-8 nor GB18030 text; save it as UTF-8",
            source=source,
            place=f"line {line}",
        ) from None


@dataclass(frozen=True)
class Head:
    """The start of a file, as format detection sees it.

    ``raw`` is the first :data:`HEAD_BYTES` bytes; ``text`` the same decoded as
    :func:`decode_text` would (undecodable bytes replaced) and stripped of byte-order mark and
    leading whitespace; ``lower`` is ``text`` in lower case.
    """

    raw: bytes
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def first_line(self) -> str:
        """The first line of ``text`` ("" for none)."""
        lines = self.text.splitlines()
        return lines[0] if lines else ""

    @classmethod
    def of(cls, data: bytes) -> Head:
        """The head of ``data`` (only its first :data:`HEAD_BYTES` bytes are read).

        Examples
        --------
        >>> Head.of(b"\\xef\\xbb\\xbf  lon,lat\\n1,2\\n").first_line
        'lon,lat'
        """
        raw = data[:HEAD_BYTES]
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = raw.decode("utf-16", errors="replace")
        else:
            body = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
            utf16 = _utf16_without_mark(body)
            text = body.decode(utf16 or "utf-8", errors="replace")
        return cls(raw=raw, text=text.lstrip("\ufeff \t\r\n"))
