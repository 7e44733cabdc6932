"""The code's shape, now against an earlier revision, in one run.

For the working tree and for ``--before REV`` (read with ``git archive``, nothing checked out) it
counts what issue 12 names: lines in geo/store/ and in geo/api/models.py, modules at the top of
geo/, functions returning ``dict[str, Any]``, the longest function (lines) and the worst
cyclomatic complexity (radon), the number of functions rated D or worse, and how long
``geo --help`` takes (the best of ``--runs`` runs in fresh interpreters, each tree importing its
own code: the best run is the one least disturbed by other work on the machine).

It prints a table and, as its last line, one JSON object with both sides and their ratios.

Usage: ``python bench/code_metrics.py --before f65cd83``
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parents[1]


def extract(rev: str, into: Path) -> Path:
    """The tree of ``rev`` (geo/ only and pyproject.toml) written under ``into``."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "geo", "pyproject.toml"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def _lines(paths: list[Path]) -> int:
    return sum(len(p.read_text(encoding="utf-8").splitlines()) for p in paths)


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def help_seconds(root: Path, runs: int) -> float:
    """Best wall time of ``geo --help`` importing the package under ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "import sys; sys.argv = ['geo', '--help']; from geo.cli import main; main()"
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, check=False
        )
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(root: Path, runs: int) -> dict[str, Any]:
    """Every figure of the tree under ``root``."""
    package = root / "geo"
    sources = sorted(p for p in package.rglob("*.py") if "migrations" not in p.parts)
    longest = ("", 0)
    worst = ("", 0)
    rated_d_or_worse = 0
    dict_returns = 0
    for path in sources:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        for fn in _functions(ast.parse(text)):
            length = (fn.end_lineno or fn.lineno) - fn.lineno + 1
            if length > longest[1]:
                longest = (f"{rel}:{fn.name}", length)
            if fn.returns is not None and ast.unparse(fn.returns) == "dict[str, Any]":
                dict_returns += 1
        for block in cc_visit(text):
            if block.complexity > worst[1]:
                worst = (f"{rel}:{block.name}", block.complexity)
            if cc_rank(block.complexity) in "DEF":
                rated_d_or_worse += 1
    top_modules = [p for p in package.glob("*.py") if p.name != "__init__.py"]
    return {
        "store_lines": _lines(sorted((package / "store").glob("*.py"))),
        "api_models_lines": _lines([package / "api" / "models.py"])
        if (package / "api" / "models.py").exists()
        else 0,
        "top_level_modules": len(top_modules),
        "dict_str_any_returns": dict_returns,
        "longest_function": longest[0],
        "longest_function_lines": longest[1],
        "worst_complexity_function": worst[0],
        "worst_complexity": worst[1],
        "functions_rated_d_or_worse": rated_d_or_worse,
        "geo_help_s": round(help_seconds(root, runs), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", default="HEAD", help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=15, help="runs of geo --help per side")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = measure(extract(args.before, Path(tmp)), args.runs)
    after = measure(ROOT, args.runs)
    print(f"{'figure':<28} {'before':>44} {'after':>44}")
    for key in before:
        print(f"{key:<28} {before[key]!s:>44} {after[key]!s:>44}")
    ratios = {
        k: round(after[k] / before[k], 3)
        for k in before
        if isinstance(before[k], int | float) and before[k]
    }
    summary = {"before_rev": args.before, "before": before, "after": after, "ratio": ratios}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
