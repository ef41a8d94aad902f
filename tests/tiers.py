"""Honest tiers: a test whose body runs longer than the limit without ``@pytest.mark.slow`` fails.

The fast tier (``python tools/make.py test-fast``: ``-m "not slow and not labelstudio"``) is only fast while every
heavy test says so. CI sets the limit (PEDPATTERNS_SLOW_LIMIT_S=2 in .ci/run); on a laptop it is off, so a busy
machine never fails a run on time alone. The body is the test's call: fixtures shared by a session are paid once
and are not the test's own time.
"""

from __future__ import annotations

import os

import pytest

LIMIT_ENV = "PEDPATTERNS_SLOW_LIMIT_S"


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
