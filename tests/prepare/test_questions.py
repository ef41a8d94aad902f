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


# The teacher's «Какого рода слово книга?» and a 4 s wait, as Whisper writes it on one processor and on another
# (the bundled base on an AMD EPYC: «Какого рода?» and «Слово книга.» 0.14 s apart).
ANSWER = spoken("Слово книга женского рода.", 5.5)
ONE_SENTENCE = [*spoken("Какого рода слово книга?", 0.0), *ANSWER]
TWO_SENTENCES = [*spoken("Какого рода?", 0.0), *spoken("Слово книга.", 0.74), *ANSWER]


@pytest.mark.parametrize(("words", "text"), [(ONE_SENTENCE, "Какого рода слово книга?"),
                                             (TWO_SENTENCES, "Какого рода? Слово книга.")],
                         ids=["one sentence", "split by Whisper"])
def test_the_wait_does_not_depend_on_where_whisper_ends_the_sentence(words: list[Word], text: str) -> None:
    """A mark inside one spoken question (0.14 s, no breath) does not end the wait: it starts after «книга»."""
    end_of_question = words[3].end
    assert question_ends(words) == [False] * 3 + [True] + [False] * 4
    assert [w for w in question_waits(words, 8.0) if w is not None] == pytest.approx([5.5 - end_of_question])
    metrics = lesson_metrics(words, 8.0)
    assert metrics["summary"]["question_count"] == 1
    (question,) = metrics["questions"]
    assert question["time"] == pytest.approx(end_of_question)
    assert question["wait_s"] == pytest.approx(5.5 - end_of_question, abs=0.01)
    assert question["text"] == text


def test_a_question_rephrased_in_one_breath_is_one_question_with_one_wait() -> None:
    words = [*spoken("Кто дежурный?", 0.0), *spoken("Кто сегодня дежурный?", 0.7), *spoken("Я.", 4.6)]
    assert question_ends(words) == [False, False, False, False, True, False]
    assert [w for w in question_waits(words, 6.0) if w is not None] == pytest.approx([4.6 - 1.6])


def test_a_breath_or_another_voice_ends_the_teachers_questioning_turn() -> None:
    """The teacher who stops and goes on waited only that stop; a pupil who answers at once is not the teacher."""
    breath = [*spoken("Кто дежурный?", 0.0), *spoken("Ну же, смелее.", 1.0), *spoken("Я.", 5.0)]
    assert [w for w in question_waits(breath, 6.0) if w is not None] == pytest.approx([1.0 - 0.6])

    answer = [*spoken("Какого рода?", 0.0), *spoken("Женского.", 0.7), *spoken("Верно.", 3.0)]
    voices = ["teacher", "teacher", "pupil", "teacher"]
    assert question_ends(answer, speakers=voices) == [False, True, False, False]
    assert [w for w in question_waits(answer, 4.0, voices) if w is not None] == pytest.approx([0.1])
    turns = [(0.0, 0.6, "teacher"), (0.7, 1.0, "pupil"), (3.0, 3.3, "teacher")]
    (question,) = lesson_metrics(answer, 4.0, turns=turns)["questions"]
    assert question["wait_s"] == pytest.approx(0.1) and question["text"] == "Какого рода?"
