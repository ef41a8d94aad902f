"""prepare_data.py as a process (the in-process runs of its main, for speed, are in tests/test_prepare.py)."""

from __future__ import annotations

from collections.abc import Callable

from pedpatterns.layout import Layout
from tests.faultkit import Result


def test_script_exit_code_for_a_text_file_named_mp4(fresh_project: Layout, script: Callable[..., Result]) -> None:
    (fresh_project.films / "урок.mp4").write_text("не видео", encoding="utf-8")
    result = script("prepare_data.py", "--yes", root=fresh_project.root, timeout=120)
    assert result.returncode == 1
    assert "«урок.mp4»" in result.stderr and "Traceback" not in result.stderr
    assert list(fresh_project.part_films.iterdir()) == []
