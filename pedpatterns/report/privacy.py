"""Reports meant for sharing, without names (find_patterns.py --anonymise).

A methodologist sends a lesson's report to a colleague or a conference; the film's name, the
teacher's and the class's (new_videos/lessons.csv) must not go with it. With ``--anonymise`` every
lesson of the run gets, besides its own report, a copy in new_videos/reports_anonymised/ where
each name is a stable neutral label: «Урок 1», «Учитель А», «Класс № 1». Stable: the key from
names to labels is kept in new_videos/reports/anonymised_names.json (the teacher's own folder, not
for sharing), so «Урок 3» stays «Урок 3» on every later run and the teacher can look up who it is.

What the copy keeps and drops, and why:

* numbers, patterns, the transcript and the keyframe thumbnails (embedded in the page) stay: they
  are the report. Spoken names in the transcript stay too, but a film's, teacher's or class's name
  of three characters or more is replaced wherever it occurs in the report's text (a shorter one,
  a class «5», would replace digits in every number of the text, so it is replaced only where it
  stands as a name: the lesson's fields);
* links to the sound and video are dropped: they lead into processed_data/ and part_films/, whose
  folder and file names are the film's name, and the person the copy is sent to has neither
  folder. Nothing is copied: a copy of the film would carry the faces and voices a name-free
  report is meant to spare;
* the Praat and ELAN files are named by the labels and the .eaf links no video (its link is an
  absolute path, the user's name in it on most computers).

The copy is written by the same code as the own report (:func:`build.write_report`,
:func:`build.write_index`) through :class:`SharedLayout`, a project layout whose reports folder is
the shared one and whose part names are the labels: whatever the own report gains, the copy
gains, and only the names differ.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pedpatterns import fsutil, spreadsheet
from pedpatterns.errors import UserError
from pedpatterns.layout import Layout, part_stem, split_part_stem
from pedpatterns.report import build, timeline

LESSON_LABEL = "Урок {}"
TEACHER_LABEL = "Учитель {}"
CLASS_LABEL = "Класс № {}"
# Teachers are lettered (А, Б, В…), classes numbered: «Класс А» would read as a real class letter.
LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"
# A name shorter than this is replaced only in the lesson's own fields, never inside free text (see above).
MIN_SCRUBBED = 3
SHARED_LESSONS_CSV = "lessons.csv"
HIDDEN_PATH = "…"


def letter_label(n: int) -> str:
    """А, Б, … Я, then А2, Б2, …: a teacher's letter, never running out."""
    rounds, index = divmod(n - 1, len(LETTERS))
    return LETTERS[index] + (str(rounds + 1) if rounds else "")


@dataclass(frozen=True, eq=False)
class NamesKey:
    """Film stems, teachers and classes → their labels; and each lesson's teacher, class and date, for the timeline."""

    lessons: dict[str, str]
    teachers: dict[str, str]
    classes: dict[str, str]
    lesson_info: dict[str, timeline.LessonInfo]
    hidden_paths: tuple[str, ...] = ()

    def lesson(self, stem: str) -> str:
        try:
            return self.lessons[stem]
        except KeyError:
            raise UserError(f"Для урока «{stem}» нет обезличенного имени. Запустите find_patterns.py --anonymise "
                            "снова.") from None

    def part(self, part: str) -> str:
        """A part's name in the shared copy: the lesson's label and the part's number («Урок 1_part001»)."""
        split = split_part_stem(part)
        if split is None:
            return part_stem(self.lesson(part), 1) if part in self.lessons else self.scrub(part)
        return part_stem(self.lesson(split[0]), split[1])

    @functools.cached_property
    def names(self) -> dict[str, str]:
        """Every private name of three characters or more → its label (compared case-insensitively)."""
        out: dict[str, str] = {}
        for mapping in (self.classes, self.teachers, self.lessons):
            for name, label in mapping.items():
                if len(name.strip()) >= MIN_SCRUBBED and name.strip().casefold() != label.casefold():
                    out[name.strip().casefold()] = label
        return out

    def scrub(self, text: str) -> str:
        """``text`` with every private name replaced by its label, and absolute paths of this computer hidden."""
        for path in self.hidden_paths:
            text = text.replace(path, HIDDEN_PATH)
        if not self.names:
            return text
        return self._pattern.sub(lambda m: self.names.get(m.group(0).casefold(), HIDDEN_PATH), text)

    @functools.cached_property
    def _pattern(self) -> re.Pattern[str]:
        """One pass over a text, longest names first, each a whole word («_» counts as a break: part names)."""
        alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)

    def layout(self, layout: Layout) -> SharedLayout:
        return SharedLayout(layout.root, tuple((label, stem) for stem, label in self.lessons.items()))


@dataclass(frozen=True)
class SharedLayout(Layout):
    """The project seen from a shared report: its reports folder is reports_anonymised/, its parts the labels'."""

    films: tuple[tuple[str, str], ...] = ()  # (label, film stem)

    @property
    def reports(self) -> Path:
        return self.shared_reports

    @property
    def lessons_csv(self) -> Path:
        """The lessons' labels, teacher and class labels and dates, written for the shared timeline."""
        return self.shared_reports / SHARED_LESSONS_CSV

    def source_part(self, part: str) -> str:
        split = split_part_stem(part)
        stems = dict(self.films)
        if split is None or split[0] not in stems:
            return part
        return part_stem(stems[split[0]], split[1])


# --- the key -------------------------------------------------------------------------------


def _read_saved(path: Path) -> dict[str, dict[str, str]]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"Файл обезличенных имён «{path}» не читается ({exc}). Удалите его: метки «Урок 1», "
                        "«Учитель А»… будут выданы заново (и могут поменяться).") from None
    if not isinstance(data, dict) or not all(
            isinstance(data.get(k, {}), dict) and all(isinstance(v, str) for v in data.get(k, {}).values())
            for k in ("lessons", "teachers", "classes")):
        raise UserError(f"Файл обезличенных имён «{path}» имеет неожиданный вид. Удалите его: метки будут выданы "
                        "заново (и могут поменяться).")
    return {k: dict(data.get(k, {})) for k in ("lessons", "teachers", "classes")}


def _assign(known: dict[str, str], names: Iterable[str], label_of: Any) -> dict[str, str]:
    """``known`` plus a new label for each new name, numbered after the labels given before."""
    out = dict(known)
    used = set(out.values())
    n = len(out)
    for name in names:
        if not name or name in out:
            continue
        n += 1
        while label_of(n) in used:
            n += 1
        out[name] = label_of(n)
        used.add(out[name])
    return out


def names_key(layout: Layout, stems: Sequence[str]) -> NamesKey:
    """The labels of these lessons (and of every lesson labelled before), saved for the next run.

    New lessons are numbered in date order (lessons.csv, else the date in the film's name), then
    by name; teachers and classes in the order of their first lesson.
    """
    saved = _read_saved(layout.anonymised_names)
    infos = timeline.read_lessons_csv(layout.lessons_csv)
    lesson_info = {}
    for stem in {*saved.get("lessons", {}), *stems}:
        info = infos.get(stem, timeline.LessonInfo())
        if info.date is None:
            found = timeline.date_in_name(stem)
            info = timeline.LessonInfo(info.teacher, info.klass, found, "имя файла" if found else "")
        lesson_info[stem] = info

    def order(stem: str) -> tuple[date, str]:
        return (lesson_info[stem].date or date.max, stem)

    lessons = _assign(saved.get("lessons", {}), sorted(set(stems), key=order), LESSON_LABEL.format)
    ordered = sorted(lessons, key=order)
    teachers = _assign(saved.get("teachers", {}), (lesson_info[s].teacher for s in ordered),
                       lambda n: TEACHER_LABEL.format(letter_label(n)))
    classes = _assign(saved.get("classes", {}), (lesson_info[s].klass for s in ordered), CLASS_LABEL.format)
    data = {"lessons": lessons, "teachers": teachers, "classes": classes}
    if data != saved:
        fsutil.ensure_dir(layout.anonymised_names.parent)
        fsutil.write_json(layout.anonymised_names, data)
    hidden = tuple(sorted({str(layout.root), str(Path.home())} - {"/", ""}, key=len, reverse=True))
    return NamesKey(lessons, teachers, classes, lesson_info, hidden)


# --- the copy ------------------------------------------------------------------------------


def _scrub_all(value: Any, key: NamesKey) -> Any:
    if isinstance(value, str):
        return key.scrub(value)
    if isinstance(value, dict):
        return {_scrub_all(k, key): _scrub_all(v, key) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_all(v, key) for v in value]
    return value


def anonymise_report(report: Mapping[str, Any], key: NamesKey) -> dict[str, Any]:
    """The report dictionary as it may be shared: labels for names, no media links, no paths of this computer."""
    # Free text first, the lesson's own fields after: a label is never read again as someone's name.
    shared: dict[str, Any] = _scrub_all(copy.deepcopy(dict(report)), key)
    shared["video"] = key.lesson(str(report["video"]))
    shared["parts"] = [key.part(p) for p in report.get("parts") or []]
    for name in ("segments", "moments"):
        for own, item in zip(report.get(name) or [], shared.get(name) or [], strict=True):
            if own.get("part"):
                item["part"] = key.part(str(own["part"]))
            for link in ("audio", "film"):
                if link in item:
                    item[link] = None
    shared["anonymised"] = True
    return shared


def write_shared_report(layout: Layout, report: Mapping[str, Any], key: NamesKey) -> Path:
    """The lesson's shared copy in reports_anonymised/<label>/ (the same files as its own report); its page."""
    return build.write_report(key.layout(layout), anonymise_report(report, key))


def shared_lessons_csv(key: NamesKey) -> str:
    """lessons.csv of the shared folder: each lesson's label, its teacher's and class's labels, its date."""
    rows = []
    for stem, label in sorted(key.lessons.items(), key=lambda kv: kv[1]):
        info = key.lesson_info.get(stem, timeline.LessonInfo())
        rows.append([label, key.teachers.get(info.teacher, "") if info.teacher else "",
                     key.classes.get(info.klass, "") if info.klass else "",
                     info.date.isoformat() if info.date else ""])
    return spreadsheet.csv_text(["видео", "учитель", "класс", "дата"], rows)


def write_shared_index(layout: Layout, key: NamesKey) -> Path | None:
    """The summary page and lessons over time of the shared copies (when at least two), in reports_anonymised/."""
    shared = key.layout(layout)
    fsutil.ensure_dir(shared.reports)
    fsutil.write_text(shared.lessons_csv, "\ufeff" + shared_lessons_csv(key))
    return build.write_index(shared)
