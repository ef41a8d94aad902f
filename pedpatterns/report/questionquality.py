"""What kind of questions the teacher asks: open or closed, and how high a level of thinking they ask for.

Each question of the report gets the kind :func:`pedpatterns.prepare.questionkinds.classify_question`
gives it (its rules are word lists, per language); the lesson gets the share of open questions and the
share of higher-order ones (analyse, evaluate, create: the upper levels of Bloom's taxonomy as revised
by Anderson & Krathwohl 2001). A question the rules cannot place (a language they do not cover, or no
rule matched) is counted apart and left out of both shares: a guess would make the shares look surer
than they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pedpatterns.labels.questions import ANALYSE, CREATE, EVALUATE, LEVEL_NAMES, OPEN, OPENNESS_NAMES
from pedpatterns.prepare.questionkinds import classify_question

HIGHER_ORDER = (ANALYSE, EVALUATE, CREATE)

# Key → (Russian name, unit, what it means): rows of lesson_metrics.csv, after the waits.
QUESTION_KIND_METRICS: dict[str, tuple[str, str, str]] = {
    "open_question_share": (
        "Доля открытых вопросов", "доля",
        "какая часть вопросов открытые — допускают разные ответы, просят объяснить или рассудить "
        "(из вопросов, вид которых определён)",
    ),
    "higher_order_share": (
        "Доля вопросов высокого уровня", "доля",
        "какая часть вопросов просит анализировать, оценивать или создавать — верхние уровни таксономии Блума "
        "в редакции Андерсона и Кратволя (из вопросов, уровень которых определён)",
    ),
    "questions_not_classified": (
        "Вопросов, вид которых не определён", "шт",
        "вопросы на языке, которого правила не знают, или такие, к которым не подошло ни одно правило",
    ),
}


def question_kind(text: str) -> dict[str, Any]:
    """The question's language, openness, level and the rule that decided them, as report.json keeps them."""
    kind = classify_question(text)
    return {"language": kind.language, "openness": kind.openness, "level": kind.level, "rule": kind.rule}


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def question_kind_summary(questions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The shares of open and of higher-order questions among those placed, and how many were not placed."""
    open_known = [q for q in questions if q.get("openness") is not None]
    levels = [q for q in questions if q.get("level") is not None]
    return {
        "open_question_share": _share(sum(q["openness"] == OPEN for q in open_known), len(open_known)),
        "higher_order_share": _share(sum(q["level"] in HIGHER_ORDER for q in levels), len(levels)),
        "questions_not_classified": sum(q.get("openness") is None and q.get("level") is None for q in questions),
    }


def kind_text(question: Mapping[str, Any]) -> str:
    """The question's kind in Russian for the page: «Открытый, анализ»; «—» for a report made before kinds."""
    if "openness" not in question and "level" not in question:
        return "—"
    parts = [OPENNESS_NAMES.get(question.get("openness") or ""), LEVEL_NAMES.get(question.get("level") or "")]
    shown = ", ".join(p for p in parts if p)
    return shown.capitalize() if shown else "не определён"
