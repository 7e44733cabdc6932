"""The reader contract, checked for every format in the registry (geo/tracks/registry.py).

Whatever a reader is given, it answers with a :class:`ParsedTrack` or one clear
:mod:`geo.errors` error naming the file, never another exception: an empty file, a file cut
short, binary garbage, text in an encoding that is none of those accepted, and a file over the
:class:`ReadLimits`. Every row of the registry is tested; a new format needs only its sample in
tests/tracks/samples.py.
"""

from __future__ import annotations

import codecs
import gzip
import random
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from geo.errors import GeoError, InvalidFile, PayloadTooLarge
from geo.ingest.pipeline import detect_format, read_format, read_track
from geo.tracks.fixes import FIX_COLUMNS, ParsedTrack
from geo.tracks.limits import ReadLimits
from geo.tracks.registry import BY_NAME, FORMATS, TrackFormat
from tests.tracks.samples import SAMPLES

TZ = ZoneInfo("Asia/Shanghai")
SOURCE = "upload.dat"
FORMAT_NAMES = [row.name for row in FORMATS]
TEXT_FORMATS = [row.name for row in FORMATS if row.takes == "text"]


def read(fmt: str, data: bytes, limits: ReadLimits | None = None) -> ParsedTrack:
    return read_format(fmt, data, source=SOURCE, tz=TZ, **({"limits": limits} if limits else {}))


def refusal(call: Callable[[], object], kind: type[GeoError] = InvalidFile) -> GeoError:
    """The error ``call`` raises: of ``kind``, naming the file, in one line."""
    with pytest.raises(kind) as caught:
        call()
    exc = caught.value
    assert exc.source == SOURCE
    assert exc.detail.strip()
    line = exc.one_line()
    assert line.startswith(SOURCE) and "\n" not in line
    return exc


def read_or_refused(fmt: str, data: bytes) -> ParsedTrack | None:
    """A valid fixes frame, or None after a clear :class:`InvalidFile`; nothing else."""
    try:
        parsed = read(fmt, data)
    except InvalidFile as exc:
        assert exc.source == SOURCE and "\n" not in exc.one_line()
        return None
    assert set(FIX_COLUMNS) <= set(parsed.fixes.columns)
    assert str(parsed.fixes["time"].dtype) == "datetime64[ms, UTC]"
    return parsed


def first_line_end(sample: bytes) -> int:
    """Where the first line ends (a third into a file of one line)."""
    return sample.index(b"\n") + 1 if b"\n" in sample else len(sample) // 3


def test_every_registered_format_has_a_sample() -> None:
    assert set(SAMPLES) == set(BY_NAME)
    assert len(FORMATS) == len(BY_NAME)  # names are unique


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_the_sample_is_detected_and_read(fmt: str) -> None:
    sample = SAMPLES[fmt]
    assert detect_format(sample, SOURCE) == fmt
    assert len(read(fmt, sample).fixes) >= 2
    via_ingest = read_track(gzip.compress(sample), filename=SOURCE, tz=TZ)
    assert via_ingest.fixes.equals(read(fmt, sample).fixes)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b" \r\n\t\r\n", b"\xff\xfe", b"\x00" * 8])
def test_empty(fmt: str, data: bytes) -> None:
    exc = refusal(lambda: read(fmt, data))
    assert exc.detail == "the file is empty"


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_truncated(fmt: str) -> None:
    sample = SAMPLES[fmt]
    first_line = first_line_end(sample)
    for cut in range(1, len(sample), max(1, len(sample) // 40)):
        parsed = read_or_refused(fmt, sample[:cut])
        if parsed is not None:
            assert len(parsed.fixes) <= len(read(fmt, sample).fixes)
    # Cut before the first position: nothing to read, refused.
    refusal(lambda: read(fmt, sample[: min(first_line, 12)]))


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
@pytest.mark.parametrize("seed", range(4))
def test_binary_garbage(fmt: str, seed: int) -> None:
    garbage = random.Random(seed).randbytes(4096)
    refusal(lambda: read(fmt, garbage))
    refusal(lambda: read_track(garbage, filename=SOURCE, tz=TZ))


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_wrong_encoding(fmt: str) -> None:
    """Bytes that are neither UTF-8, UTF-16 nor GB18030 after the first line."""
    sample = SAMPLES[fmt]
    cut = first_line_end(sample)
    broken = sample[:cut] + b"\xff\xfe\xfd\x80" + sample[cut:]
    row: TrackFormat = BY_NAME[fmt]
    if row.takes == "text" and not row.lenient:
        exc = refusal(lambda: read(fmt, broken))
        assert "neither UTF-8 nor GB18030" in exc.detail
        line = sample[:cut].count(b"\n") + 1
        assert exc.place == f"line {line}"
        return
    # Lenient text (undecodable bytes replaced: the line they are on fails its own check) and
    # formats that decode themselves (GPX's scanner skips bytes between elements): refused,
    # or read without the bytes changing a value.
    parsed = read_or_refused(fmt, broken)
    if parsed is not None:
        assert parsed.fixes[["lon", "lat"]].equals(read(fmt, sample).fixes[["lon", "lat"]])


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize(
    "encode",
    [
        lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
        lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
        lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
        lambda t: t.encode("utf-16-le"),
        lambda t: t.encode("utf-16-be"),
        lambda t: t.encode("gb18030"),
    ],
    ids=["utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-16-le", "utf-16-be", "gb18030"],
)
def test_every_accepted_encoding_reads_the_same(fmt: str, encode: Callable[[str], bytes]) -> None:
    """One decoder for every text format: the same fixes whatever the accepted encoding."""
    sample = SAMPLES[fmt]
    data = encode(sample.decode("utf-8"))
    assert detect_format(data, SOURCE) == fmt
    assert read(fmt, data).fixes.equals(read(fmt, sample).fixes)


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_huge(fmt: str) -> None:
    sample = SAMPLES[fmt]
    fixes = len(read(fmt, sample).fixes)
    exc = refusal(lambda: read(fmt, sample, ReadLimits(max_fixes=fixes - 1)), PayloadTooLarge)
    assert f"more than {fixes - 1:,} fixes" in exc.detail
    assert len(read(fmt, sample, ReadLimits(max_fixes=100)).fixes) == fixes
    # Unpacked past the limit (a gzip upload): refused before any reader runs.
    packed = gzip.compress(sample * 10)
    refusal(
        lambda: read_track(
            packed, filename=SOURCE, tz=TZ, limits=ReadLimits(max_unpacked_bytes=len(sample))
        ),
        PayloadTooLarge,
    )
