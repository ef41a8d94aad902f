"""Wait time after a question as research measures it, and who broke the silence.

Rowe's wait time I (Rowe 1974, 1986) runs from the end of the teacher's question to the next
speech, and what it tells depends on who speaks then: a pupil answering, the teacher going on
(re-asking, answering the question herself), or nobody. Where the question ends is decided once
for the report and the segment features (:mod:`pedpatterns.prepare.questions`: at the end of the
teacher's questioning turn); here each question gets its wait and the one who broke the silence:

* ``pupil`` — the next speech is a pupil's (pupils speaking together count as pupils);
* ``teacher`` — the next speech is the teacher's own;
* ``nobody`` — nobody spoke within :data:`NO_ANSWER_SECONDS`, or the recording ended first;
* ``unknown`` — somebody spoke, but the voices of that part were not told apart (no engine, or
  one voice only: a pupil's one-word answer is shorter than the 1.5-s window a voice is recognised
  in, so a part in which only one voice was found cannot say the answer was not a pupil's).

The next speech is the next word the recogniser heard; its speaker comes from the speaker turns.
The turns' own starts are not used as the moment speech resumes: they come from a loudness mask in
which a chair, a cough or a door is speech too (any sound from a quarter of a second), while the
recognised words are speech; the segment features measure the wait the same way, so the report's
waits and the features' agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from pedpatterns.prepare.speakers import Turn, speaker_at
from pedpatterns.prepare.speech import Word
from pedpatterns.words import GROUP, PUPIL, TEACHER

# A silence this long after a question is no longer the class thinking about its answer: the wait-time
# studies trained teachers to wait 3-5 s (Rowe 1986; Tobin 1987), and a silence of twice the longest of those
# is written work, reading or a question left behind. Such a question counts as unanswered, and its silence
# is left out of the mean and median wait (one minute of written work would otherwise outweigh every real wait).
NO_ANSWER_SECONDS = 10.0

BY_PUPIL, BY_TEACHER, BY_NOBODY, BY_UNKNOWN = "pupil", "teacher", "nobody", "unknown"
# Who broke the silence → its Russian name on the page.
BROKEN_BY_NAMES = {BY_PUPIL: "ученик", BY_TEACHER: "учитель", BY_NOBODY: "никто",
                   BY_UNKNOWN: "неизвестно (голоса не различались)"}
_ROLE = {PUPIL: BY_PUPIL, GROUP: BY_PUPIL, TEACHER: BY_TEACHER}


@dataclass(frozen=True)
class Wait:
    """The silence after one question: seconds (None when the recording ended first) and who broke it."""

    seconds: float | None
    broken_by: str


def told_apart(spans: Sequence[tuple[float, float]] | None, time: float) -> bool:
    """Whether the voices were told apart at ``time``: inside one of ``spans`` (all the lesson when None)."""
    return spans is None or any(start <= time <= end for start, end in spans)


def wait_after(
    words: Sequence[Word], index: int, turns: Sequence[Turn] | None,
    apart: Sequence[tuple[float, float]] | None = None,
) -> Wait:
    """The wait after the question ending at word ``index`` and who broke it.

    ``turns``: the speaker turns on the words' axis, ``None`` where the voices were not separated;
    ``apart``: the spans in which they were told apart (two voices or more), ``None`` for all of them.
    """
    end = words[index].end
    if index + 1 >= len(words):
        return Wait(None, BY_NOBODY)
    following = words[index + 1]
    seconds = max(0.0, following.start - end)
    if seconds > NO_ANSWER_SECONDS:
        return Wait(seconds, BY_NOBODY)
    if turns is None or not told_apart(apart, following.start):
        return Wait(seconds, BY_UNKNOWN)
    who = speaker_at(turns, following.start, following.end)
    return Wait(seconds, _ROLE.get(who or "", BY_UNKNOWN))


def _median(values: Sequence[float]) -> float | None:
    return round(median(values), 2) if values else None


def wait_summary(waits: Sequence[Wait], separated: bool) -> dict[str, float | int | None]:
    """The lesson's numbers about waits and who broke the silence (keys of :data:`WAIT_METRICS`).

    The counts of pupils and the teacher are ``None`` where no part's voices were separated: zero
    would say nobody answered, when it is only unknown.
    """
    answered = [w.seconds for w in waits if w.seconds is not None and w.broken_by != BY_NOBODY]
    by = {who: [w.seconds for w in waits if w.broken_by == who and w.seconds is not None]
          for who in (BY_PUPIL, BY_TEACHER)}
    return {
        "wait_after_question_mean_s": round(sum(answered) / len(answered), 2) if answered else None,
        "wait_after_question_median_s": _median(answered),
        "questions_answered_by_pupils": sum(w.broken_by == BY_PUPIL for w in waits) if separated else None,
        "questions_teacher_went_on": sum(w.broken_by == BY_TEACHER for w in waits) if separated else None,
        "questions_unanswered": sum(w.broken_by == BY_NOBODY for w in waits),
        "questions_speaker_unknown": sum(w.broken_by == BY_UNKNOWN for w in waits),
        "wait_before_pupil_median_s": _median(by[BY_PUPIL]) if separated else None,
        "wait_before_teacher_median_s": _median(by[BY_TEACHER]) if separated else None,
    }


# Key → (Russian name, unit, what it means): rows of lesson_metrics.csv, placed after the question count.
WAIT_METRICS: dict[str, tuple[str, str, str]] = {
    "wait_after_question_mean_s": (
        "Ожидание после вопроса, среднее", "с",
        "сколько секунд в среднем проходит от конца вопроса до следующей речи (вопросы, после которых "
        f"никто не заговорил за {NO_ANSWER_SECONDS:g} с, не входят: они посчитаны отдельно)",
    ),
    "wait_after_question_median_s": ("Ожидание после вопроса, медиана", "с", "типичное ожидание после вопроса"),
    "questions_answered_by_pupils": (
        "Вопросов, после которых первым заговорил ученик", "шт",
        "после скольких вопросов тишину нарушил ученик (пусто — голоса не различались)",
    ),
    "questions_teacher_went_on": (
        "Вопросов, после которых учитель заговорил сам", "шт",
        "после скольких вопросов тишину нарушил сам учитель: повторил, подсказал или ответил "
        "(пусто — голоса не различались)",
    ),
    "questions_unanswered": (
        "Вопросов, после которых все молчали", "шт",
        f"после скольких вопросов никто не заговорил за {NO_ANSWER_SECONDS:g} с или запись кончилась",
    ),
    "questions_speaker_unknown": (
        "Вопросов, где неизвестно, кто заговорил", "шт",
        "после скольких вопросов кто-то заговорил, но голоса в этой части урока не различались",
    ),
    "wait_before_pupil_median_s": (
        "Ожидание перед ответом ученика, медиана", "с",
        "сколько секунд обычно проходит от конца вопроса до ответа ученика",
    ),
    "wait_before_teacher_median_s": (
        "Ожидание перед тем, как учитель заговорил сам, медиана", "с",
        "сколько секунд учитель обычно ждёт, прежде чем заговорить снова, если ученики молчат",
    ),
}
