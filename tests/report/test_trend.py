"""The teacher's own trend on the summary page (issue 25): the latest lesson against the same teacher's earlier ones."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pedpatterns.layout import Layout
from pedpatterns.report import timeline, trend
from pedpatterns.report.build import existing_reports, write_index


def _report(layout: Layout, name: str, wait: float, open_share: float | None, answered: int) -> None:
    path = layout.report_json(name)
    path.parent.mkdir(parents=True)
    summary = {"duration_s": 600.0, "question_count": 10, "wait_after_question_mean_s": wait,
               "open_question_share": open_share, "questions_answered_by_pupils": answered,
               "wait_before_pupil_median_s": wait + 0.5, "higher_order_share": 0.1}
    path.write_text(json.dumps({"video": name, "parts": [], "summary": summary, "pattern_summary": []},
                               ensure_ascii=False), encoding="utf-8")


def _project(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "проект")
    _report(layout, "Урок А", 1.0, 0.1, 2)
    _report(layout, "Урок Б", 2.0, None, 4)  # a lesson whose kinds are unknown: left out of that median only
    _report(layout, "Урок В", 4.0, 0.5, 7)
    _report(layout, "Урок Г", 0.5, 0.0, 0)
    _report(layout, "Урок Д", 0.8, 0.2, 1)
    layout.lessons_csv.write_text(
        "видео;учитель;класс;дата\n"
        "Урок В.mp4;Иванова М. П.;5 А;2026-10-20\n"  # the latest, written first: order comes from the dates
        "Урок А.mp4;Иванова М. П.;5 А;2026-09-01\n"
        "Урок Б.mp4;Иванова М. П.;5 А;2026-09-15\n"
        "Урок Г.mp4;Петров И. И.;6 Б;2026-09-02\n", encoding="utf-8")
    return layout


def test_the_latest_lesson_stands_beside_the_median_of_the_teachers_earlier_ones(tmp_path: Path) -> None:
    layout = _project(tmp_path)
    trends = trend.teacher_trends(timeline.build_timeline(layout, existing_reports(layout)))
    (ivanova,) = trends.teachers
    assert ivanova.teacher == "Иванова М. П." and ivanova.latest["video"] == "Урок В"
    assert [r["video"] for r in ivanova.earlier] == ["Урок А", "Урок Б"]
    rows = {r.key: r for r in ivanova.rows}
    assert (rows["wait_after_question_mean_s"].latest, rows["wait_after_question_mean_s"].earlier) == (4.0, 1.5)
    assert (rows["open_question_share"].earlier, rows["open_question_share"].earlier_lessons) == (0.1, 1)
    assert (rows["pupil_answer_share"].latest, rows["pupil_answer_share"].earlier) == (0.7, 0.3)
    assert rows["teacher_talk_share"].latest is None  # no speakers in these lessons
    assert any("«Урок Д»" in n and "учителя" in n for n in trends.notes)
    assert any("«Петров И. И.»" in n and "сравнивать не с чем" in n for n in trends.notes)


def test_the_summary_page_shows_the_trend_with_its_references(tmp_path: Path) -> None:
    layout = _project(tmp_path)
    html = write_index(layout).read_text(encoding="utf-8")
    section = html[html.index("<h2>Учитель: последний урок и прошлые</h2>"):]
    row = re.search(r'<tr data-trend="wait_after_question_mean_s">(.*?)</tr>', section).group(1)
    assert 'data-value="4.0">4,0 с<' in row and 'data-earlier="1.5">1,5 с<' in row and "+2,5 с" in row
    assert "Ориентир: 3 с и больше (Rowe 1974; Rowe 1986; Tobin 1987)" in row
    open_row = re.search(r'<tr data-trend="open_question_share">(.*?)</tr>', section).group(1)
    assert ">50 %<" in open_row and ">10 %<" in open_row and "+40 п. п." in open_row
    assert "Урок Д" in section and 'data-teacher="Петров И. И."' not in section
