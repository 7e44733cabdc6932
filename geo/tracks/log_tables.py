"""Flight-log tables: the CSV rows of a drone log (AirData, DJI flight records) read as a frame
within the fix limit, their columns found by key and read as numbers with the line of any bad
cell."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.errors import InvalidFile
from geo.tracks.limits import ReadLimits


def column_numbers(frame: pd.DataFrame, col: str, what: str, source: str) -> NDArray[np.float64]:
    """A column as floats; a cell that is not a number is refused with its line."""
    s = frame[col]
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    values = pd.to_numeric(s, errors="coerce")
    bad = (values.isna() & s.notna() & (s.astype("str").str.strip() != "")).to_numpy(dtype=bool)
    if bad.any():
        row = int(np.argmax(bad))
        raise InvalidFile(
            f"{str(s.iloc[row]).strip()!r} is not {what}",
            source=source,
            place=f"line {int(frame.index[row]) + 2}, column {col.strip()!r}",
        )
    return values.to_numpy(dtype=np.float64, na_value=np.nan)


def read_log_table(
    text: str,
    *,
    source: str,
    limits: ReadLimits,
    sep: str = ",",
    skiprows: int = 0,
    as_text: bool = False,
    skip_blank_lines: bool = True,
) -> pd.DataFrame:
    """A flight log's CSV rows as a frame: at most the fix limit + 1 rows read (counted, blank
    ones too, then dropped); a file that cannot be split into columns refused in one line."""
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            skiprows=skiprows,
            decimal="," if sep == ";" else ".",
            skipinitialspace=True,
            skip_blank_lines=skip_blank_lines,
            keep_default_na=False,
            na_values=[""],
            low_memory=False,
            index_col=False,
            dtype=str if as_text else None,
            nrows=None if limits.max_fixes is None else limits.max_fixes + 1,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InvalidFile(
            f"the rows cannot be split into columns ({str(exc).splitlines()[0]})", source=source
        ) from None
    limits.check_fixes(len(frame), source=source)  # rows read, blank ones too
    return frame.dropna(how="all")


def keyed_columns(
    frame: pd.DataFrame, key: Callable[[str], tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """Each column's key (its name without unit) → (the column as written, its unit); the
    first column with a key wins."""
    columns: dict[str, tuple[str, str]] = {}
    for col in frame.columns:
        k, unit = key(str(col))
        columns.setdefault(k, (str(col), unit))
    return columns
