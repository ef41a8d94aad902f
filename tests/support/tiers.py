"""Honest tiers: a test whose body runs longer than the limit without ``@pytest.mark.slow`` fails, and in CI a test
may not be skipped for something missing.

The fast tier (``python tools/make.py test-fast``: ``-m "not slow and not labelstudio"``) is only fast while every
heavy test says so. CI sets the limit (PEDPATTERNS_SLOW_LIMIT_S=2 in .ci/run); on a laptop it is off, so a busy
machine never fails a run on time alone. The body is the test's call: fixtures shared by a session are paid once
and are not the test's own time.
"""

from __future__ import annotations

import os

import pytest

LIMIT_ENV = "PEDPATTERNS_SLOW_LIMIT_S"
# =1 in CI (.ci/run): what a test needs from outside the repo (../shared/media's recordings, a TTS program, the Label
# Studio environment) must be there, so a check that silently stopped running is a failure, not a green skip.
REQUIRE_ENV = "PEDPATTERNS_REQUIRE_MEDIA"


def skip_missing(reason: str) -> None:
    """Skip a test for something missing, or fail it where everything is required (REQUIRE_ENV=1)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, а {REQUIRE_ENV}=1 требует, чтобы всё нужное было на месте", pytrace=False)
    pytest.skip(reason)


def slow_limit() -> float | None:
    value = os.environ.get(LIMIT_ENV, "").strip()
    return float(value) if value else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    limit = slow_limit()
    if limit is None or call.when != "call" or not report.passed or item.get_closest_marker("slow"):
        return
    if report.duration > limit:
        report.outcome = "failed"
        report.longrepr = (f"тест шёл {report.duration:.1f} с без отметки @pytest.mark.slow (предел {limit:g} с, "
                           f"{LIMIT_ENV}): отметьте его slow или ускорьте")
