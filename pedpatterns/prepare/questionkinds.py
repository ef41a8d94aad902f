"""What a teacher's question asks for: open or closed, and which level of thinking (revised Bloom's taxonomy).

There is no open Russian model or permissively licensed Russian data set for this, so the answer comes from
transparent rules a methodologist can read and argue with: the cue tables below (:data:`CUES`), one per
language, are the whole of them. Each row is a set of cue words or phrases with what they say about the
question (open or closed, the level, or both) and the rule's name in Russian, shown to teachers next to
the answer. The interrogative words, the «ли» particle and the openers come from
:mod:`pedpatterns.prepare.questions` (the one question rule), not from copies.

Where the cue verbs come from: compiled for this project from the revised taxonomy's cognitive processes
and their verbs (Anderson & Krathwohl, *A Taxonomy for Learning, Teaching, and Assessing*, 2001, ch. 5),
and from the Russian verb lists that methodological texts give per level when they use the taxonomy to
plan lessons under the ФГОС (the lists of «глаголы действия» for «знание/запоминание, понимание,
применение, анализ, оценка, создание (синтез)», and the «ромашка Блума» of question types: простые,
уточняющие, объясняющие, творческие, оценочные, практические). No list is copied whole; words a lesson
uses in other senses (the noun «предложение», the verb «составляет», «согласная» next to «согласны»,
«объяснение» next to «объясните») are left out or given as full forms.

How a question is read (the order is the documented tie-break):

* Cue phrases are found in the question's words (lower case, «ё» as «е», punctuation off: Whisper's
  missing marks and capitals change nothing). A longer phrase takes its words first: «как называется»
  (a name: closed) is not also the bare «как» (a way or an explanation: open).
* **Openness**: open when any cue found says open («почему», «как вы думаете», «объясните», «сравните»,
  «придумайте», «как ещё»…: the pupil's own reasoning, many answers fit); otherwise closed, and the rule
  says why: a cue that says closed («назовите», «кто», «когда»…), a choice between named options
  («… или …»), the particle «ли» (yes or no), no interrogative word at all (yes or no: «Все готовы?»,
  «Is it red?»), or an interrogative word asking for one fact («какого рода…»).
* **Level**: the highest level any cue asks for wins (a question that asks to name *and* explain asks to
  explain). Opinion frames («как вы думаете», «по-вашему», «what do you think») say «evaluate» only when
  no other cue above remembering is found: «Как вы думаете, почему…» asks for a cause (analyse). With no
  cue at all the question asks to recall or confirm: remember.

Only Russian and English are covered. A text in another language or script is not guessed at: its
language, openness and level are ``None`` and the rule says so. Cyrillic text without the letters of
other Cyrillic alphabets is taken for Russian; Latin text is English only with plain ASCII letters and at
least one English word the rules know.
"""

from __future__ import annotations

from dataclasses import dataclass

from pedpatterns.labels.questions import (
    ANALYSE,
    APPLY,
    CLOSED,
    CREATE,
    EVALUATE,
    LEVELS,
    OPEN,
    REMEMBER,
    UNDERSTAND,
)
from pedpatterns.prepare.questions import (
    LEADING_WORDS,
    SECOND_WORD_PARTICLES,
    STRONG_INTERROGATIVES,
    WEAK_INTERROGATIVES,
    bare,
)

UNSUPPORTED = "язык не поддерживается правилами: они есть для русского и английского"
NO_WORDS = "в тексте нет слов"


@dataclass(frozen=True)
class QuestionKind:
    """The rules' answer for one question; ``None`` everywhere but ``rule`` where the rules do not cover it."""

    language: str | None  # "ru", "en", or None: not a language the rules cover
    openness: str | None  # labels.questions.OPEN or CLOSED
    level: str | None  # one of labels.questions.LEVELS
    rule: str  # the rule that decided, in Russian, for teachers


@dataclass(frozen=True)
class Cue:
    """One row of a cue table.

    ``phrases``: words separated by spaces; ``слово*`` matches any ending, ``…`` up to four words between,
    ``^`` in front: only where the question starts (after openers such as «а», «ну»): «когда», «where», «who»
    inside a question are mostly conjunctions («Что вы надеваете, когда идёт снег?»).
    ``openness`` / ``level``: what the row says (``None``: nothing). ``frame``: an opinion frame, whose level
    counts only when no other cue above remembering is found.
    """

    phrases: tuple[str, ...]
    openness: str | None
    level: str | None
    rule: str
    frame: bool = False


# --- the rules: one table per language --------------------------------------------------------------

CUES: dict[str, tuple[Cue, ...]] = {
    "ru": (
        # create — generating, planning, producing (A&K: generate, plan, produce; «творческие вопросы»)
        Cue(("придума*", "сочини*", "составь", "составьте", "составим", "составить", "предложи", "предложите",
             "предложим", "создайте", "создай", "создадим", "сконструир*", "спроектир*", "разработай*",
             "нарисуй*", "представь*", "что было бы", "что бы было", "что бы произошло", "что бы случилось",
             "что если", "а если бы", "бы вы", "бы ты", "по-другому", "по другому", "как еще",
             "как иначе", "что будет дальше", "что произойдет дальше", "чем закончится"),
            OPEN, CREATE, "«придумайте», «что было бы, если…» — создать своё"),
        # evaluate — checking, critiquing, judging (A&K: check, critique, judge; «оценочные вопросы»)
        Cue(("оцени*", "мнени*", "обоснуй*", "как вы относитесь", "как ты относишься"),
            OPEN, EVALUATE, "«оцените», «ваше мнение», «обоснуйте» — оценить"),
        Cue(("согласны", "согласен", "согласна", "соглашаетесь", "соглашаешься",
             "кто прав", "прав ли", "права ли", "правы ли", "правильно ли", "верно ли",
             "справедлив*", "лучш*", "хуже", "удобнее", "важнее", "интереснее", "полезнее", "правильнее",
             "стоит ли", "нравит*", "понравил*", "хорошо или плохо"),
            None, EVALUATE, "«согласны ли», «что лучше», «прав ли» — оценить"),
        # analyse — differentiating, organising, attributing (A&K; «почему», causes and proofs)
        Cue(("почему", "отчего", "зачем", "с какой целью", "в чем причин*", "причин*", "докаж*", "доказ*",
             "сравн*", "чем отлича*", "чем различа*", "чем похож*", "в чем разниц*",
             "в чем различ*", "в чем сходств*", "что общего", "что объединяет", "как связан*", "связь",
             "вывод*", "закономерн*", "в чем ошибк*", "ошибк*", "роль", "последстви*", "повлия*", "что помогло",
             "как изменил*"),
            OPEN, ANALYSE, "«почему», «сравните», «докажите» — причина, сравнение, доказательство"),
        Cue(("лишн*", "классифицир*", "сгруппир*", "распредели*", "раздели*"),
            CLOSED, ANALYSE, "«какое лишнее», «распределите по группам» — разобрать по признакам"),
        # apply — executing and implementing a procedure (A&K: execute, implement; «практические вопросы»)
        Cue(("реши", "решите", "решим", "решить", "примени*", "примен*", "используя", "используй*",
             "воспольз*", "вычисли*", "посчита*", "подсчита*", "найди", "найдите", "найдем", "определи",
             "определите", "определим", "подбери*", "разбери*", "вставь*", "вставьте", "расставь*", "подчеркни*",
             "образуй*", "преобразуй*", "заполни*"),
            CLOSED, APPLY, "«решите», «найдите», «примените» — выполнить действие по правилу"),
        Cue(("как решить", "как найти", "как определить", "как вычислить", "как посчитать", "как проверить",
             "каким способом", "каким образом", "приведи* пример*", "какие пример*",
             "что будет если", "что будет с", "что произойдет",
             "что случится", "как изменит*"),
            OPEN, APPLY, "«приведите пример», «как найти…», «что будет, если…» — применить знание"),
        # understand — interpreting, exemplifying, summarising, explaining (A&K; «объясняющие вопросы»)
        Cue(("объясни*", "поясни*", "своими словами", "в чем смысл", "расскаж*", "опиши*", "опишите",
             "перескаж*", "о чем", "главн* мысл*", "основн* мысл*", "главн* иде*", "основн* иде*",
             "как вы понимаете", "как ты понимаешь", "как понимать", "как вы поняли", "как ты понял*",
             "сформулируй*", "как образу*", "как устроен*", "как работает", "как происходит", "как",
             "вы видите", "ты видишь", "вы увидели", "ты увидел*", "заметил*", "замечаете", "настроени*"),
            OPEN, UNDERSTAND, "«объясните», «своими словами», «как…» — объяснить"),
        Cue(("что значит", "что означает", "смысл*", "переведи*", "переведите"),
            None, UNDERSTAND, "«что значит», «переведите» — понять смысл"),
        # opinion frames: open; the level is «оценка» only when nothing else above remembering is asked
        Cue(("как вы думаете", "как ты думаешь", "как думаете", "как думаешь", "как вы считаете",
             "как ты считаешь", "как считаете", "как считаешь", "что вы думаете", "что ты думаешь",
             "по-вашему", "по вашему", "по-твоему", "по твоему", "на ваш взгляд", "на твой взгляд"),
            OPEN, EVALUATE, "«как вы думаете», «по-вашему» — мнение ученика", frame=True),
        # open without a level of its own: more answers are invited
        Cue(("что еще", "какие еще", "какой еще", "где еще", "какие другие", "какие могут быть"),
            OPEN, None, "«что ещё», «какие ещё» — ответов может быть много"),
        # «Что нового (новое) вы узнали» — Whisper writes either — and «чему вы научились»: the lesson's reflection.
        Cue(("что вы знаете", "что ты знаешь", "что нов*", "что … узнал*", "чему … научил*", "что вы запомнили"),
            OPEN, REMEMBER, "«что вы знаете о…», «что нового узнали» — вспомнить всё, что знаешь"),
        # remember — recognising, recalling (A&K; «простые вопросы»)
        Cue(("^кто", "^когда", "^где", "^куда", "^откуда", "сколько", "чей", "чья", "чье", "чьи", "назови*",
             "назовите", "назвать", "вспомн*", "перечисли*", "как называ*", "как зовут", "как пишет*",
             "как переводит*", "как звучит", "как по-английски", "как по английски", "что такое",
             "в каком году", "какого числа", "определени*", "повтори*"),
            CLOSED, REMEMBER, "«кто», «когда», «назовите», «что такое» — вспомнить факт"),
    ),
    "en": (
        Cue(("invent*", "design*", "create", "make up", "imagine", "what would happen", "what if", "suggest",
             "propose", "compose", "come up with", "would you", "could you make", "make a plan",
             "think of a new", "another ending", "in a different way", "how else"),
            OPEN, CREATE, "«invent», «what would happen if…» — создать своё"),
        Cue(("judge", "assess", "evaluate", "opinion", "justify", "how do you feel"),
            OPEN, EVALUATE, "«evaluate», «your opinion», «justify» — оценить"),
        Cue(("do you agree", "agree", "better", "best", "worse", "worst", "should", "fair", "right or wrong",
             "is it right", "do you like", "like most", "worth"),
            None, EVALUATE, "«do you agree», «which is better» — оценить"),
        Cue(("why", "compare", "contrast", "differ*", "difference*", "in common", "similar*", "prove",
             "cause*", "reason*", "evidence", "conclu*", "classify", "sort", "relationship", "mistake*"),
            OPEN, ANALYSE, "«why», «compare», «prove» — причина, сравнение, доказательство"),
        Cue(("solve", "calculate", "work out", "find", "use", "apply", "using", "count"),
            CLOSED, APPLY, "«solve», «find», «calculate» — выполнить действие по правилу"),
        Cue(("example*", "how would you use", "how can we find", "how do we find", "how do you find",
             "how can you find", "what happens if", "what will happen", "predict"),
            OPEN, APPLY, "«give an example», «what happens if…» — применить знание"),
        Cue(("explain", "describe", "in your own words", "summari*", "main idea", "tell me about", "tell us",
             "retell", "paraphrase", "interpret*", "how"),
            OPEN, UNDERSTAND, "«explain», «in your own words», «how…» — объяснить"),
        Cue(("what does … mean", "what do … mean", "meaning", "translate"),
            None, UNDERSTAND, "«what does … mean», «translate» — понять смысл"),
        Cue(("what do you think", "do you think", "in your view", "what is your view"),
            OPEN, EVALUATE, "«what do you think» — мнение ученика", frame=True),
        Cue(("what else", "who else", "any other", "what other"),
            OPEN, None, "«what else» — ответов может быть много"),
        Cue(("what do you know", "what did you learn", "what have you learned", "what have you learnt"),
            OPEN, REMEMBER, "«what do you know about…» — вспомнить всё, что знаешь"),
        Cue(("^who", "^when", "^where", "^whose", "how many", "how much", "how old", "how do you spell",
             "how do you say", "how do we say", "name", "list", "recall", "remember", "what year", "define",
             "definition", "what is called", "what is it called", "repeat"),
            CLOSED, REMEMBER, "«who», «when», «name», «list» — вспомнить факт"),
    ),
}

# The structural rules of closed questions, in the order they are tried when no cue says open.
CHOICE_WORDS: dict[str, frozenset[str]] = {"ru": frozenset({"или", "либо"}), "en": frozenset({"or"})}
CHOICE_RULE = "«… или …?» — выбор между названными вариантами"
PARTICLE_RULE = "частица «ли» — ответ «да» или «нет»"
YES_NO_RULE = "нет вопросительного слова — ответ «да» или «нет»"
FACT_RULE = "вопросительное слово — один ответ-факт"
# Interrogative words questions.py leaves out because they open statements too often («который»), or
# rarely open a question Whisper left unmarked («каков»); in a sentence already taken for a question they ask
# for a fact like the rest.
MORE_INTERROGATIVES: dict[str, frozenset[str]] = {
    "ru": frozenset({"каков", "какова", "каково", "каковы", "который", "которая", "которое", "которые",
                     "которого", "которой", "которую", "которым", "котором", "которых"}),
    "en": frozenset(),
}
# English yes/no questions open with an auxiliary verb ("isn't" reads as "isn" once the apostrophe is off).
AUXILIARIES_EN = frozenset({
    "is", "are", "was", "were", "am", "do", "does", "did", "can", "could", "will", "would", "shall", "should",
    "have", "has", "had", "may", "might", "must", "isn", "aren", "wasn", "weren", "don", "doesn", "didn",
    "can't", "cannot", "couldn", "won", "wouldn", "shouldn", "haven", "hasn", "hadn", "mustn",
})
# Words that make Latin text English (with the interrogatives and the cue words): other languages in
# Latin letters share almost none of them.
ENGLISH_WORDS = frozenset({
    "the", "a", "an", "you", "we", "i", "it", "he", "she", "they", "this", "that", "these", "those", "your",
    "our", "my", "his", "her", "their", "there", "what", "not", "yes", "no", "ok", "okay", "please",
    "right", "all", "everyone", "class", "word", "is", "are", "of", "to", "in", "on", "and",
})
# Letters of Cyrillic alphabets other than Russian (Ukrainian, Belarusian, Serbian, Macedonian, Kazakh…).
OTHER_CYRILLIC = frozenset("іїєґўђјљњћџѓќѕәғқңөұүһ")


# --- reading a question -------------------------------------------------------------------------------

GAP = "…"
MAX_GAP_WORDS = 4


@dataclass(frozen=True)
class _Match:
    row: int
    positions: frozenset[int]


def classify_question(text: str) -> QuestionKind:
    """Open or closed, and the level of thinking, of one question sentence as Whisper wrote it."""
    language = detect_language(text)
    words = [b for w in text.split() if (b := bare(w))]
    if not words:
        return QuestionKind(None, None, None, NO_WORDS)
    if language is None:
        return QuestionKind(None, None, None, UNSUPPORTED)
    table = CUES[language]
    rows = {m.row for m in _matches(words, table, language)}
    found = [table[r] for r in sorted(rows)]

    opening = next((c for c in found if c.openness == OPEN), None)
    if opening is not None:
        openness, openness_rule = OPEN, opening.rule
    else:
        openness, openness_rule = CLOSED, _closed_rule(words, language, found)

    level_cue = _level_cue(found)
    if level_cue is None:  # no cue of any level: the question asks to recall or to confirm
        return QuestionKind(language, openness, REMEMBER, openness_rule)
    rules = [openness_rule] if openness_rule == level_cue.rule else [level_cue.rule, openness_rule]
    return QuestionKind(language, openness, level_cue.level, "; ".join(rules))


def detect_language(text: str) -> str | None:
    """"ru", "en", or ``None``: the script most of the letters are in, checked against the rules' languages."""
    letters = [ch for ch in text.lower() if ch.isalpha()]
    cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in letters)
    latin = sum("a" <= ch <= "z" for ch in letters)
    other = len(letters) - cyrillic - latin
    if not letters or other >= max(cyrillic, latin):
        return None
    if cyrillic > latin:
        return None if any(ch in OTHER_CYRILLIC for ch in letters) else "ru"
    if other:  # Latin letters with diacritics: French, German, Spanish…
        return None
    words = {bare(w) for w in text.split()}
    known = ENGLISH_WORDS | AUXILIARIES_EN | _interrogatives("en") | _cue_words("en")
    return "en" if words & known else None


def _interrogatives(language: str) -> frozenset[str]:
    return STRONG_INTERROGATIVES[language] | WEAK_INTERROGATIVES[language] | MORE_INTERROGATIVES[language]


def _cue_words(language: str) -> frozenset[str]:
    """The plain (not prefix) single words of a language's cue table."""
    return frozenset(p for cue in CUES[language] for p in cue.phrases if " " not in p and not p.endswith("*"))


def _closed_rule(words: list[str], language: str, found: list[Cue]) -> str:
    """Why a question no cue calls open is closed: the first structural rule that holds, else a closed cue."""
    if CHOICE_WORDS[language] & set(words[1:-1]):
        return CHOICE_RULE
    if SECOND_WORD_PARTICLES[language] & set(words):
        return PARTICLE_RULE
    if language == "en" and words[_first_word(words, language)] in AUXILIARIES_EN:
        return YES_NO_RULE
    closing = next((c for c in found if c.openness == CLOSED), None)
    if closing is not None:
        return closing.rule
    if _interrogatives(language) & set(words):
        return FACT_RULE
    return YES_NO_RULE


def _level_cue(found: list[Cue]) -> Cue | None:
    """The cue that decides the level: the highest level asked; a frame only above remembering alone."""
    leveled = [c for c in found if c.level is not None]
    plain = [c for c in leveled if not c.frame and c.level != REMEMBER]
    frames = [c for c in leveled if c.frame]
    for group in (plain, frames, leveled):
        if group:
            return max(group, key=lambda c: LEVELS.index(c.level or REMEMBER))
    return None


def _first_word(words: list[str], language: str) -> int:
    """Where the question starts: its first word after at most two openers («а», «ну», «so»)."""
    return next((i for i, w in enumerate(words[:2]) if w not in LEADING_WORDS[language]), min(2, len(words) - 1))


def _matches(words: list[str], table: tuple[Cue, ...], language: str) -> list[_Match]:
    """Every cue phrase found in ``words``; a longer phrase claims its words before a shorter one."""
    first = _first_word(words, language)
    candidates = [
        _Match(row, positions)
        for row, cue in enumerate(table)
        for phrase in cue.phrases
        for positions in _find(words, phrase.removeprefix("^").split())
        if not phrase.startswith("^") or min(positions) == first
    ]
    candidates.sort(key=lambda m: -len(m.positions))
    taken: set[int] = set()
    kept: list[_Match] = []
    for match in candidates:
        if match.positions & taken:
            continue
        kept.append(match)
        taken |= match.positions
    return kept


def _find(words: list[str], pattern: list[str]) -> list[frozenset[int]]:
    """The word positions of each place ``pattern`` occurs (``…`` words excluded)."""
    found = []
    for start in range(len(words)):
        positions = _match_at(words, pattern, start)
        if positions is not None:
            found.append(frozenset(positions))
    return found


def _match_at(words: list[str], pattern: list[str], at: int) -> list[int] | None:
    if not pattern:
        return []
    head, rest = pattern[0], pattern[1:]
    if head == GAP:
        for skip in range(MAX_GAP_WORDS + 1):
            tail = _match_at(words, rest, at + skip)
            if tail is not None:
                return tail
        return None
    if at >= len(words) or not _word_matches(words[at], head):
        return None
    tail = _match_at(words, rest, at + 1)
    return None if tail is None else [at, *tail]


def _word_matches(word: str, cue: str) -> bool:
    return word.startswith(cue[:-1]) if cue.endswith("*") else word == cue.replace("ё", "е")

