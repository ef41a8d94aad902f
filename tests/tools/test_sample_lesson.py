"""The bundled sample lessons (English and Russian) are what `tools/make_sample_lesson.py` says they are.

Why: `make demo` and later stages rely on these videos (its size, its audio, the silences after the
teacher's questions that the pause detector must find). If someone edits the lesson script but forgets
to regenerate the mp4, or commits a broken/oversized file, these tests say so — without festival or
Whisper, using only the project's ffmpeg.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from tests.support.tools import load_tool

RATE = 16000
FRAME = 0.05  # seconds per loudness frame
# Per lesson: shortest and longest duration (s), fewest questions followed by a wait.
EXPECTED = {"en": (180, 300, 8), "ru": (60, 150, 6)}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def key(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def video(key: str) -> Path:
    return load_tool().LESSONS[key].out


@pytest.fixture(scope="module")
def timeline(key: str) -> dict:
    tool = load_tool()
    return tool.expected_timeline(tool.LESSONS[key])


@pytest.fixture(scope="module")
def probe(video: Path) -> str:
    """`ffmpeg -i` header text (ffmpeg exits 1 without an output; the header is still printed)."""
    assert video.is_file(), f"нет учебного урока {video}"
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(video)],
                            capture_output=True, text=True)
    return result.stderr


@pytest.fixture(scope="module")
def loudness_db(video: Path) -> np.ndarray:
    """RMS level (dBFS) of the soundtrack in 50 ms frames, decoded to 16 kHz mono."""
    pcm = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(video), "-vn", "-f", "s16le",
                          "-ac", "1", "-ar", str(RATE), "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    step = int(RATE * FRAME)
    frames = audio[: len(audio) // step * step].reshape(-1, step)
    return 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-9)


def level(db: np.ndarray, start: float, end: float) -> np.ndarray:
    return db[int(start / FRAME): int(end / FRAME)]


def test_file_is_small_enough_for_git(video: Path) -> None:
    assert video.is_file()
    assert video.stat().st_size <= 5 * 1024 * 1024


def test_has_h264_video_and_audio(probe: str) -> None:
    assert re.search(r"Stream #\S+.*Video: h264", probe), probe
    assert re.search(r"Stream #\S+.*Audio: aac", probe), probe


def test_duration_matches_tool(probe: str, timeline: dict, key: str) -> None:
    h, m, s = re.search(r"Duration: (\d+):(\d+):([\d.]+)", probe).groups()
    duration = int(h) * 3600 + int(m) * 60 + float(s)
    assert EXPECTED[key][0] <= duration <= EXPECTED[key][1]
    assert abs(duration - timeline["duration"]) <= 1.0


def test_timeline_is_consistent(timeline: dict, key: str) -> None:
    slides = timeline["slides"]
    assert slides[0]["start"] == 0 and slides[-1]["end"] == timeline["duration"]
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(slides))
    assert all(20 <= s["end"] - s["start"] <= 60 for s in slides)
    questions = [p for p in timeline["pauses"] if p["after_question"]]
    assert len(questions) >= EXPECTED[key][2] and all(3 <= p["end"] - p["start"] <= 8 for p in questions)


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
