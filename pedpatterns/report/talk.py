"""Who talks in a lesson: teacher, pupils and silence, from the speaker turns of the transcripts.

The turns come from Part 1 (pedpatterns/prepare/speakers.py): transcript.json of a part has
``turns`` on the part's axis when the voices were separated, and no ``turns`` when they were
not. Shares are of the lesson's time, so teacher + pupils + silence = 1; "silence" here is
the time nobody's voice is heard (from the sound, pauses from half a second), not the pauses
between recognised words that the lesson metrics count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pedpatterns.labelstudio.tasks import speaker_lines
from pedpatterns.words import ROLES, TEACHER

__all__ = ["TALK_METRICS", "lesson_turns", "speaker_lines", "talk_summary", "told_apart_spans"]

# Key → (Russian name, unit, meaning): the rows of who_talks.csv and the block of the page.
TALK_METRICS: dict[str, tuple[str, str, str]] = {
    "teacher_s": ("Говорит учитель", "с", "сколько секунд звучит голос учителя (голос, который звучит дольше всех)"),
    "teacher_share": ("Доля учителя", "доля", "часть времени урока, когда говорит учитель"),
    "pupil_s": ("Говорят ученики", "с", "сколько секунд звучат все остальные голоса"),
    "pupil_share": ("Доля учеников", "доля", "часть времени урока, когда говорят ученики"),
    "silence_s": ("Тишина", "с", "сколько секунд не слышно ничьего голоса (паузы от половины секунды)"),
    "silence_share": ("Доля тишины", "доля", "часть времени урока, когда никто не говорит"),
    "teacher_talk_share": ("Доля учителя в речи", "доля",
                           "какая часть всей речи урока — речь учителя (учитель ÷ (учитель + ученики))"),
    "pupil_turns": ("Реплик учеников", "шт", "сколько раз начинали говорить ученики"),
    "longest_pupil_turn_s": ("Самая длинная реплика ученика", "с", "самая длинная реплика ученика без перерыва"),
    "voices": ("Голосов", "шт", "сколько разных голосов различено (наибольшее по частям урока)"),
}

NOT_SEPARATED = ("Кто говорит — учитель или ученики — в этом уроке не различалось. {why} "
                 "Чтобы различать, установите движок голосов: python tools/make.py speakers (или make speakers; "
                 "make demo и make test ставят его сами), "
                 "затем обработайте урок заново: python prepare_data.py --film ПУТЬ_К_ВИДЕО --all --force "
                 "и снова запустите find_patterns.py.")


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def part_start(transcript: Mapping[str, Any]) -> float:
    """Where the part starts in the lesson (0 when unknown)."""
    return _number(transcript.get("part_start"))


def lesson_turns(transcripts: Sequence[Mapping[str, Any]]) -> list[tuple[float, float, str]]:
    """Every part's turns on the lesson's axis (shifted by the part's true start), in time order."""
    turns = []
    for transcript in transcripts:
        offset = part_start(transcript)
        for turn in transcript.get("turns") or []:
            if isinstance(turn, Mapping) and turn.get("speaker") in ROLES:
                start, end = offset + _number(turn.get("start")), offset + _number(turn.get("end"))
                if end > start:
                    turns.append((start, end, str(turn["speaker"])))
    return sorted(turns)


def told_apart_spans(transcripts: Sequence[Mapping[str, Any]]) -> list[tuple[float, float]]:
    """The lesson's stretches whose voices were told apart: parts with turns and two voices or more.

    A part where one voice was found cannot say who answered a question (a pupil's one-word answer
    is shorter than the window a voice is recognised in), so its questions' answers stay unknown.
    """
    spans = []
    for transcript in transcripts:
        voices = _number((transcript.get("speakers") or {}).get("voices"))
        if isinstance(transcript.get("turns"), list) and voices >= 2:
            items = [*(transcript.get("words") or []), *transcript["turns"]]
            last = max((_number(i.get("end")) for i in items if isinstance(i, Mapping)), default=0.0)
            start = part_start(transcript)
            spans.append((start, start + max(_number(transcript.get("duration")), last)))
    return spans


def talk_summary(transcripts: Sequence[Mapping[str, Any]], duration: float) -> dict[str, Any]:
    """The "who talks" block of the report: seconds and shares of the lesson, and whether it was known.

    ``separated`` is false when no part has turns; ``note`` then says why (the part's own
    note, e.g. the engine was not installed) and how to turn separation on.
    """
    parts_with = [t for t in transcripts if isinstance(t.get("turns"), list)]
    notes = [str((t.get("speakers") or {}).get("note") or "") for t in transcripts]
    if not parts_with:
        why = next((n for n in notes if n), "Части обработаны версией без разделения голосов.")
        return {"separated": False, "note": NOT_SEPARATED.format(why=why), "turns": [],
                **dict.fromkeys(TALK_METRICS)}
    turns = lesson_turns(transcripts)
    teacher = sum(e - s for s, e, who in turns if who == TEACHER)
    pupil = sum(e - s for s, e, who in turns if who != TEACHER)
    pupil_turns = [e - s for s, e, who in turns if who != TEACHER]
    silence = max(0.0, duration - teacher - pupil)
    share = (lambda x: round(x / duration, 3)) if duration > 0 else (lambda x: 0.0)
    voices = max((int(_number((t.get("speakers") or {}).get("voices"))) for t in parts_with), default=0)
    missing = len(transcripts) - len(parts_with)
    note = ("Учитель — голос, который звучит дольше всех; все остальные голоса — ученики. "
            "Одновременную речь нескольких людей программа не отделяет: она отнесена к одному из голосов.")
    if voices == 1:
        note = "Слышен один голос: вся речь отнесена к учителю (доля учителя — 100 % речи). " + note
    elif voices == 0:
        note = "Речи не слышно: ни учитель, ни ученики не говорят."
    if missing:
        note += f" В {missing} из {len(transcripts)} частей голоса не различались: их речь здесь не учтена."
    return {
        "separated": True,
        "engine": next((str((t.get("speakers") or {}).get("engine")) for t in parts_with), ""),
        "note": note,
        "teacher_s": round(teacher, 1),
        "teacher_share": share(teacher),
        "pupil_s": round(pupil, 1),
        "pupil_share": share(pupil),
        "silence_s": round(silence, 1),
        "silence_share": share(silence),
        "teacher_talk_share": round(teacher / (teacher + pupil), 3) if teacher + pupil > 0 else None,
        "pupil_turns": len(pupil_turns),
        "longest_pupil_turn_s": round(max(pupil_turns, default=0.0), 1),
        "voices": voices,
        "turns": [[round(s, 2), round(e, 2), who] for s, e, who in turns],
    }
