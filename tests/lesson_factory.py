"""Lessons with known timings and labelled projects whose features decide the pattern.

A transcript.json is written exactly in Part 1's contract (part times, ``part_start`` the
part's true start in the film), so the lesson metrics can be checked against numbers
worked out by hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from pedpatterns.layout import Layout, part_stem
from pedpatterns.prepare import cutting

from .factories import make_processed_part, write_ls_csv

Word = tuple[float, float, str]


def speech(start: float, end: float, n_words: int, last: str | None = None) -> list[Word]:
    """``n_words`` back-to-back words filling [start, end]; the last one replaced by ``last``."""
    step = (end - start) / n_words
    words = [(start + k * step, start + (k + 1) * step, f"слово{k}") for k in range(n_words)]
    if last is not None:
        words[-1] = (words[-1][0], words[-1][1], last)
    return words


def write_transcript(
    layout: Layout, part: str, words: Sequence[Word], duration: float, part_start: float = 0.0
) -> None:
    data = {
        "engine": "test", "model": "none", "language": "ru", "duration": duration, "part_start": part_start,
        "words": [{"start": s, "end": e, "word": f" {w}", "probability": 0.9} for s, e, w in words],
        "segments": [],
    }
    layout.transcript_json(part).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# speech 0–10 s ending in a question, silence 10–16 s, speech 16–30 s.
KNOWN_LESSON_WORDS: list[Word] = [*speech(0, 10, 20, last="понятно?"), *speech(16, 30, 28)]
KNOWN_LESSON = {
    "duration_s": 30.0, "speech_s": 24.0, "speech_share": 0.8, "silence_share": 0.2, "pause_count": 1,
    "longest_pause_s": 6.0, "question_count": 1, "wait_after_question_mean_s": 6.0,
    "questions_with_good_wait": 1, "longest_monologue_s": 14.0, "longest_monologue_start_s": 16.0,
    "word_count": 48, "speech_rate_wpm": 120.0,
}


def make_known_lesson(layout: Layout, video_stem: str, text: str = "Что такое дробь? <b>&</b>") -> str:
    """A new video and its one processed part with the known timings above; returns the part's name."""
    layout.new_videos.mkdir(parents=True, exist_ok=True)
    video = layout.new_videos / f"{video_stem}.mp4"
    video.write_bytes(b"not decoded: its parts are already processed")
    part = part_stem(video_stem, 1)
    layout.part_films.mkdir(parents=True, exist_ok=True)
    cutting.write_parts_index(layout, video, [cutting.Part(1, layout.part_path(video_stem, 1), 0.0, 30.0)], 10.0, 30.0)
    make_processed_part(layout, part, 2, segment_seconds=15.0, text_of=lambda i: text if i == 0 else "продолжим",
                        features_of=lambda i: {"rms_mean": 0.9 if i == 0 else 0.1, "question_count": 1 - i})
    write_transcript(layout, part, KNOWN_LESSON_WORDS, duration=30.0)
    return part


def labelled_features(i: int, rng: np.random.Generator) -> tuple[dict[str, float], str, list[str]]:
    """Features, text and patterns of a synthetic segment where loudness and questions decide."""
    loud = bool(rng.random() < 0.4)
    asks = bool(rng.random() < 0.35)
    features = {
        "rms_mean": (0.7 if loud else 0.2) + rng.normal(0, 0.08),
        "rms_std": rng.normal(0.1, 0.03),
        "pitch_mean": rng.normal(180, 25),
        "question_count": float(rng.integers(1, 4)) if asks else 0.0,
        "speech_share": rng.uniform(0.3, 0.9),
    }
    text = ("почему так получилось? как вы думаете?" if asks else "запишите определение в тетрадь") + f" {i}"
    patterns = [p for p, on in (("Паттерн 1: Удержание внимания", loud), ("Паттерн 3: Вовлечение в диалог", asks))
                if on] or ["Паттерн 7: Демонстрация примера"]
    return features, text, patterns


def make_labelled_project(layout: Layout, n_films: int = 6, per_part: int = 20, seed: int = 0) -> None:
    """``n_films`` one-part films, every segment labelled by one expert, and labeled.csv."""
    rng = np.random.default_rng(seed)
    annotations = []
    for f in range(n_films):
        part = f"Фильм {f}_part000"
        drawn = [labelled_features(i, rng) for i in range(per_part)]
        make_processed_part(layout, part, per_part, features_of=lambda i, d=drawn: d[i][0],
                            text_of=lambda i, d=drawn: d[i][1])
        annotations += [(part, i, d[2], "эксперт") for i, d in enumerate(drawn)]
    write_ls_csv(layout, layout.labeled_csv, annotations)
