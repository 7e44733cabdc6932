"""Every known-answer test runs on both engines: the exact reference and the fast grid."""

from __future__ import annotations

import pytest

#: Largest difference the fast engine may have from an analytic coverage share (product rule:
#: 0.5 percentage point from the reference; the tests hold it to 0.2).
FAST_SHARE_TOL = 0.002


@pytest.fixture(params=["exact", "fast"])
def method(request: pytest.FixtureRequest) -> str:
    """The coverage engine under test."""
    return str(request.param)


def share_tol(method: str, exact: float) -> float:
    """Absolute tolerance on a coverage share for ``method``."""
    return exact if method == "exact" else max(exact, FAST_SHARE_TOL)
