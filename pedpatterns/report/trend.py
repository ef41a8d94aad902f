"""The teacher's own trend: the latest lesson against the same teacher's earlier ones.

A teacher working on one habit (waiting after a question, asking more open questions) wants to see
whether the last lesson moved, against their own earlier lessons rather than against anyone else. The
teacher of a lesson is the «учитель» column of new_videos/lessons.csv (:mod:`pedpatterns.report.timeline`);
the lessons are its rows in date order. The earlier lessons are summed up by their median: one unusual
lesson (a test, a film shown) does not move it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from pedpatterns.report.timeline import Timeline

# Column of the lessons over time → (Russian name, unit): the numbers the trend compares, in the page's order.
TREND_METRICS: dict[str, tuple[str, str]] = {
    "teacher_talk_share": ("Доля учителя в речи", "доля"),
    "questions_per_10_min": ("Вопросов за 10 минут", "шт"),
    "wait_after_question_mean_s": ("Ожидание после вопроса, среднее", "с"),
    "pupil_answer_share": ("Доля вопросов, после которых первым заговорил ученик", "доля"),
    "wait_before_pupil_median_s": ("Ожидание перед ответом ученика, медиана", "с"),
    "open_question_share": ("Доля открытых вопросов", "доля"),
    "higher_order_share": ("Доля вопросов высокого уровня", "доля"),
}


@dataclass(frozen=True)
class TrendRow:
    """One number of the latest lesson beside the median of the teacher's earlier lessons that have it."""

    key: str
    latest: float | None
    earlier: float | None
    earlier_lessons: int


@dataclass
class TeacherTrend:
    teacher: str
    latest: dict[str, Any]  # the lessons over time's row of the teacher's latest dated lesson
    earlier: list[dict[str, Any]]
    rows: list[TrendRow]


@dataclass
class Trends:
    teachers: list[TeacherTrend]
    notes: list[str] = field(default_factory=list)


def _values(rows: Sequence[dict[str, Any]], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key) is not None]


def teacher_trends(timeline: Timeline) -> Trends:
    """Per teacher with two dated lessons or more: the latest against the median of the earlier ones.

    The notes say which lessons could not take part (no teacher in lessons.csv, no date) and why, so a
    lesson missing from the comparison is never silently missing.
    """
    by_teacher: dict[str, list[dict[str, Any]]] = {}
    no_teacher, no_date = [], []
    for row in timeline.rows:  # in date order, the undated last
        if not row.get("teacher"):
            no_teacher.append(row["video"])
        elif not row.get("date"):
            no_date.append(row["video"])
        else:
            by_teacher.setdefault(row["teacher"], []).append(row)
    teachers = []
    single = []
    for teacher, lessons in by_teacher.items():
        if len(lessons) < 2:
            single.append(teacher)
            continue
        *earlier, latest = lessons
        rows = []
        for key in TREND_METRICS:
            values = _values(earlier, key)
            rows.append(TrendRow(key, latest.get(key), round(median(values), 3) if values else None, len(values)))
        teachers.append(TeacherTrend(teacher, latest, earlier, rows))
    notes = []
    if no_teacher:
        notes.append("Без учителя в lessons.csv (в сравнение с прошлыми уроками не вошли): "
                     + ", ".join(f"«{v}»" for v in no_teacher)
                     + ". Впишите учителя в колонку «учитель» файла new_videos/lessons.csv.")
    if no_date:
        notes.append("Без даты (не понять, какой урок последний): " + ", ".join(f"«{v}»" for v in no_date) + ".")
    if single:
        notes.append("Пока по одному уроку с датой — сравнивать не с чем: "
                     + ", ".join(f"«{t}»" for t in single) + ".")
    return Trends(teachers, notes)
