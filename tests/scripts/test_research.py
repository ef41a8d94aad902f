"""The researchers' tools (issue 15) as a user meets them: printed by the scripts, written beside their results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from praatio import textgrid
from pympi import Elan

from pedpatterns.layout import Layout
from pedpatterns.testing.synthetic import make_known_lesson, make_labelled_project
from tests.support.research import A, B, C, make_two_expert_project
from tests.support.scripts import FAST_TRAIN, assert_ok, assert_refused, run_script


@pytest.mark.slow
def test_create_image_dataset_prints_and_writes_the_experts_agreement(tmp_path: Path) -> None:
    layout = make_two_expert_project(tmp_path / "проект")
    (tmp_path / "паттерны.txt").write_text(f"{A}\n{B}\n{C}\n", encoding="utf-8")
    result = run_script("create_image_dataset.py", "--yes", "--patterns", str(tmp_path / "паттерны.txt"),
                        root=layout.root)
    assert_ok(result)
    assert "Согласие экспертов: экспертов — 2, сегментов с ответами — 20, из них размечены двумя и более " \
           "экспертами — 20." in result.out
    line = next(line for line in result.out.splitlines() if line.startswith("Паттерн A "))
    assert line.split()[2:6] == ["75", "%", "0.67", "0.48"]
    assert "эксперт 1 и эксперт 2" in result.out and "«Паттерн C»" in result.out
    assert layout.dataset_agreement_csv.is_file() and layout.dataset_agreement_json.is_file()
    assert "dataset_foto/agreement.csv" in result.out


@pytest.mark.slow
def test_one_expert_only_is_said_and_the_dataset_is_still_built(tmp_path: Path) -> None:
    layout = make_two_expert_project(tmp_path / "проект", one_expert=True)
    result = run_script("create_image_dataset.py", "--yes", root=layout.root)
    assert_ok(result)
    assert "Все ответы дал один эксперт: согласие экспертов посчитать нельзя" in result.out
    assert json.loads(layout.dataset_agreement_json.read_text(encoding="utf-8"))["per_pattern"] == []


@pytest.mark.slow
def test_auto_classifier_prints_the_experts_agreement_as_its_ceiling(tmp_path: Path) -> None:
    layout = make_two_expert_project(tmp_path / "проект")
    result = run_script("auto_classifier.py", "--mode", "train", *FAST_TRAIN, root=layout.root, timeout=600)
    assert_ok(result)
    assert "Согласие экспертов (потолок для модели): F1 эксперта против другого эксперта — " in result.out
    report = json.loads(layout.image_metrics.read_text(encoding="utf-8"))
    assert report["experts"]["segments_with_two_or_more"] == 20


@pytest.mark.slow
def test_find_patterns_writes_praat_elan_and_lessons_over_time(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    make_labelled_project(layout, n_films=3, per_part=12)
    for name in ("Урок 2026-11-27", "Урок 2026-11-20"):
        make_known_lesson(layout, name)
    result = run_script("find_patterns.py", root=layout.root)
    assert_ok(result)
    assert "F1 эксп." not in result.out  # one expert per segment here: no ceiling to show in the table
    assert "Согласие экспертов (потолок для модели) не посчитано" in result.out
    folder = layout.report_dir("Урок 2026-11-20")
    grid = textgrid.openTextgrid(str(folder / "Урок 2026-11-20_part001.TextGrid"), includeEmptyIntervals=False)
    assert "паттерны: модель по звуку и тексту" in grid.tierNames
    assert "слова" in Elan.Eaf(str(folder / "Урок 2026-11-20_part001.eaf")).get_tier_names()
    lines = layout.lessons_over_time_csv.read_text(encoding="utf-8-sig").splitlines()
    assert lines[1].startswith("Урок 2026-11-20,2026-11-20") and lines[2].startswith("Урок 2026-11-27,2026-11-27")

    layout.lessons_csv.write_text("видео,учитель,класс,дата\nУрок 2026-11-20.mp4,Иванова,5 А,2026-13-01\n",
                                  encoding="utf-8")
    assert_refused(run_script("find_patterns.py", "--video", "1", root=layout.root),
                   "lessons.csv", "«2026-13-01» — не дата", "ГГГГ-ММ-ДД")
