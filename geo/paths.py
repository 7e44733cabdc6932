"""Paths the service writes and reads on its own: built from validated parts, kept inside
their folder.

Every default output file (maps, reports, simulated GPX, exported layers, the demo key) is
named with :func:`output_path`; layers folders are read through :func:`confined_file`. A
part that is not one plain file name (a separator, ``..``, a control character) or a result
that leaves its folder (through ``..`` or a symlink) is :class:`geo.errors.InvalidInput`, so
a township code like ``../../x`` or a squad named ``a/b`` cannot place a file elsewhere.
A path the user gives explicitly (``geo map -o FILE``) is theirs and is used as given.
"""

from __future__ import annotations

import re
from pathlib import Path

from geo.errors import InvalidInput

#: Characters never allowed in a file name part: separators, NUL and other control characters.
_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")
#: Longest name part (most file systems allow 255 bytes).
MAX_NAME_BYTES = 200


def file_name(text: str, *, what: str = "file name") -> str:
    """``text`` when it is one plain file name, else :class:`InvalidInput` naming ``what``.

    Parameters
    ----------
    text
        A name built from data (a township code, a week, a squad).
    what
        What the name is made of, for the message.
    """
    if (
        not text
        or text in (".", "..")
        or text.startswith("..")
        or _UNSAFE.search(text)
        or len(text.encode("utf-8")) > MAX_NAME_BYTES
    ):
        raise InvalidInput(
            f"{what} {text!r} cannot name a file: use letters, digits, '-' and '_' "
            "(no '/', '\\', '..' or control characters)"
        )
    return text


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def output_path(folder: Path, *names: str, what: str = "file name") -> Path:
    """``folder / names[0] / names[1] ...``, each name one plain file name, and the whole
    path (symlinks followed) inside ``folder``.

    Raises
    ------
    InvalidInput
        A name that is not a plain file name, or a path that leaves ``folder``.
    """
    path = Path(folder).joinpath(*(file_name(n, what=what) for n in names))
    if not _inside(path, Path(folder)):
        raise InvalidInput(f"{path} leaves the folder {folder} (a symlink?); nothing written")
    return path


def confined_file(folder: Path, path: Path) -> Path:
    """The regular file ``path`` read from ``folder``: a symlink may point within the folder
    only, and devices, pipes and sockets are refused (reading them could hang or never end).

    Raises
    ------
    InvalidInput
        Naming the file and the problem.
    """
    if not _inside(path, Path(folder)):
        raise InvalidInput(
            "is a link to a file outside the layers folder; copy the file in instead",
            source=str(path),
        )
    if not path.resolve().is_file():
        raise InvalidInput("is not a regular file", source=str(path))
    return path
