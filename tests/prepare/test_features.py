"""features.py: the schema's columns, computed from an array in memory."""

from __future__ import annotations

import numpy as np
import pytest

from pedpatterns import schema
from pedpatterns.prepare import media, segments
from pedpatterns.prepare.features import frame_features, question_waits, segment_features
from pedpatterns.prepare.speech import Word
from tests.support.media import lesson_clip

RATE = 16000


def voiced(seconds: float, f0: float) -> np.ndarray:
    """A vowel-like tone: fundamental ``f0`` and decaying harmonics."""
    t = np.arange(int(seconds * RATE)) / RATE
    wave = sum((0.3 / k) * np.sin(2 * np.pi * k * f0 * t) for k in range(1, 6))
    return wave.astype(np.float32)


def features_of(audio: np.ndarray, windows, words=()):  # type: ignore[no-untyped-def]
    mask = segments.speech_mask(audio, RATE)
    frames = frame_features(audio, RATE, mask)
    words = list(words)
    waits = question_waits(words, len(audio) / RATE)
    buckets = segments.assign([(w.start, w.end) for w in words], windows)
    return [
        segment_features(frames, mask, a, b, [words[k] for k in bucket], [waits[k] for k in bucket])
        for (a, b), bucket in zip(windows, buckets, strict=True)
    ]


@pytest.mark.slow
def test_columns_are_exactly_the_schema() -> None:
    rows = features_of(voiced(4, 150), [(0.0, 4.0)])
    assert list(rows[0]) == list(schema.FEATURE_COLUMNS)
    assert all(isinstance(v, (int, float)) and np.isfinite(v) for v in rows[0].values())


def test_pitch_follows_the_voice_and_silence_has_none() -> None:
    audio = np.concatenate([voiced(3, 150), np.zeros(3 * RATE, np.float32), voiced(3, 300)])
    low, silent, high = features_of(audio, [(0.0, 3.0), (3.0, 6.0), (6.0, 9.0)])
    assert low["pitch_mean"] == pytest.approx(150, rel=0.05)
    assert high["pitch_mean"] == pytest.approx(300, rel=0.05)
    assert low["pitch_std"] < 10
    assert silent["pitch_mean"] == 0.0 and silent["speech_share"] == 0.0
    assert silent["pause_count"] == 1 and silent["longest_pause"] == pytest.approx(3.0, abs=0.05)
    assert low["speech_share"] > 0.95 and low["pause_count"] == 0
    assert high["spectral_centroid_mean"] > low["spectral_centroid_mean"]
    assert low["rms_mean"] > 0.1 > silent["rms_mean"]


def test_pauses_counted_only_when_long_enough() -> None:
    gap = np.zeros(int(1.5 * RATE), np.float32)
    short = np.zeros(int(0.5 * RATE), np.float32)
    audio = np.concatenate([voiced(1, 200), gap, voiced(1, 200), short, voiced(1, 200), gap, voiced(1, 200)])
    (row,) = features_of(audio, [(0.0, len(audio) / RATE)])
    assert row["pause_count"] == 2
    assert row["longest_pause"] == pytest.approx(1.5, abs=0.05)
    assert row["speech_share"] == pytest.approx(4 / 7.5, abs=0.02)


def test_words_questions_rate_and_wait_after_question() -> None:
    audio = np.concatenate([voiced(2, 200), np.zeros(3 * RATE, np.float32), voiced(5, 200)])
    words = [
        Word(0.0, 0.5, " Who", 0.9), Word(0.5, 1.0, " knows", 0.9), Word(1.0, 2.0, " this?", 0.9),
        Word(5.0, 5.5, " I", 0.9), Word(5.5, 6.0, " do.", 0.9), Word(6.0, 6.5, " Really?", 0.9),
        Word(7.5, 8.0, " Yes.", 0.9),
    ]
    first, second = features_of(audio, [(0.0, 5.0), (5.0, 10.0)], words)
    assert (first["word_count"], first["question_count"]) == (3, 1)
    assert first["wait_after_question"] == pytest.approx(3.0)  # "this?" ends at 2.0, "I" starts at 5.0
    assert (second["word_count"], second["question_count"]) == (4, 1)
    assert second["wait_after_question"] == pytest.approx(1.0)
    # 3 words in 2 s of speech = 90 words per minute.
    assert first["speech_rate_wpm"] == pytest.approx(90, rel=0.05)


def test_real_speech_has_a_human_pitch() -> None:
    audio = np.concatenate([np.zeros(2 * RATE, np.float32), media.decode_audio(lesson_clip().path)])
    speech_row, = features_of(audio, [(2.0, len(audio) / RATE)])
    assert 80 < speech_row["pitch_mean"] < 300
    assert speech_row["speech_share"] > 0.5
    assert speech_row["mfcc_1"] != 0.0
