"""Lesson metrics that need no labels: speech and silence, monologues, questions, wait time, pauses.

They come from the word timings of the transcripts alone, so a teacher gets them for any
processed lesson, before anyone has labelled a single segment. All times are lesson
times in seconds (a part's word times shifted by the part's true start in the film).

"Speech" is anyone's speech the recogniser heard, and a "monologue" is the longest stretch of
speech without a pause, whoever spoke. The speaker turns, where the voices were separated, only
end a questioning turn where another voice cuts in (:mod:`pedpatterns.prepare.questions`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from statistics import median
from typing import Any

from pedpatterns.errors import UserError
from pedpatterns.prepare.features import PAUSE_SECONDS
from pedpatterns.prepare.questions import questioning_turns
from pedpatterns.prepare.speakers import Turn, speaker_at
from pedpatterns.prepare.speech import Word
from pedpatterns.report.questionquality import QUESTION_KIND_METRICS, question_kind, question_kind_summary
from pedpatterns.report.waits import WAIT_METRICS, told_apart, wait_after, wait_summary

DEFAULT_PAUSE_SECONDS = PAUSE_SECONDS  # the same pause the segments' features count
# Wait time after a question of 3 s or more gives pupils time to think (M. B. Rowe, 1986).
GOOD_WAIT_SECONDS = 3.0
_HISTOGRAM_EDGES = (2.0, 3.0, 5.0, 10.0)

# Key → (Russian name, unit, what it means). The order is the order of the report's cards and CSV rows.
METRICS: dict[str, tuple[str, str, str]] = {
    "duration_s": ("Длительность", "с", "длительность всех обработанных частей урока"),
    "speech_share": ("Доля речи", "доля", "часть урока, в которой звучит речь (паузы короче порога считаются речью)"),
    "silence_share": ("Доля тишины", "доля", "часть урока без речи: паузы, тишина в начале и в конце"),
    "speech_s": ("Время речи", "с", "сколько секунд звучит речь"),
    "longest_monologue_s": (
        "Самый длинный монолог", "с", "самый длинный отрезок речи без паузы длиннее порога (кто бы ни говорил)"
    ),
    "longest_monologue_start_s": ("Начало самого длинного монолога", "время", "когда он начался, от начала урока"),
    "question_count": (
        "Вопросов", "шт", "фраз с вопросительным знаком или с вопросительным словом в начале (что, почему, какой…)"
    ),
    **WAIT_METRICS,
    "questions_with_good_wait": (
        "Вопросов с ожиданием ≥ 3 с", "шт", "после скольких вопросов ученикам дали подумать хотя бы 3 секунды"
    ),
    **QUESTION_KIND_METRICS,
    "word_count": ("Слов", "шт", "число распознанных слов"),
    "speech_rate_wpm": ("Темп речи", "слов/мин", "слов в минуту времени речи"),
    "pause_count": ("Пауз", "шт", "промежутков без речи между фразами не короче порога"),
    "longest_pause_s": ("Самая длинная пауза", "с", "самый длинный промежуток без речи между фразами"),
    "pause_median_s": ("Типичная пауза (медиана)", "с", "половина пауз короче этого значения"),
}


def read_transcript(path: Path) -> dict[str, Any]:
    """A part's transcript.json; a missing, broken or foreign one is a user error that names the file.

    Every reader after this one (metrics, speakers, the TextGrid and .eaf) takes the times
    as finite seconds and the words as text: a NaN or a string there would end in a
    traceback or a silently wrong report, so the shape is checked here, once.
    """
    try:
        # utf-8-sig: a transcript re-saved by Notepad starts with a BOM and is still the same transcript.
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UserError(
            f"Нет файла расшифровки «{path}». Обработайте эту часть заново (prepare_data.py)."
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"Файл расшифровки «{path}» повреждён ({exc}). Обработайте эту часть заново.") from None
    except RecursionError:
        raise UserError(f"Файл расшифровки «{path}» повреждён (слишком глубокая вложенность). "
                        "Обработайте эту часть заново.") from None
    if not isinstance(data, dict):
        raise UserError(f"Файл расшифровки «{path}» имеет неожиданный вид. Обработайте эту часть заново.")
    problem = transcript_problem(data)
    if problem:
        raise UserError(f"Файл расшифровки «{path}» повреждён: {problem}. Обработайте эту часть заново "
                        "(python prepare_data.py --part N --force).")
    return data


def _seconds(value: Any) -> bool:
    """A time in a transcript: a finite, non-negative number (JSON's true/false are not numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:40] + "…"


# List → (what one item is called, its text field, whether that text is required).
_ITEMS = {"words": ("у слова", "word", True), "segments": ("у фразы", "text", False),
          "turns": ("у реплики", "speaker", False)}


def transcript_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a transcript's shape, in Russian; None when every time and word is usable."""
    for key in ("duration", "part_start"):
        if data.get(key) is not None and not _seconds(data[key]):
            return f"«{key}» = {_shown(data[key])} — не число секунд"
    for key, (which, text_key, required) in _ITEMS.items():
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            return f"«{key}» — не список"
        for number, item in enumerate(items, 1):
            if not isinstance(item, dict):
                return f"{which} № {number} вместо записи {_shown(item)}"
            text = item.get(text_key)
            if not isinstance(text, str) and (required or text is not None):
                return f"{which} № {number} «{text_key}» = {_shown(text)} — не текст"
            for time_key in ("start", "end"):
                if not _seconds(item.get(time_key)):
                    return f"{which} № {number} «{time_key}» = {_shown(item.get(time_key))} — не число секунд"
            for extra in ("probability",):
                if item.get(extra) is not None and not _seconds(item[extra]):
                    return f"{which} № {number} «{extra}» = {_shown(item[extra])} — не число"
            if item.get("speaker") is not None and not isinstance(item["speaker"], str):
                return f"{which} № {number} «speaker» = {_shown(item['speaker'])} — не текст"
    return None


def _number(value: Any, default: float = 0.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def lesson_words(transcripts: Sequence[dict[str, Any]]) -> tuple[list[Word], float]:
    """Words of all parts on the lesson's axis, sorted, and the lesson's duration.

    A transcript without word timings (an engine that gives only phrases) falls back to
    its phrases, each as one "word": coarser, but the pauses between phrases stay right.
    """
    words: list[Word] = []
    end_of_lesson = 0.0
    cursor = 0.0
    for transcript in transcripts:
        offset = _number(transcript.get("part_start"), cursor)
        items = transcript.get("words") or transcript.get("segments") or []
        last = 0.0
        for item in items:
            text = str(item.get("word", item.get("text", ""))).strip()
            start, end = _number(item.get("start")), _number(item.get("end"))
            last = max(last, end)
            if text:
                probability = _number(item.get("probability"), 1.0)
                words.append(Word(offset + start, offset + max(start, end), text, probability))
        duration = _number(transcript.get("duration"), last)
        cursor = offset + duration
        end_of_lesson = max(end_of_lesson, cursor)
    words.sort(key=lambda w: (w.start, w.end))
    return words, end_of_lesson


def speech_intervals(words: Sequence[Word], pause_seconds: float) -> list[tuple[float, float]]:
    """Stretches of speech: words joined wherever the gap between them is shorter than a pause."""
    intervals: list[tuple[float, float]] = []
    for w in words:
        if intervals and w.start - intervals[-1][1] < pause_seconds:
            intervals[-1] = (intervals[-1][0], max(intervals[-1][1], w.end))
        else:
            intervals.append((w.start, w.end))
    return intervals


def _question_text(words: Sequence[Word], turn: range, limit: int = 25) -> str:
    """The questioning turn's words (its last ``limit`` words, after "… ", when it is longer)."""
    first = max(turn.start, turn.stop - limit)
    return ("… " if first > turn.start else "") + " ".join(w.word.strip() for w in words[first : turn.stop])


def pause_bins(pause_seconds: float) -> list[tuple[float, float]]:
    """Edges of the pause histogram: from the threshold up, the last bin open-ended."""
    edges = [pause_seconds, *(e for e in _HISTOGRAM_EDGES if e > pause_seconds), math.inf]
    return list(pairwise(edges))


def _bin_label(low: float, high: float) -> str:
    def fmt(x: float) -> str:
        return f"{x:g}"

    return f"≥ {fmt(low)} с" if math.isinf(high) else f"{fmt(low)}–{fmt(high)} с"


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def lesson_metrics(
    words: Sequence[Word], duration: float, pause_seconds: float = DEFAULT_PAUSE_SECONDS,
    turns: Sequence[tuple[float, float, str]] | None = None,
    apart: Sequence[tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """Every number of the report's lesson section, rounded once here so all outputs agree.

    Returns ``summary`` (the keys of :data:`METRICS`; ``None`` where a number does not
    exist, e.g. the wait after questions when there are none), and the lists the plots
    and tables show: ``speech``, ``pauses``, ``pause_histogram``, ``questions``.
    ``turns``: the speaker turns on the lesson's axis (:func:`pedpatterns.report.talk.lesson_turns`),
    ``None`` where the voices were not separated; ``apart``: the spans in which they were told apart
    (:func:`pedpatterns.report.talk.told_apart_spans`), ``None`` for the whole lesson. A question's wait
    is the silence after its questioning turn, as in the segment features
    (:mod:`pedpatterns.prepare.questions`), and who broke it (:mod:`pedpatterns.report.waits`).
    """
    if pause_seconds <= 0:
        raise UserError("Порог паузы (--pause-seconds) должен быть больше нуля.")
    words = sorted(words, key=lambda w: (w.start, w.end))
    duration = max(duration, words[-1].end if words else 0.0)
    speech = speech_intervals(words, pause_seconds)
    speech_s = sum(min(e, duration) - max(s, 0.0) for s, e in speech)
    pauses = [(a[1], b[0]) for a, b in pairwise(speech)]
    pause_lengths = [e - s for s, e in pauses]
    longest = max(speech, key=lambda iv: iv[1] - iv[0], default=None)

    said_by, known = None, None
    if turns is not None:
        known = [Turn(s, e, who) for s, e, who in turns]
        said_by = [speaker_at(known, w.start, w.end) for w in words]
    questions, measured = [], []
    for turn in questioning_turns(words, speakers=said_by):
        i = turn[-1]
        wait = wait_after(words, i, known, apart)
        measured.append(wait)
        asked_by = said_by[i] if said_by is not None and told_apart(apart, words[i].end) else None
        questions.append({
            "time": _round(words[i].end),
            "text": _question_text(words, turn),
            "wait_s": _round(wait.seconds),
            "broken_by": wait.broken_by,
            "asked_by": asked_by,
            **question_kind(" ".join(words[k].word.strip() for k in turn)),
        })
    waits = [q["wait_s"] for q in questions if q["wait_s"] is not None]

    summary = {
        "duration_s": _round(duration),
        "speech_share": _round(speech_s / duration, 3) if duration else 0.0,
        "silence_share": _round(1 - speech_s / duration, 3) if duration else 0.0,
        "speech_s": _round(speech_s),
        "longest_monologue_s": _round(longest[1] - longest[0]) if longest else 0.0,
        "longest_monologue_start_s": _round(longest[0]) if longest else None,
        "question_count": len(questions),
        **wait_summary(measured, separated=turns is not None and apart != []),
        "questions_with_good_wait": sum(w >= GOOD_WAIT_SECONDS for w in waits),
        **question_kind_summary(questions),
        "word_count": len(words),
        "speech_rate_wpm": _round(len(words) / speech_s * 60, 1) if speech_s > 0 else None,
        "pause_count": len(pauses),
        "longest_pause_s": _round(max(pause_lengths)) if pause_lengths else 0.0,
        "pause_median_s": _round(median(pause_lengths)) if pause_lengths else None,
    }
    histogram = [
        {"label": _bin_label(low, high), "from_s": low, "to_s": None if math.isinf(high) else high,
         "count": sum(low <= p < high for p in pause_lengths)}
        for low, high in pause_bins(pause_seconds)
    ]
    return {
        "summary": summary,
        "speech": [[_round(s), _round(e)] for s, e in speech],
        "pauses": [{"start": _round(s), "end": _round(e), "duration_s": _round(e - s)} for s, e in pauses],
        "pause_histogram": histogram,
        "questions": questions,
    }
