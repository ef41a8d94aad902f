"""Real small disks for fault tests: a tmpfs mounted for one test, and filling it up.

CI runs as root, so a test can mount a tmpfs of a few megabytes and meet a really full disk (ENOSPC) or a
really read-only one; where mounting is refused the test is skipped with the reason.

PYTEST_DONT_REWRITE: a plugin module (pytest_plugins) that test modules also import from; it asserts nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Mount a small tmpfs (CI runs as root); skipped with the reason where mounting is refused."""
    mounted: list[Path] = []

    def mount(size: str, name: str = "диск") -> Path:
        where = tmp_path / name
        where.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"tmpfs не смонтировать (нужны права root): {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Take all the free space of ``disk`` but ``leave`` bytes (the filler lies outside the project)."""
    free = shutil.disk_usage(disk).free
    with (disk / "занято.bin").open("wb") as fh:
        os.posix_fallocate(fh.fileno(), 0, max(0, free - leave))
