"""What research says about the report's numbers: one table of reference points, each with its sources.

A teacher reading «ожидание 1,2 с» needs to know what the studies found, not a grade: so a metric
gets a reference only where a study gives one that can be cited accurately, worded as guidance.
Two kinds of reference: a point research recommends («3 с и больше» after a question: Rowe), and what
research found to be usual in classrooms («около 2/3 речи — учителя»: Flanders), which describes, not
prescribes. Where research gives no range (the share of open questions), the table says so and gives
only the guidance and its source. The page shows the reference beside each card and lists the sources;
lesson_metrics.csv and who_talks.csv carry it in a column of their own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """One publication, cited as the page's «Источники» list shows it."""

    cite: str  # the short form beside a number: «Rowe 1986»
    authors: str
    year: int
    title: str
    published: str  # journal, volume (issue), pages; or place and publisher

    def full(self) -> str:
        return f"{self.authors} ({self.year}). {self.title}. {self.published}."


SOURCES: dict[str, Source] = {s.cite: s for s in (
    Source("Rowe 1974", "Rowe, M. B.", 1974,
           "Wait-time and rewards as instructional variables, their influence on language, logic, and fate "
           "control: Part one — Wait-time", "Journal of Research in Science Teaching, 11(2), 81–94"),
    Source("Rowe 1986", "Rowe, M. B.", 1986, "Wait time: Slowing down may be a way of speeding up!",
           "Journal of Teacher Education, 37(1), 43–50"),
    Source("Tobin 1987", "Tobin, K.", 1987, "The role of wait time in higher cognitive level learning",
           "Review of Educational Research, 57(1), 69–95"),
    Source("Flanders 1970", "Flanders, N. A.", 1970, "Analyzing Teaching Behavior",
           "Reading, MA: Addison-Wesley"),
    Source("Gall 1970", "Gall, M. D.", 1970, "The use of questions in teaching",
           "Review of Educational Research, 40(5), 707–721"),
    Source("Redfield & Rousseau 1981", "Redfield, D. L., & Rousseau, E. W.", 1981,
           "A meta-analysis of experimental research on teacher questioning behavior",
           "Review of Educational Research, 51(2), 237–245"),
    Source("Nystrand 1997", "Nystrand, M., with Gamoran, A., Kachur, R., & Prendergast, C.", 1997,
           "Opening Dialogue: Understanding the Dynamics of Language and Learning in the English Classroom",
           "New York: Teachers College Press"),
    Source("Cazden 2001", "Cazden, C. B.", 2001, "Classroom Discourse: The Language of Teaching and Learning "
           "(2nd ed.)", "Portsmouth, NH: Heinemann"),
    Source("Anderson & Krathwohl 2001", "Anderson, L. W., & Krathwohl, D. R. (Eds.)", 2001,
           "A Taxonomy for Learning, Teaching, and Assessing: A Revision of Bloom's Taxonomy of Educational "
           "Objectives", "New York: Longman"),
)}

RECOMMENDED = "Ориентир"  # a point research recommends
USUAL = "Обычно в классах"  # what research found usual: a description, not a norm
NO_RANGE = "Диапазона нет"  # research gives guidance but no number


@dataclass(frozen=True)
class Reference:
    """A metric's reference point: its kind, the range as shown, the guidance and the sources behind it."""

    kind: str  # RECOMMENDED, USUAL or NO_RANGE
    shown: str  # «3 с и больше», «около 2/3»; "" for NO_RANGE
    guidance: str
    sources: tuple[str, ...]

    def short(self) -> str:
        """«Ориентир: 3 с и больше (Rowe 1974; Rowe 1986)», as a card and a CSV cell show it."""
        head = f"{self.kind}: {self.shown}" if self.shown else self.kind
        return f"{head} ({'; '.join(self.sources)})"


_WAIT = Reference(
    RECOMMENDED, "3 с и больше",
    "Когда после вопроса учитель молчит 3 секунды и дольше, ученики отвечают развёрнутее и увереннее, реже "
    "молчат в ответ, чаще отвечают те, кого учитель считал слабыми; без особого внимания к этому учителя ждут "
    "около секунды (Rowe 1974, 1986). По обзору исследований, ожидание дольше 3 секунд связано с лучшим "
    "усвоением там, где нужно рассуждать (Tobin 1987).",
    ("Rowe 1974", "Rowe 1986", "Tobin 1987"),
)

# Metric key (of lessonmetrics.METRICS or talk.TALK_METRICS) → its reference point.
REFERENCES: dict[str, Reference] = {
    "wait_after_question_mean_s": _WAIT,
    "wait_after_question_median_s": _WAIT,
    "wait_before_pupil_median_s": _WAIT,
    "wait_before_teacher_median_s": _WAIT,
    "teacher_talk_share": Reference(
        USUAL, "около 2/3",
        "По наблюдениям Фландерса, в типичном классе около двух третей урока кто-то говорит, и около двух "
        "третей этой речи — речь учителя («правило двух третей»). Это описание обычного урока, а не норма: "
        "чем больше доля учителя, тем меньше времени говорить остаётся ученикам.",
        ("Flanders 1970",),
    ),
    "open_question_share": Reference(
        NO_RANGE, "",
        "Числа, к которому стоит стремиться, исследования не дают. Открытые («подлинные», без заранее известного "
        "ответа) вопросы на уроках редки; в исследовании Нистранда такие вопросы и обсуждение ответов учеников "
        "были связаны с более глубоким пониманием материала. Закрытые вопросы тоже нужны: цепочка «вопрос — "
        "ответ — оценка» — самый частый ход урока, удобный для проверки знаний (Cazden 2001).",
        ("Nystrand 1997", "Cazden 2001"),
    ),
    "higher_order_share": Reference(
        USUAL, "около 1/5",
        "В обзоре Голла около 60 % вопросов учителей требовали вспомнить факты, около 20 % — подумать, "
        "остальные были организационными; мета-анализ экспериментов нашёл, что преобладание вопросов высокого "
        "уровня связано с более высокими успехами учеников (Redfield & Rousseau 1981). Уровни здесь — по "
        "таксономии Блума в редакции Андерсона и Кратволя; «подумать» у Голла с ними совпадает не точно, "
        "поэтому сравнивайте с осторожностью.",
        ("Gall 1970", "Redfield & Rousseau 1981", "Anderson & Krathwohl 2001"),
    ),
}


def reference_text(key: str) -> str:
    """A metric's reference as one line (a CSV cell, a card); "" where there is none."""
    reference = REFERENCES.get(key)
    return reference.short() if reference else ""


def cited(keys: list[str] | tuple[str, ...]) -> list[Source]:
    """The sources the references of ``keys`` cite, each once, by author and year."""
    names = dict.fromkeys(s for k in keys if k in REFERENCES for s in REFERENCES[k].sources)
    return sorted((SOURCES[n] for n in names), key=lambda s: (s.authors, s.year))
