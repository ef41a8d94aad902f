import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pedpatterns.layout import Layout
from pedpatterns.prepare import cutting
from pedpatterns.testing.synthetic import make_known_lesson, make_labelled_project
from tests.support.media import bundled_tiny_en, lesson_clip, make_video
from tests.support.scripts import REPO_ROOT, Result, run_script

REPO = REPO_ROOT


def _run(*args: str, cwd: Path) -> Result:
    return run_script("find_patterns.py", *args, cwd=cwd)


@pytest.mark.slow
def test_without_labels_writes_the_metrics_report_and_asks_for_labels(tmp_path: Path) -> None:
    root = tmp_path / "проект урока"
    lay = Layout(root)
    make_known_lesson(lay, "Урок 1")
    result = _run("--root", str(root), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "нужна разметка" in result.stdout and str(lay.report_html("Урок 1")) in result.stdout
    data = json.loads(lay.report_json("Урок 1").read_text(encoding="utf-8"))
    assert data["model"] is None and data["summary"]["speech_share"] == 0.8
    assert "сначала нужна разметка" in lay.report_html("Урок 1").read_text(encoding="utf-8")
    segments = pd.read_csv(lay.report_segments_csv("Урок 1"), encoding="utf-8-sig")
    assert list(segments.columns) == ["part", "segment", "lesson_start", "lesson_end", "text", "patterns"]
    assert not lay.text_model.exists()


@pytest.mark.slow
def test_with_labels_predicts_patterns_for_every_video_and_summarises(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    make_labelled_project(lay, n_films=3, per_part=12)
    make_known_lesson(lay, "Урок 1")
    make_known_lesson(lay, "Урок 2")
    result = _run("--root", str(tmp_path), "--threshold", "0.4", "--pause-seconds", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "micro-F1" in result.stdout and "Сводка по всем урокам" in result.stdout
    assert lay.text_model.is_file() and json.loads(lay.text_metrics.read_text(encoding="utf-8"))["threshold"] == 0.4
    data = json.loads(lay.report_json("Урок 2").read_text(encoding="utf-8"))
    assert data["pause_seconds"] == 2.0 and data["threshold"] == 0.4
    first = data["segments"][0]
    # Segment 0 of the known lesson is loud and asks a question: the features of patterns 1 and 3.
    assert set(first["present"]) == {"Паттерн 1: Удержание внимания", "Паттерн 3: Вовлечение в диалог"}
    assert all(first["probabilities"][p] >= 0.4 for p in first["present"])
    segments = pd.read_csv(lay.report_segments_csv("Урок 2"), encoding="utf-8-sig")
    assert "вероятность: Паттерн 7: Демонстрация примера" in segments.columns
    assert lay.reports_index.is_file()


@pytest.mark.slow
def test_one_video_by_number_and_bad_choice_is_russian(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    make_known_lesson(lay, "Урок 1")
    make_known_lesson(lay, "Урок 2")
    result = _run("--root", str(tmp_path), "--video", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert lay.report_html("Урок 2").is_file() and not lay.report_dir("Урок 1").exists()
    assert not lay.reports_index.exists()  # one report: nothing to summarise
    bad = _run("--root", str(tmp_path), "--video", "Урок 9", cwd=tmp_path)
    assert bad.returncode == 1 and "Урок 1.mp4, Урок 2.mp4" in bad.stderr and "Traceback" not in bad.stderr
    wrong = _run("--root", str(tmp_path), "--threshold", "1.5", cwd=tmp_path)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr


@pytest.mark.slow
def test_unprocessed_video_and_empty_folder_are_russian_messages(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    result = _run("--root", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1 and "нет видео" in result.stderr and "Traceback" not in result.stderr
    lay.new_videos.mkdir(parents=True, exist_ok=True)
    (lay.new_videos / "Новый урок.mp4").write_bytes(b"x")
    result = _run("--root", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 1 and "Новый урок.mp4" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_find_patterns_never_imports_tensorflow(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    make_labelled_project(lay, n_films=2, per_part=8)
    make_known_lesson(lay, "Урок 1")
    code = (
        "import runpy, sys; main = runpy.run_path(sys.argv[1])['main']; "
        "rc = main(['--root', sys.argv[2]]); "
        "print('RC', rc, 'TF', any(m == 'tensorflow' or m.startswith('tensorflow.') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code, str(REPO / "find_patterns.py"), str(tmp_path)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "RC 0 TF False" in result.stdout
    assert lay.report_html("Урок 1").is_file()


@pytest.mark.slow
def test_a_real_new_video_is_cut_recognised_and_reported(tmp_path: Path) -> None:
    """The whole path through Part 1: a real video in new_videos/ gets parts, a transcript and a report."""
    clip = lesson_clip()
    model = bundled_tiny_en()
    lay = Layout(tmp_path / "проект")
    make_video(lay.new_videos / "Новый урок 1.mp4", 30.0, speech_at=12.0, speech=clip.path)
    result = _run("--root", str(lay.root), "--whisper-model", model, "--language", "en", "--part-minutes", "0.25",
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(lay.report_json("Новый урок 1").read_text(encoding="utf-8"))
    texts = " ".join(s["text"] for s in data["segments"])
    # Both lines are heard (tiny.en sometimes writes "season" for "seasons").
    assert "the weather and the season" in texts.lower() and "out of the window" in texts.lower(), texts
    assert len(cutting.read_parts(lay, "Новый урок 1")) == 2  # 30 s cut into 15-s parts
    assert 0.2 < data["summary"]["speech_share"] < 0.6  # 10.6 s of the teacher's lines in 30 s
