"""``python -m pedpatterns.labelstudio questions EXPORT.json``: the question rules measured against the experts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pedpatterns.cli import run
from pedpatterns.cli.labelstudio import main
from pedpatterns.labels.questionscores import SCORE_COLUMNS

EXPORT = Path(__file__).resolve().parents[1] / "data" / "labelstudio-1.23.2" / "questions-export.json"


def test_the_table_and_the_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "оценка правил.csv"
    assert run(main, ["questions", str(EXPORT), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Вопросов, размеченных экспертами: 4." in printed
    assert "Открытость (вопросов с меткой: 4, доля верных ответов правил: 1.00)" in printed
    # the expert said «Понимание» for «Почему…?» once, the rules say «Анализ»: one disagreement is listed
    assert "Уровень по Блуму (вопросов с меткой: 3, доля верных ответов правил: 0.67)" in printed
    assert "Вопросов, где правила ответили иначе, чем эксперт: 1:" in printed
    assert "эксперт: Открытый, Понимание; правила: Открытый, Анализ" in printed
    raw = out.read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == SCORE_COLUMNS and len(rows) == 2 + 6
    analyse = next(r for r in rows if r["class"] == "analyse")
    assert (float(analyse["precision"]), float(analyse["recall"]), analyse["support"]) == (0.5, 1.0, "1")


def test_the_csv_goes_next_to_the_export_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "project.json"
    export.write_bytes(EXPORT.read_bytes())
    assert run(main, ["questions", str(export)]) == 0
    assert (tmp_path / "project_questions.csv").is_file()
    assert str(tmp_path / "project_questions.csv") in capsys.readouterr().out


def test_an_export_without_question_labels_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps([{"id": 1, "data": {"text": "Кто дежурный?"}, "annotations": []}]),
                      encoding="utf-8")
    assert run(main, ["questions", str(export)]) != 0
    captured = capsys.readouterr()
    assert "нет размеченных вопросов" in captured.err + captured.out
    assert "setup --question-labels" in captured.err + captured.out
    assert "Traceback" not in captured.err
    assert not (tmp_path / "export_questions.csv").exists()
