"""Reading what experts exported from Label Studio: every export format to :class:`Annotation`.

Merging annotators per segment and joining segments.csv (the labelled set) is
:mod:`pedpatterns.labels.labelled`'s job; parsing stands apart so the stages, the ML backend's
webhook and the Label Studio project read an export by one set of rules.

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

Everything is normalised to :class:`Annotation` first; :mod:`pedpatterns.labels.labelled` merges them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pedpatterns import fsutil
from pedpatterns.errors import UserError
from pedpatterns.labels.tags import CHOICES_TAG, IMAGE_TAG


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
        return _json_annotations(path, read_json_items(path), choices_tag)
    return read_csv_export(path, choices_tag)


def read_json_items(path: Path) -> list[Any]:
    """The items of a JSON or JSON-MIN export (tasks or flat annotations), not yet checked one by one."""
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
    return items
