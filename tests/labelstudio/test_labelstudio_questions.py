"""The optional question labelling against a real Label Studio 1.23.2 (.venv-labelstudio).

setup --question-labels → Label Studio accepts the config → an expert's marked questions (a Labels region with
its per-region openness and level, posted as the interface posts them) → the server's own JSON and JSON-MIN
exports → read back question by question. The exports made here are kept in tests/data/labelstudio-1.23.2/
(questions-export.json; questions-export-min-one.json, one question a segment; questions-export-min-two.json,
two in one segment) for the tests that run without Label Studio.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pedpatterns import patterns
from pedpatterns.errors import UserError
from pedpatterns.labels.exports import read_export
from pedpatterns.labels.questionlabels import QuestionLabel, read_question_labels
from pedpatterns.labels.questions import LEVEL_TAG, OPENNESS_TAG, QUESTION_LABEL, QUESTION_TAG
from pedpatterns.labels.tags import CHOICES_TAG, IMAGE_TAG, TEXT_TAG
from pedpatterns.labelstudio.config import has_question_labels
from pedpatterns.labelstudio.project import setup_project

if TYPE_CHECKING:
    from tests.support.labelstudio_server import LSServer

pytest_plugins = ["tests.support.labelstudio_server"]
pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]

P = patterns.default_patterns()
TEXTS = ["Учитель: Откройте тетради. Почему слово окно среднего рода? Ученик: Оно моё.",
         "Учитель: Кто сегодня дежурный?"]


def region(region_id: str, text: str, question: str, openness: str | None, level: str | None) -> list[dict[str, Any]]:
    """The results Label Studio's interface saves for one marked question: one per tag, sharing the region id."""
    start = text.index(question)
    span = {"start": start, "end": start + len(question), "text": question}
    out = [{"id": region_id, "from_name": QUESTION_TAG, "to_name": TEXT_TAG, "type": "labels",
            "value": {**span, "labels": [QUESTION_LABEL]}}]
    for tag, value in ((OPENNESS_TAG, openness), (LEVEL_TAG, level)):
        if value is not None:
            out.append({"id": region_id, "from_name": tag, "to_name": TEXT_TAG, "type": "choices",
                        "value": {**span, "choices": [value]}})
    return out


def test_question_labels_round_trip(ls_server: LSServer, tmp_path: Path) -> None:
    layout = ls_server.layout
    part, _ = ls_server.make_part(2, text_of=lambda i: TEXTS[i])
    client = ls_server.client()
    title = ls_server.unique("Вопросы")

    report = setup_project(client, layout, title, question_labels=True)
    assert report.created and report.question_labels
    assert has_question_labels(client.project(report.project_id)["label_config"])
    # A later setup without the flag keeps the labelling the experts use.
    again = setup_project(client, layout, title)
    assert again.question_labels and has_question_labels(client.project(report.project_id)["label_config"])

    tasks = sorted((t for t in client.tasks(report.project_id) if t["data"]["part"] == part),
                   key=lambda t: t["data"]["segment"])
    first, second = tasks
    result = [*region("q1", TEXTS[0], "Почему слово окно среднего рода?", "open", "analyse"),
              {"from_name": CHOICES_TAG, "to_name": IMAGE_TAG, "type": "choices", "value": {"choices": [P[0]]}}]
    client.request("POST", f"/api/tasks/{first['id']}/annotations/", "разметка вопросов",
                   json={"result": result, "was_cancelled": False})
    client.request("POST", f"/api/tasks/{second['id']}/annotations/", "разметка вопросов",
                   json={"result": region("q2", TEXTS[1], "Кто сегодня дежурный?", "closed", None),
                         "was_cancelled": False})
    expected = {QuestionLabel("Почему слово окно среднего рода?", "open", "analyse"),
                QuestionLabel("Кто сегодня дежурный?", "closed", None)}

    admin = str(client.whoami()["id"])
    for kind, name in (("JSON", "questions-one.json"), ("JSON_MIN", "questions-one-min.json")):
        path = tmp_path / name
        path.write_bytes(client.export(report.project_id, kind))
        got = read_question_labels(path)
        assert {QuestionLabel(q.text, q.openness, q.level) for q in got} == expected, kind
        assert {q.annotator for q in got} == {admin}
    # The pattern choices of the same export still read as before.
    assert [a.choices for a in read_export(tmp_path / "questions-one.json") if a.choices] == [(P[0],)]

    # Two questions in one segment: the JSON export keeps each choice with its region, JSON-MIN does not.
    two = [*region("r1", TEXTS[0], "Откройте тетради.", "closed", "remember"),
           *region("r2", TEXTS[0], "Почему слово окно среднего рода?", "open", "understand")]
    client.request("POST", f"/api/tasks/{first['id']}/annotations/", "разметка вопросов",
                   json={"result": two, "was_cancelled": False})
    full = tmp_path / "questions-export.json"
    full.write_bytes(client.export(report.project_id, "JSON"))
    got = {QuestionLabel(q.text, q.openness, q.level) for q in read_question_labels(full)}
    assert got == expected | {QuestionLabel("Откройте тетради.", "closed", "remember"),
                              QuestionLabel("Почему слово окно среднего рода?", "open", "understand")}
    minimal = tmp_path / "questions-export-min.json"
    minimal.write_bytes(client.export(report.project_id, "JSON_MIN"))
    with pytest.raises(UserError, match="JSON-MIN не хранит"):
        read_question_labels(minimal)
    json.loads(full.read_text(encoding="utf-8"))
