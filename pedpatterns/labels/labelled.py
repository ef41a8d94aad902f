"""The labelled set: the experts' answers merged per segment and joined with segments.csv.

This is the only reader of what labeled.csv means: the image dataset (Part 3), both models and
the labelling queue (Part 4) and the report get their labelled segments from
:func:`load_labeled_segments`; the answers themselves are read by :mod:`pedpatterns.labels.exports`,
whatever the export's format.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pandas as pd

from pedpatterns import schema
from pedpatterns.errors import UserError
from pedpatterns.labels.exports import Annotation, read_export
from pedpatterns.labels.options import DEFAULT_MIN_SHARE
from pedpatterns.labels.tags import LOCAL_FILES_PREFIX
from pedpatterns.layout import REPLACED_PREFIX, Layout
from pedpatterns.words import skipped_lines

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


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
        detail = "".join("\n" + line for line in skipped_lines(problems))
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
