"""The experts' labels of the teacher's questions, read from a Label Studio JSON or JSON-MIN export.

With the question labelling on (``python -m pedpatterns.labelstudio setup --question-labels``) the expert
marks a question in the segment's transcript (a region of the ``Labels`` tag :data:`QUESTION_TAG`) and picks
its openness and level for that region (per-region ``Choices``). Label Studio exports them as separate
results that share the region: in the full JSON export, results of one annotation with the same ``id``
(checked against Label Studio 1.23.2's own export, tests/labelstudio/test_labelstudio_questions.py); JSON-MIN
keeps the regions but not which region a choice belongs to, so it is read only for segments with one question.
Here they become one :class:`QuestionLabel` per marked question and expert. The values are the ``alias`` ids
the interface exports (``open``, ``remember``…); the Russian names are read too, for a project whose config
was typed by hand without aliases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pedpatterns.errors import UserError
from pedpatterns.labels.exports import REEXPORT, BadExport, damaged_export, read_json_items
from pedpatterns.labels.questions import (
    LEVEL_NAMES,
    LEVEL_TAG,
    OPENNESS_NAMES,
    OPENNESS_TAG,
    QUESTION_TAG,
)
from pedpatterns.labels.tags import TEXT_TAG


@dataclass(frozen=True)
class QuestionLabel:
    """One question one expert marked: its text and the kind they chose (``None``: not chosen)."""

    text: str
    openness: str | None
    level: str | None
    annotator: str = ""
    item: int = 0  # 1-based item of the export, for messages


_TAGS = {QUESTION_TAG: None, OPENNESS_TAG: OPENNESS_NAMES, LEVEL_TAG: LEVEL_NAMES}


def read_question_labels(path: Path) -> list[QuestionLabel]:
    """Every question the experts marked in a JSON or JSON-MIN export (an empty list if they marked none)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"Файл разметки «{path}» не найден. Экспортируйте проект из Label Studio "
                        "(Export → JSON) и укажите путь к файлу.")
    if path.suffix.lower() != ".json":
        raise UserError(f"Разметка вопросов читается из экспорта JSON, а «{path.name}» — не JSON. Экспортируйте "
                        "проект из Label Studio в формате JSON (Export → JSON) и укажите этот файл.")
    out: list[QuestionLabel] = []
    for number, item in enumerate(read_json_items(path), 1):
        try:
            if not isinstance(item, dict):
                raise BadExport("ожидался объект (задача или аннотация)")
            if "annotations" in item or "data" in item:
                out.extend(_task_questions(item, number))
            else:
                out.extend(_min_questions(item, number))
        except BadExport as exc:
            raise damaged_export(path, f"элемент {number} списка", str(exc)) from None
        except _Ambiguous:
            raise UserError(f"В «{path}» (элемент {number} списка) в одном сегменте выделено несколько вопросов, а "
                            "экспорт JSON-MIN не хранит, к какому вопросу относится выбор. Экспортируйте проект "
                            "в формате JSON (Export → JSON, не JSON-MIN) и укажите этот файл.") from None
        except _UnknownValue as exc:
            raise UserError(f"В «{path}» (элемент {number} списка) у вопроса выбрано «{exc.value}», а ожидалось "
                            f"одно из: {exc.expected}. Проект создан не командой setup --question-labels или "
                            f"его конфигурацию меняли вручную. {REEXPORT}") from None
    return out


class _Ambiguous(Exception):
    """A JSON-MIN row with several questions: its flattened choices belong to no region in particular."""


class _UnknownValue(Exception):
    def __init__(self, value: str, names: dict[str, str]) -> None:
        super().__init__(value)
        self.value = value
        self.expected = ", ".join(f"{key} ({name})" for key, name in names.items())


def _class(values: Any, names: dict[str, str]) -> str | None:
    """The class id of one per-region choice: the alias, or the Russian name read back to it."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise BadExport("выбор у вопроса: ожидался список текстов")
    if not values:
        return None
    value = values[0].strip()
    by_name = {name.lower(): key for key, name in names.items()}
    if value in names:
        return value
    if value.lower() in by_name:
        return by_name[value.lower()]
    raise _UnknownValue(value, names)


def _task_questions(item: dict[str, Any], number: int) -> list[QuestionLabel]:
    """The questions of one task of the full JSON export: results grouped by their region id."""
    data = item.get("data") or {}
    transcript = data.get(TEXT_TAG) if isinstance(data, dict) else None
    annotations = item.get("annotations") or []
    if not isinstance(annotations, list):
        raise BadExport("поле annotations: ожидался список")
    out = []
    for ann in annotations:
        if not isinstance(ann, dict) or not isinstance(ann.get("result") or [], list):
            raise BadExport("аннотация: ожидался объект со списком result")
        if ann.get("was_cancelled"):
            continue
        who = ann.get("completed_by")
        if isinstance(who, dict):
            who = who.get("email") or who.get("id")
        regions: dict[str, dict[str, Any]] = {}
        for result in ann.get("result") or []:
            if not isinstance(result, dict) or result.get("from_name") not in _TAGS:
                continue
            value = result.get("value")
            if not isinstance(value, dict):
                raise BadExport("поле value у вопроса: ожидался объект")
            key = str(result.get("id") or (value.get("start"), value.get("end")))
            regions.setdefault(key, {})[result["from_name"]] = value
        out.extend(_questions(regions.values(), transcript, "" if who is None else str(who), number))
    return out


def _min_questions(item: dict[str, Any], number: int) -> list[QuestionLabel]:
    """The questions of one JSON-MIN row.

    Label Studio 1.23.2 writes the marked regions under the ``Labels`` tag's name (a list with ``start``, ``end``,
    ``text``) but flattens each per-region choice to its bare value (``"open"``), without the region it belongs
    to: with one question in the segment it is that question's, with several it cannot be told whose.
    """
    marked = item.get(QUESTION_TAG) or []
    if not isinstance(marked, list) or not all(isinstance(v, dict) for v in marked):
        raise BadExport(f"поле {QUESTION_TAG}: ожидался список выделенных вопросов")
    regions: dict[tuple[Any, Any], dict[str, Any]] = {(v.get("start"), v.get("end")): {QUESTION_TAG: v}
                                                      for v in marked}
    for tag in (OPENNESS_TAG, LEVEL_TAG):
        value = item.get(tag)
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):  # regions kept with their span
            for v in value:
                regions.setdefault((v.get("start"), v.get("end")), {})[tag] = v
            continue
        if len(regions) != 1:
            raise _Ambiguous()
        choices = value.get("choices") if isinstance(value, dict) else value
        next(iter(regions.values()))[tag] = {"choices": [choices] if isinstance(choices, str) else choices}
    transcript = item.get(TEXT_TAG)
    who = item.get("annotator")
    return _questions(regions.values(), transcript, "" if who is None else str(who), number)


def _questions(regions: Iterable[dict[str, Any]], transcript: Any, annotator: str, number: int) -> list[QuestionLabel]:
    out = []
    for region in regions:
        if QUESTION_TAG not in region and not (set(region) & {OPENNESS_TAG, LEVEL_TAG}):
            continue
        values = [region[tag] for tag in (QUESTION_TAG, OPENNESS_TAG, LEVEL_TAG) if tag in region]
        text = next((v["text"] for v in values if isinstance(v.get("text"), str) and v["text"].strip()), None)
        if text is None:
            start, end = values[0].get("start"), values[0].get("end")
            if isinstance(transcript, str) and isinstance(start, int) and isinstance(end, int):
                text = transcript[start:end]
        if not text or not text.strip():
            raise BadExport("у выделенного вопроса нет текста")
        out.append(QuestionLabel(
            text=" ".join(text.split()),
            openness=_class(region[OPENNESS_TAG].get("choices"), OPENNESS_NAMES) if OPENNESS_TAG in region else None,
            level=_class(region[LEVEL_TAG].get("choices"), LEVEL_NAMES) if LEVEL_TAG in region else None,
            annotator=annotator,
            item=number,
        ))
    return out
