"""The slow-marker rule of tests/support/tiers.py, on a throwaway test file run by a real pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.scripts import REPO_ROOT
from tests.support.tiers import LIMIT_ENV, REQUIRE_ENV

pytestmark = pytest.mark.slow  # each runs a pytest of its own

SLEEPY = """
import time
import pytest

def test_unmarked_and_slow():
    time.sleep(0.4)

@pytest.mark.slow
def test_marked_and_slow():
    time.sleep(0.4)

def test_quick():
    pass
"""


def run_pytest(folder: Path, limit: str | None) -> subprocess.CompletedProcess:
    (folder / "test_sleepy.py").write_text(SLEEPY, encoding="utf-8")
    (folder / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key != LIMIT_ENV}
    if limit is not None:
        env[LIMIT_ENV] = limit
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.support.tiers", "-p", "no:cacheprovider",
                           "--rootdir", str(folder), "-c", str(folder / "pytest.ini"), str(folder / "test_sleepy.py")],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_an_unmarked_slow_test_fails_under_the_limit_and_only_it(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, "0.2")
    assert done.returncode == 1, done.stdout
    assert "1 failed, 2 passed" in done.stdout
    assert "test_unmarked_and_slow" in done.stdout and "без отметки @pytest.mark.slow" in done.stdout


def test_without_the_limit_time_fails_nothing(tmp_path: Path) -> None:
    done = run_pytest(tmp_path, None)
    assert done.returncode == 0, done.stdout
    assert "3 passed" in done.stdout


NEEDS_A_FILE = """
from tests.support.tiers import skip_missing

def test_needs_a_recording():
    skip_missing("нет записи x.wav")
"""


def test_something_missing_is_a_skip_here_and_a_failure_where_all_is_required(tmp_path: Path) -> None:
    (tmp_path / "test_needs.py").write_text(NEEDS_A_FILE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
               "-c", str(tmp_path / "pytest.ini"), str(tmp_path / "test_needs.py")]
    env = {key: value for key, value in os.environ.items() if key != REQUIRE_ENV}
    skipped = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout and "нет записи x.wav" in skipped.stdout
    failed = subprocess.run(command, cwd=REPO_ROOT, env={**env, REQUIRE_ENV: "1"}, capture_output=True, text=True,
                            timeout=120)
    assert failed.returncode == 1 and "1 failed" in failed.stdout and "нет записи x.wav" in failed.stdout
