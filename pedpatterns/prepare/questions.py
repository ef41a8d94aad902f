"""Which recognised words end a question: the one rule of the segment features and the lesson report.

Whisper usually ends a question with "?", but it drops the mark on a short or flatly spoken question and
writes "." or nothing instead (the bundled base did so for several of the teacher's questions in the
Russian sample lesson). A sentence is therefore a question when it ends with "?", or when it opens with
an interrogative word (after a leading "а", "ну", "на"…) and does not end with "!". Words that also open
statements ("как видите, …", "когда идёт дождь, …", "what we need, …") count only in a sentence without a
comma after them; "почему", "сколько", "какой"… count with one too, and also when they open a clause after a
comma ("Молодцы, какого рода слово книга" — Whisper runs a question on after a remark); "ли" as the
second word makes a question ("понятно ли вам"). A sentence ends at ".", "!", "?", "…" or at a silence
of :data:`SENTENCE_GAP_SECONDS`, because where Whisper drops the mark the teacher's wait is still there.

Where the wait after a question starts (the wait time of the report and of the segment features). The wait is
Rowe's wait time I: the silence after the teacher's question ends until the next utterance. The question ends
where the teacher's questioning turn ends, not at a mark inside it: a question sentence that its speaker goes
straight on from, in the same breath (the next word starts less than :data:`TURN_GAP_SECONDS` after, and, where
the voices were separated, is the same speaker's), is one questioning turn with what follows, up to the next
pause or change of speaker. So the wait does not depend on where Whisper puts the marks in one spoken question:
the teacher's «Какого рода слово книга?» read as «Какого рода? Слово книга.» (as the bundled base does on some
processors) is one question whose wait is the silence after «книга», not the 0.1 s between «рода?» and «Слово»;
a question the teacher completes or rephrases without stopping («Какого рода? Слово окно.», «Кто дежурный? Кто
сегодня дежурный?») is one question with one wait, after its last word. A teacher who stops, even briefly, and
then goes on speaking did not wait longer than that stop, and a pupil who answers at once is another speaker:
both end the wait as before. Where the voices were not separated, a pupil who cuts in within
:data:`TURN_GAP_SECONDS` cannot be told from the teacher going on; the gap is kept short for that reason (words
of one spoken sentence follow each other with no gap at all in Whisper's timings; a breath between two sentences
is longer).

The word lists of every language live here and nowhere else; they are matched all at once (a transcript's
words are Cyrillic or Latin, so the lists cannot collide), so a lesson that mixes languages is read right.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pedpatterns.prepare.speech import Word

# A silence this long ends a sentence even without a mark: the segment features' pause.
SENTENCE_GAP_SECONDS = 1.0
# Words of one speaker closer than this are said in one breath: a sentence mark Whisper puts between them does not
# end the teacher's questioning turn (the bundled base split «Какого рода слово книга?» with 0.10-0.14 s between
# «рода?» and «Слово»; the teacher's own breaths between sentences in the same lesson were 0.35 s and longer).
TURN_GAP_SECONDS = 0.3

# Interrogative words that open a question even when a comma follows ("почему, как ты думаешь?").
STRONG_INTERROGATIVES: dict[str, frozenset[str]] = {
    "ru": frozenset({
        "почему", "зачем", "отчего", "сколько", "разве", "неужели", "неужто",
        "какой", "какая", "какое", "какие", "какого", "какому", "каким", "каком", "какую", "каких", "какими",
        "чей", "чья", "чье", "чьи", "чьего", "чьей", "чьих",
    }),
    "en": frozenset({"why", "whose", "which"}),
}
# Interrogative words that also open statements with a subordinate clause: a question only without a comma.
WEAK_INTERROGATIVES: dict[str, frozenset[str]] = {
    "ru": frozenset({
        "что", "чего", "чему", "чем", "кто", "кого", "кому", "кем", "ком",
        "где", "куда", "откуда", "когда", "как",
    }),
    "en": frozenset({"what", "who", "whom", "where", "when", "how"}),
}
# "понятно ли?", "знаете ли вы…": the particle as the sentence's second word.
SECOND_WORD_PARTICLES: dict[str, frozenset[str]] = {"ru": frozenset({"ли", "ль"}), "en": frozenset()}
# Openers and prepositions skipped before looking for the interrogative word ("а почему?", "на какие вопросы…",
# "so, what is it", "in which year").
LEADING_WORDS: dict[str, frozenset[str]] = {
    "ru": frozenset({"а", "и", "но", "ну", "так", "итак", "ой",
                     "в", "во", "на", "о", "об", "обо", "с", "со", "к", "ко", "по", "за", "для", "от", "из", "у", "до",
                     "про", "при", "над", "под", "через"}),
    "en": frozenset({"and", "so", "but", "well", "now", "ok", "okay", "then",
                     "in", "on", "at", "for", "from", "with", "to", "of", "by", "about"}),
}


def _union(table: dict[str, frozenset[str]]) -> frozenset[str]:
    return frozenset().union(*table.values())


_STRONG, _WEAK = _union(STRONG_INTERROGATIVES), _union(WEAK_INTERROGATIVES)
_PARTICLES, _LEADING = _union(SECOND_WORD_PARTICLES), _union(LEADING_WORDS)
_CLOSING = "\"'»”)]} \t\n"
_ENDS_SENTENCE = (".", "!", "?", "？", "…")
_LETTERS = re.compile(r"[\w-]+")


def ends_with_question_mark(text: str) -> bool:
    """The word's last mark, closing quotes aside, is a question mark."""
    return text.rstrip(_CLOSING).endswith(("?", "？"))


def bare(word: str) -> str:
    """The word without punctuation, lower case, ё as е: how it is looked up in the lists."""
    found = _LETTERS.search(word.lower().replace("ё", "е"))
    return found.group(0).strip("-") if found else ""


def sentences(words: Sequence[Word], gap_seconds: float = SENTENCE_GAP_SECONDS) -> list[range]:
    """Index ranges of the sentences: up to a word ending in . ! ? … or before a silence of ``gap_seconds``."""
    spans, first = [], 0
    for i, w in enumerate(words):
        last = i + 1 == len(words)
        if last or w.word.rstrip(_CLOSING).endswith(_ENDS_SENTENCE) or words[i + 1].start - w.end >= gap_seconds:
            spans.append(range(first, i + 1))
            first = i + 1
    return spans


def is_question(texts: Sequence[str]) -> bool:
    """Whether the words of one sentence, as Whisper wrote them (with punctuation), ask a question."""
    if not texts:
        return False
    end = texts[-1].rstrip(_CLOSING)
    if end.endswith(("?", "？")):
        return True
    if end.endswith(("!", "！")):
        return False
    plain = [bare(t) for t in texts]
    start = _skip_leading(plain, 0)
    opener = plain[start]
    if opener in _STRONG or (len(plain) > start + 1 and plain[start + 1] in _PARTICLES):
        return True
    if opener in _WEAK:
        return not any("," in t for t in texts[start:-1])
    # Whisper runs a question on after a remark ("Молодцы, какого рода слово книга", "Верно, а какого рода,
    # слово окно"): a clause after a comma that opens with a strong interrogative counts.
    commas = [i for i, t in enumerate(texts[:-1]) if "," in t]
    return any(plain[_skip_leading(plain, c + 1)] in _STRONG for c in commas)


def _skip_leading(plain: Sequence[str], start: int) -> int:
    """Index of the first word from ``start`` that is not an opener such as "а", "ну" (at most two skipped)."""
    first = start
    while first < min(start + 2, len(plain) - 1) and plain[first] in _LEADING:
        first += 1
    return first


def questioning_turns(
    words: Sequence[Word], gap_seconds: float = SENTENCE_GAP_SECONDS,
    speakers: Sequence[str | None] | None = None,
) -> list[range]:
    """Index ranges of the questioning turns: a question sentence and the sentences said with it in one breath.

    ``speakers``, where the voices were separated: each word's speaker (``None`` where unknown); a change of
    speaker ends the turn however short the gap. See the module's docstring for why the wait starts at a turn's
    last word.
    """
    turns: list[range] = []
    for span in sentences(words, gap_seconds):
        if turns and turns[-1].stop == span.start and _same_breath(words, speakers, span.start - 1, span.start):
            turns[-1] = range(turns[-1].start, span.stop)
        elif is_question([words[i].word for i in span]):
            turns.append(span)
    return turns


def _same_breath(words: Sequence[Word], speakers: Sequence[str | None] | None, before: int, after: int) -> bool:
    """Whether word ``after`` goes straight on from word ``before``: no breath between them, the same speaker."""
    if words[after].start - words[before].end >= TURN_GAP_SECONDS:
        return False
    if speakers is None or speakers[before] is None or speakers[after] is None:
        return True
    return speakers[before] == speakers[after]


def question_ends(
    words: Sequence[Word], gap_seconds: float = SENTENCE_GAP_SECONDS, speakers: Sequence[str | None] | None = None
) -> list[bool]:
    """For each word: whether it ends a questioning turn (where the wait after the question starts)."""
    flags = [False] * len(words)
    for turn in questioning_turns(words, gap_seconds, speakers):
        flags[turn[-1]] = True
    return flags
