"""The bundled sample lesson is what `tools/make_sample_lesson.py` says it is.

Why: `make demo` and later stages rely on this video (its size, its audio, the silences after the
teacher's questions that the pause detector must find). If someone edits the lesson script but forgets
to regenerate the mp4, or commits a broken/oversized file, these tests say so — without festival or
Whisper, using only the project's ffmpeg.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
import subprocess
from pathlib import Path
from types import ModuleType

import imageio_ffmpeg
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "make_sample_lesson.py"
VIDEO = ROOT / "films" / "Урок английского 5 класс.mp4"
RATE = 16000
FRAME = 0.05  # seconds per loudness frame


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_sample_lesson", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def timeline() -> dict:
    return load_tool().expected_timeline()


@pytest.fixture(scope="module")
def probe() -> str:
    """`ffmpeg -i` header text (ffmpeg exits 1 without an output; the header is still printed)."""
    assert VIDEO.is_file(), f"нет учебного урока {VIDEO}"
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(VIDEO)],
                            capture_output=True, text=True)
    return result.stderr


@pytest.fixture(scope="module")
def loudness_db() -> np.ndarray:
    """RMS level (dBFS) of the soundtrack in 50 ms frames, decoded to 16 kHz mono."""
    pcm = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(VIDEO), "-vn", "-f", "s16le",
                          "-ac", "1", "-ar", str(RATE), "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    step = int(RATE * FRAME)
    frames = audio[: len(audio) // step * step].reshape(-1, step)
    return 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-9)


def level(db: np.ndarray, start: float, end: float) -> np.ndarray:
    return db[int(start / FRAME): int(end / FRAME)]


def test_file_is_small_enough_for_git() -> None:
    assert VIDEO.is_file()
    assert VIDEO.stat().st_size <= 5 * 1024 * 1024


def test_has_h264_video_and_audio(probe: str) -> None:
    assert re.search(r"Stream #\S+.*Video: h264", probe), probe
    assert re.search(r"Stream #\S+.*Audio: aac", probe), probe


def test_duration_matches_tool(probe: str, timeline: dict) -> None:
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", probe).groups()
    duration = int(h) * 3600 + int(m) * 60 + float(s)
    assert 180 <= duration <= 300
    assert abs(duration - timeline["duration"]) <= 1.0


def test_timeline_is_consistent(timeline: dict) -> None:
    slides = timeline["slides"]
    assert slides[0]["start"] == 0 and slides[-1]["end"] == timeline["duration"]
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(slides))
    assert all(20 <= s["end"] - s["start"] <= 60 for s in slides)
    questions = [p for p in timeline["pauses"] if p["after_question"]]
    assert len(questions) >= 8 and all(3 <= p["end"] - p["start"] <= 8 for p in questions)


def test_silence_after_questions(loudness_db: np.ndarray, timeline: dict) -> None:
    """Each question is followed by ≥3 s of silence exactly where the timeline says, then by an answer."""
    pauses = [p for p in timeline["pauses"] if p["after_question"] and p["end"] - p["start"] >= 3]
    assert pauses
    for pause in pauses:
        gap = level(loudness_db, pause["start"] + 0.2, pause["end"] - 0.2)
        assert gap.max() < -45, f"не тишина в {pause}: {gap.max():.1f} dBFS"
        answer = level(loudness_db, pause["end"], pause["end"] + 1.0)
        assert answer.max() > -30, f"после паузы {pause} нет речи"


def test_speech_where_utterances_are(loudness_db: np.ndarray, timeline: dict) -> None:
    for utterance in timeline["utterances"]:
        assert level(loudness_db, utterance["start"], utterance["end"]).max() > -30, utterance
