"""prepare_data.py as a process (the in-process runs of its main, for speed, are in tests/test_prepare.py)."""

from __future__ import annotations

import json
from collections.abc import Callable

from pedpatterns.layout import Layout
from pedpatterns.prepare import speech
from pedpatterns.schema import read_segment_rows
from tests.faultkit import PROCESS, Result, script_env
from tests.part1_helpers import SHARED_MEDIA, make_video, require_shared_media


def test_script_exit_code_for_a_text_file_named_mp4(fresh_project: Layout, script: Callable[..., Result]) -> None:
    (fresh_project.films / "урок.mp4").write_text("не видео", encoding="utf-8")
    result = script("prepare_data.py", "--yes", root=fresh_project.root, timeout=120)
    assert result.returncode == 1
    assert "«урок.mp4»" in result.stderr and "Traceback" not in result.stderr
    assert list(fresh_project.part_films.iterdir()) == []


def test_a_russian_part_with_language_auto_says_what_it_heard(fresh_project: Layout,
                                                               script: Callable[..., Result]) -> None:
    """The bundled multilingual model, offline: the language is detected once, printed, and kept."""
    require_shared_media()
    make_video(fresh_project.films / "урок.mp4", 9, speech_at=1, speech=SHARED_MEDIA / "ru.wav")
    result = script("prepare_data.py", "--yes", "--whisper-model", "bundled", "--language", "auto",
                    root=fresh_project.root, timeout=300)
    assert result.returncode == 0, result.stderr
    [part] = fresh_project.processed_parts()
    assert f"Язык части {part} определён: ru (вероятность 0.9" in result.stdout
    transcript = json.loads(fresh_project.transcript_json(part).read_text(encoding="utf-8"))
    assert transcript["language"] == "ru" and transcript["language_probability"] >= 0.9
    rows = read_segment_rows(fresh_project.segments_csv(part))
    text = " ".join(row["text"] for row in rows)  # the film's AAC round trip costs a word or two (0.33)
    assert speech.word_error_rate("бедняга ребят на его месте должен был быть я", text) <= 0.4, text


def test_two_workers_on_a_fresh_install_leave_librosa_usable(fresh_project: Layout,
                                                             script: Callable[..., Result]) -> None:
    """Numba caches librosa's compiled code on first use: two forked workers used to write it at once,
    and every later run crashed loading it. A fresh NUMBA_CACHE_DIR is a fresh install's first run."""
    require_shared_media()
    make_video(fresh_project.films / "урок.mp4", 30, speech_at=2, speech=SHARED_MEDIA / "jfk.flac", gop=20)
    env = script_env(NUMBA_CACHE_DIR=str(fresh_project.root / "numba-cache"))
    args = ["--yes", "--all", "--whisper-model", speech.BUNDLED_TINY_EN, *PROCESS]
    first = script("prepare_data.py", *args, "--jobs", "2", root=fresh_project.root, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    again = script("prepare_data.py", *args, "--jobs", "2", "--force", root=fresh_project.root, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(fresh_project.processed_parts()) == 2
