"""Running the five scripts as a user does, and judging a refusal the way the user sees it.

Every refusal must be a Russian message that names the problem, a non-zero exit and no
traceback, and must leave the project as it was: every file that existed before unchanged
(a hash snapshot before and after) and no ``.tmp-*`` anywhere. The fixtures in conftest.py
build the projects these checks run on.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from pedpatterns import cli, patterns
from pedpatterns.labels.labelled import url_to_path
from pedpatterns.layout import TMP_PREFIX, Layout
from pedpatterns.testing.synthetic import make_colour_project

REPO_ROOT = Path(__file__).resolve().parents[2]

# Quotes, spaces, Cyrillic and an emoji: a teacher's own file name.
FILM = 'Урок "5" «А» класс — it\'s 😀'
PROCESS = ["--language", "en", "--part-minutes", "0.25", "--segment-seconds", "10"]
COLOURS = [(220, 30, 30), (30, 30, 220), (30, 200, 30)]
P1, P2, P3 = patterns.default_patterns()[:3]
FAST_TRAIN = ["--weights", "none", "--epochs", "1", "--image-size", "32", "--alpha", "0.35",
              "--batch-size", "8", "--threads", "2"]
CYRILLIC = re.compile("[А-Яа-яЁё]")


class Result(NamedTuple):
    code: int
    out: str
    err: str

    # The names of subprocess.CompletedProcess, for tests written against it.
    @property
    def returncode(self) -> int:
        return self.code

    @property
    def stdout(self) -> str:
        return self.out

    @property
    def stderr(self) -> str:
        return self.err


def script_env(**extra: str) -> dict[str, str]:
    """The user's environment without Hub credentials (only .env may supply them), offline and quiet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", PYTHONIOENCODING="utf-8")
    env.update(extra)
    return env


def start_script(
    script: str, *args: str, root: Path | None = None, cwd: Path | None = None, env: dict[str, str] | None = None,
    prefix: Sequence[str] = (), pipe_stdin: bool = False, **popen: Any,
) -> subprocess.Popen:
    """The one way the tests start a script: ``python <script> [--root <root>] …`` as a user would.

    With ``root`` it starts from a folder that is neither the repository nor the project;
    ``env`` defaults to :func:`script_env`; ``prefix`` runs it under another command (setpriv).
    """
    if cwd is None and root is not None:
        cwd = root.parent / "cwd"
        cwd.mkdir(exist_ok=True)
    at_root = ["--root", str(root)] if root is not None else []
    argv = [*prefix, sys.executable, str(REPO_ROOT / script), *at_root, *args]
    return subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE if pipe_stdin else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                            env=script_env() if env is None else env, **popen)


def finish(process: subprocess.Popen, stdin: str = "", timeout: float = 300) -> Result:
    """Wait for a started script; a hung one is killed and the timeout raised."""
    try:
        out, err = process.communicate(stdin if process.stdin else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return Result(process.returncode, out, err)


def run_script(
    script: str, *args: str, root: Path | None = None, stdin: str = "", cwd: Path | None = None,
    env: dict[str, str] | None = None, prefix: Sequence[str] = (), timeout: float = 300,
) -> Result:
    """Run a script to the end (see :func:`start_script`)."""
    process = start_script(script, *args, root=root, cwd=cwd, env=env, prefix=prefix, pipe_stdin=True)
    return finish(process, stdin, timeout)


def run_in_process(main: Callable[[list[str] | None], int | None], *args: str,
                   stdin: str | None = None) -> tuple[int, str, str]:
    """A script's ``main`` as the shell would run it, but in this process: for tests that run it many times and
    need its speed more than a fresh interpreter. Returns the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.run(main, list(args))
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def assert_refused(result: Result, *must_contain: str, code: int | None = None) -> None:
    """Refused the way a user should see it: non-zero, no traceback, a Russian message naming things."""
    both = result.out + result.err
    assert result.code != 0, both
    if code is not None:
        assert result.code == code, both
    assert "Traceback" not in both, both
    assert "Ошибка:" in result.err and CYRILLIC.search(result.err), both
    for fragment in must_contain:
        assert fragment in result.err, f"нет «{fragment}» в:\n{result.err}"


def assert_ok(result: Result) -> None:
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.out + result.err


def tree(root: Path) -> dict[str, str]:
    """Every file (with its hash) and folder under ``root``."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = hashlib.sha1(p.read_bytes()).hexdigest() if p.is_file() else "<dir>"
    return out


def leftovers(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in root.rglob(f"{TMP_PREFIX}*")]


def assert_kept(before: dict[str, str], root: Path) -> None:
    """Nothing that existed was lost or changed, and nothing half-written was left."""
    after = tree(root)
    changed = [p for p, h in before.items() if after.get(p) != h]
    assert not changed, f"потеряно или изменено: {changed}"
    assert not leftovers(root), leftovers(root)


def copy_project(src: Path, tmp_path: Path) -> Layout:
    root = tmp_path / "мой проект"
    shutil.copytree(src, root, symlinks=True)
    return Layout(root)


def task_urls_resolve(layout: Layout) -> list[dict]:
    tasks = json.loads(layout.tasks_json.read_text(encoding="utf-8"))
    for task in tasks:
        assert url_to_path(layout, task["data"]["image"]).is_file()
    return tasks




def make_labelled(root: Path, n_parts: int = 3, n_segments: int = 6) -> Layout:
    """Parts of one colour per pattern, every segment labelled by one expert, labeled.csv."""
    looks = [(COLOURS[k], [(P1, P2, P3)[k]]) for k in range(3)]
    return make_colour_project(root, looks, n_parts, n_segments, part_files=True)
