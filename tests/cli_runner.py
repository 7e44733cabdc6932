"""``geo ARGS`` in-process: :func:`geo.cli.main` (the console script's entry point, so errors
take the same one-line path) with Typer's CliRunner capturing the output."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from contextlib import chdir
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from geo import cli
from geo.settings import get_settings
from tests.conftest import ROOT


@dataclass(frozen=True)
class Done:
    """What a finished command left: its exit status and its two streams."""

    returncode: int
    stdout: str
    stderr: str


def run_geo(args: list[str], env: Mapping[str, str | None], cwd: Path = ROOT) -> Done:
    """Run ``geo ARGS`` in ``cwd`` (the project root) with ``env`` set (None unsets a variable).

    The settings are read afresh for the command and forgotten after it.
    """
    argv = sys.argv
    code = 0
    get_settings.cache_clear()
    with chdir(cwd), CliRunner().isolation(env=env) as (out, err, _):
        sys.argv = ["geo", *args]
        try:
            cli.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.argv = argv
            get_settings.cache_clear()
        sys.stdout.flush()
        sys.stderr.flush()
        return Done(code, out.getvalue().decode(), err.getvalue().decode())
