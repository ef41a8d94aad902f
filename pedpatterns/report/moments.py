"""Moments worth watching: a short list per lesson, each at the exact second of the lesson to play.

A methodologist reviewing a lesson has no time to watch 45 minutes; the numbers of the report say
*that* the wait after questions is short, a few moments say *where* to look: the longest pupil
answer, the open questions with the longest and the shortest wait, the teacher's longest
monologue, and each pattern's most confident segment.

Chosen here from the report dictionary alone (pure: no files), so the page, the JSON and the
tests see the same list. Where a kind of moment cannot exist (no questions, no speech, one voice,
no model), ``missing`` says why in Russian instead. The media links (the part film, the segment's
clip) are added by the report's builder, which knows the folders.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pedpatterns.layout import split_part_stem
from pedpatterns.report.page import duration_text
from pedpatterns.report.waits import BROKEN_BY_NAMES, BY_NOBODY, BY_PUPIL, BY_TEACHER
from pedpatterns.words import LINE_NAMES, TEACHER, clock

# A question is played from this many seconds before its end when its start is not known: its words are heard.
QUESTION_LEAD_S = 5.0

TITLES = {
    "longest_pupil_answer": "Самый длинный ответ ученика",
    "longest_wait": "Вопрос с самым долгим ожиданием ответа",
    "shortest_wait": "Вопрос с самым коротким ожиданием ответа",
    "longest_monologue": "Самый длинный монолог учителя",
    "pattern": "Паттерн «{pattern}»: самый уверенный сегмент",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _quoted(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return f"«{text if len(text) <= limit else text[: limit - 1] + '…'}»"


def find_segment(rows: Sequence[Mapping[str, Any]], time: float) -> Mapping[str, Any] | None:
    """The segment row holding a lesson time (the last one starting before it; the first one before all)."""
    holding = [r for r in rows if _number(r.get("lesson_start")) is not None and r["lesson_start"] <= time + 1e-6]
    if holding:
        return max(holding, key=lambda r: r["lesson_start"])
    return min(rows, key=lambda r: r.get("lesson_start") or 0.0, default=None)


def find_part(parts: Sequence[str], part_starts: Mapping[str, float], time: float) -> str | None:
    """The part whose film holds a lesson time: the last one starting at or before it."""
    known = [(float(part_starts[p]), p) for p in parts if _number(part_starts.get(p)) is not None]
    before = [item for item in known if item[0] <= time + 1e-6]
    if before:
        return max(before)[1]
    return min(known)[1] if known else (parts[0] if parts else None)


def _moment(report: Mapping[str, Any], part_starts: Mapping[str, float], kind: str, time: float, why: str,
            *, title: str | None = None, length: float | None = None, text: str = "",
            anchor: float | None = None) -> dict[str, Any]:
    """One moment played from ``time``, in the part that holds ``anchor`` (the moment itself; ``time`` by default).

    A question is played from a few seconds before its end, but never from the part before
    its own: that film would end before the question is heard.
    """
    rows = report.get("segments") or []
    anchor = max(0.0, time if anchor is None else anchor)
    part = find_part(report.get("parts") or [], part_starts, anchor)
    start = float(part_starts.get(part, 0.0)) if part is not None else 0.0
    time = max(0.0, time, start if part in part_starts else 0.0)
    segment = find_segment([r for r in rows if r.get("part") == part] or rows, time)
    part = part or (segment or {}).get("part")
    return {
        "kind": kind,
        "title": title or TITLES[kind],
        "time": round(time, 2),
        "part": part,
        "part_number": (split_part_stem(part) or (None, None))[1] if part else None,
        "part_time": round(max(0.0, time - start), 2),
        "length_s": None if length is None else round(length, 2),
        "text": text,
        "why": why,
        "segment": None if segment is None else segment.get("segment"),
        "keyframe": None if segment is None else segment.get("keyframe"),
        "audio": None if segment is None else segment.get("audio"),
        "audio_time": None if segment is None else round(max(0.0, time - float(segment["lesson_start"])), 2),
    }


def _turns(report: Mapping[str, Any]) -> list[tuple[float, float, str]]:
    turns = []
    for turn in (report.get("talk") or {}).get("turns") or []:
        if isinstance(turn, Sequence) and len(turn) == 3:
            start, end = _number(turn[0]), _number(turn[1])
            if start is not None and end is not None and end > start:
                turns.append((start, end, str(turn[2])))
    return sorted(turns)


def _pupil_answer(report: Mapping[str, Any], starts: Mapping[str, float], missing: list[str]) -> list[dict[str, Any]]:
    if not (report.get("talk") or {}).get("separated"):
        missing.append("Самый длинный ответ ученика не выбран: голоса учителя и учеников в этом уроке "
                       "не различались (см. блок «Кто говорит»).")
        return []
    pupils = [t for t in _turns(report) if t[2] != TEACHER]
    if not pupils:
        missing.append("Самый длинный ответ ученика не выбран: ученики не говорили (слышен только голос учителя).")
        return []
    start, end, who = max(pupils, key=lambda t: (t[1] - t[0], -t[0]))
    return [_moment(report, starts, "longest_pupil_answer", start,
                    f"{LINE_NAMES.get(who, 'Ученик')} говорит {duration_text(end - start)} без перерыва — "
                    "дольше всех реплик учеников на уроке.", length=end - start)]


def _question_moments(report: Mapping[str, Any], starts: Mapping[str, float], missing: list[str]
                      ) -> list[dict[str, Any]]:
    questions = [q for q in report.get("questions") or [] if isinstance(q, Mapping)]
    if not questions:
        missing.append("Вопросов с ожиданием нет: в расшифровке урока нет ни одного вопроса.")
        return []
    kinds_known = any("openness" in q for q in questions)
    if kinds_known:
        pool = [q for q in questions if q.get("openness") == "open"]
        which = "открытый вопрос"
        if not pool:
            missing.append("Вопросов с ожиданием нет: открытых вопросов на уроке не найдено "
                           f"(вопросов всего: {len(questions)}).")
            return []
    else:
        pool, which = questions, "вопрос"
    # A silence nobody broke (written work, a question left behind) is no wait for an answer, as in the mean wait;
    # a pupil's own question is not the teacher's wait.
    timed = [q for q in pool if _number(q.get("wait_s")) is not None and _number(q.get("time")) is not None
             and q.get("broken_by") != BY_NOBODY and q.get("asked_by") in (None, TEACHER)]
    if not timed:
        missing.append("Вопросов с ожиданием нет: после вопросов учителя ответа не было "
                       "(или урок на них заканчивается), ожидание не измерить.")
        return []
    chosen = [("longest_wait", max(timed, key=lambda q: (q["wait_s"], -q["time"])))]
    shortest = min(timed, key=lambda q: (q["wait_s"], q["time"]))
    if shortest is not chosen[0][1]:
        chosen.append(("shortest_wait", shortest))
    else:
        missing.append(f"Вопрос с самым коротким ожиданием не выбран: {which} с измеренным ожиданием на уроке один.")
    out = []
    for kind, q in chosen:
        begin = _number(q.get("start"))
        play = begin if begin is not None else q["time"] - QUESTION_LEAD_S
        extreme = "самое долгое" if kind == "longest_wait" else "самое короткое"
        why = (f"{which.capitalize()} в {clock(q['time'])}: после него {extreme} ожидание на уроке — "
               f"{duration_text(q['wait_s'])}.")
        if q.get("broken_by") in (BY_PUPIL, BY_TEACHER):
            why += f" Тишину прервал {BROKEN_BY_NAMES[q['broken_by']]}."
        out.append(_moment(report, starts, kind, play, why, length=q["wait_s"], text=str(q.get("text") or ""),
                           anchor=q["time"]))
    if not kinds_known:
        missing.append("Открытые и закрытые вопросы не различались: вопросы с ожиданием выбраны из всех вопросов.")
    return out


def _monologue(report: Mapping[str, Any], starts: Mapping[str, float], missing: list[str]) -> list[dict[str, Any]]:
    if (report.get("talk") or {}).get("separated"):
        pause = _number(report.get("pause_seconds")) or 0.0
        runs: list[list[float]] = []
        for start, end, who in _turns(report):
            if who != TEACHER:
                runs.append([])  # another voice ends the teacher's monologue
                continue
            if runs and runs[-1] and start - runs[-1][1] < pause:
                runs[-1][1] = max(runs[-1][1], end)
            else:
                runs.append([start, end])
        runs = [r for r in runs if r]
        if not runs:
            missing.append("Самый длинный монолог учителя не выбран: голос учителя не слышен.")
            return []
        start, end = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
        return [_moment(report, starts, "longest_monologue", start,
                        f"Учитель говорит {duration_text(end - start)}, и ни один ученик его не прерывает "
                        "(паузы короче порога считаются речью).", length=end - start)]
    summary = report.get("summary") or {}
    start, length = _number(summary.get("longest_monologue_start_s")), _number(summary.get("longest_monologue_s"))
    if start is None or not length:
        missing.append("Самый длинный монолог не выбран: речи в расшифровке урока нет.")
        return []
    return [_moment(report, starts, "longest_monologue", start,
                    f"Самый длинный отрезок речи без паузы — {duration_text(length)}. Голоса не различались, "
                    "поэтому это монолог того, кто говорил, не обязательно учителя.",
                    title="Самый длинный монолог", length=length)]


def _pattern_moments(report: Mapping[str, Any], starts: Mapping[str, float], missing: list[str]
                     ) -> list[dict[str, Any]]:
    model = report.get("model")
    if not model:
        missing.append("Моменты паттернов не выбраны: паттерны не определялись (сначала нужна разметка).")
        return []
    threshold = _number(report.get("threshold")) or 0.5
    rows = [r for r in report.get("segments") or [] if isinstance(r.get("probabilities"), Mapping)]
    out, absent = [], []
    for pattern in model.get("patterns") or []:
        scored = [(float(r["probabilities"][pattern]), r) for r in rows
                  if _number(r["probabilities"].get(pattern)) is not None]
        best = max(scored, key=lambda pr: (pr[0], -pr[1]["lesson_start"]), default=None)
        if best is None or best[0] < threshold:
            absent.append(pattern)
            continue
        probability, row = best
        out.append(_moment(report, starts, "pattern", float(row["lesson_start"]),
                           f"Модель уверена в этом паттерне на {round(probability * 100)} % — больше, чем в "
                           "любом другом сегменте урока.", title=TITLES["pattern"].format(pattern=pattern),
                           length=float(row["lesson_end"]) - float(row["lesson_start"]), text=str(row.get("text", ""))))
        out[-1]["pattern"], out[-1]["probability"] = pattern, probability
    if absent:
        missing.append("Не найдены ни в одном сегменте (уверенность ниже порога): "
                       + ", ".join(f"«{p}»" for p in absent) + ".")
    return out


def choose_moments(report: Mapping[str, Any], part_starts: Mapping[str, float]
                   ) -> tuple[list[dict[str, Any]], list[str]]:
    """The lesson's moments in lesson order, and a Russian line for each kind that could not be chosen.

    ``part_starts``: each part's start in the lesson, in seconds, so a moment says the second
    within its part's film (``part_time``) as well as within the lesson (``time``).
    """
    missing: list[str] = []
    moments = [
        *_pupil_answer(report, part_starts, missing),
        *_question_moments(report, part_starts, missing),
        *_monologue(report, part_starts, missing),
        *_pattern_moments(report, part_starts, missing),
    ]
    moments.sort(key=lambda m: m["time"])
    return moments, missing
