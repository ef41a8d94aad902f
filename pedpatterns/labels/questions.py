"""The kinds of a teacher's question: the class names the rules, the labelling interface and the reports share.

A question is open or closed, and asks for one level of thinking of the revised Bloom's taxonomy
(Anderson & Krathwohl 2001): remember, understand, apply, analyse, evaluate, create. The rule tier
(:mod:`pedpatterns.prepare.questionkinds`) answers with the English ids; the Label Studio interface
(:mod:`pedpatterns.labelstudio.config`) shows the Russian names and exports the ids (each ``Choice``'s
``alias``), so the experts' labels and the rules' answers compare without translation. The names live
here, below both, because the layers contract lets both import this room and neither import the other.
"""

from __future__ import annotations

OPEN = "open"
CLOSED = "closed"
# Open: the answer is the pupil's own reasoning, many answers fit; closed: yes/no, a choice between the named
# options, or one fact.
OPENNESS_NAMES: dict[str, str] = {OPEN: "Открытый", CLOSED: "Закрытый"}

REMEMBER, UNDERSTAND, APPLY = "remember", "understand", "apply"
ANALYSE, EVALUATE, CREATE = "analyse", "evaluate", "create"
# The taxonomy's order, lowest level first: the rules use it to break ties (the highest level asked wins).
LEVELS: tuple[str, ...] = (REMEMBER, UNDERSTAND, APPLY, ANALYSE, EVALUATE, CREATE)
LEVEL_NAMES: dict[str, str] = {
    REMEMBER: "Запоминание",
    UNDERSTAND: "Понимание",
    APPLY: "Применение",
    ANALYSE: "Анализ",
    EVALUATE: "Оценка",
    CREATE: "Создание",
}

# The tags of the optional question labelling (``label_config_xml(..., question_labels=True)``): the expert
# marks a question in the transcript (``QUESTION_TAG``, one label) and picks its openness and level for that
# region. The export names its results after them, like :mod:`pedpatterns.labels.tags`.
QUESTION_TAG = "question"
QUESTION_LABEL = "Вопрос"
OPENNESS_TAG = "question_openness"
LEVEL_TAG = "question_level"
