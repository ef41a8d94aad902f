"""The shared words: one lesson time, one set of speaker names, one list of skipped rows."""

from __future__ import annotations

import numpy as np
import pytest

from pedpatterns import words
from pedpatterns.labelstudio import tasks
from pedpatterns.report import linguistics, timeline
from pedpatterns.words import GROUP, PUPIL, ROLES, TEACHER


def tasks_format_time_before(seconds: float) -> str:
    """labelstudio/tasks.format_time as it was before the shared clock (tasks, cutting, processing, queue)."""
    seconds = max(0, round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def page_clock_before(seconds: float | None) -> str:
    """report/page.clock as it was before the shared clock (the report's times)."""
    if seconds is None:
        return "—"
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


TIMES = [0, 0.4, 0.5, 0.6, 1.5, 9.49, 59.4, 59.5, 60, 61.2, 599.5, 3599.4, 3599.5, 3600, 3661, 36000.7, 86399]


@pytest.mark.parametrize("seconds", TIMES + [np.float64(t) for t in TIMES] + [np.float32(61.2)])
def test_clock_prints_what_both_old_clocks_printed(seconds: float) -> None:
    assert words.clock(seconds) == tasks_format_time_before(seconds) == page_clock_before(seconds)


def test_clock_forms() -> None:
    assert [words.clock(t) for t in (0, 59.4, 61, 3599.6, 3661, 36000)] == \
        ["0:00", "0:59", "1:01", "1:00:00", "1:01:01", "10:00:00"]
    assert words.clock(None) == "—" == page_clock_before(None)  # the report's unknown time
    assert words.clock(-3) == "0:00" == tasks_format_time_before(-3)  # never a real lesson time


def test_one_set_of_speaker_names() -> None:
    for names in (words.LINE_NAMES, words.SPEAKER_NAMES, words.SHARE_NAMES):
        assert tuple(names) == ROLES == (TEACHER, PUPIL, GROUP)
    # Several voices at once read «вместе» wherever they are named (Praat/ELAN and lessons over time said «класс»).
    assert words.LINE_NAMES[GROUP] == words.SPEAKER_NAMES[GROUP] == "Вместе"
    assert linguistics.SPEAKER_NAMES == {TEACHER: "учитель", PUPIL: "ученик", GROUP: "вместе"}
    assert timeline.SPEAKER_COLUMNS == {TEACHER: "доля речи учителя", PUPIL: "доля речи учеников",
                                        GROUP: "доля речи вместе"}
    lines = tasks.speaker_lines([{"start": 0, "end": 1, "word": "Кто?", "speaker": TEACHER},
                                 {"start": 1, "end": 2, "word": "Я", "speaker": PUPIL},
                                 {"start": 2, "end": 3, "word": "Мы", "speaker": GROUP}], 0, 10)
    assert tasks.dialogue_text(lines) == "Учитель: Кто?\nУченик: Я\nВместе: Мы"


def test_skipped_rows_one_form_one_cap() -> None:
    assert words.skipped_lines([]) == []
    few = words.skipped_lines(["часть «a», сегмент 1: нет кадра"])
    assert few == ["Пропущено строк разметки: 1", "  - часть «a», сегмент 1: нет кадра"]
    many = words.skipped_lines([f"строка {i}" for i in range(words.SKIPPED_SHOWN + 3)], "изображений")
    assert many[0] == f"Пропущено изображений: {words.SKIPPED_SHOWN + 3}"
    assert many[1:-1] == [f"  - строка {i}" for i in range(words.SKIPPED_SHOWN)]
    assert many[-1] == "  … и ещё 3"
