"""tools/make.py, the one entry point on every system: no make, no bash, any console code page.

Its demo path is run by tests/scripts/test_demo_e2e.py (the same way, without make and bash on PATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.scripts import REPO_ROOT
from tests.support.tools import load_tool

load_tool("locks")  # tools/ is not a package: make.py's `import locks` finds the module already loaded
make = load_tool("make")


def bare_path(tmp_path: Path) -> dict[str, str]:
    """The environment with a PATH that has neither make nor bash (nor anything else)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    assert shutil.which("make", path=env["PATH"]) is None and shutil.which("bash", path=env["PATH"]) is None
    return env


def test_unsupported_python_is_refused_with_the_command_to_use() -> None:
    make.check_python((3, 11))
    with pytest.raises(make.Failure, match=r"Нужен Python 3\.10–3\.12, а запущен 3\.9.*3\.11"):
        make.check_python((3, 9))


def test_each_system_gets_its_own_venv_layout() -> None:
    assert make.venv_python(Path("v"), "nt") == Path("v") / "Scripts" / "python.exe"
    assert make.venv_python(Path("v"), "posix") == Path("v") / "bin" / "python"


def test_help_on_a_cp866_console(tmp_path: Path) -> None:
    env = {**bare_path(tmp_path), "PYTHONIOENCODING": "cp866"}
    done = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "make.py"), "--help"], env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode("utf-8")
    assert "test-fast" in text and "установить всё и запустить все тесты" in text


@pytest.mark.slow
def test_the_test_path_runs_without_make_or_bash(tmp_path: Path) -> None:
    """Installs (nothing, when the stamps match the locks), lints, and runs the tests it is given."""
    done = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "make.py"), "test", "--",
                           "tests/tools/test_locks.py", "-q", "-p", "no:cacheprovider"],
                          env=bare_path(tmp_path), capture_output=True, text=True, timeout=1200,
                          stdin=subprocess.DEVNULL, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ruff" in done.stdout and "lint-imports" in done.stdout
    assert " passed" in done.stdout and "failed" not in done.stdout
