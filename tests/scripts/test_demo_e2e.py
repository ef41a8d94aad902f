"""The whole chain as a user runs it: `python tools/make.py demo` on a temporary copy of the project.

Every stage runs as its own process with --root pointing at the copy, so the stages can
only hand over through files; the checks below read those files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pedpatterns.labels.labelled import load_labeled_segments
from pedpatterns.layout import Layout
from pedpatterns.prepare import cutting
from tests.support.scripts import REPO_ROOT

REPO = REPO_ROOT
SAMPLE = "Урок английского 5 класс.mp4"
RUSSIAN_SAMPLE = "Урок русского языка 5 класс.mp4"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, str, str]:
    root = tmp_path_factory.mktemp("e2e") / "копия проекта с пробелом"
    (root / "films").mkdir(parents=True)
    for name in (SAMPLE, RUSSIAN_SAMPLE):
        shutil.copy2(REPO / "films" / name, root / "films" / name)
    shutil.copy2(REPO / "labeled.csv", root / "labeled.csv")
    # The first run as a Windows user starts it: the entry point, with neither make nor bash on PATH.
    no_tools = tmp_path_factory.mktemp("empty-bin")
    assert shutil.which("make", path=str(no_tools)) is None and shutil.which("bash", path=str(no_tools)) is None
    first = subprocess.run([sys.executable, str(REPO / "tools" / "make.py"), "demo", "--", "--root", str(root)],
                           capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
                           env={**os.environ, "PATH": str(no_tools)})
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    second = subprocess.run([sys.executable, str(REPO / "tools" / "demo.py"), "--root", str(root)],
                            capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    return Layout(root), first.stdout, second.stdout


def test_parts_and_processed_segments(demo_project) -> None:
    layout, _, _ = demo_project
    parts = cutting.read_parts(layout, "Урок английского 5 класс")
    assert parts is not None and len(parts) == 3
    assert parts[1].start == pytest.approx(parts[0].duration, abs=0.05)  # true starts carried on
    for part in parts:
        table = pd.read_csv(layout.segments_csv(part.name))
        assert len(table) >= 3
        assert table["lesson_start"].iloc[0] == pytest.approx(part.start, abs=0.05)
        assert all(layout.keyframe(part.name, i).is_file() and layout.audio_clip(part.name, i).is_file()
                   for i in table["segment"])
    tasks = json.loads(layout.tasks_json.read_text(encoding="utf-8"))
    english = [t for t in tasks if t["data"]["part"] in {p.name for p in parts}]
    assert len(english) == sum(len(pd.read_csv(layout.segments_csv(p.name))) for p in parts)


def test_bundled_labels_map_onto_the_demo_segments(demo_project) -> None:
    layout, _, _ = demo_project
    labelled = load_labeled_segments(layout)
    assert labelled.problems == [] and len(labelled.frame) >= 12


def test_dataset_and_hub_preview(demo_project) -> None:
    layout, _, _ = demo_project
    rows = [json.loads(line) for split in ("train", "test")
            for line in layout.dataset_metadata(split).read_text(encoding="utf-8").splitlines()]
    assert rows and all(r["labels"] for r in rows)
    assert (layout.hub_preview / "README.md").is_file()


def test_report_and_text_model(demo_project) -> None:
    layout, _, _ = demo_project
    stem = Path(SAMPLE).stem
    data = json.loads(layout.report_json(stem).read_text(encoding="utf-8"))
    assert data["model"] is not None and data["summary"]["question_count"] >= 5
    assert layout.report_html(stem).is_file() and layout.text_model.is_file()


def test_russian_lesson_reported_in_russian(demo_project) -> None:
    """The Russian sample, with the bundled multilingual base: Russian text, its questions and their waits."""
    layout, first, _ = demo_project
    stem = Path(RUSSIAN_SAMPLE).stem
    data = json.loads(layout.report_json(stem).read_text(encoding="utf-8"))
    assert data["summary"]["question_count"] >= 6 and data["summary"]["questions_with_good_wait"] >= 5
    assert all(re.search("[а-яё]", q["text"], re.IGNORECASE) for q in data["questions"])
    (part,) = data["parts"]
    assert json.loads(layout.transcript_json(part).read_text(encoding="utf-8"))["language"] == "ru"
    assert f"--video '{RUSSIAN_SAMPLE}' --whisper-model bundled --language ru" in first


def test_image_model_and_auto_labels(demo_project) -> None:
    layout, _, _ = demo_project
    assert layout.image_model.is_file() and layout.mlb.is_file() and layout.image_metrics.is_file()
    metadata = list(layout.auto_labeled.glob("*/metadata.jsonl"))
    assert metadata
    first = json.loads(metadata[0].read_text(encoding="utf-8").splitlines()[0])
    assert len(first["top_3_predictions"]) == 3


def test_second_run_reuses_the_work(demo_project) -> None:
    _, _, second = demo_project
    assert "уже нарезаны" in second and "уже обработана" in second


def test_researchers_files(demo_project) -> None:
    """Issue 15: the next batch for the experts, the agreement table, Praat and ELAN files per part."""
    layout, first, _ = demo_project
    tasks = json.loads(layout.label_queue.read_text(encoding="utf-8"))
    scores = [t["predictions"][0]["score"] for t in tasks]
    assert 0 < len(tasks) <= 5 and scores == sorted(scores)
    assert all(t["data"]["part"] != f"{Path(SAMPLE).stem}_part001" for t in tasks)  # the demo's "labelled" part
    assert layout.dataset_agreement_csv.is_file() and "Согласие экспертов: экспертов — 2" in first
    folder = layout.report_dir(Path(SAMPLE).stem)
    assert len(list(folder.glob("*.TextGrid"))) == len(list(folder.glob("*.eaf"))) == 3
