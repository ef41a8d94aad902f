"""The one question rule (pedpatterns/prepare/questions.py) on what Whisper writes, marks or no marks."""

from __future__ import annotations

import pytest

from pedpatterns.prepare.features import question_waits
from pedpatterns.prepare.questions import question_ends, sentences
from pedpatterns.prepare.speech import Word
from pedpatterns.report.lessonmetrics import lesson_metrics


def spoken(text: str, start: float = 0.0, step: float = 0.3) -> list[Word]:
    """Whisper-like words of ``text``, back to back from ``start``."""
    return [Word(start + k * step, start + (k + 1) * step, f" {w}") for k, w in enumerate(text.split())]


def asked(text: str) -> bool:
    """Whether the rule takes the whole ``text`` (one sentence) for a question."""
    return question_ends(spoken(text))[-1]


@pytest.mark.parametrize("text", [
    "Кто сегодня дежурный?",
    "Что обозначает имя существительное.",  # Whisper dropped the mark
    "какого рода слово книга",  # no mark at all
    "Почему, как вы думаете, слово папа мужского рода.",
    "А почему слово окно среднего рода",
    "Понятно ли вам задание.",
    "Сколько будет дважды два",
    "Что нового вы узнали на уроке?",
    "Верно, а какого рода слово окно",
    "Верно, а какого рода, слово окно.",  # the question clause is not the last one
    "Правильно, на какие вопросы оно отвечает",
    "In which season is it snowy.",
    "What is the weather like today.",
    "So why is it raining",
    "«Готовы?»",
])
def test_questions_with_or_without_the_mark(text: str) -> None:
    assert asked(text)


@pytest.mark.parametrize("text", [
    "Когда идёт дождь, мы берём зонт.",
    "Как видите, это просто.",
    "Что ж, начнём урок.",
    "Кто не сделал задание, поднимите руку.",
    "Как хорошо!",
    "Потому что папа мужчина.",
    "Запишите, что задано на дом.",
    "Что-то здесь не так.",
    "Молодцы, что все на месте.",
    "Оно отвечает на вопросы, кто и что.",
    "Мы узнали, как определять род существительных.",
    "На столе книга.",
    "When the sun is shining, the weather is sunny.",
    "Sunny. When the sun is shining, the weather is sunny.",
])
def test_statements_are_not_questions(text: str) -> None:
    assert not any(question_ends(spoken(text)))


def test_a_silence_ends_a_sentence_that_whisper_ran_on() -> None:
    """Whisper joined the question and the answer with a comma; the teacher's wait still separates them."""
    words = [*spoken("Молодцы, какого рода слово книга,", 0.0), *spoken("слово книга женского рода.", 5.0)]
    assert [list(r) for r in sentences(words)] == [list(range(5)), list(range(5, 9))]
    assert question_ends(words) == [False] * 4 + [True] + [False] * 4
    waits = question_waits(words, 8.0)
    assert waits[4] == pytest.approx(5.0 - 1.5)


def test_features_and_report_count_the_same_questions() -> None:
    words = [*spoken("Что обозначает слово?", 0.0), *spoken("Предмет.", 4.0), *spoken("какого рода окно", 6.0),
             *spoken("Среднего рода.", 10.0), *spoken("Как видите, просто.", 12.0)]
    waits = [w for w in question_waits(words, 14.0) if w is not None]
    metrics = lesson_metrics(words, 14.0)
    assert len(waits) == metrics["summary"]["question_count"] == 2
    assert [q["wait_s"] for q in metrics["questions"]] == pytest.approx(waits, abs=0.01)
    assert metrics["questions"][1]["text"].strip() == "какого рода окно"
