"""The active-learning queue: the next batch of unlabelled segments, least confident first, spread out.

Experts' time is the scarce resource. Segments the models are already sure of teach them
little; the ones they hesitate on teach the most. So the next batch for Label Studio is
made of segments nobody has labelled yet, with the models' answers as pre-annotations
(Label Studio ``predictions``: the expert corrects instead of starting from nothing), in
ascending order of the models' confidence. Uncertainty alone would send ten neighbouring
frames of one confusing minute, so the batch is also spread out: two segments of one
lesson are at least ``min_gap_seconds`` apart, loosened only when the batch cannot be
filled otherwise (and then the caller says so).

Confidence of a segment and which patterns are suggested at all: :mod:`.suggest`, shared with
the live ML backend. A pattern no model beats the frequency baseline on is left out of the
suggestion; when that is every pattern, the batch still goes out, without suggestions, in the
order that spreads it over the lessons.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pedpatterns import fsutil
from pedpatterns.errors import UserError
from pedpatterns.labels.labelled import answered_segments, read_segments_table
from pedpatterns.labelstudio.tasks import prediction, segment_task
from pedpatterns.layout import Layout
from pedpatterns.models import suggest, textmodel
from pedpatterns.models.options import QueueOptions  # with MODELS, whose hints: the parser reads them there
from pedpatterns.models.suggest import Predictions
from pedpatterns.words import clock


@dataclass
class QueueResult:
    tasks: list[dict[str, Any]]
    candidates: int
    labelled: int
    version: str
    notes: list[str] = field(default_factory=list)


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
    scores = suggest.confidence(predictions.proba, predictions.ready)
    picked, gap = choose_diverse(segments, scores.tolist(), options.batch, options.min_gap_seconds)
    notes = []
    note = suggest.not_ready_note(predictions)
    if note:
        notes.append(note)
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
        if predictions.any_ready:
            choices = suggest.chosen(predictions.proba[i], predictions.patterns, predictions.ready, options.threshold)
            task["data"]["model_confidence"] = round(float(scores[i]), 4)
            task["predictions"] = [prediction(choices, float(scores[i]), predictions.version)]
        tasks.append(task)
    return QueueResult(tasks, len(segments), labelled, predictions.version, notes)


def predict(layout: Layout, segments: pd.DataFrame, options: QueueOptions, log: Any = print) -> Predictions:
    """The probabilities of the chosen models (``auto``: every model there is) for the candidate segments."""
    models: list[suggest.Model] = []
    if options.model in ("auto", "text"):
        text = textmodel.ensure_model(
            layout, textmodel.TextOptions(labels_path=options.labels_path, min_share=options.min_share,
                                          threshold=options.threshold), log=log)
        if text is not None:
            version = f"{layout.text_model.stem}@{text.info.get('trained_at', '')}"
            models.append(suggest.text_model(text, version, layout.text_metrics))
        elif options.model == "text":
            raise UserError("Модели по звуку и тексту нет: нужна разметка labeled.csv (см. docs/labelstudio.md).")
    if options.model == "image" or (options.model == "auto" and layout.image_model.is_file()):
        models.append(suggest.image_model(layout))
    if not models:
        raise UserError(
            "Нет ни одной модели для подсказок: положите разметку labeled.csv в папку проекта (модель по звуку и "
            "тексту обучится сама) или обучите модель по кадрам: python auto_classifier.py --mode train"
        )
    return suggest.predict(models, segments)


def write_queue(path: Path, result: QueueResult) -> Path:
    fsutil.write_json(path, result.tasks)
    return path


def format_queue(result: QueueResult, layout: Layout, path: Path) -> str:
    """What the command prints: the batch in order, with confidence and place in the lesson."""
    suggested = any(task.get("predictions") for task in result.tasks)
    lines = [
        f"Следующий пакет для разметки: {len(result.tasks)} сегментов из {result.candidates} неразмеченных "
        f"(уже размечено: {result.labelled}). Модели: {result.version}.",
        "Сначала — те, в которых модели уверены меньше всего (уверенность 0,5 — не знает, 1 — уверена):"
        if suggested else f"Подсказок нет ({suggest.NOT_READY}); сегменты взяты из разных мест уроков:",
    ]
    for n, task in enumerate(result.tasks, 1):
        data = task["data"]
        where = f"«{data['part']}», сегмент {data['segment']} ({clock(float(data['lesson_start']))})"
        if task.get("predictions"):
            guess = ", ".join(task["predictions"][0]["result"][0]["value"]["choices"])
            lines.append(f"  {n:>2}. уверенность {task['predictions'][0]['score']:.3f}  {where}: {guess}")
        else:
            lines.append(f"  {n:>2}. {where}")
    lines += [f"Внимание: {note}" for note in result.notes]
    lines.append(f"Задачи{' с подсказками моделей' if suggested else ''}: {path}")
    return "\n".join(lines)
