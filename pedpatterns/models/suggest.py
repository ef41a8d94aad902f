"""Suggestions worth showing an expert: which patterns a model is trusted with, and how sure it is.

Shared by the labelling queue (queue.py) and the live ML backend (backend.py), so an expert
sees the same suggestion for a segment whichever way it reached Label Studio.

* A model suggests a pattern only when, on data it did not learn from, it found that pattern
  better than the frequency baseline (the rule that names the most frequent patterns without
  looking at the lesson): per pattern, held-out F1 above the baseline's F1, with enough
  examples for the number to mean something. Where no model is trusted with any pattern, the
  answer is «модель ещё не готова» rather than a guess.
* A segment's confidence is the mean over the trusted patterns of ``max(p, 1 − p)``: 0.5 when
  the model cannot tell any of them, 1.0 when it is sure of every one. The minimum over
  patterns, used before, sat at 0.5 for every segment as soon as one pattern was uncertain,
  and then ordered nothing (measured on the demo: every score 0.5005).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

NOT_READY = "модель ещё не готова"


def ready_patterns(evaluation: Mapping[str, Any] | None, warnings: Sequence[str] = ()) -> frozenset[str]:
    """Patterns whose held-out F1 beats the frequency baseline, leaving out those the warnings call noise."""
    if not isinstance(evaluation, Mapping) or not isinstance(evaluation.get("per_pattern"), Mapping):
        return frozenset()
    ready = set()
    for name, scores in evaluation["per_pattern"].items():
        if not isinstance(scores, Mapping) or any(f"«{name}»" in str(w) for w in warnings):
            continue
        f1, baseline = scores.get("f1"), scores.get("baseline_f1")
        if isinstance(f1, int | float) and isinstance(baseline, int | float) and f1 > baseline:
            ready.add(str(name))
    return frozenset(ready)


def ready_from_metrics_file(path: Path, evaluation_key: str) -> frozenset[str]:
    """:func:`ready_patterns` of a model's saved metrics; a missing or damaged file trusts nothing."""
    try:
        metrics = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    if not isinstance(metrics, dict):
        return frozenset()
    warnings = metrics.get("warnings") if isinstance(metrics.get("warnings"), list) else []
    return ready_patterns(metrics.get(evaluation_key), warnings)


@dataclass(frozen=True)
class Model:
    """One loaded pattern model, the patterns it is trusted with, and how it scores segment rows."""

    version: str
    patterns: tuple[str, ...]
    ready: frozenset[str]
    predict_proba: Callable[[pd.DataFrame], np.ndarray]


@dataclass
class Predictions:
    """Every candidate segment with the models' probabilities (columns ``patterns``), and who made them.

    ``ready`` marks, per column, whether some model is trusted with that pattern.
    """

    segments: pd.DataFrame
    proba: np.ndarray
    patterns: list[str]
    ready: np.ndarray
    version: str

    @property
    def any_ready(self) -> bool:
        return bool(self.ready.any())

    @property
    def not_ready(self) -> list[str]:
        return [p for p, ok in zip(self.patterns, self.ready, strict=True) if not ok]


def predict(models: Sequence[Model], segments: pd.DataFrame) -> Predictions:
    """Per pattern, the mean probability of the models trusted with it (of all models where none is)."""
    patterns = list(dict.fromkeys(p for model in models for p in model.patterns))
    total = np.zeros((len(segments), len(patterns)))
    trusted_total = np.zeros_like(total)
    count = np.zeros(len(patterns))
    trusted = np.zeros(len(patterns))
    for model in models:
        proba = np.asarray(model.predict_proba(segments), dtype=float).reshape(len(segments), len(model.patterns))
        for j, name in enumerate(model.patterns):
            k = patterns.index(name)
            total[:, k] += proba[:, j]
            count[k] += 1
            if name in model.ready:
                trusted_total[:, k] += proba[:, j]
                trusted[k] += 1
    ready = trusted > 0
    proba = np.where(ready, trusted_total / np.maximum(trusted, 1), total / np.maximum(count, 1))
    version = "+".join(model.version for model in models)
    return Predictions(segments, proba, patterns, ready, version)


def confidence(proba: np.ndarray, ready: np.ndarray | None = None) -> np.ndarray:
    """Per row, the mean over trusted patterns of ``max(p, 1 − p)``; 0.5 (no idea) where none is trusted."""
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape[1] == 0:
        return np.full(len(proba), 0.5)
    mask = np.ones(proba.shape[1], dtype=bool) if ready is None else np.asarray(ready, dtype=bool)
    if not mask.any():
        return np.full(len(proba), 0.5)
    return np.maximum(proba[:, mask], 1 - proba[:, mask]).mean(axis=1)


def chosen(probs: Sequence[float], patterns: Sequence[str], ready: Sequence[bool], threshold: float) -> list[str]:
    """The suggestion: trusted patterns at or above ``threshold``, else the single most likely trusted one."""
    trusted = [(p, v) for p, v, ok in zip(patterns, probs, ready, strict=True) if ok]
    if not trusted:
        return []
    picked = [p for p, v in trusted if v >= threshold]
    return picked or [max(trusted, key=lambda item: item[1])[0]]


def not_ready_note(predictions: Predictions) -> str | None:
    """What to tell the expert about patterns nobody is trusted with yet (None when every one is)."""
    missing = predictions.not_ready
    if not predictions.any_ready:
        return (
            f"{NOT_READY[0].upper()}{NOT_READY[1:]}: ни по одному паттерну она пока не лучше простой базы на "
            "проверочных данных, поэтому подсказок нет. Разметьте ещё сегменты из разных уроков."
        )
    if missing:
        return (
            f"Без подсказок ({NOT_READY}) по паттернам: {', '.join(f'«{p}»' for p in missing)} — по ним модель "
            "пока не лучше простой базы или примеров мало."
        )
    return None


def text_model(model: Any, version: str, metrics_path: Path) -> Model:
    """The audio/text model (textmodel.TextModel) with the patterns its cross-validation trusts it with."""
    return Model(version, tuple(model.patterns), ready_from_metrics_file(metrics_path, "evaluation"),
                 model.predict_proba)


def image_model(layout: Any) -> Model:
    """The project's keyframe model, trusted as its held-out test said (image_pattern_model.metrics.json)."""
    from pedpatterns.models import imagemodel

    classifier = imagemodel.load_classifier(layout)

    def predict_proba(segments: pd.DataFrame) -> np.ndarray:
        keyframes = [layout.keyframe(str(r.part), int(r.segment)) for r in segments.itertuples(index=False)]
        return imagemodel.predict_proba(classifier, imagemodel.load_images(keyframes, classifier.image_size))

    # The first prediction builds the network's function (1-2.6 s measured): do it now, not when an expert opens a task.
    imagemodel.predict_proba(classifier, np.zeros((1, classifier.image_size, classifier.image_size, 3), "uint8"))
    ready = ready_from_metrics_file(layout.image_metrics, "metrics")
    return Model(classifier.version, tuple(classifier.classes), ready, predict_proba)
