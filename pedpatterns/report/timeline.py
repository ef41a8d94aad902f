"""Lessons over time: one teacher's (or one class's) lessons side by side, in date order.

A researcher follows a teacher across lessons: does the teacher's talk share fall, do
questions become more frequent, does the wait after a question grow, which patterns come
and go? When several lessons have reports, the summary page (new_videos/reports/index.html)
gets a section with these numbers per lesson in date order, as plots and as a CSV
(``lessons_over_time.csv``, ``lessons_over_time.png``).

The date of a lesson comes from the optional ``new_videos/lessons.csv`` (columns: video
file, teacher, class, date; Russian or English headers), else from the video's name
(``2026-11-25``, ``2026_11_25``, ``25.11.2026``, ``20261125``); a lesson without a date
goes last, and the page says how to give it one. Talk shares need the speakers of the
transcripts (``turns``); without them those columns stay empty.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import matplotlib
from matplotlib.figure import Figure

from pedpatterns import fsutil, spreadsheet
from pedpatterns.errors import UserError
from pedpatterns.layout import VIDEO_SUFFIXES, Layout, safe_stem
from pedpatterns.report import lessonmetrics
from pedpatterns.words import ROLES, SHARE_NAMES, TEACHER

# Header names accepted in lessons.csv (lower case) → the field they fill.
_COLUMNS = {
    "video": "video", "file": "video", "видео": "video", "файл": "video", "урок": "video",
    "teacher": "teacher", "учитель": "teacher",
    "class": "class", "класс": "class",
    "date": "date", "дата": "date",
}
_DATE_IN_NAME = [
    (re.compile(r"(?<!\d)(\d{4})[-_.](\d{2})[-_.](\d{2})(?!\d)"), ("y", "m", "d")),
    (re.compile(r"(?<!\d)(\d{2})[-_.](\d{2})[-_.](\d{4})(?!\d)"), ("d", "m", "y")),
    (re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)"), ("y", "m", "d")),
]
SPEAKERS = ROLES
SPEAKER_COLUMNS = {who: f"доля речи {SHARE_NAMES[who]}" for who in SPEAKERS}


@dataclass(frozen=True)
class LessonInfo:
    teacher: str = ""
    klass: str = ""
    date: date | None = None
    date_from: str = ""  # "lessons.csv", "имя файла" or ""


@dataclass
class Timeline:
    rows: list[dict[str, Any]]
    patterns: list[str]
    notes: list[str] = field(default_factory=list)


def parse_date(text: str) -> date | None:
    """A date written as ГГГГ-ММ-ДД or ДД.ММ.ГГГГ (also with «/», «_»); None when it is not a real date."""
    text = text.strip()
    for pattern, order in _DATE_IN_NAME:
        match = pattern.fullmatch(text.replace("/", "-"))
        if match:
            parts = dict(zip(order, map(int, match.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def date_in_name(name: str) -> date | None:
    """The first real date written in a file name, if any."""
    for pattern, order in _DATE_IN_NAME:
        for match in pattern.finditer(name):
            parts = dict(zip(order, map(int, match.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                continue
    return None


# A lesson dated before this is a typo (the recordings are digital video), so is one after tomorrow.
EARLIEST_LESSON = date(1990, 1, 1)


def video_keys(written: str) -> list[str]:
    """The report folder names a video written in lessons.csv may have; the first is the likeliest.

    Folder names go through :func:`layout.safe_stem` («Урок 10:30.mp4» → «Урок 10_30»), so the
    row is matched the same way; a path counts by its file name, and only a video extension is
    dropped, so «Урок 5.1» stays «Урок 5.1». A backslash is a Windows path's separator, or part
    of a film's own name on Linux and macOS («$\\frac{a}{$.mp4»): both readings are kept.
    """
    name = written.strip().rsplit("/", 1)[-1]
    names = [name, name.rsplit("\\", 1)[-1]]
    stems = [n.rsplit(".", 1)[0] if n.lower().endswith(VIDEO_SUFFIXES) else n for n in names]
    return list(dict.fromkeys(safe_stem(s) for s in stems))


def video_key(written: str) -> str:
    """The report folder's name for a video as written in lessons.csv, its backslashes read as a Windows path's."""
    return video_keys(written)[-1]


def read_lessons_csv(path: Path, warnings: list[str] | None = None, today: date | None = None
                     ) -> dict[str, LessonInfo]:
    """new_videos/lessons.csv by report folder name (:func:`video_key`).

    A wrong date or a missing column is a Russian error naming the line; so is one video on two
    rows that disagree, since either row winning would silently move a lesson on the timeline.
    A date before 1990 or in the future is kept but appended to ``warnings`` with its line.
    """
    if not path.is_file():
        return {}
    text = fsutil.read_user_text(path)
    delimiter = max(",;\t", key=text.split("\n", 1)[0].count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = {name: _COLUMNS.get(str(name).strip().lower()) for name in reader.fieldnames or []}
    if "video" not in columns.values():
        raise UserError(
            f"В «{path}» нет колонки с именем видео. Первая строка должна быть такой: "
            "видео,учитель,класс,дата (или video,teacher,class,date), дальше — строка на урок, например: "
            "«Урок 1.mp4,Иванова М. П.,5 А,2026-11-25»."
        )
    out: dict[str, LessonInfo] = {}
    lines: dict[str, int] = {}
    today = today or date.today()
    for row in reader:
        # A surplus cell is listed under None by DictReader: it belongs to no column.
        values = {columns[k]: str(v or "").strip() for k, v in row.items() if k is not None and columns.get(k)}
        if not values.get("video"):
            continue
        written = values.get("date", "")
        when = parse_date(written) if written else None
        if written and when is None:
            raise UserError(
                f"В «{path}», строка {reader.line_num}: «{written}» — не дата. Пишите дату как ГГГГ-ММ-ДД "
                "(2026-11-25) или ДД.ММ.ГГГГ (25.11.2026) и проверьте, что такой день есть в календаре."
            )
        if when and not EARLIEST_LESSON <= when <= today + timedelta(days=1) and warnings is not None:
            warnings.append(
                f"В {path.name}, строка {reader.line_num}: дата {when.isoformat()} у «{values['video']}» — "
                + ("раньше 1990 года" if when < EARLIEST_LESSON else "ещё не наступила")
                + ". Урок поставлен по этой дате; если это опечатка, исправьте дату в файле."
            )
        info = LessonInfo(values.get("teacher", ""), values.get("class", ""), when, "lessons.csv" if when else "")
        for key in video_keys(values["video"]):
            if key in out and out[key] != info:
                raise UserError(
                    f"В «{path}» урок «{key}» записан дважды по-разному: в строке {lines[key]} и в строке "
                    f"{reader.line_num}. Оставьте одну строку на видео (с верной датой, учителем и классом) "
                    "и запустите find_patterns.py снова."
                )
            out[key], lines[key] = info, reader.line_num
    return out


def talk_seconds(transcripts: Sequence[Mapping[str, Any]]) -> dict[str, float] | None:
    """Seconds each speaker talks, from the transcripts' ``turns``; None when no part has speakers."""
    totals = dict.fromkeys(SPEAKERS, 0.0)
    found = False
    for transcript in transcripts:
        for turn in transcript.get("turns") or []:
            if isinstance(turn, dict) and turn.get("speaker") in totals:
                found = True
                totals[turn["speaker"]] += max(0.0, float(turn.get("end") or 0) - float(turn.get("start") or 0))
    return totals if found else None


def lesson_row(report: Mapping[str, Any], info: LessonInfo, transcripts: Sequence[Mapping[str, Any]]
               ) -> dict[str, Any]:
    """One lesson's numbers: date, who, talk shares, questions, wait time, the share of each pattern."""
    summary = report["summary"]
    duration = float(summary.get("duration_s") or 0)
    talk = talk_seconds(transcripts)
    row: dict[str, Any] = {
        "video": report["video"],
        "date": info.date.isoformat() if info.date else "",
        "date_from": info.date_from,
        "teacher": info.teacher,
        "class": info.klass,
        "duration_min": round(duration / 60, 2),
        "speech_share": summary.get("speech_share"),
        **{f"{who}_share": (round(talk[who] / duration, 3) if talk and duration else None) for who in SPEAKERS},
        "questions": summary.get("question_count"),
        "questions_per_10_min": round(summary.get("question_count", 0) / duration * 600, 2) if duration else None,
        "wait_after_question_mean_s": summary.get("wait_after_question_mean_s"),
        "questions_with_good_wait": summary.get("questions_with_good_wait"),
        **_question_columns(summary, talk),
    }
    row["patterns"] = {p["pattern"]: p["share"] for p in report.get("pattern_summary") or []}
    return row


# The report.json summary fields the lessons over time read besides the summary page's (build.report_problem
# checks them: a number or absent). Absent in an older report: the cell stays empty.
SUMMARY_READ = ("duration_s", "speech_share", "question_count", "wait_after_question_mean_s",
                "questions_with_good_wait", "questions_answered_by_pupils", "wait_before_pupil_median_s",
                "open_question_share", "higher_order_share")


def _question_columns(summary: Mapping[str, Any], talk: Mapping[str, float] | None) -> dict[str, Any]:
    """The columns of issue 25: the teacher's share of the talk, who answers, the waits before pupils, the kinds.

    A report written before these numbers existed lacks them: its cells stay empty, nothing is guessed.
    """
    spoken = sum(talk.values()) if talk else 0.0
    answered, count = summary.get("questions_answered_by_pupils"), summary.get("question_count") or 0
    return {
        "teacher_talk_share": round(talk[TEACHER] / spoken, 3) if talk and spoken > 0 else None,
        "pupil_answer_share": round(answered / count, 3) if answered is not None and count else None,
        "wait_before_pupil_median_s": summary.get("wait_before_pupil_median_s"),
        "open_question_share": summary.get("open_question_share"),
        "higher_order_share": summary.get("higher_order_share"),
    }


def build_timeline(layout: Layout, reports: Sequence[Mapping[str, Any]]) -> Timeline:
    """The lessons in date order (undated last, by name) with their numbers."""
    notes: list[str] = []
    infos = read_lessons_csv(layout.lessons_csv, notes)
    rows, undated = [], []
    for report in reports:
        info = infos.get(report["video"])
        if info is None or info.date is None:
            found = date_in_name(report["video"])
            base = info or LessonInfo()
            info = LessonInfo(base.teacher, base.klass, found, "имя файла" if found else "")
        if info.date is None:
            undated.append(report["video"])
        transcripts = []
        for part in report.get("parts") or []:
            try:
                transcripts.append(lessonmetrics.read_transcript(layout.transcript_json(layout.source_part(part))))
            except UserError:
                continue
        rows.append(lesson_row(report, info, transcripts))
    rows.sort(key=lambda r: (r["date"] == "", r["date"], r["video"]))
    if undated:
        notes.append(
            "Нет даты у уроков: " + ", ".join(f"«{v}»" for v in undated) + ". Они стоят в конце. Укажите дату в "
            f"имени видео (например «Урок 2026-11-25.mp4») или в файле {layout.relative(layout.lessons_csv)} "
            "(колонки: видео, учитель, класс, дата)."
        )
    if all(r["teacher_share"] is None for r in rows):
        notes.append("Доли речи учителя и учеников не показаны: в расшифровках уроков говорящие не разделены.")
    patterns = list(dict.fromkeys(p for r in rows for p in r["patterns"]))
    if not patterns:
        notes.append("Паттерны по урокам не показаны: модели по звуку и тексту ещё нет (нужна разметка).")
    return Timeline(rows, patterns, notes)


# --- the CSV and the plots -------------------------------------------------------------------

CSV_COLUMNS = {
    "video": "урок", "date": "дата", "date_from": "откуда дата", "teacher": "учитель", "class": "класс",
    "duration_min": "длительность, мин", "speech_share": "доля речи",
    **{f"{who}_share": SPEAKER_COLUMNS[who] for who in SPEAKERS},
    "questions": "вопросов", "questions_per_10_min": "вопросов за 10 минут",
    "wait_after_question_mean_s": "ожидание после вопроса, с", "questions_with_good_wait": "вопросов с ожиданием ≥ 3 с",
    "teacher_talk_share": "доля учителя в речи", "pupil_answer_share": "доля вопросов, после которых ответил ученик",
    "wait_before_pupil_median_s": "ожидание перед ответом ученика (медиана), с",
    "open_question_share": "доля открытых вопросов", "higher_order_share": "доля вопросов высокого уровня",
}


def timeline_csv(timeline: Timeline) -> str:
    """A row per lesson in date order; a column per number, then the share of the lesson each pattern covers."""
    # A teacher's name from lessons.csv or a film's name may start with "=": Excel shows it, never runs it.
    return spreadsheet.csv_text(
        [*CSV_COLUMNS.values(), *(f"доля урока: {p}" for p in timeline.patterns)],
        ([row[k] for k in CSV_COLUMNS] + [row["patterns"].get(p) for p in timeline.patterns] for row in timeline.rows),
    )


_Drawn = TypeVar("_Drawn")


def plain_text(draw: Callable[..., _Drawn]) -> Callable[..., _Drawn]:
    """Every text a decorated function puts on a plot is plain: a ``$`` is a dollar, not TeX.

    Film, pattern and teacher names reach the plots; matplotlib reads ``$…$`` as mathtext, and
    a name like «Урок $\\frac{a}{$» ended in a traceback, costing the lesson its report and the
    summary page its rebuild. Text objects read the setting when they are made (tick labels
    too, at draw time), so both the drawing and the saving are wrapped.
    """
    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> _Drawn:
        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)
    return wrapper


def _series(rows: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    return [math.nan if r.get(key) is None else float(r[key]) for r in rows]


@plain_text
def timeline_figure(timeline: Timeline) -> Figure:
    """Four small plots over the lessons: talk shares, questions, wait time, patterns."""
    rows = timeline.rows
    labels = [f"{r['date'] or 'без даты'}\n{r['video'][:18]}" for r in rows]
    x = list(range(len(rows)))
    fig = Figure(figsize=(11, 8.5))
    axes = fig.subplots(2, 2)
    ax = axes[0][0]
    ax.plot(x, _series(rows, "speech_share"), marker="o", label="речь (все)")
    for who, colour in zip(SPEAKERS, ("#4C78A8", "#F58518", "#54A24B"), strict=True):
        values = _series(rows, f"{who}_share")
        if not all(math.isnan(v) for v in values):
            ax.plot(x, values, marker="o", color=colour, label=SHARE_NAMES[who])
    ax.set_title("Доли речи")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax = axes[0][1]
    ax.bar(x, _series(rows, "questions_per_10_min"), color="#E45756")
    ax.set_title("Вопросов за 10 минут")
    ax = axes[1][0]
    ax.plot(x, _series(rows, "wait_after_question_mean_s"), marker="o", color="#5B6B7A")
    ax.axhline(3.0, linestyle="--", color="#2f7d32", linewidth=1)
    ax.set_title("Ожидание после вопроса, с (пунктир — 3 с)")
    ax = axes[1][1]
    bottom = [0.0] * len(rows)
    for j, pattern in enumerate(timeline.patterns):
        values = [float(r["patterns"].get(pattern) or 0) for r in rows]
        ax.bar(x, values, bottom=bottom, label=pattern[:32], color=_PATTERN_COLOURS[j % len(_PATTERN_COLOURS)])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Паттерны: доля урока")
    if timeline.patterns:
        ax.legend(fontsize=7)
    for ax in axes.flat:
        ax.set_xticks(x, labels, fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


_PATTERN_COLOURS = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#72B7B2", "#EECA3B", "#9D755D", "#FF9DA6",
                    "#2E86AB", "#8C564B")


@plain_text
def png_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()
