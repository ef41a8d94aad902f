"""The words every stage shows for the same things, each defined once: lesson time, who speaks, skipped rows.

An expert in Label Studio, a teacher reading the report, a linguist in Praat and a user watching a command
print see these things side by side; written in several places, they drifted apart (a time formatted two
ways, pupils speaking together called «Вместе» in one place and «класс» in another, skipped rows listed 5,
10 or 20 at a time). Here each has one spelling, and the stages only choose which form they need.
"""

from __future__ import annotations

from collections.abc import Sequence

# --- lesson time -----------------------------------------------------------------------------


def clock(seconds: float | None) -> str:
    """Lesson time as m:ss, or h:mm:ss from an hour on; "—" when unknown.

    Shared by the tasks' segment times, the cutting and processing messages, the queue and the report,
    so an expert and a teacher find the same moment under the same time. A negative time (never a real
    one) reads 0:00.
    """
    if seconds is None:
        return "—"
    total = max(0, round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# --- who speaks ------------------------------------------------------------------------------

# The speaker roles: the values of ``speaker`` in transcript.json's turns and words (Part 1 writes them).
TEACHER = "teacher"
PUPIL = "pupil"
GROUP = "group"  # several voices at once; no engine tells it apart yet (pedpatterns/prepare/speakers.py)
ROLES = (TEACHER, PUPIL, GROUP)

# One person's line: «Учитель: …» in the Label Studio tasks and the report's transcript. The same word in
# lower case labels the intervals of the Praat and ELAN tier of who speaks.
LINE_NAMES = {TEACHER: "Учитель", PUPIL: "Ученик", GROUP: "Вместе"}
# Everyone of a role over the lesson: the lanes of the report's timeline, in this order.
SPEAKER_NAMES = {TEACHER: "Учитель", PUPIL: "Ученики", GROUP: "Вместе"}
# Whose share of the lesson's speech: «доля речи учителя» in the lessons over time (a column and a legend).
SHARE_NAMES = {TEACHER: "учителя", PUPIL: "учеников", GROUP: "вместе"}

# --- skipped rows ----------------------------------------------------------------------------

# How many skipped rows are listed by name: enough to see what went wrong, few enough not to bury the rest.
SKIPPED_SHOWN = 10


def skipped_lines(problems: Sequence[str], what: str = "строк разметки") -> list[str]:
    """«Пропущено строк разметки: 12», the first :data:`SKIPPED_SHOWN` reasons, «… и ещё 2»; [] when none.

    Every stage that skips rows of its input (the dataset, both models) prints them with this, so a user
    reads the same list, however far the labels went.
    """
    if not problems:
        return []
    lines = [f"Пропущено {what}: {len(problems)}"]
    lines += [f"  - {problem}" for problem in problems[:SKIPPED_SHOWN]]
    if len(problems) > SKIPPED_SHOWN:
        lines.append(f"  … и ещё {len(problems) - SKIPPED_SHOWN}")
    return lines
