import os
from pathlib import Path

import numpy as np
import pytest

from pedpatterns.errors import UserError
from pedpatterns.labels.labelled import load_labeled_segments
from pedpatterns.layout import Layout
from pedpatterns.models import textmodel
from pedpatterns.testing.synthetic import make_labelled_project, write_ls_csv
from tests.support.tools import load_tool


def _quiet(_: str) -> None:
    pass


def test_model_beats_the_frequency_baseline_under_grouped_cross_validation(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    make_labelled_project(lay, n_films=6, per_part=20)
    model, metrics = textmodel.train(load_labeled_segments(lay))
    ev = metrics["evaluation"]
    assert metrics["group_by"] == "film" and metrics["folds"] == 5 and metrics["n_groups"] == 6
    assert ev["micro_f1"] > ev["baseline_micro_f1"] + 0.3
    for name, m in ev["per_pattern"].items():
        assert m["f1"] > m["baseline_f1"], name
    assert model.features == list(textmodel.MODEL_COLUMNS) and len(model.patterns) == 3


def test_one_part_says_quality_cannot_be_judged_instead_of_numbers(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    make_labelled_project(lay, n_films=1, per_part=12)
    model, metrics = textmodel.train(load_labeled_segments(lay))
    assert metrics["evaluation"] is None and metrics["folds"] == 0
    assert any("одна часть" in w for w in metrics["warnings"])
    assert "Качество модели не оценено" in textmodel.format_metrics(metrics)
    assert model.predict_proba(load_labeled_segments(lay).frame).shape == (12, len(model.patterns))


def test_russian_word_forms_share_tokens() -> None:
    pipeline = textmodel.build_pipeline([])
    steps = {name: step for name, step, _ in pipeline.named_steps["features"].transformers}
    words, chars = steps["words"], steps["chars"]
    words.fit(["Ёлка и ЕЛКА", "вопросы задаёт", "Ошибками, ошибку! Дети шли.", "Questions"])
    assert {"елка", "вопрос", "задавать", "ошибка", "ребенок", "идти", "questions"} <= set(words.vocabulary_)
    assert "ошибками" not in words.vocabulary_ and "ошибку" not in words.vocabulary_
    chars.fit(["вопрос", "вопросы", "вопросом"])
    assert "вопр" in chars.vocabulary_  # a shared stem n-gram of three forms


@pytest.mark.slow
def test_lemmas_help_on_lessons_with_unseen_word_forms() -> None:
    """tools/measure_tokenizer.py over 10 seeds: micro-F1 0.783 with plain words, 0.830 with lemmas; here 3."""
    tool = load_tool("measure_tokenizer")
    gains = [tool.grouped_f1(textmodel.lemmatise_text, seed)[0] - tool.grouped_f1(textmodel.normalise_text, seed)[0]
             for seed in range(3)]
    assert np.mean(gains) >= 0.02 and min(gains) > 0, gains


def test_saved_model_predicts_the_same_and_is_reused_until_labels_change(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    make_labelled_project(lay, n_films=3, per_part=10)
    first = textmodel.ensure_model(lay, log=_quiet)
    assert lay.text_model.is_file() and lay.text_metrics.is_file()
    frame = load_labeled_segments(lay).frame
    stamp = lay.text_model.stat().st_mtime_ns
    again = textmodel.ensure_model(lay, log=_quiet)
    assert lay.text_model.stat().st_mtime_ns == stamp  # fresh model: loaded, not retrained
    assert np.allclose(first.predict_proba(frame), again.predict_proba(frame))
    later = lay.text_model.stat().st_mtime + 10
    os.utime(lay.labeled_csv, (later, later))
    textmodel.ensure_model(lay, log=_quiet)
    assert lay.text_model.stat().st_mtime_ns != stamp  # labels newer than the model: retrained


def test_other_labels_file_and_retrain_flag_retrain(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    make_labelled_project(lay, n_films=2, per_part=10)
    textmodel.ensure_model(lay, log=_quiet)
    other = tmp_path / "разметка эксперта 2.csv"
    write_ls_csv(lay, other, [("Фильм 0_part000", i, ["Паттерн 2: Обратная связь"], "b") for i in range(10)]
                 + [("Фильм 1_part000", i, ["Паттерн 9: Рефлексия"], "b") for i in range(10)])
    model = textmodel.ensure_model(lay, textmodel.TextOptions(labels_path=other), log=_quiet)
    assert model.patterns == ["Паттерн 2: Обратная связь", "Паттерн 9: Рефлексия"]
    messages: list[str] = []
    textmodel.ensure_model(lay, textmodel.TextOptions(labels_path=other, retrain=True), log=messages.append)
    assert any("Обучение модели" in m for m in messages)


def test_without_labels_there_is_no_model_and_explicit_paths_must_exist(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    assert textmodel.ensure_model(lay, log=_quiet) is None
    with pytest.raises(UserError, match="--labels"):
        textmodel.ensure_model(lay, textmodel.TextOptions(labels_path=tmp_path / "нет.csv"), log=_quiet)
    with pytest.raises(UserError, match="Переобучать не на чем"):
        textmodel.ensure_model(lay, textmodel.TextOptions(retrain=True), log=_quiet)


def test_damaged_model_is_a_russian_message_or_retrained(tmp_path: Path) -> None:
    lay = Layout(tmp_path)
    lay.text_model.write_bytes(b"not a joblib file")
    with pytest.raises(UserError, match="--retrain"):
        textmodel.ensure_model(lay, log=_quiet)
    make_labelled_project(lay, n_films=2, per_part=8)
    os.utime(lay.text_model, (lay.labeled_csv.stat().st_mtime + 10,) * 2)  # "fresh" but unreadable
    assert textmodel.ensure_model(lay, log=_quiet) is not None
