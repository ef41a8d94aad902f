"""prepare_data.py as a process (the in-process runs of its main, for speed, are in tests/prepare/test_prepare.py)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from pedpatterns.layout import Layout
from pedpatterns.prepare import speech
from pedpatterns.schema import read_segment_rows
from tests.support.media import lesson_clip, make_video
from tests.support.scripts import PROCESS, Result, script_env


def test_script_exit_code_for_a_text_file_named_mp4(fresh_project: Layout, script: Callable[..., Result]) -> None:
    (fresh_project.films / "урок.mp4").write_text("не видео", encoding="utf-8")
    result = script("prepare_data.py", "--yes", root=fresh_project.root, timeout=120)
    assert result.returncode == 1
    assert "«урок.mp4»" in result.stderr and "Traceback" not in result.stderr
    assert list(fresh_project.part_films.iterdir()) == []


@pytest.mark.slow
def test_a_russian_part_with_language_auto_says_what_it_heard(fresh_project: Layout,
                                                               script: Callable[..., Result]) -> None:
    """The bundled multilingual model, offline: the language is detected once, printed, and kept.

    The speech: the Russian sample lesson's first two lines (support.media.lesson_clip), 9.5 s."""
    clip = lesson_clip("ru")
    make_video(fresh_project.films / "урок.mp4", 12, speech_at=1, speech=clip.path)
    result = script("prepare_data.py", "--yes", "--whisper-model", "bundled", "--language", "auto",
                    root=fresh_project.root, timeout=300)
    assert result.returncode == 0, result.stderr
    [part] = fresh_project.processed_parts()
    assert f"Язык части {part} определён: ru (вероятность 0.9" in result.stdout
    transcript = json.loads(fresh_project.transcript_json(part).read_text(encoding="utf-8"))
    assert transcript["language"] == "ru" and transcript["language_probability"] >= 0.9
    rows = read_segment_rows(fresh_project.segments_csv(part))
    text = " ".join(row["text"] for row in rows)  # 0.18 straight from the sample film; one more AAC round trip
    assert speech.word_error_rate(clip.text, text) <= 0.4, text


@pytest.mark.slow
def test_two_workers_on_a_fresh_install_leave_librosa_usable(fresh_project: Layout,
                                                             script: Callable[..., Result]) -> None:
    """Numba caches librosa's compiled code on first use: two forked workers used to write it at once,
    and every later run crashed loading it. A fresh NUMBA_CACHE_DIR is a fresh install's first run."""
    make_video(fresh_project.films / "урок.mp4", 30, speech_at=2, speech=lesson_clip().path, gop=20)
    env = script_env(NUMBA_CACHE_DIR=str(fresh_project.root / "numba-cache"))
    args = ["--yes", "--all", "--whisper-model", speech.BUNDLED_TINY_EN, *PROCESS]
    first = script("prepare_data.py", *args, "--jobs", "2", root=fresh_project.root, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    again = script("prepare_data.py", *args, "--jobs", "2", "--force", root=fresh_project.root, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(fresh_project.processed_parts()) == 2
