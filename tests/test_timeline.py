"""Lessons over time (issue 15): dates from lessons.csv or the file name, numbers in date order, plots and CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from pedpatterns.errors import UserError
from pedpatterns.layout import Layout
from pedpatterns.report import timeline
from pedpatterns.report.build import ReportOptions, analyse_lesson, write_index, write_report
from pedpatterns.synthetic import make_known_lesson


def test_dates_are_read_from_names_and_wrong_ones_are_refused() -> None:
    assert timeline.date_in_name("Урок 2026-11-25 5А") == date(2026, 11, 25)
    assert timeline.date_in_name("lesson_25.11.2026") == date(2026, 11, 25)
    assert timeline.date_in_name("урок20261125") == date(2026, 11, 25)
    assert timeline.date_in_name("Урок 2026-02-31") is None and timeline.date_in_name("Урок 5") is None
    assert timeline.parse_date("31.02.2026") is None and timeline.parse_date("2026/11/05") == date(2026, 11, 5)


def _lessons(layout: Layout, names: list[str]) -> None:
    for name in names:
        part = make_known_lesson(layout, name)
        write_report(layout, analyse_lesson(layout, name, [part], None, ReportOptions()))


def test_index_compares_lessons_in_date_order_with_talk_shares(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    _lessons(layout, ["Урок Б", "Урок 2026-09-01", "Урок без даты"])
    # Speakers of one lesson, as issue 14 writes them: the teacher talks 10 s of 30.
    path = layout.transcript_json("Урок Б_part001")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["turns"] = [{"start": 0, "end": 10, "speaker": "teacher"}, {"start": 16, "end": 22, "speaker": "pupil"}]
    path.write_text(json.dumps(data), encoding="utf-8")
    layout.lessons_csv.write_text("видео;учитель;класс;дата\nУрок Б.mp4;Иванова М. П.;5 А;20.10.2026\n",
                                  encoding="utf-8")

    index = write_index(layout)
    rows = list(csv.DictReader(io.StringIO(layout.lessons_over_time_csv.read_text(encoding="utf-8-sig"))))
    assert [r["урок"] for r in rows] == ["Урок 2026-09-01", "Урок Б", "Урок без даты"]
    assert [r["откуда дата"] for r in rows] == ["имя файла", "lessons.csv", ""]
    assert rows[1]["учитель"] == "Иванова М. П." and rows[1]["дата"] == "2026-10-20"
    assert float(rows[1]["доля речи учителя"]) == pytest.approx(1 / 3, abs=1e-3)
    assert float(rows[1]["доля речи учеников"]) == pytest.approx(0.2)
    assert rows[0]["доля речи учителя"] == "" and rows[0]["вопросов за 10 минут"] == "20.0"
    assert layout.lessons_over_time_png.read_bytes().startswith(b"\x89PNG")
    html = index.read_text(encoding="utf-8")
    assert "Уроки по времени" in html and "Нет даты у уроков: «Урок без даты»" in html
    assert html.index("2026-09-01</td>") < html.index("2026-10-20</td>")


def test_a_lessons_csv_with_a_wrong_date_names_the_line(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    _lessons(layout, ["Урок 1", "Урок 2"])
    layout.lessons_csv.write_text("video,teacher,class,date\nУрок 1.mp4,А,5,2026-11-20\nУрок 2.mp4,А,5,31.02.2026\n",
                                  encoding="utf-8")
    with pytest.raises(UserError, match=r"строка 3: «31\.02\.2026» — не дата"):
        write_index(layout)
    layout.lessons_csv.write_text("имя;когда\nУрок 1;2026-11-20\n", encoding="utf-8")
    with pytest.raises(UserError, match="нет колонки с именем видео"):
        write_index(layout)
