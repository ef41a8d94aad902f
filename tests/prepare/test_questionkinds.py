"""The question-kind rules (pedpatterns/prepare/questionkinds.py): each rule, the tie-breaks, the languages they
do not cover, and how they fare on the labelled lesson questions written for these tests.

tests/prepare/data/questions_{ru,en}.csv is the development set the cue tables were tuned on;
questions_{ru,en}_heldout.csv were written before tuning and scored once the rules were frozen (commit
d780c43): their floors are the honest estimate. Floors sit a little under what was measured.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from pedpatterns.labels.questions import (
    ANALYSE,
    APPLY,
    CLOSED,
    CREATE,
    EVALUATE,
    LEVEL_NAMES,
    LEVELS,
    OPEN,
    OPENNESS_NAMES,
    REMEMBER,
    UNDERSTAND,
)
from pedpatterns.labels.questionscores import LEVEL, OPENNESS, accuracy, class_scores
from pedpatterns.prepare.questionkinds import (
    CHOICE_RULE,
    CUES,
    FACT_RULE,
    PARTICLE_RULE,
    UNSUPPORTED,
    YES_NO_RULE,
    QuestionKind,
    classify_question,
)

DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize(("text", "openness", "level", "rule_says"), [
    # closed by structure: no cue says open
    ("Это существительное или глагол?", CLOSED, REMEMBER, CHOICE_RULE),
    ("Понятно ли вам задание.", CLOSED, REMEMBER, PARTICLE_RULE),
    ("Все готовы?", CLOSED, REMEMBER, YES_NO_RULE),
    ("Is it raining today", CLOSED, REMEMBER, YES_NO_RULE),
    ("Какого рода слово книга?", CLOSED, REMEMBER, FACT_RULE),
    ("Какова площадь участка?", CLOSED, REMEMBER, FACT_RULE),  # «каков» is not in questions.py's lists
    # remember
    ("Кто написал «Евгения Онегина»?", CLOSED, REMEMBER, "вспомнить факт"),
    ("Назовите столицу Франции.", CLOSED, REMEMBER, "вспомнить факт"),
    ("Как называется эта фигура?", CLOSED, REMEMBER, "вспомнить факт"),
    ("Что вы знаете о кометах?", OPEN, REMEMBER, "что вы знаете"),
    ("How many legs does a spider have?", CLOSED, REMEMBER, "вспомнить факт"),
    # understand
    ("Объясните своими словами, что такое дробь.", OPEN, UNDERSTAND, "объяснить"),
    ("Что значит слово «кворум»?", CLOSED, UNDERSTAND, "понять смысл"),
    ("Как устроен термометр?", OPEN, UNDERSTAND, "объяснить"),
    ("Explain what a food chain is.", OPEN, UNDERSTAND, "объяснить"),
    # apply
    ("Решите уравнение.", CLOSED, APPLY, "по правилу"),
    ("Приведите пример глагола.", OPEN, APPLY, "применить"),
    ("Как найти периметр?", OPEN, APPLY, "применить"),
    ("Solve this problem.", CLOSED, APPLY, "по правилу"),
    # analyse
    ("Почему листья желтеют осенью?", OPEN, ANALYSE, "причина"),
    ("Каковы последствия реформы?", OPEN, ANALYSE, "причина"),
    ("Сравните два стихотворения.", OPEN, ANALYSE, "сравнение"),
    ("Какое слово лишнее?", CLOSED, ANALYSE, "лишнее"),
    ("Why is the sky blue?", OPEN, ANALYSE, "причина"),
    # evaluate
    ("Согласны ли вы с автором?", CLOSED, EVALUATE, "оценить"),
    ("Сколько согласных в слове «школа»?", CLOSED, REMEMBER, "вспомнить факт"),  # «согласные» is no «согласны»
    ("Понятно ли объяснение?", CLOSED, REMEMBER, PARTICLE_RULE),  # nor «объяснение» an «объясните»
    ("Оцените ответ товарища.", OPEN, EVALUATE, "оценить"),
    ("Как вы считаете, стоит ли так делать?", OPEN, EVALUATE, "оценить"),
    ("Do you agree with Tom?", CLOSED, EVALUATE, "оценить"),
    # create
    ("Придумайте конец сказки.", OPEN, CREATE, "создать"),
    ("Что было бы, если бы исчезла вода?", OPEN, CREATE, "создать"),
    ("Как бы вы поступили на его месте?", OPEN, CREATE, "создать"),
    ("What would happen if there were no trees?", OPEN, CREATE, "создать"),
])
def test_each_rule(text: str, openness: str, level: str, rule_says: str) -> None:
    kind = classify_question(text)
    assert (kind.openness, kind.level) == (openness, level), kind
    assert rule_says in kind.rule


def test_whisper_marks_and_capitals_change_nothing() -> None:
    for text in ("Почему, как вы думаете, слово папа мужского рода?", "Согласны ли вы с Петей?",
                 "Придумайте предложение со словом «берёза».", "Какого рода слово книга?"):
        plain = text.lower().replace(",", "").replace("?", "").replace("«", "").replace("»", "").replace("ё", "е")
        assert classify_question(plain) == classify_question(text)


def test_the_highest_level_asked_wins_and_opinion_frames_yield() -> None:
    assert classify_question("Назовите и объясните причину.").level == ANALYSE
    assert classify_question("Назовите и объясните.").level == UNDERSTAND
    # an opinion frame gives «оценка» only when nothing above remembering is asked
    assert classify_question("Как вы думаете, почему лиса обманула ворону?").level == ANALYSE
    assert classify_question("Как вы думаете, кто прав?").level == EVALUATE
    alone = classify_question("Как вы думаете, сколько здесь слов?")
    assert (alone.openness, alone.level) == (OPEN, EVALUATE) and "мнение" in alone.rule


def test_a_longer_phrase_takes_its_words_first() -> None:
    """«как называется» asks for a name (closed); the bare «как» (open) is not also read in it."""
    named = classify_question("Как называется река?")
    assert (named.openness, named.level) == (CLOSED, REMEMBER) and "объяснить" not in named.rule
    assert classify_question("Как течёт река?").openness == OPEN
    both = classify_question("Как называется этот приём и почему автор его использует?")
    assert (both.openness, both.level) == (OPEN, ANALYSE)


def test_when_inside_a_question_is_a_conjunction_not_the_cue() -> None:
    assert "«when»" in classify_question("When did the war end?").rule
    assert "«when»" not in classify_question("What do you wear when it is snowy?").rule
    assert "«когда»" in classify_question("А когда это было?").rule
    assert "«когда»" not in classify_question("Что вы берёте, когда идёт дождь?").rule


def test_a_choice_with_an_open_cue_is_open() -> None:
    assert classify_question("Что лучше: точка или запятая?").openness == CLOSED
    assert classify_question("Что лучше, точка или запятая, и почему?").openness == OPEN


@pytest.mark.parametrize("text", [
    "Warum ist der Himmel blau?",  # German
    "Pourquoi le ciel est bleu ?",  # French
    "¿Por qué el cielo es azul?",  # Spanish
    "Чому небо синє?",  # Ukrainian
    "Нега асман көк?",  # Kazakh
    "为什么天空是蓝色的？",  # Chinese
    "למה השמיים כחולים?",  # Hebrew
])
def test_a_language_the_rules_do_not_cover_is_not_guessed(text: str) -> None:
    kind = classify_question(text)
    assert kind == QuestionKind(None, None, None, UNSUPPORTED)
    assert "язык не поддерживается правилами" in kind.rule


def test_no_words_is_no_question() -> None:
    for text in ("", "   ", "?!", "…"):
        kind = classify_question(text)
        assert kind.language is None and kind.openness is None and kind.level is None and kind.rule


def test_mixed_scripts_follow_the_majority() -> None:
    assert classify_question("Как по-английски будет слово cat?").language == "ru"
    assert classify_question("What is «кошка» in English?").language == "en"


def test_every_rule_row_is_complete() -> None:
    """Each row of the tables says something, in Russian, about a known class: what teachers are shown."""
    for language, rows in CUES.items():
        for cue in rows:
            assert cue.phrases and cue.rule and any("а" <= ch <= "я" for ch in cue.rule), (language, cue)
            assert cue.openness in (None, OPEN, CLOSED) and cue.level in (None, *LEVELS)
            assert cue.openness or cue.level
    assert set(OPENNESS_NAMES) == {OPEN, CLOSED} and set(LEVEL_NAMES) == set(LEVELS)


# --- the labelled sets ------------------------------------------------------------------------------------


def _labelled(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(r["openness"] in (OPEN, CLOSED) and r["level"] in LEVELS for r in rows), name
    return rows


def _scores(name: str) -> tuple[dict[tuple[str, str], tuple[float | None, float | None]], dict[str, float | None]]:
    rows = _labelled(name)
    kinds = [classify_question(r["text"]) for r in rows]
    out, acc = {}, {}
    for task, got in ((OPENNESS, [k.openness for k in kinds]), (LEVEL, [k.level for k in kinds])):
        truth = [r[task] for r in rows]
        acc[task] = accuracy(truth, got)
        for s in class_scores(task, truth, got):
            out[(task, s.cls)] = (s.precision, s.recall)
    return out, acc


def test_the_sets_are_big_enough_and_the_held_out_third_is_apart() -> None:
    dev, held = _labelled("questions_ru.csv"), _labelled("questions_ru_heldout.csv")
    assert len(dev) + len(held) >= 150 and len(held) >= (len(dev) + len(held)) / 3 - 1
    assert not {r["text"] for r in dev} & {r["text"] for r in held}
    assert len(_labelled("questions_en.csv")) + len(_labelled("questions_en_heldout.csv")) >= 40
    # Whisper-style lines: no final mark, lower case
    assert sum(not r["text"].rstrip().endswith(("?", ".", "!")) for r in dev + held) >= 10
    assert sum(r["text"][:1].islower() for r in dev + held) >= 5


# (precision floor, recall floor) per class, a little under the measured values (see docs/report.md).
DEV_FLOORS = {  # measured on the development set the tables were tuned on
    (OPENNESS, OPEN): (0.95, 0.93), (OPENNESS, CLOSED): (0.93, 0.95),
    (LEVEL, REMEMBER): (0.9, 0.95), (LEVEL, UNDERSTAND): (0.95, 0.95), (LEVEL, APPLY): (0.95, 0.85),
    (LEVEL, ANALYSE): (0.9, 0.95), (LEVEL, EVALUATE): (0.9, 0.8), (LEVEL, CREATE): (0.9, 0.95),
}
HELD_OUT_FLOORS = {  # under what the frozen rules scored on the held-out set (the fixes after it only raised it)
    (OPENNESS, OPEN): (0.9, 0.93), (OPENNESS, CLOSED): (0.93, 0.9),
    (LEVEL, REMEMBER): (0.9, 0.9), (LEVEL, UNDERSTAND): (0.85, 0.85), (LEVEL, APPLY): (0.95, 0.95),
    (LEVEL, ANALYSE): (0.85, 0.85), (LEVEL, EVALUATE): (0.75, 0.75), (LEVEL, CREATE): (0.95, 0.95),
}


@pytest.mark.parametrize(("name", "floors"), [
    ("questions_ru.csv", DEV_FLOORS),
    ("questions_ru_heldout.csv", HELD_OUT_FLOORS),
])
def test_per_class_precision_and_recall_on_the_russian_sets(
    name: str, floors: dict[tuple[str, str], tuple[float, float]]
) -> None:
    scores, _ = _scores(name)
    low = {key: (scores[key], floor) for key, floor in floors.items()
           if scores[key][0] is None or scores[key][1] is None
           or scores[key][0] < floor[0] or scores[key][1] < floor[1]}
    assert not low, low


@pytest.mark.parametrize(("name", "floor"), [("questions_en.csv", 0.9), ("questions_en_heldout.csv", 0.85)])
def test_accuracy_on_the_english_sets(name: str, floor: float) -> None:
    _, acc = _scores(name)
    assert acc[OPENNESS] is not None and acc[OPENNESS] >= floor
    assert acc[LEVEL] is not None and acc[LEVEL] >= floor


# --- the Russian sample lesson (tools/make_sample_lesson.py) ---------------------------------------------

# My judgement of each teacher question of the script (docs/report.md lists them with the rules' answers).
SAMPLE_RU = {
    "Кто сегодня дежурный?": (CLOSED, REMEMBER),
    "Что обозначает имя существительное?": (CLOSED, REMEMBER),
    "На какие вопросы оно отвечает?": (CLOSED, REMEMBER),
    "Какого рода слово книга?": (CLOSED, REMEMBER),
    "Почему слово дедушка мужского рода?": (OPEN, ANALYSE),
    "А какого рода слово окно?": (CLOSED, REMEMBER),
    "Что нового вы узнали на уроке?": (OPEN, REMEMBER),
}
# How the bundled Whisper wrote some of them in the demo's report (docs/images/report-questions.png).
HEARD_RU = {"Что новое вы узнали на уроке?": (OPEN, REMEMBER), "Какого рода? Слово книга.": (CLOSED, REMEMBER),
            "Верно, а какого рода? Слово окно.": (CLOSED, REMEMBER)}


def test_the_russian_sample_lessons_questions() -> None:
    from tests.support.tools import load_tool

    tool = load_tool()
    asked = [re.split(r"(?<=[.!])\s+", line.text)[-1] for _, lines in tool.RUSSIAN_SECTIONS for line in lines
             if line.speaker == tool.T and line.text.rstrip().endswith("?")]
    assert asked == list(SAMPLE_RU)
    for text, judged in SAMPLE_RU.items():
        for variant in (text, text.lower().rstrip("?") + "."):  # as Whisper may write it
            kind = classify_question(variant)
            assert (kind.openness, kind.level) == judged, (variant, kind)
    for text, judged in HEARD_RU.items():
        kind = classify_question(text)
        assert (kind.openness, kind.level) == judged, (text, kind)
