"""segments.py: speech/silence, pauses and windows that snap to pauses (pure functions)."""

from __future__ import annotations

import numpy as np
import pytest

from pedpatterns.prepare import media, segments
from tests.support.media import lesson_clip

RATE = 16000


def tone(seconds: float, freq: float = 220.0, level: float = 0.2) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def quiet(seconds: float, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (noise * rng.standard_normal(int(seconds * RATE))).astype(np.float32)


def test_pauses_found_where_silence_was_put() -> None:
    audio = np.concatenate([tone(2), quiet(1.5), tone(3), quiet(0.2), tone(1), quiet(2.0)])
    mask = segments.speech_mask(audio, RATE)
    found = segments.pauses(mask, min_seconds=0.3)
    assert len(found) == 2  # the 0.2 s gap is too short to be a pause
    assert found[0] == pytest.approx((2.0, 3.5), abs=0.06)
    assert found[1] == pytest.approx((7.7, 9.7), abs=0.06)


def test_background_hum_is_silence_and_quiet_speech_is_not() -> None:
    voice = tone(2, level=0.02) + quiet(2, noise=0.003, seed=1)
    audio = np.concatenate([quiet(2, noise=0.003), voice, quiet(2, 0.003)])
    mask = segments.speech_mask(audio, RATE)
    share = [float(mask.frames(a, a + 2).mean()) for a in (0, 2, 4)]
    assert share[0] < 0.05 and share[1] > 0.95 and share[2] < 0.05


def test_real_speech_with_silence_around_it() -> None:
    """Two lines of the English sample lesson (support.media.lesson_clip): speech where the tool put it."""
    clip = lesson_clip()
    voice = media.decode_audio(clip.path)
    audio = np.concatenate([quiet(4), voice, quiet(4)])
    mask = segments.speech_mask(audio, RATE)
    long_pauses = segments.pauses(mask, min_seconds=2.0)
    assert long_pauses[0][0] == pytest.approx(0.0) and long_pauses[0][1] >= 4.0
    assert long_pauses[-1][1] == pytest.approx(len(audio) / RATE, abs=0.05)
    assert long_pauses[-1][0] <= 4.0 + len(voice) / RATE
    first, second = clip.lines
    for line in clip.lines:  # each line's speech starts at its start: silence just before, speech just after
        onset = 4 + line["start"]
        assert mask.frames(onset - 0.5, onset).mean() < 0.1 and mask.frames(onset, onset + 0.5).mean() > 0.6, line
    assert mask.frames(4 + first["end"], 4 + second["start"]).mean() < 0.05  # the pause after a line is silent
    assert mask.frames(4, 4 + clip.duration).mean() > 0.5


def test_windows_without_pauses_are_even_and_cover_everything() -> None:
    windows = segments.plan_windows(95.0, 30.0)
    assert windows == [(0.0, 30.0), (30.0, 60.0), (60.0, 95.0)]  # the 5 s tail joins the last window


def test_long_tail_stays_a_window_of_its_own() -> None:
    assert segments.plan_windows(80.0, 30.0)[-1] == (60.0, 80.0)


def test_boundaries_snap_to_the_nearest_pause_within_reach() -> None:
    gaps = [(27.0, 27.4), (33.5, 34.1), (58.0, 58.2)]
    windows = segments.plan_windows(90.0, 30.0, gaps, max_shift=5.0)
    assert windows[0][1] == pytest.approx(27.2)  # 2.8 s away beats 3.8 s
    # The next target is 27.2 + 30 = 57.2: the gap at 58.0-58.2 is 0.9 s away.
    assert windows[1][1] == pytest.approx(58.1)
    assert all(a < b for a, b in windows)
    assert [w[0] for w in windows[1:]] == [w[1] for w in windows[:-1]]
    assert windows[-1][1] == 90.0


def test_pause_too_far_is_ignored() -> None:
    windows = segments.plan_windows(60.0, 30.0, [(40.0, 41.0)], max_shift=5.0)
    assert windows == [(0.0, 30.0), (30.0, 60.0)]


def test_long_silence_cut_as_near_the_target_as_possible() -> None:
    windows = segments.plan_windows(60.0, 30.0, [(20.0, 45.0)], max_shift=5.0)
    assert windows[0] == (0.0, 30.0)


def test_word_gaps_and_assignment() -> None:
    words = [(0.0, 0.5), (0.6, 1.0), (2.0, 2.5), (2.55, 3.0)]
    assert segments.word_gaps(words, 0.3) == [(1.0, 2.0)]
    buckets = segments.assign(words, [(0.0, 1.5), (1.5, 3.0)])
    assert buckets == [[0, 1], [2, 3]]


def test_empty_part_has_no_windows() -> None:
    assert segments.plan_windows(0.0, 30.0) == []
    assert segments.speech_mask(np.zeros(0, dtype=np.float32), RATE).speech.size == 0
