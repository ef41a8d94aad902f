"""The experts' question labels read from Label Studio 1.23.2's own exports (tests/data/labelstudio-1.23.2/,
made by tests/labelstudio/test_labelstudio_questions.py), the bad inputs, and the per-class scores."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pedpatterns.errors import UserError
from pedpatterns.labels.questionlabels import QuestionLabel, read_question_labels
from pedpatterns.labels.questions import LEVELS
from pedpatterns.labels.questionscores import LEVEL, OPENNESS, SCORE_COLUMNS, accuracy, class_scores, scores_csv

DATA = Path(__file__).resolve().parents[1] / "data" / "labelstudio-1.23.2"
WHY = "Почему слово окно среднего рода?"
WHO = "Кто сегодня дежурный?"


def _plain(labels: list[QuestionLabel]) -> set[tuple[str, str | None, str | None]]:
    return {(q.text, q.openness, q.level) for q in labels}


def test_the_full_json_export_keeps_each_choice_with_its_question() -> None:
    got = read_question_labels(DATA / "questions-export.json")
    assert _plain(got) == {(WHY, "open", "analyse"), (WHO, "closed", None),
                           ("Откройте тетради.", "closed", "remember"), (WHY, "open", "understand")}
    assert {q.annotator for q in got} == {"1"} and len(got) == 4


def test_json_min_with_one_question_a_segment() -> None:
    assert _plain(read_question_labels(DATA / "questions-export-min-one.json")) == {
        (WHY, "open", "analyse"), (WHO, "closed", None)}


def test_json_min_with_two_questions_in_a_segment_asks_for_the_full_json() -> None:
    with pytest.raises(UserError, match="Export → JSON, не JSON-MIN"):
        read_question_labels(DATA / "questions-export-min-two.json")


def _export(tmp_path: Path, items: object, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    return path


def _task(*results: dict, text: str = f"Учитель: {WHY}") -> dict:
    return {"id": 1, "data": {"text": text}, "annotations": [{"id": 5, "completed_by": 3, "result": list(results)}]}


def _result(tag: str, kind: str, key: str, values: list[str], **span: object) -> dict:
    return {"id": "a", "from_name": tag, "to_name": "text", "type": kind, "value": {**span, key: values}}


def test_russian_names_and_a_text_taken_from_the_transcript(tmp_path: Path) -> None:
    """A config typed by hand without aliases exports the Russian names; a region without its text is cut out."""
    span = {"start": 9, "end": 9 + len(WHY)}
    path = _export(tmp_path, [_task(_result("question", "labels", "labels", ["Вопрос"], **span),
                                    _result("question_openness", "choices", "choices", ["Открытый"], **span),
                                    _result("question_level", "choices", "choices", ["анализ"], **span))])
    assert read_question_labels(path) == [QuestionLabel(WHY, "open", "analyse", "3", 1)]


def test_no_question_labels_is_an_empty_list(tmp_path: Path) -> None:
    pattern = {"from_name": "pattern", "to_name": "image", "type": "choices", "value": {"choices": ["П"]}}
    assert read_question_labels(_export(tmp_path, [_task(pattern)])) == []
    assert read_question_labels(_export(tmp_path, [])) == []


@pytest.mark.parametrize(("items", "name", "message"), [
    ([_task(_result("question_level", "choices", "choices", ["Синтез"], start=0, end=5, text="Текст"))],
     "export.json", "выбрано «Синтез»"),
    ([_task({"id": "a", "from_name": "question", "value": "текст"})], "export.json", "повреждён"),
    ({"tasks": []}, "export.json", "ожидался список"),
    ([], "export.csv", "не JSON"),
])
def test_bad_exports_say_what_to_do(tmp_path: Path, items: object, name: str, message: str) -> None:
    with pytest.raises(UserError, match=message) as caught:
        read_question_labels(_export(tmp_path, items, name))
    assert "Label Studio" in str(caught.value) or "JSON" in str(caught.value)


def test_a_missing_export(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="не найден"):
        read_question_labels(tmp_path / "нет.json")


def test_per_class_scores() -> None:
    truth = ["open", "open", "closed", "closed", None]
    rules = ["open", "closed", "closed", None, "open"]  # None: a language the rules do not cover
    scores = {s.cls: s for s in class_scores(OPENNESS, truth, rules)}
    assert (scores["open"].precision, scores["open"].recall, scores["open"].support) == (1.0, 0.5, 2)
    assert (scores["closed"].precision, scores["closed"].recall, scores["closed"].predicted) == (0.5, 0.5, 2)
    assert scores["closed"].f1 == pytest.approx(0.5)
    assert accuracy(truth, rules) == pytest.approx(0.5)
    levels = {s.cls: s for s in class_scores(LEVEL, ["create"], ["remember"])}
    assert [*levels] == list(LEVELS)
    assert levels["create"].recall == 0.0 and levels["create"].precision is None
    assert levels["remember"].precision == 0.0 and levels["remember"].recall is None
    rows = list(csv.reader(io.StringIO(scores_csv([*scores.values(), *levels.values()]))))
    assert tuple(rows[0]) == SCORE_COLUMNS and rows[1][:3] == ["openness", "open", "Открытый"]
