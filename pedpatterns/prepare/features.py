"""Audio and text features of each segment, exactly the columns of ``schema.FEATURE_COLUMNS``.

Everything is computed on the part's audio array already in memory: one STFT and one
YIN pass over the whole part, then each segment averages its own frames. Decoding or
analysing each segment's file separately would repeat that work for every segment.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pedpatterns.prepare.options import PAUSE_SECONDS as PAUSE_SECONDS  # a silence this long is a pause
from pedpatterns.prepare.questions import question_ends
from pedpatterns.prepare.segments import SpeechMask, runs
from pedpatterns.prepare.speech import Word
from pedpatterns.schema import FEATURE_COLUMNS, MFCC_COUNT

N_FFT = 1024
HOP = 512
PITCH_MIN_HZ = 65.0  # below a low male voice
PITCH_MAX_HZ = 500.0  # above a child's raised voice


@dataclass(frozen=True)
class FrameFeatures:
    """Frame-level measurements of a whole part (``HOP`` samples per frame)."""

    sample_rate: int
    rms: np.ndarray
    zcr: np.ndarray
    centroid: np.ndarray
    mfcc: np.ndarray  # (MFCC_COUNT, frames)
    pitch: np.ndarray  # Hz per frame, NaN where unvoiced

    def index(self, seconds: float) -> int:
        return round(seconds * self.sample_rate / HOP)


@functools.cache
def warm_up() -> None:
    """Compile (or load from its cache) librosa's numba code once per process, one process at a time.

    Numba caches compiled code beside librosa on first use. Two pool workers forked together used to
    compile YIN at the same moment and wrote its cache files over each other; every later run then
    crashed (segfault) loading them — measured on a fresh install with --jobs 2. Warmed in the parent
    before the pool forks, the workers inherit the compiled code; a machine-wide lock makes Dask
    workers on one machine take turns.
    """
    from pedpatterns import locks
    from pedpatterns.prepare.segments import speech_mask

    rate = 16000
    noise = np.random.default_rng(0).normal(0.0, 0.1, rate).astype(np.float32)
    lock = Path(tempfile.gettempdir()) / "pedpatterns-numba.lock"
    with locks.hold_file(lock, "подготовка librosa (компиляция numba)"):
        frame_features(noise, rate, speech_mask(noise, rate))


def frame_features(audio: np.ndarray, sample_rate: int, mask: SpeechMask) -> FrameFeatures:
    """One pass of every frame-level analysis over the part's audio."""
    import librosa

    y = np.asarray(audio, dtype=np.float32)
    if len(y) < N_FFT:
        y = np.pad(y, (0, N_FFT - len(y)))
    spectrum = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
    rms = librosa.feature.rms(S=spectrum, frame_length=N_FFT, hop_length=HOP)[0]
    centroid = librosa.feature.spectral_centroid(S=spectrum, sr=sample_rate, n_fft=N_FFT, hop_length=HOP)[0]
    mel = librosa.feature.melspectrogram(S=spectrum**2, sr=sample_rate, n_fft=N_FFT, hop_length=HOP)
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=MFCC_COUNT)
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP)[0]
    f0 = librosa.yin(y, fmin=PITCH_MIN_HZ, fmax=PITCH_MAX_HZ, sr=sample_rate, frame_length=N_FFT, hop_length=HOP)
    # YIN answers for every frame; keep it only where there is speech and the estimate is
    # not pinned to a search bound (what YIN returns for noise and silence).
    n = min(len(rms), len(f0), len(zcr), mfcc.shape[1], len(centroid))
    centres = np.floor(np.arange(n) * HOP / sample_rate / mask.hop).astype(int)
    voiced = np.zeros(n, dtype=bool)
    known = centres < mask.speech.size
    voiced[known] = mask.speech[centres[known]]
    inside = (f0[:n] > PITCH_MIN_HZ * 1.05) & (f0[:n] < PITCH_MAX_HZ * 0.95)
    pitch = np.where(voiced & inside, f0[:n], np.nan)
    return FrameFeatures(sample_rate, rms[:n], zcr[:n], centroid[:n], mfcc[:, :n], pitch)


def question_waits(
    words: Sequence[Word], duration: float, speakers: Sequence[str | None] | None = None
) -> list[float | None]:
    """For each word: the silence after it until the next word if it ends a questioning turn, else None.

    What a question is and where its wait starts is decided once for the features and the report:
    :mod:`pedpatterns.prepare.questions` (``speakers``: each word's speaker, where the voices were separated).
    """
    waits: list[float | None] = []
    for i, (w, ends) in enumerate(zip(words, question_ends(words, speakers=speakers), strict=True)):
        if not ends:
            waits.append(None)
            continue
        following = words[i + 1].start if i + 1 < len(words) else duration
        waits.append(max(0.0, following - w.end))
    return waits


def _stats(values: np.ndarray) -> tuple[float, float]:
    return (float(np.mean(values)), float(np.std(values))) if values.size else (0.0, 0.0)


def segment_features(
    frames: FrameFeatures,
    mask: SpeechMask,
    start: float,
    end: float,
    words: Sequence[Word],
    waits: Sequence[float | None],
) -> dict[str, float]:
    """The feature row of one segment; ``waits`` are :func:`question_waits` of ``words``."""
    a, b = frames.index(start), max(frames.index(end), frames.index(start) + 1)
    rms_mean, rms_std = _stats(frames.rms[a:b])
    row: dict[str, Any] = {
        "rms_mean": rms_mean,
        "rms_std": rms_std,
        "zcr_mean": _stats(frames.zcr[a:b])[0],
        "spectral_centroid_mean": _stats(frames.centroid[a:b])[0],
    }
    mfcc = frames.mfcc[:, a:b]
    for i in range(MFCC_COUNT):
        row[f"mfcc_{i + 1}"] = float(mfcc[i].mean()) if mfcc.shape[1] else 0.0
    pitch = frames.pitch[a:b]
    pitch = pitch[~np.isnan(pitch)]
    row["pitch_mean"], row["pitch_std"] = _stats(pitch)
    row["pitch_range"] = float(np.percentile(pitch, 95) - np.percentile(pitch, 5)) if pitch.size else 0.0

    speech = mask.frames(start, end)
    duration = max(end - start, 1e-9)
    row["speech_share"] = float(speech.mean()) if speech.size else 0.0
    gaps = runs(speech, False, mask.hop, PAUSE_SECONDS)
    row["pause_count"] = len(gaps)
    row["longest_pause"] = max((g1 - g0 for g0, g1 in gaps), default=0.0)

    row["word_count"] = len(words)
    speaking_minutes = row["speech_share"] * duration / 60.0
    row["speech_rate_wpm"] = len(words) / speaking_minutes if speaking_minutes > 1e-3 else 0.0
    question_waits_here = [w for w in waits if w is not None]
    row["question_count"] = len(question_waits_here)
    row["wait_after_question"] = float(np.mean(question_waits_here)) if question_waits_here else 0.0
    return {column: _round(row[column]) for column in FEATURE_COLUMNS}


def _round(value: float) -> float:
    return int(value) if isinstance(value, int) else round(float(value), 4)
