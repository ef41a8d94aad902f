"""Where speech is, where the pauses are, and where a part is split into segments.

Pure functions on arrays and intervals: no files, no models. A segment is a window of
about N seconds whose boundaries move to the nearest pause within a few seconds, so a
phrase is not cut in half; a short tail joins the previous window instead of becoming a
segment of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Interval = tuple[float, float]

HOP_SECONDS = 0.02
FRAME_SECONDS = 0.02  # no overlap: frame i is exactly [i*hop, (i+1)*hop)


@dataclass(frozen=True)
class SpeechMask:
    """Per-frame speech/silence decision of a whole part (``hop`` seconds per frame)."""

    speech: np.ndarray  # bool, one value per frame
    hop: float
    threshold_db: np.ndarray  # the loudness (dBFS) above which each frame counts as speech

    def frames(self, start: float, end: float) -> np.ndarray:
        return self.speech[round(start / self.hop) : round(end / self.hop)]


def frame_db(audio: np.ndarray, sample_rate: int, hop: float = HOP_SECONDS, frame: float = FRAME_SECONDS) -> np.ndarray:
    """Loudness of each frame in dBFS (RMS), floored at -100 dB for digital silence."""
    hop_n = max(1, round(hop * sample_rate))
    frame_n = max(hop_n, round(frame * sample_rate))
    count = int(np.ceil(len(audio) / hop_n)) if len(audio) else 0
    if count == 0:
        return np.zeros(0, dtype=np.float32)
    padded = np.concatenate([audio.astype(np.float32, copy=False), np.zeros(frame_n, dtype=np.float32)])
    # Sum of squares over each frame through a cumulative sum: O(n), no framing copy.
    cumulative = np.concatenate([[0.0], np.cumsum(padded.astype(np.float64) ** 2)])
    starts = np.arange(count) * hop_n
    energy = (cumulative[starts + frame_n] - cumulative[starts]) / frame_n
    return (10.0 * np.log10(np.maximum(energy, 1e-10))).astype(np.float32)


DIGITAL_SILENCE_DB = -90.0  # below this a frame is exact silence (an edit, a muted stream)
FLOOR_SPAN_SECONDS = 30.0  # the neighbourhood whose quietest frames give the noise floor


def speech_mask(audio: np.ndarray, sample_rate: int, hop: float = HOP_SECONDS) -> SpeechMask:
    """Which frames hold sound loud enough to be speech.

    The threshold adapts to the recording and to where in it we are: 6 dB above the
    local noise floor (10th percentile of the non-silent frames within about 30 s), at
    most 35 dB and at least 10 dB under the part's loud frames (95th percentile), never
    under -60 dBFS. A
    steady classroom hum is then silence, the pauses of a noisy recording are found,
    and quiet speech in a loud recording still counts.
    """
    db = frame_db(audio, sample_rate, hop)
    if db.size == 0:
        return SpeechMask(np.zeros(0, dtype=bool), hop, np.zeros(0, dtype=np.float32))
    loud = float(np.percentile(db, 95))
    block = max(1, round(FLOOR_SPAN_SECONDS / 3 / hop))
    count = int(np.ceil(db.size / block))
    floors = np.empty(count, dtype=np.float32)
    for k in range(count):
        near = db[max(0, (k - 1) * block) : (k + 2) * block]
        sound = near[near > DIGITAL_SILENCE_DB]
        floors[k] = np.percentile(sound, 10) if sound.size >= block // 10 else DIGITAL_SILENCE_DB
    floor = np.repeat(floors, block)[: db.size]
    threshold = np.maximum(np.maximum(floor + 6.0, loud - 35.0), -60.0)
    # Never within 10 dB of the loud frames: where nothing is quieter than the voice itself
    # (a clean recording cut with exact silence), the voice is still speech.
    threshold = np.minimum(threshold, loud - 10.0).astype(np.float32)
    return SpeechMask(db > threshold, hop, threshold)


def runs(mask: np.ndarray, value: bool, hop: float, min_seconds: float = 0.0) -> list[Interval]:
    """Intervals (seconds) where ``mask`` equals ``value`` for at least ``min_seconds``."""
    if mask.size == 0:
        return []
    flags = (mask == value).astype(np.int8)
    edges = np.diff(np.concatenate([[0], flags, [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(s * hop, e * hop) for s, e in zip(starts, ends, strict=True) if (e - s) * hop >= min_seconds - 1e-9]


def pauses(mask: SpeechMask, min_seconds: float = 0.3) -> list[Interval]:
    """Silences of at least ``min_seconds`` in a part."""
    return runs(mask.speech, False, mask.hop, min_seconds)


def word_gaps(words: Sequence[tuple[float, float]], min_seconds: float = 0.3) -> list[Interval]:
    """Gaps between consecutive recognised words: places where a cut splits no word."""
    ordered = sorted(words)
    return [
        (a_end, b_start)
        for (_, a_end), (b_start, _) in itertools.pairwise(ordered)
        if b_start - a_end >= min_seconds
    ]


def _snap(target: float, gaps: Sequence[Interval], low: float, high: float) -> float:
    """The cut nearest ``target`` inside a gap and inside [low, high]; ``target`` if no gap fits.

    In a short gap the cut goes to its middle, safely away from both words (word times are
    approximate); in a long silence, as near the target as a quarter-second margin allows.
    """
    best, best_distance = target, float("inf")
    for a, b in gaps:
        a, b = max(a, low), min(b, high)
        if a > b:
            continue
        point = min(max(target, a + 0.25), b - 0.25) if b - a > 1.0 else (a + b) / 2
        distance = abs(point - target)
        if distance < best_distance:
            best, best_distance = point, distance
    return best


def plan_windows(
    duration: float,
    seconds: float,
    gaps: Sequence[Interval] = (),
    *,
    max_shift: float = 5.0,
    min_tail: float | None = None,
) -> list[Interval]:
    """Split ``[0, duration]`` into windows of about ``seconds``.

    Each boundary moves to the nearest pause (``gaps``) at most ``max_shift`` seconds
    away; a last window shorter than ``min_tail`` (default: half a window) is merged into
    the previous one.
    """
    if duration <= 0:
        return []
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    min_tail = seconds / 2 if min_tail is None else min_tail
    shift = min(max_shift, seconds / 3)
    bounds = [0.0]
    while duration - bounds[-1] > seconds:
        target = bounds[-1] + seconds
        cut = _snap(target, gaps, max(target - shift, bounds[-1] + 1e-3), min(target + shift, duration))
        bounds.append(cut)
    bounds.append(duration)
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < min_tail:
        del bounds[-2]
    return [(round(a, 3), round(b, 3)) for a, b in itertools.pairwise(bounds)]


def assign(items: Sequence[tuple[float, float]], windows: Sequence[Interval]) -> list[list[int]]:
    """Indices of ``items`` (start, end) per window, each item in the window holding its midpoint."""
    buckets: list[list[int]] = [[] for _ in windows]
    if not windows:
        return buckets
    starts = np.array([w[0] for w in windows])
    for i, (a, b) in enumerate(items):
        mid = (a + b) / 2
        k = int(np.searchsorted(starts, mid, side="right")) - 1
        buckets[min(max(k, 0), len(windows) - 1)].append(i)
    return buckets
