"""Honest metrics for both pattern models: per-pattern scores beside a frequency baseline.

A teacher cannot judge an F1 of 0.6 on its own; beside the score of a rule that ignores
the lesson entirely it means something. Both models (``imagemodel`` and ``textmodel``)
report through this module, on data held out by part, so the two are comparable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from pedpatterns.labelstudio import agreement
from pedpatterns.models.options import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD  # in every model and its metrics

# Below these counts the numbers are noise, and we say so instead of printing them.
MIN_POSITIVES_PER_PATTERN = 3
MIN_GROUPS = 2


def frequency_baseline(y_train: np.ndarray, n_samples: int) -> np.ndarray:
    """Predictions of a rule that never looks at the lesson.

    Every sample gets the patterns that occur in at least half of the training samples;
    when none does, the single most frequent pattern (an empty answer would score zero
    and make any model look good).
    """
    y_train = np.asarray(y_train)
    freq = y_train.mean(axis=0) if len(y_train) else np.zeros(y_train.shape[1])
    row = (freq >= 0.5).astype(int)
    if not row.any() and freq.any():
        row[int(np.argmax(freq))] = 1
    return np.tile(row, (n_samples, 1))


def data_warnings(y_train: np.ndarray, y_test: np.ndarray, patterns: Sequence[str], n_groups: int) -> list[str]:
    """Plain-language reasons why the metrics below should not be trusted (empty when fine)."""
    warnings = []
    if n_groups < MIN_GROUPS:
        warnings.append(
            "Размечена только одна часть урока: отложить для проверки целую часть нельзя, "
            "поэтому качество модели оценить невозможно. Разметьте ещё хотя бы одну часть."
        )
    if len(y_test) == 0:
        warnings.append("Нет данных для проверки: все примеры ушли в обучение.")
    for j, pattern in enumerate(patterns):
        n_train = int(np.asarray(y_train)[:, j].sum()) if len(y_train) else 0
        n_test = int(np.asarray(y_test)[:, j].sum()) if len(y_test) else 0
        if n_train + n_test < MIN_POSITIVES_PER_PATTERN:
            warnings.append(
                f"«{pattern}»: всего {n_train + n_test} примера(ов) — слишком мало, "
                "оценка по этому паттерну ничего не значит."
            )
        elif n_test == 0 and len(y_test):
            warnings.append(f"«{pattern}»: нет ни одного примера в проверочных данных.")
    return warnings


def evaluate(
    y_true: np.ndarray, y_pred: np.ndarray, y_baseline: np.ndarray, patterns: Sequence[str]
) -> dict[str, Any]:
    """Per-pattern precision/recall/F1 and micro/macro F1 of the model and of the baseline."""
    y_true, y_pred, y_baseline = (np.asarray(a, dtype=int) for a in (y_true, y_pred, y_baseline))
    p, r, f, support = precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=0)
    _, _, fb, _ = precision_recall_fscore_support(y_true, y_baseline, average=None, zero_division=0)
    per_pattern = {
        name: {
            "precision": round(float(p[j]), 4),
            "recall": round(float(r[j]), 4),
            "f1": round(float(f[j]), 4),
            "baseline_f1": round(float(fb[j]), 4),
            "support": int(support[j]),
        }
        for j, name in enumerate(patterns)
    }

    def score(pred: np.ndarray, average: str) -> float:
        return round(float(f1_score(y_true, pred, average=average, zero_division=0)), 4)

    return {
        "n_test": len(y_true),
        "per_pattern": per_pattern,
        "micro_f1": score(y_pred, "micro"),
        "macro_f1": score(y_pred, "macro"),
        "baseline_micro_f1": score(y_baseline, "micro"),
        "baseline_macro_f1": score(y_baseline, "macro"),
    }


def verdict(metrics: dict[str, Any], warnings: Sequence[str] = ()) -> str:
    """One plain sentence: is the model better than naming the most frequent patterns?

    With warnings about the data, a better score is reported as a hint, not a conclusion.
    """
    gain = metrics["micro_f1"] - metrics["baseline_micro_f1"]
    if gain < 0.05:
        return (
            "Итог: модель пока не лучше простой базы, которая всем сегментам называет самые частые паттерны. "
            "Её подсказкам рано доверять: разметьте больше частей и обучите снова."
        )
    if warnings:
        return (
            f"Итог: на проверке модель набрала больше простой базы (micro-F1 выше на {gain:.2f}), но данных мало "
            "(см. ниже) — это пока не вывод, а подсказка. Разметьте больше частей, чтобы оценка стала надёжной."
        )
    return f"Итог: модель лучше простой базы (micro-F1 выше на {gain:.2f}) — её подсказки полезны экспертам."


def experts_ceiling(votes: agreement.Votes, patterns: Sequence[str]) -> dict[str, Any]:
    """The experts' agreement both models print beside their F1: per pattern and as one sentence."""
    report = agreement.compute_agreement(votes, patterns)
    overall = report.overall
    return {"ceiling": report.ceiling(), "note": agreement.ceiling_note(report),
            "overall": None if overall is None else {"f1": overall.positive, "alpha": overall.alpha},
            "segments_with_two_or_more": report.overlap}


def format_table(metrics: dict[str, Any], experts: Mapping[str, Mapping[str, float | None]] | None = None) -> str:
    """The metrics as a plain-text table for the terminal, in Russian.

    ``experts`` (pattern → ``{"f1": …}``, :meth:`AgreementReport.ceiling`) adds the F1 one
    expert scores against another: a model is not expected to agree with the experts more
    than they agree with each other.
    """
    name_width = max([len("Паттерн"), *(len(n) for n in metrics["per_pattern"])])
    extra = "  F1 эксп." if experts else ""
    header = f"{'Паттерн':<{name_width}}  Точн.  Полн.    F1  База F1{extra}  Примеров"
    lines = [header, "-" * len(header)]
    for name, m in metrics["per_pattern"].items():
        ceiling = ""
        if experts:
            f1 = (experts.get(name) or {}).get("f1")
            ceiling = f"  {'—' if f1 is None else f'{f1:.2f}':>8}"
        lines.append(
            f"{name:<{name_width}}  {m['precision']:5.2f}  {m['recall']:5.2f}  {m['f1']:5.2f}"
            f"  {m['baseline_f1']:7.2f}{ceiling}  {m['support']:8d}"
        )
    lines.append("-" * len(header))
    lines.append(f"micro-F1: модель {metrics['micro_f1']:.2f}, база {metrics['baseline_micro_f1']:.2f}")
    lines.append(f"macro-F1: модель {metrics['macro_f1']:.2f}, база {metrics['baseline_macro_f1']:.2f}")
    if experts:
        lines.append("«F1 эксп.» — F1 одного эксперта против другого на одних и тех же сегментах: потолок для модели.")
    return "\n".join(lines)
