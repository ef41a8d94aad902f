"""The columns of ``processed_data/<part>/segments.csv`` and what each one means.

segments.csv is the contract between Part 1 (which writes it) and every later stage
(which reads it). The Russian descriptions are the data dictionary users read in docs/outputs.md,
generated from these dictionaries by tools/docs.py; a test keeps the two in step.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from pedpatterns.errors import UserError

# Which segment, where it lies, what was said and which files belong to it.
SEGMENT_COLUMNS: dict[str, str] = {
    "film": "имя исходного фильма (без расширения)",
    "part": "имя части (папка в processed_data/)",
    "segment": "номер сегмента в части, с 0",
    "start": "начало сегмента от начала части, с",
    "end": "конец сегмента от начала части, с",
    "lesson_start": "начало сегмента от начала урока, с (истинное начало части + смещение)",
    "lesson_end": "конец сегмента от начала урока, с",
    "duration": "длительность сегмента, с",
    "text": "распознанная речь сегмента",
    "keyframe": "имя файла ключевого кадра (JPEG) в папке части",
    "audio": "имя файла аудиофрагмента (MP3) в папке части",
}

MFCC_COUNT = 13

# Audio and text features, computed from the part's audio decoded once.
FEATURE_COLUMNS: dict[str, str] = {
    "rms_mean": "средняя громкость (RMS)",
    "rms_std": "разброс громкости (стандартное отклонение RMS)",
    "zcr_mean": "средняя частота пересечений нуля (шумность, шипящие)",
    "spectral_centroid_mean": "средний спектральный центроид, Гц («яркость» звука)",
    **{f"mfcc_{i}": f"среднее {i}-го мел-кепстрального коэффициента (тембр)" for i in range(1, MFCC_COUNT + 1)},
    "pitch_mean": "средняя высота голоса, Гц (по озвученным кадрам, алгоритм YIN)",
    "pitch_std": "разброс высоты голоса, Гц (интонация)",
    "pitch_range": "диапазон высоты голоса (95-й минус 5-й процентиль), Гц",
    "speech_share": "доля времени, занятая речью, от 0 до 1",
    "pause_count": "число пауз длиннее порога (по умолчанию 1 с)",
    "longest_pause": "самая длинная пауза, с",
    "word_count": "число распознанных слов",
    "speech_rate_wpm": "темп речи, слов в минуту речи",
    # What a question is: pedpatterns/prepare/questions.py.
    "question_count": "число вопросов: фраз с «?» или с вопросительным словом в начале («что», «почему», «какой»…)",
    "wait_after_question": "среднее молчание после вопроса до следующей речи, с (0 — вопросов нет)",
}


# Who speaks (pedpatterns/prepare/speakers.py): empty cells when the voices were not separated.
SPEAKER_COLUMNS: dict[str, str] = {
    "teacher_seconds": "сколько секунд сегмента говорит учитель (самый частый голос части)",
    "pupil_seconds": "сколько секунд говорят ученики (все остальные голоса)",
    "silence_seconds": "сколько секунд сегмента никто не говорит",
    "teacher_share": "доля времени сегмента, когда говорит учитель, от 0 до 1",
    "pupil_turns": "сколько раз в сегменте начинали говорить ученики (реплик учеников)",
    "longest_pupil_turn": "самая длинная реплика ученика, с",
    "pupil_answered": "ответил ли ученик после последнего вопроса учителя в сегменте: 1 — да, 0 — нет, "
                      "пусто — вопросов не было",
}


def segments_csv_columns() -> list[str]:
    return [*SEGMENT_COLUMNS, *FEATURE_COLUMNS, *SPEAKER_COLUMNS]


# --- the one reader of segments.csv -------------------------------------------------------


def read_segment_rows(path: Path) -> list[dict[str, str]]:
    """The rows exactly as written (text), for what copies them on (tasks.json)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_segments(path: Path, part: str, shown: str | None = None) -> pd.DataFrame:
    """A part's segments.csv as a table, one row per segment, in file order.

    Values stay as written (a text "NA" is text, only empty cells are missing). A damaged
    table (not CSV, no ``segment``, ``lesson_start`` or ``lesson_end`` column, repeated or
    non-whole segment numbers) is a user error naming the file: joining labels or a report
    with the wrong rows would teach the models nonsense.
    """
    try:
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
        missing = {"segment", "lesson_start", "lesson_end"} - set(table.columns)
        if missing:
            raise ValueError(f"no columns {sorted(missing)}")
        table["segment"] = pd.to_numeric(table["segment"], errors="raise")
        if not (table["segment"] % 1 == 0).all() or not table["segment"].is_unique:
            raise ValueError("bad segment numbers")
        table["segment"] = table["segment"].astype(int)
        return table
    except (ValueError, TypeError, UnicodeDecodeError, OSError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise UserError(
            f"Файл «{shown or path}» повреждён: это не таблица сегментов, которую пишет prepare_data.py. "
            f"Обработайте часть «{part}» заново (python prepare_data.py) и запустите команду снова."
        ) from None

