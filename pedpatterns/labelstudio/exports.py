"""Reading what experts exported from Label Studio, and merging annotators per segment.

This is the only reader of labeled.csv: the image dataset (Part 3) and both models
(Part 4) get their labelled segments from :func:`load_labeled_segments`.

Label Studio's exports differ in shape but not in substance:

* CSV (checked against Label Studio 1.23.2's own export, label_studio_sdk's csv2.py):
  a row per annotation, columns sorted by name, every text quoted; the task's data keys
  as columns (``_data_``-prefixed when a key clashes with an annotation column); ``id``
  is the task's id; the choices column, named after the config's ``Choices`` tag, holds
  a plain string for one choice and ``{"choices": [...]}`` for several; ``annotator``
  holds the annotator's user id (an email in older versions); ``annotation_id``,
  ``created_at``, ``updated_at``, ``lead_time``. Cancelled (skipped) annotations are not
  exported at all; a task without annotations (only with "all tasks") is one row whose
  ``annotation_id`` and choices are empty — it is not an annotator's answer and is
  ignored. An annotation submitted with nothing chosen has an ``annotation_id`` and an
  empty choices cell: that annotator saw no pattern.
* TSV: the same with tabs; Excel's "CSV" in a Russian locale: ``;`` and cp1251.
* JSON-MIN: the same rows as a JSON list; ``annotator`` is a number.
* JSON: a list of tasks, each with ``data`` and ``annotations[]`` (``result[]``,
  ``completed_by``, ``was_cancelled``: cancelled ones are here and are left out).

Everything is normalised to :class:`Annotation` first, then merged.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pandas as pd

from pedpatterns import fsutil, schema
from pedpatterns.errors import UserError
from pedpatterns.labelstudio.config import CHOICES_TAG, IMAGE_TAG, LOCAL_FILES_PREFIX
from pedpatterns.labelstudio.options import DEFAULT_MIN_SHARE
from pedpatterns.layout import REPLACED_PREFIX, Layout

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


@dataclass(frozen=True)
class Annotation:
    """One annotator's answer for one task, whatever export it came from."""

    image_url: str
    choices: tuple[str, ...]
    annotator: str = ""
    annotation_id: str = ""
    cancelled: bool = False
    row: int = 0  # 1-based row (CSV) or item (JSON) number, for messages

    @property
    def is_answer(self) -> bool:
        """An annotator's submitted answer: not skipped, and not the empty row of an unannotated task."""
        return not self.cancelled and bool(self.annotation_id or self.choices)


@dataclass
class LabeledSet:
    """Labelled segments, one row per segment, plus what was left out and why.

    ``frame`` columns: ``part``, ``segment``, ``keyframe`` (absolute path), ``labels`` (list
    of pattern names), ``annotators`` (how many annotated the segment), ``agreement`` (0..1,
    see :func:`merge_annotations`), then the segment's columns from segments.csv.
    """

    frame: pd.DataFrame
    patterns: list[str]
    problems: list[str] = field(default_factory=list)
    duplicates: int = 0  # annotations counted once: exported twice, or one expert twice on one task
    # Every expert's own answer per segment, before merging: (part, segment) → {annotator: choices}.
    # The agreement statistics need them; segments whose merged labels are empty are here too.
    votes: dict[tuple[str, int], dict[str, tuple[str, ...]]] = field(default_factory=dict)


def duplicates_note(count: int) -> str:
    """The warning every stage prints when the export held the same annotation more than once."""
    return (
        f"Одинаковых аннотаций пропущено: {count} (одна и та же аннотация встречается в экспорте дважды "
        "или один эксперт разметил задачу дважды — засчитана одна, последняя)."
    )


# --- parsing the exports -----------------------------------------------------------------

# The longest value a cell may hold: csv's own default limit. No URL, id or pattern name comes
# near it; a longer one is a damaged file, not a label.
MAX_FIELD = 131072
REEXPORT = (
    "Экспортируйте разметку из Label Studio заново (Export → CSV, JSON или JSON-MIN) "
    "и сохраните её на место этого файла."
)


class BadExport(ValueError):
    """What is wrong with one row or item of an export; the reader names the file and the row."""


def damaged_export(path: Path, where: str, what: str) -> UserError:
    """The message for an export that is not what Label Studio writes, naming the place and what to do."""
    return UserError(f"Файл разметки «{path}» повреждён или записан не Label Studio ({where}: {what}). {REEXPORT}")


def _kind(value: Any) -> str:
    """The Russian name of a JSON value's type, for messages."""
    if value is None:
        return "пустое значение (null)"
    if isinstance(value, bool):
        return "логическое значение"
    if isinstance(value, int | float):
        return "число"
    if isinstance(value, str):
        return "текст"
    if isinstance(value, list | tuple):
        return "список"
    if isinstance(value, dict):
        return "объект (словарь)"
    return type(value).__name__


def _check_text(text: str, what: str) -> str:
    if "\x00" in text:
        raise BadExport(f"{what}: нулевой байт внутри текста")
    if len(text) > MAX_FIELD:
        raise BadExport(f"{what}: значение длиннее {MAX_FIELD} символов ({len(text)})")
    return text


def _text(value: Any, what: str) -> str:
    """A text field: missing is empty, anything but text is a damaged export."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadExport(f"{what}: ожидался текст, а записано {_kind(value)}")
    return _check_text(value, what).strip()


def parse_choices(value: Any) -> tuple[str, ...]:
    """The choices of one cell: a plain string, ``{"choices": [...]}``, a list of strings, or empty.

    Anything else (a number, a list of lists, a dict without ``choices``, JSON that does not
    parse) is :class:`BadExport`: guessing would turn a damaged cell into a pattern.
    """
    what = "выбор паттернов"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, dict):
        if "choices" not in value:
            raise BadExport(f"{what}: объект без поля choices")
        value = value["choices"]
        if value is None:
            return ()
    if isinstance(value, list | tuple):
        out = []
        for item in value:
            if not isinstance(item, str):
                raise BadExport(f"{what}: в списке ожидался текст, а записано {_kind(item)}")
            if _check_text(item, what).strip():
                out.append(item.strip())
        return tuple(out)
    if not isinstance(value, str):
        raise BadExport(f"{what}: ожидался текст или список, а записано {_kind(value)}")
    text = _check_text(value, what).strip()
    if not text:
        return ()
    if text.startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            raise BadExport(f"{what}: JSON в ячейке не читается") from None
        if not isinstance(parsed, dict | list):
            raise BadExport(f"{what}: ожидался список, а записано {_kind(parsed)}")
        return parse_choices(parsed)
    return (text,)


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return max(",;\t", key=first.count)


def _pick_column(columns: Sequence[str], name: str) -> str | None:
    """A data column by name, preferring the ``_data_``-prefixed one Label Studio makes on a clash."""
    for candidate in (f"_data_{name}", name):
        if candidate in columns:
            return candidate
    return None


def _read_text(path: Path) -> str:
    """The export's text; a NUL anywhere means it is not a text export (binary, or damaged)."""
    try:
        text = fsutil.read_user_text(path)
    except OSError as exc:
        raise UserError(f"Не удалось прочитать файл разметки «{path}»: {exc.strerror or exc}. {REEXPORT}") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise damaged_export(path, f"строка {line}", "нулевой байт: это не текстовый файл")
    return text


def _shown_columns(columns: Sequence[str]) -> str:
    """Column names for a message: a damaged header must not flood the terminal."""
    names = [c if len(c) <= 40 else c[:40] + "…" for c in (str(c).replace("\n", " ") for c in columns[:12])]
    more = f" и ещё {len(columns) - 12}" if len(columns) > 12 else ""
    return ", ".join(names) + more or "нет"


def read_csv_export(path: Path, choices_tag: str = CHOICES_TAG) -> list[Annotation]:
    text = _read_text(path)
    if not text.strip():
        raise UserError(f"Файл разметки «{path}» пуст. Экспортируйте разметку из Label Studio ещё раз (формат CSV).")
    reader = csv.DictReader(io.StringIO(text), delimiter=_sniff_delimiter(text))
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        columns = list(reader.fieldnames or [])
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        reason = f"значение длиннее {MAX_FIELD} символов" if "field limit" in str(exc) else f"ошибка CSV: {exc}"
        # DictReader.line_num is updated only after a row is read whole; its reader knows the failing line.
        raise damaged_export(path, f"строка {reader.reader.line_num}", reason) from None
    image_col = _pick_column(columns, IMAGE_TAG)
    choices_col = choices_tag if choices_tag in columns else None
    if not rows and "annotation_id" in columns:
        return []  # Label Studio's export of a project without annotations: only the fixed columns
    if image_col is None or choices_col is None:
        missing = [n for n, c in ((IMAGE_TAG, image_col), (choices_tag, choices_col)) if c is None]
        raise UserError(
            f"В «{path}» нет колонок {', '.join(missing)}. Найдены колонки: {_shown_columns(columns)}. "
            "Нужен экспорт Label Studio в формате CSV из проекта, созданного pedpatterns "
            f"(колонка с выбором паттернов называется «{choices_tag}»)."
        )
    out = []
    for number, row in rows:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # Excel's trailing empty rows
        try:
            out.append(_flat_annotation(row, row.get(image_col), row.get(choices_col), number))
        except BadExport as exc:
            raise damaged_export(path, f"строка {number}", str(exc)) from None
    return out


def _flat_annotation(row: dict[str, Any], url: Any, choices: Any, number: int) -> Annotation:
    """One annotation of a flat export (a CSV row, a JSON-MIN item), every field checked."""
    return Annotation(
        image_url=_text(url, "ссылка на кадр"),
        choices=parse_choices(choices),
        annotator=_id_text(row.get("annotator"), "эксперт (annotator)"),
        annotation_id=_id_text(row.get("annotation_id"), "номер аннотации (annotation_id)"),
        row=number,
    )


def _id_text(value: Any, what: str = "номер") -> str:
    """An id as text; Excel turns ``7`` into ``7.0`` or ``7,0``, which is still annotation 7."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadExport(f"{what}: ожидался номер или текст, а записано {_kind(value)}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = _check_text(str(value), what).strip()
    head, sep, tail = text.replace(",", ".").partition(".")
    return head if sep and head.isdigit() and tail.strip("0") == "" else text


def _json_task(item: dict[str, Any], number: int, choices_tag: str) -> list[Annotation]:
    """The annotations of one task of the full JSON export, every field checked."""
    data = item.get("data") or {}
    if not isinstance(data, dict):
        raise BadExport(f"поле data: ожидался объект, а записано {_kind(data)}")
    url = _text(data.get(IMAGE_TAG) or data.get(f"_data_{IMAGE_TAG}"), "ссылка на кадр (data.image)")
    annotations = item.get("annotations") or []
    if not isinstance(annotations, list):
        raise BadExport(f"поле annotations: ожидался список, а записано {_kind(annotations)}")
    out = []
    for ann in annotations:
        if not isinstance(ann, dict):
            raise BadExport(f"аннотация: ожидался объект, а записано {_kind(ann)}")
        results = ann.get("result") or []
        if not isinstance(results, list):
            raise BadExport(f"поле result: ожидался список, а записано {_kind(results)}")
        choices: list[str] = []
        for result in results:
            if not isinstance(result, dict):
                raise BadExport(f"элемент result: ожидался объект, а записано {_kind(result)}")
            if result.get("from_name") == choices_tag:
                value = result.get("value")
                if not isinstance(value, dict):
                    raise BadExport(f"поле value: ожидался объект, а записано {_kind(value)}")
                choices.extend(parse_choices(value))
        completed_by = ann.get("completed_by")
        if isinstance(completed_by, dict):
            completed_by = completed_by.get("email") or completed_by.get("id")
        cancelled = ann.get("was_cancelled")
        if cancelled is not None and not isinstance(cancelled, bool | int):
            raise BadExport(f"поле was_cancelled: ожидалось true или false, а записано {_kind(cancelled)}")
        out.append(Annotation(
            image_url=url,
            choices=tuple(choices),
            annotator=_id_text(completed_by, "эксперт (completed_by)"),
            annotation_id=_id_text(ann.get("id"), "номер аннотации (id)"),
            cancelled=bool(cancelled),
            row=number,
        ))
    return out


def _json_annotations(path: Path, items: list[Any], choices_tag: str) -> list[Annotation]:
    out: list[Annotation] = []
    for number, item in enumerate(items, 1):
        try:
            if not isinstance(item, dict):
                raise BadExport(f"ожидался объект (задача или аннотация), а записано {_kind(item)}")
            if "annotations" in item or "data" in item:  # full JSON export: a task with its annotations
                out.extend(_json_task(item, number, choices_tag))
            else:  # JSON-MIN: a flat row per annotation
                url = item.get(f"_data_{IMAGE_TAG}") or item.get(IMAGE_TAG)
                out.append(_flat_annotation(item, url, item.get(choices_tag), number))
        except BadExport as exc:
            raise damaged_export(path, f"элемент {number} списка", str(exc)) from None
    return out


def read_export(path: Path, choices_tag: str = CHOICES_TAG) -> list[Annotation]:
    """Every annotation in a Label Studio export (CSV, JSON or JSON-MIN), every field checked.

    A file that is not what Label Studio writes (binary, NUL bytes, huge or nested values,
    wrong types) is a :class:`UserError` naming the file and the row: a guess could turn a
    damaged cell into a label, or drop an expert's answer without a word.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"Файл разметки «{path}» не найден. Экспортируйте разметку из Label Studio (Export → CSV) "
            "и сохраните её как labeled.csv в папке проекта."
        )
    if path.suffix.lower() == ".json":
        text = _read_text(path)
        try:
            items = json.loads(text or "[]")
        except json.JSONDecodeError as exc:
            raise UserError(f"«{path}» — не корректный JSON ({exc.msg}, строка {exc.lineno}). {REEXPORT}") from None
        except (ValueError, RecursionError):
            raise damaged_export(path, "весь файл", "слишком глубокая вложенность или слишком длинное число") from None
        if not isinstance(items, list):
            raise UserError(
                f"В «{path}» ожидался список задач или аннотаций — экспорт Label Studio JSON или JSON-MIN, "
                f"а записан {_kind(items)}. {REEXPORT}"
            )
        return _json_annotations(path, items, choices_tag)
    return read_csv_export(path, choices_tag)


# --- URLs back to files ------------------------------------------------------------------


def url_to_path(layout: Layout, url: str) -> Path:
    """The file inside the project root that a task's URL points to; anything outside is refused."""
    if not url:
        raise UserError("пустая ссылка на изображение")
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and (parts.hostname or "") not in _LOCAL_HOSTS:
        raise UserError(f"ссылка ведёт на другой сервер ({parts.hostname}): {url}")
    if parts.scheme not in ("", "http", "https"):
        raise UserError(f"неподдерживаемая ссылка: {url}")
    if parts.path.rstrip("/") == LOCAL_FILES_PREFIX.split("?")[0].rstrip("/"):
        values = parse_qs(parts.query).get("d")
        if not values:
            raise UserError(f"в ссылке нет параметра d=: {url}")
        relative = values[0]
    elif not parts.scheme:
        relative = unquote(parts.path)
    else:
        raise UserError(f"ссылка не на локальный файл Label Studio: {url}")
    posix = PurePosixPath(relative.replace("\\", "/"))
    if posix.is_absolute() or (len(relative) > 1 and relative[1] == ":") or ".." in posix.parts:
        raise UserError(f"ссылка указывает за пределы папки проекта: {url}")
    path = (layout.root / Path(*posix.parts)).resolve()
    if not path.is_relative_to(layout.root):
        raise UserError(f"ссылка указывает за пределы папки проекта: {url}")
    return path


# --- merging annotators ------------------------------------------------------------------


def merge_annotations(
    choice_sets: Sequence[Iterable[str]], min_share: float = DEFAULT_MIN_SHARE
) -> tuple[list[str], float]:
    """Merge one task's annotations: (patterns that count, agreement).

    A pattern counts when at least ``min_share`` of the task's annotators chose it.
    Agreement is, averaged over every pattern anyone chose, the share of annotators whose
    choice matches the merged decision: 1.0 when all agree (or one annotator), 0.5 when
    two annotators split on every pattern.
    """
    sets = [set(s) for s in choice_sets]
    if not sets:
        return [], float("nan")
    n = len(sets)
    union = sorted(set().union(*sets))
    labels, matches = [], []
    for pattern in union:
        votes = sum(pattern in s for s in sets)
        chosen = votes / n >= min_share - 1e-9
        if chosen:
            labels.append(pattern)
        matches.append((votes if chosen else n - votes) / n)
    agreement = sum(matches) / len(matches) if matches else 1.0
    return labels, agreement


def _order(patterns: Iterable[str], known: Sequence[str]) -> list[str]:
    rank = {p: i for i, p in enumerate(known)}
    return sorted(set(patterns), key=lambda p: (rank.get(p, len(rank)), p))


def load_labeled_segments(
    layout: Layout,
    path: Path | None = None,
    *,
    min_share: float = DEFAULT_MIN_SHARE,
    known_patterns: Sequence[str] = (),
) -> LabeledSet:
    """Labelled segments of the project: the export merged per segment and joined with segments.csv.

    Rows whose URL points outside the project, or whose keyframe or part is missing, are
    left out and reported in ``problems``; if nothing usable remains, that is a user error.
    """
    path = Path(path) if path else layout.labeled_csv
    return labeled_from_annotations(layout, read_export(path), source=path, labelled_at=path.stat().st_mtime,
                                    min_share=min_share, known_patterns=known_patterns)


def labeled_from_annotations(
    layout: Layout,
    annotations: Sequence[Annotation],
    *,
    source: Path | str,
    labelled_at: float,
    min_share: float = DEFAULT_MIN_SHARE,
    known_patterns: Sequence[str] = (),
) -> LabeledSet:
    """:func:`load_labeled_segments` for annotations from anywhere (an export, the ML backend's webhook).

    ``source`` names them in messages; ``labelled_at`` (a timestamp) is when they were made, to
    notice parts processed again since.
    """
    path = source
    answers = [a for a in annotations if a.is_answer]
    if not answers:
        raise UserError(
            f"В «{path}» нет ни одной разметки (строк с ответами экспертов: 0 из {len(annotations)}). "
            "Разметьте задачи в Label Studio (кнопка Submit) и экспортируйте CSV заново: "
            "python -m pedpatterns.labelstudio export"
        )
    by_task, keyframes, problems, outside = _group_by_segment(layout, answers)
    segment_tables: dict[str, pd.DataFrame | None] = {}
    rows: list[dict[str, Any]] = []
    votes: dict[tuple[str, int], dict[str, tuple[str, ...]]] = {}
    duplicates = 0
    for (part, segment), anns in sorted(by_task.items()):
        valid, repeated = distinct_annotations(anns)
        duplicates += repeated
        if not valid:
            continue
        earlier = labelled_version(layout, part, keyframes[(part, segment)], labelled_at)
        if earlier is not None:
            problems.append(
                f"часть «{part}», сегмент {segment}: часть нарезана или обработана заново после разметки, и кадр "
                f"изменился — ответы относятся к прежней версии («{layout.relative(earlier)}») и не используются. "
                "Разметьте новую версию в Label Studio и выгрузите labeled.csv заново"
            )
            continue
        votes[(part, segment)] = annotator_votes(valid)
        labels, agreement = merge_annotations([a.choices for a in valid], min_share)
        if not labels:
            continue
        if part not in segment_tables:
            segment_tables[part] = read_segments_table(layout, part)
        table = segment_tables[part]
        if table is None or segment not in table.index:
            problems.append(f"часть «{part}», сегмент {segment}: нет в processed_data/{part}/segments.csv")
            continue
        context = table.loc[segment].to_dict()
        row = {
            "part": part,
            "segment": segment,
            "keyframe": str(keyframes[(part, segment)]),
            "labels": _order(labels, known_patterns),
            "annotators": len(valid),
            "agreement": round(agreement, 4),
        }
        row.update({k: v for k, v in context.items() if k not in row})
        rows.append(row)
    if outside:
        problems.insert(0, f"{outside} строк ссылаются за пределы папки проекта и пропущены")
    if not rows:
        detail = ("\n  " + "\n  ".join(problems[:10])) if problems else ""
        raise UserError(
            f"В «{path}» нет ни одного размеченного сегмента, который можно использовать.{detail}\n"
            "Разметьте задачи в Label Studio, экспортируйте CSV заново и проверьте, что processed_data/ на месте."
        )
    frame = pd.DataFrame(rows)
    patterns = _order((p for labels in frame["labels"] for p in labels), known_patterns)
    return LabeledSet(frame=frame, patterns=patterns, problems=problems, duplicates=duplicates, votes=votes)


def _group_by_segment(
    layout: Layout, annotations: Sequence[Annotation]
) -> tuple[dict[tuple[str, int], list[Annotation]], dict[tuple[str, int], Path], list[str], int]:
    """Answers grouped by the segment their keyframe URL names: (groups, keyframes, problems, outside).

    A URL outside the project, a file that is not a keyframe of processed_data/ or a missing
    file is a problem named by its row, never a guess.
    """
    problems: list[str] = []
    by_task: dict[tuple[str, int], list[Annotation]] = {}
    keyframes: dict[tuple[str, int], Path] = {}
    outside = 0
    for ann in annotations:
        try:
            file = url_to_path(layout, ann.image_url)
        except UserError as exc:
            outside += 1
            problems.append(f"строка {ann.row}: {exc.message}")
            continue
        except (OSError, ValueError):  # a name the file system cannot hold
            problems.append(f"строка {ann.row}: ссылка на кадр не читается как путь к файлу")
            continue
        owner = layout.keyframe_owner(file)
        if owner is None:
            problems.append(f"строка {ann.row}: файл не похож на ключевой кадр из processed_data/: {file.name}")
            continue
        if not file.is_file():
            problems.append(f"строка {ann.row}: файл не найден: {layout.relative(file)}")
            continue
        keyframes[owner] = file
        by_task.setdefault(owner, []).append(ann)
    return by_task, keyframes, problems, outside


def answered_segments(layout: Layout, path: Path | None = None) -> set[tuple[str, int]]:
    """(part, segment) of every segment some expert has answered in the export; empty without an export.

    The active-learning queue offers only the rest: a segment one expert has already
    labelled is not "nobody's" any more, even when its merged labels are empty.
    """
    path = Path(path) if path else layout.labeled_csv
    if not path.is_file():
        return set()
    answers = [a for a in read_export(path) if a.is_answer]
    by_task, _, _, _ = _group_by_segment(layout, answers)
    return set(by_task)


def labelled_version(layout: Layout, part: str, keyframe: Path, labelled_at: float) -> Path | None:
    """The set-aside copy of ``part`` the labels were made on, when the part changed since the export.

    A forced re-cut or re-processing moves a labelled part to ``processed_data/_replaced_*``
    and writes a new one under the same name. Labels exported before that point at the
    old frames: if a set-aside copy is newer than the export and its keyframe differs from
    the current one, joining the labels with the new segment would teach the models nonsense.
    """
    if not layout.processed_data.is_dir():
        return None
    for aside in sorted(layout.processed_data.iterdir()):
        old = aside / part
        if not (aside.name.startswith(REPLACED_PREFIX) and old.is_dir() and aside.stat().st_mtime > labelled_at):
            continue
        before = old / keyframe.name
        if before.is_file() and (not keyframe.is_file() or before.read_bytes() != keyframe.read_bytes()):
            return old
    return None


def distinct_annotations(anns: Sequence[Annotation]) -> tuple[list[Annotation], int]:
    """One vote per annotation and per expert on a task, and how many repeats were dropped.

    The same annotation exported twice (two exports pasted together), or an expert who
    submitted one task twice, would otherwise count as two experts agreeing. Of one
    expert's answers the latest counts: the highest annotation id, else the last in the file.
    """
    seen: set[str] = set()
    unique: list[Annotation] = []
    for ann in anns:
        if ann.annotation_id and ann.annotation_id in seen:
            continue
        seen.add(ann.annotation_id)
        unique.append(ann)
    latest: dict[str, Annotation] = {}
    anonymous: list[Annotation] = []
    for ann in unique:
        if not ann.annotator:
            anonymous.append(ann)
            continue
        previous = latest.get(ann.annotator)
        if previous is None or not _older(ann, previous):
            latest[ann.annotator] = ann
    kept = [*anonymous, *latest.values()]
    return kept, len(anns) - len(kept)


ANONYMOUS = "без имени"


def annotator_votes(valid: Sequence[Annotation]) -> dict[str, tuple[str, ...]]:
    """One segment's answers by annotator (after :func:`distinct_annotations`).

    An answer without an annotator (a hand-made export) is kept under a name of its own,
    «без имени 1», «без имени 2»…: it is a separate vote, but nobody's across segments.
    """
    out: dict[str, tuple[str, ...]] = {}
    anonymous = 0
    for ann in valid:
        if ann.annotator:
            out[ann.annotator] = tuple(dict.fromkeys(ann.choices))
        else:
            anonymous += 1
            out[f"{ANONYMOUS} {anonymous}"] = tuple(dict.fromkeys(ann.choices))
    return out


def _older(ann: Annotation, other: Annotation) -> bool:
    """``ann`` was submitted before ``other`` (by annotation id where both are numbers)."""
    a, b = ann.annotation_id, other.annotation_id
    return a.isdigit() and b.isdigit() and int(a) < int(b)


def read_segments_table(layout: Layout, part: str) -> pd.DataFrame | None:
    """processed_data/<part>/segments.csv indexed by segment; None when the part has none."""
    path = layout.segments_csv(part)
    if not path.is_file():
        return None
    return schema.read_segments(path, part, layout.relative(path)).set_index("segment")
