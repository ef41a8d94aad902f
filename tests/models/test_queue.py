"""The active-learning queue (issue 15): unlabelled segments only, least confident first, spread over the lessons."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pedpatterns.models import queue, suggest
from tests.support.research import make_queue_project
from tests.support.scripts import REPO_ROOT


def test_confidence_is_the_mean_certainty_over_trusted_patterns() -> None:
    proba = np.array([[0.9, 0.1], [0.5, 0.99], [0.7, 0.2]])
    assert suggest.confidence(proba).tolist() == pytest.approx([0.9, 0.745, 0.75])
    # One uncertain pattern no longer flattens every segment to 0.5: the rows stay apart.
    rows = np.array([[0.5, 0.6, 0.95], [0.5, 0.9, 0.99], [0.5, 0.55, 0.6]])
    assert len(set(np.round(suggest.confidence(rows), 6))) == 3
    # Only trusted patterns count; none trusted is "no idea".
    assert suggest.confidence(proba, np.array([True, False])).tolist() == pytest.approx([0.9, 0.5, 0.7])
    assert suggest.confidence(proba, np.array([False, False])).tolist() == [0.5, 0.5, 0.5]


def test_a_pattern_is_trusted_only_where_held_out_f1_beats_the_baseline() -> None:
    evaluation = {"per_pattern": {
        "Обратная связь": {"f1": 0.8, "baseline_f1": 0.4},
        "Рефлексия": {"f1": 0.3, "baseline_f1": 0.3},  # a tie is not better
        "Игра": {"f1": 0.9, "baseline_f1": 0.0},
    }}
    assert suggest.ready_patterns(evaluation) == {"Обратная связь", "Игра"}
    assert suggest.ready_patterns(evaluation, ["«Игра»: всего 2 примера(ов) — слишком мало"]) == {"Обратная связь"}
    assert suggest.ready_patterns(None) == frozenset() and suggest.ready_patterns({"per_pattern": []}) == frozenset()
    assert suggest.chosen([0.9, 0.8, 0.1], ["А", "Б", "В"], [False, True, True], 0.5) == ["Б"]
    assert suggest.chosen([0.9, 0.3, 0.1], ["А", "Б", "В"], [False, True, True], 0.5) == ["Б"]  # the likeliest trusted
    assert suggest.chosen([0.9, 0.3, 0.1], ["А", "Б", "В"], [False, False, False], 0.5) == []


def test_predictions_average_only_the_models_trusted_with_a_pattern() -> None:
    segments = pd.DataFrame({"x": [0, 1]})
    good = suggest.Model("a", ("А", "Б"), frozenset({"А"}), lambda s: np.array([[0.9, 0.2], [0.1, 0.4]]))
    poor = suggest.Model("b", ("А", "Б"), frozenset(), lambda s: np.array([[0.5, 0.6], [0.5, 0.6]]))
    result = suggest.predict([good, poor], segments)
    assert result.patterns == ["А", "Б"] and result.ready.tolist() == [True, False]
    assert result.proba[:, 0].tolist() == pytest.approx([0.9, 0.1])  # the untrusted model does not dilute it
    assert result.version == "a+b" and result.not_ready == ["Б"]
    assert "«Б»" in suggest.not_ready_note(result)
    assert suggest.not_ready_note(suggest.predict([poor], segments)).startswith("Модель ещё не готова")


def test_a_batch_is_spread_over_time_and_loosened_only_when_needed() -> None:
    segments = pd.DataFrame({"film": ["Урок"] * 10 + ["Другой"] * 2,
                             "lesson_start": [i * 15.0 for i in range(10)] + [0.0, 300.0]})
    scores = [0.5 + 0.01 * i for i in range(10)] + [0.9, 0.95]  # the first minute of «Урок» is the least sure
    picked, gap = queue.choose_diverse(segments, scores, 4, 120.0)
    assert gap == 120.0 and picked == [0, 8, 10, 11]  # 0 s and 120 s of «Урок», then «Другой»
    picked, gap = queue.choose_diverse(segments, scores, 6, 120.0)
    assert len(picked) == 6 and gap < 120.0
    assert [scores[i] for i in picked] == sorted(scores[i] for i in picked)


def test_queue_offers_only_unlabelled_segments_with_predictions_in_ascending_score(tmp_path: Path) -> None:
    layout = make_queue_project(tmp_path / "проект")
    segments, labelled = queue.unlabelled_segments(layout)
    assert labelled == 36 and len(segments) == 4 * 20 - 36
    options = queue.QueueOptions(batch=8, model="text")
    result = queue.build_queue(layout, queue.predict(layout, segments, options, log=lambda _: None), labelled,
                               options)
    scores = [t["predictions"][0]["score"] for t in result.tasks]
    assert len(result.tasks) == 8 and scores == sorted(scores) and all(0.5 <= s <= 1 for s in scores)
    answered = {(f"Фильм {f}_part001", i) for f in range(3) for i in range(12)}
    for task in result.tasks:
        data, (pred,) = task["data"], task["predictions"]
        assert (data["part"], data["segment"]) not in answered
        assert pred["model_version"].startswith("text_pattern_model@") and pred["result"][0]["value"]["choices"]
        assert data["image"].startswith("/data/local-files/?d=processed_data/")
    by_film: dict[str, list[float]] = {}
    for task in result.tasks:
        by_film.setdefault(task["data"]["film"], []).append(task["data"]["lesson_start"])
    gaps = [b - a for starts in by_film.values() for a, b in zip(sorted(starts), sorted(starts)[1:], strict=False)]
    assert min(gaps, default=999) >= 60.0  # never ten frames of one minute


@pytest.mark.slow
def test_the_command_writes_label_queue_json_and_refuses_without_models_in_russian(tmp_path: Path) -> None:
    layout = make_queue_project(tmp_path / "проект")
    command = [sys.executable, "-m", "pedpatterns.labelstudio", "queue", "--root", str(layout.root), "--batch", "5"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    tasks = json.loads(layout.label_queue.read_text(encoding="utf-8"))
    assert len(tasks) == 5 and "Следующий пакет для разметки: 5 сегментов" in done.stdout
    assert "F1 эксп." in done.stdout and "Согласие экспертов (потолок для модели)" in done.stdout

    layout.labeled_csv.unlink()
    layout.text_model.unlink()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "Нет ни одной модели для подсказок" in done.stderr
