"""prepare_data.py as a process (the in-process runs of its main, for speed, are in tests/test_prepare.py)."""

from __future__ import annotations

from pathlib import Path

from pedpatterns.layout import Layout
from tests.faultkit import run_script


def test_script_exit_code_for_a_text_file_named_mp4(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    layout.ensure_top_folders()
    (layout.films / "урок.mp4").write_text("не видео", encoding="utf-8")
    result = run_script("prepare_data.py", "--root", str(tmp_path), "--yes", timeout=120)
    assert result.returncode == 1
    assert "«урок.mp4»" in result.stderr and "Traceback" not in result.stderr
    assert list(layout.part_films.iterdir()) == []
