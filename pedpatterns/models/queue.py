"""The active-learning queue: the next batch of unlabelled segments, least confident first, spread out.

Experts' time is the scarce resource. Segments the models are already sure of teach them
little; the ones they hesitate on teach the most. So the next batch for Label Studio is
made of segments nobody has labelled yet, with the models' answers as pre-annotations
(Label Studio ``predictions``: the expert corrects instead of starting from nothing), in
ascending order of the models' confidence. Uncertainty alone would send ten neighbouring
frames of one confusing minute, so the batch is also spread out: two segments of one
lesson are at least ``min_gap_seconds`` apart, loosened only when the batch cannot be
filled otherwise (and then the caller says so).

Confidence of a segment is that of its least certain yes/no decision:
``min over patterns of max(p, 1 - p)`` — 0.5 when a model cannot tell whether some pattern
is there, 1.0 when it is sure about every pattern. That number is each prediction's
``score``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pedpatterns import fsutil
from pedpatterns.errors import UserError
from pedpatterns.labelstudio.exports import answered_segments, read_segments_table
from pedpatterns.labelstudio.tasks import format_time, prediction, segment_task
from pedpatterns.layout import Layout
from pedpatterns.models import imagemodel, textmodel
from pedpatterns.models.options import QueueOptions  # with MODELS, whose hints: the parser reads them there


@dataclass
class Predictions:
    """Every candidate segment with the models' probabilities (columns ``patterns``), and who made them."""

    segments: pd.DataFrame
    proba: np.ndarray
    patterns: list[str]
    version: str


@dataclass
class QueueResult:
    tasks: list[dict[str, Any]]
    candidates: int
    labelled: int
    version: str
    notes: list[str] = field(default_factory=list)


def confidence(proba: np.ndarray) -> np.ndarray:
    """Per row, the confidence of the least certain yes/no decision: min over patterns of max(p, 1 − p)."""
    proba = np.asarray(proba, dtype=float)
    if proba.size == 0:
        return np.ones(len(proba))
    return np.min(np.maximum(proba, 1 - proba), axis=1)


def chosen(probs: Sequence[float], patterns: Sequence[str], threshold: float) -> list[str]:
    """The pre-annotation: every pattern at or above ``threshold``, else the single most likely one."""
    picked = [p for p, v in zip(patterns, probs, strict=True) if v >= threshold]
    return picked or [patterns[int(np.argmax(probs))]]


def choose_diverse(
    segments: pd.DataFrame, scores: Sequence[float], batch: int, min_gap_seconds: float
) -> tuple[list[int], float]:
    """Row positions of the batch, least confident first, at least ``min_gap_seconds`` apart within a film.

    Greedy: the least confident candidate is taken unless one already taken lies closer
    than the gap in the same film. When that leaves the batch short, the gap is halved
    and the pass repeated, down to no gap. Returns the positions and the gap finally used.
    """
    order = sorted(range(len(scores)), key=lambda i: (scores[i], i))
    films = segments["film"].astype(str).tolist()
    starts = pd.to_numeric(segments["lesson_start"], errors="coerce").fillna(0).tolist()
    picked: list[int] = []
    gap = float(min_gap_seconds)
    while True:
        for i in order:
            if len(picked) >= batch:
                break
            if i in picked:
                continue
            if all(films[j] != films[i] or abs(starts[j] - starts[i]) >= gap for j in picked):
                picked.append(i)
        if len(picked) >= min(batch, len(order)) or gap == 0:
            break
        gap = gap / 2 if gap > 1 else 0.0
    picked.sort(key=lambda i: (scores[i], i))
    return picked, gap


def unlabelled_segments(layout: Layout, labels_path: Path | None = None) -> tuple[pd.DataFrame, int]:
    """segments.csv rows of every processed part that no expert has answered yet, and how many were answered."""
    answered = answered_segments(layout, labels_path)
    tables = []
    for part in layout.processed_parts():
        table = read_segments_table(layout, part)
        if table is None:
            continue
        table = table.reset_index()
        table["part"] = part
        tables.append(table[[(part, int(s)) not in answered for s in table["segment"]]])
    if not tables:
        raise UserError(
            f"В «{layout.processed_data}» нет обработанных частей. Сначала обработайте урок: python prepare_data.py"
        )
    frame = pd.concat(tables, ignore_index=True)
    if "film" not in frame:
        frame["film"] = frame["part"]
    frame["text"] = frame["text"].fillna("").astype(str) if "text" in frame else ""
    return frame.sort_values(["part", "segment"], kind="stable").reset_index(drop=True), len(answered)


def build_queue(layout: Layout, predictions: Predictions, labelled: int, options: QueueOptions) -> QueueResult:
    """The batch as Label Studio tasks with predictions, in ascending score (least confident first)."""
    segments = predictions.segments
    scores = confidence(predictions.proba)
    picked, gap = choose_diverse(segments, scores.tolist(), options.batch, options.min_gap_seconds)
    notes = []
    if len(picked) < options.batch:
        notes.append(f"Неразмеченных сегментов всего {len(segments)}: в пакете {len(picked)} вместо {options.batch}.")
    if gap < options.min_gap_seconds and picked:
        notes.append(
            f"Чтобы набрать пакет, сегменты одного урока взяты ближе друг к другу: не меньше {gap:g} с вместо "
            f"{options.min_gap_seconds:g} с (неразмеченных сегментов мало или они в одном месте урока)."
        )
    tasks = []
    for i in picked:
        row = segments.iloc[i].to_dict()
        task = segment_task(layout, row)
        probs = predictions.proba[i]
        task["data"]["model_confidence"] = round(float(scores[i]), 4)
        task["predictions"] = [prediction(chosen(probs, predictions.patterns, options.threshold), float(scores[i]),
                                          predictions.version)]
        tasks.append(task)
    return QueueResult(tasks, len(segments), labelled, predictions.version, notes)


def combine(parts: Sequence[tuple[str, list[str], np.ndarray]]) -> tuple[list[str], np.ndarray, str]:
    """Average the models' probabilities per pattern (a pattern only one model knows keeps its value)."""
    patterns = list(dict.fromkeys(p for _, names, _ in parts for p in names))
    total = np.zeros((len(parts[0][2]), len(patterns)))
    count = np.zeros(len(patterns))
    for _, names, proba in parts:
        for j, name in enumerate(names):
            k = patterns.index(name)
            total[:, k] += proba[:, j]
            count[k] += 1
    return patterns, total / np.maximum(count, 1), "+".join(version for version, _, _ in parts)


def predict(layout: Layout, segments: pd.DataFrame, options: QueueOptions, log: Any = print) -> Predictions:
    """The probabilities of the chosen models (``auto``: every model there is) for the candidate segments."""
    parts: list[tuple[str, list[str], np.ndarray]] = []
    if options.model in ("auto", "text"):
        text = textmodel.ensure_model(
            layout, textmodel.TextOptions(labels_path=options.labels_path, min_share=options.min_share,
                                          threshold=options.threshold), log=log)
        if text is not None:
            version = f"{layout.text_model.stem}@{text.info.get('trained_at', '')}"
            parts.append((version, list(text.patterns), text.predict_proba(segments)))
        elif options.model == "text":
            raise UserError("Модели по звуку и тексту нет: нужна разметка labeled.csv (см. README, часть 2).")
    if options.model == "image" or (options.model == "auto" and layout.image_model.is_file()):
        classifier = imagemodel.load_classifier(layout)
        keyframes = [layout.keyframe(str(r.part), int(r.segment)) for r in segments.itertuples(index=False)]
        images = imagemodel.load_images(keyframes, classifier.image_size)
        parts.append((classifier.version, list(classifier.classes), imagemodel.predict_proba(classifier, images)))
    if not parts:
        raise UserError(
            "Нет ни одной модели для подсказок: положите разметку labeled.csv в папку проекта (модель по звуку и "
            "тексту обучится сама) или обучите модель по кадрам: python auto_classifier.py --mode train"
        )
    patterns, proba, version = combine(parts)
    return Predictions(segments, proba, patterns, version)


def write_queue(path: Path, result: QueueResult) -> Path:
    fsutil.write_json(path, result.tasks)
    return path


def format_queue(result: QueueResult, layout: Layout, path: Path) -> str:
    """What the command prints: the batch in order, with confidence and place in the lesson."""
    lines = [
        f"Следующий пакет для разметки: {len(result.tasks)} сегментов из {result.candidates} неразмеченных "
        f"(уже размечено: {result.labelled}). Модели: {result.version}.",
        "Сначала — те, в которых модели уверены меньше всего (уверенность 0,5 — не знает, 1 — уверена):",
    ]
    for n, task in enumerate(result.tasks, 1):
        data = task["data"]
        guess = ", ".join(task["predictions"][0]["result"][0]["value"]["choices"])
        lines.append(f"  {n:>2}. уверенность {task['predictions'][0]['score']:.2f}  «{data['part']}», сегмент "
                     f"{data['segment']} ({format_time(float(data['lesson_start']))}): {guess}")
    lines += [f"Внимание: {note}" for note in result.notes]
    lines.append(f"Задачи с подсказками моделей: {path}")
    return "\n".join(lines)
