"""How well the question rules agree with labelled questions: precision, recall, F1 and support per class.

The rule tier (:mod:`pedpatterns.prepare.questionkinds`) is measured against what experts labelled in Label
Studio (:mod:`pedpatterns.labels.questionlabels`) or against the labelled sets of the tests. Each of the two
questions (openness, level) is scored apart, on the questions whose label for it was given. A question the
rules do not cover (another language: the rules answer ``None``) counts as a miss for its true class.
Pure functions: the caller reads the labels, runs the rules and writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pedpatterns import spreadsheet
from pedpatterns.labels.questions import LEVEL_NAMES, LEVELS, OPENNESS_NAMES

OPENNESS, LEVEL = "openness", "level"
TASK_NAMES = {OPENNESS: "Открытость", LEVEL: "Уровень по Блуму"}
CLASSES = {OPENNESS: tuple(OPENNESS_NAMES), LEVEL: LEVELS}
CLASS_NAMES = {OPENNESS: OPENNESS_NAMES, LEVEL: LEVEL_NAMES}
SCORE_COLUMNS = ("task", "class", "class_name", "precision", "recall", "f1", "support", "predicted")


@dataclass(frozen=True)
class ClassScore:
    """One class of one task: ``precision`` is ``None`` when the rules never chose the class."""

    task: str
    cls: str
    precision: float | None
    recall: float | None
    f1: float | None
    support: int  # labelled with this class
    predicted: int  # the rules chose this class


def class_scores(task: str, truth: Sequence[str | None], predicted: Sequence[str | None]) -> list[ClassScore]:
    """Per-class scores of one task over the pairs whose true label is given."""
    pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if t is not None]
    out = []
    for cls in CLASSES[task]:
        hits = sum(t == cls and p == cls for t, p in pairs)
        support = sum(t == cls for t, _ in pairs)
        chosen = sum(p == cls for _, p in pairs)
        precision = hits / chosen if chosen else None
        recall = hits / support if support else None
        f1 = (2 * precision * recall / (precision + recall) if precision and recall else
              (0.0 if precision is not None and recall is not None else None))
        out.append(ClassScore(task, cls, precision, recall, f1, support, chosen))
    return out


def accuracy(truth: Sequence[str | None], predicted: Sequence[str | None]) -> float | None:
    """The share of labelled questions the rules got right (``None`` with no labelled question)."""
    pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if t is not None]
    return sum(t == p for t, p in pairs) / len(pairs) if pairs else None


def _value(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def format_scores(scores: Sequence[ClassScore], accuracies: dict[str, float | None]) -> str:
    """A plain-text table in Russian, one block per task."""
    lines = []
    for task in (OPENNESS, LEVEL):
        rows = [s for s in scores if s.task == task]
        if not rows:
            continue
        total = sum(s.support for s in rows)
        lines.append(f"{TASK_NAMES[task]} (вопросов с меткой: {total}, доля верных ответов правил: "
                     f"{_value(accuracies.get(task))})")
        lines.append(f"  {'Класс':<14}{'Точность':>10}{'Полнота':>10}{'F1':>7}{'Меток':>8}{'Ответов правил':>16}")
        for s in rows:
            lines.append(f"  {CLASS_NAMES[task][s.cls]:<14}{_value(s.precision):>10}{_value(s.recall):>10}"
                         f"{_value(s.f1):>7}{s.support:>8}{s.predicted:>16}")
    lines.append("Точность — доля верных среди вопросов, которым правила дали этот класс; полнота — доля вопросов "
                 "этого класса, которые правила узнали; «—» — правила ни разу не дали класс или меток нет.")
    return "\n".join(lines)


def scores_csv(scores: Sequence[ClassScore]) -> str:
    """The scores as a CSV for Excel (the caller adds the BOM)."""
    rows = [[s.task, s.cls, CLASS_NAMES[s.task][s.cls], _round(s.precision), _round(s.recall), _round(s.f1),
             s.support, s.predicted] for s in scores]
    return spreadsheet.csv_text(SCORE_COLUMNS, rows)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def names(openness: str | None, level: str | None) -> str:
    """«Открытый, Анализ» for a message; «—» where a label is missing."""
    return f"{OPENNESS_NAMES.get(openness or '', '—')}, {LEVEL_NAMES.get(level or '', '—')}"
