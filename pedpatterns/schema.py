"""The columns of ``processed_data/<part>/segments.csv`` and what each one means.

segments.csv is the contract between Part 1 (which writes it) and every later stage
(which reads it). The Russian descriptions are the data dictionary shown in README.md;
a test keeps the two in step.
"""

from __future__ import annotations

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
    "question_count": "число вопросов (фраз с «?»)",
    "wait_after_question": "среднее молчание после вопроса до следующей речи, с (0 — вопросов нет)",
}


def segments_csv_columns() -> list[str]:
    return [*SEGMENT_COLUMNS, *FEATURE_COLUMNS]
