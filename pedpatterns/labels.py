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

from . import fsutil
from .errors import UserError
from .labelstudio import CHOICES_TAG, IMAGE_TAG, LOCAL_FILES_PREFIX
from .layout import Layout

DEFAULT_MIN_SHARE = 0.5
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


def add_label_arguments(parser: Any) -> None:
    """--labels and --min-share: the same words for every stage that reads the experts' labels."""
    from .cli import path, share

    parser.add_argument("--labels", type=path, default=None,
                        help="экспорт разметки из Label Studio: CSV, JSON или JSON-MIN "
                             "(по умолчанию: labeled.csv в папке проекта)")
    parser.add_argument("--min-share", type=share, default=DEFAULT_MIN_SHARE,
                        help="паттерн засчитывается сегменту, если его выбрала хотя бы такая доля экспертов, "
                             "разметивших этот сегмент")


# --- parsing the exports -----------------------------------------------------------------


def parse_choices(value: Any) -> tuple[str, ...]:
    """The choices of one cell: a plain string, ``{"choices": [...]}``, a list, or empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, dict):
        value = value.get("choices", [])
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    text = str(value).strip()
    if not text:
        return ()
    if text.startswith(("{", "[")):
        try:
            return parse_choices(json.loads(text))
        except json.JSONDecodeError:
            pass
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


def read_csv_export(path: Path, choices_tag: str = CHOICES_TAG) -> list[Annotation]:
    text = fsutil.read_user_text(path)
    if not text.strip():
        raise UserError(f"Файл разметки «{path}» пуст. Экспортируйте разметку из Label Studio ещё раз (формат CSV).")
    reader = csv.DictReader(io.StringIO(text), delimiter=_sniff_delimiter(text))
    columns = reader.fieldnames or []
    rows = list(reader)
    image_col = _pick_column(columns, IMAGE_TAG)
    choices_col = choices_tag if choices_tag in columns else None
    if not rows and "annotation_id" in columns:
        return []  # Label Studio's export of a project without annotations: only the fixed columns
    if image_col is None or choices_col is None:
        missing = [n for n, c in ((IMAGE_TAG, image_col), (choices_tag, choices_col)) if c is None]
        raise UserError(
            f"В «{path}» нет колонок {', '.join(missing)}. Найдены колонки: {', '.join(columns) or 'нет'}. "
            "Нужен экспорт Label Studio в формате CSV из проекта, созданного pedpatterns "
            f"(колонка с выбором паттернов называется «{choices_tag}»)."
        )
    return [
        Annotation(
            image_url=(row.get(image_col) or "").strip(),
            choices=parse_choices(row.get(choices_col)),
            annotator=_id_text(row.get("annotator")),
            annotation_id=_id_text(row.get("annotation_id")),
            row=number,
        )
        for number, row in enumerate(rows, 2)
        if any((v or "").strip() for v in row.values() if isinstance(v, str))  # Excel's trailing empty rows
    ]


def _id_text(value: Any) -> str:
    """An id as text; Excel turns ``7`` into ``7.0`` or ``7,0``, which is still annotation 7."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value).strip()
    head, sep, tail = text.replace(",", ".").partition(".")
    return head if sep and head.isdigit() and tail.strip("0") == "" else text


def _json_annotations(items: list[Any], choices_tag: str) -> list[Annotation]:
    out: list[Annotation] = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            continue
        if "annotations" in item or "data" in item:  # full JSON export: a task with its annotations
            data = item.get("data", {})
            url = str(data.get(IMAGE_TAG) or data.get(f"_data_{IMAGE_TAG}") or "")
            for ann in item.get("annotations") or []:
                choices: list[str] = []
                for result in ann.get("result") or []:
                    if result.get("from_name") == choices_tag:
                        choices.extend(parse_choices(result.get("value", {})))
                completed_by = ann.get("completed_by")
                if isinstance(completed_by, dict):
                    completed_by = completed_by.get("email") or completed_by.get("id")
                out.append(
                    Annotation(
                        image_url=url,
                        choices=tuple(choices),
                        annotator=_id_text(completed_by),
                        annotation_id=_id_text(ann.get("id")),
                        cancelled=bool(ann.get("was_cancelled")),
                        row=number,
                    )
                )
        else:  # JSON-MIN: a flat row per annotation
            url = str(item.get(f"_data_{IMAGE_TAG}") or item.get(IMAGE_TAG) or "")
            out.append(
                Annotation(
                    image_url=url,
                    choices=parse_choices(item.get(choices_tag)),
                    annotator=_id_text(item.get("annotator")),
                    annotation_id=_id_text(item.get("annotation_id")),
                    row=number,
                )
            )
    return out


def read_export(path: Path, choices_tag: str = CHOICES_TAG) -> list[Annotation]:
    """Every annotation in a Label Studio export (CSV, JSON or JSON-MIN)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"Файл разметки «{path}» не найден. Экспортируйте разметку из Label Studio (Export → CSV) "
            "и сохраните её как labeled.csv в папке проекта."
        )
    if path.suffix.lower() == ".json":
        try:
            items = json.loads(fsutil.read_user_text(path) or "[]")
        except json.JSONDecodeError as exc:
            raise UserError(f"«{path}» — не корректный JSON ({exc.msg}, строка {exc.lineno}).") from None
        if not isinstance(items, list):
            raise UserError(f"В «{path}» ожидался список задач или аннотаций — экспорт Label Studio JSON или JSON-MIN.")
        return _json_annotations(items, choices_tag)
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
    annotations = read_export(path)
    answers = [a for a in annotations if a.is_answer]
    if not answers:
        raise UserError(
            f"В «{path}» нет ни одной разметки (строк с ответами экспертов: 0 из {len(annotations)}). "
            "Разметьте задачи в Label Studio (кнопка Submit) и экспортируйте CSV заново: "
            "python -m pedpatterns.labelstudio export"
        )
    annotations = answers
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
        owner = layout.keyframe_owner(file)
        if owner is None:
            problems.append(f"строка {ann.row}: файл не похож на ключевой кадр из processed_data/: {file.name}")
            continue
        if not file.is_file():
            problems.append(f"строка {ann.row}: файл не найден: {layout.relative(file)}")
            continue
        keyframes[owner] = file
        by_task.setdefault(owner, []).append(ann)

    segment_tables: dict[str, pd.DataFrame] = {}
    rows: list[dict[str, Any]] = []
    for (part, segment), anns in sorted(by_task.items()):
        valid = anns
        if not valid:
            continue
        labels, agreement = merge_annotations([a.choices for a in valid], min_share)
        if not labels:
            continue
        if part not in segment_tables:
            csv_path = layout.segments_csv(part)
            segment_tables[part] = pd.read_csv(csv_path).set_index("segment") if csv_path.is_file() else None
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
    return LabeledSet(frame=frame, patterns=patterns, problems=problems)
