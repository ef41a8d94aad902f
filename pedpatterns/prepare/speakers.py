"""Who speaks: a part's speech split into turns, each the teacher's or a pupil's.

In a lesson the teacher is the voice heard most; every other voice is a pupil. So the
speech regions of the part (the same speech mask the segments use) are cut into short
windows, each window becomes a voice vector, the vectors are clustered, and the cluster
with the most speech time is the teacher. Two engines make the vectors:

* ``resemblyzer`` (default): the speaker-verification LSTM of Resemblyzer (weights ship
  inside its wheel), which needs PyTorch: ``python tools/make.py speakers`` (locks/speakers.txt).
  Without it the part is processed all the same and says the voices were not separated.
* ``mfcc``: timbre and pitch statistics per window (MFCC means and spreads, median pitch),
  clustered with scikit-learn. No neural network: right on TTS voices, weak on real ones.

Overlap (two voices at once) is not told apart reliably by either engine: on the one real
recording of it (bench/bench_speakers.py) the mixture is heard as one more voice. So turns
are "teacher" or "pupil"; "group" stays a value of the contract for a future engine.
``none`` turns the step off.
Pure functions on arrays and intervals; the only state is the loaded Resemblyzer model.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pedpatterns import optional
from pedpatterns.errors import UserError
from pedpatterns.prepare.options import DEFAULT_SPEAKER_ENGINE as DEFAULT_ENGINE
from pedpatterns.prepare.options import MFCC, NONE, RESEMBLYZER
from pedpatterns.prepare.options import SPEAKER_ENGINES as ENGINES
from pedpatterns.prepare.segments import SpeechMask, runs
from pedpatterns.schema import SPEAKER_COLUMNS
from pedpatterns.words import GROUP as GROUP  # a role of the contract too: the dialogues and tests name it here
from pedpatterns.words import PUPIL, TEACHER

# The engines and the default (chosen in bench/bench_speakers.py) live with the options: prepare/options.py.
# The roles a turn may have, and their Russian names, are shared words: pedpatterns/words.py.

WINDOW_SECONDS = 1.5  # long enough for a voice's timbre, short enough to catch a short answer
# Resemblyzer: no overlap (overlapping windows doubled the cost and changed no score); MFCC windows
# are cheap, and overlapping ones give its clustering twice the points, which it needs.
WINDOW_HOP_SECONDS = {RESEMBLYZER: 1.5, MFCC: 0.75}
INAUDIBLE_DB = -75.0  # a mask threshold this low means the loudest sound is under about -65 dBFS
SHORT_SPEECH_SECONDS = 30.0
SHORT_HOP_SECONDS = 0.5
BRIDGE_SECONDS = 0.5  # silences shorter than this stay inside a speech region (a breath, a comma)
# The mask's threshold cuts the quiet onset and decay of a phrase; a turn keeps them.
EDGE_SECONDS = 0.05
MIN_REGION_SECONDS = 0.25  # shorter sounds (a cough, a click) are not a turn
MIN_TURN_SECONDS = 0.5  # a flip of voice shorter than this inside a region is noise
MAX_VOICES = 6

ENABLE_HINT = ("Чтобы различать голоса, обработайте часть заново (--force) с --speakers resemblyzer (по умолчанию; "
               "нужен PyTorch: python tools/make.py speakers) или --speakers mfcc (без PyTorch, грубее).")


@dataclass(frozen=True)
class Turn:
    """One stretch of one speaker's speech, seconds from the part's start."""

    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        return self.end - self.start

    def to_json(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "speaker": self.speaker}


@dataclass(frozen=True)
class Speakers:
    """The turns of one part and what the separation could tell (``note``, in Russian, for people)."""

    engine: str
    turns: list[Turn] = field(default_factory=list)
    voices: int = 0
    note: str = ""

    @property
    def separated(self) -> bool:
        return self.engine != NONE

    def to_json(self) -> dict[str, Any]:
        """transcript.json's keys: absent ``turns`` means the speakers were not separated."""
        if not self.separated:
            return {"speakers": {"engine": NONE, "note": self.note}}
        return {
            "speakers": {"engine": self.engine, "voices": self.voices, "note": self.note},
            "turns": [t.to_json() for t in self.turns],
        }


# --------------------------------------------------------------------------- regions and windows


def speech_regions(mask: SpeechMask) -> list[tuple[float, float]]:
    """Where someone speaks: the mask's speech, short gaps bridged, clicks dropped.

    The mask adapts its threshold to the loudest frames; where even those are inaudible
    (digital silence, a faint hiss) its "speech" is nobody's voice.
    """
    speech = mask.speech & (mask.threshold_db > INAUDIBLE_DB)
    for a, b in runs(speech, False, mask.hop):
        if b - a < BRIDGE_SECONDS and a > 0 and round(b / mask.hop) < speech.size:
            speech[round(a / mask.hop) : round(b / mask.hop)] = True
    end = speech.size * mask.hop
    regions: list[tuple[float, float]] = []
    for a, b in runs(speech, True, mask.hop, MIN_REGION_SECONDS):
        a, b = max(0.0, a - EDGE_SECONDS), min(end, b + EDGE_SECONDS)
        if regions and a <= regions[-1][1]:
            regions[-1] = (regions[-1][0], b)
        else:
            regions.append((a, b))
    return regions


def plan_windows(
    regions: Sequence[tuple[float, float]], hop: float = WINDOW_SECONDS
) -> list[tuple[float, float, int]]:
    """Windows (start, end, region) covering every region; a short region is one window."""
    windows = []
    for k, (a, b) in enumerate(regions):
        if b - a <= WINDOW_SECONDS:
            windows.append((a, b, k))
            continue
        count = int(np.ceil((b - a - WINDOW_SECONDS) / hop)) + 1
        step = (b - a - WINDOW_SECONDS) / (count - 1)
        windows.extend((a + i * step, a + i * step + WINDOW_SECONDS, k) for i in range(count))
    return windows


# --------------------------------------------------------------------------- voice vectors

MFCC_HOP = 160  # 10 ms at 16 kHz
MFCC_FFT = 512
N_MFCC = 20


def mfcc_vectors(audio: np.ndarray, sample_rate: int, windows: Sequence[tuple[float, float, int]]) -> np.ndarray:
    """Per window: means and spreads of MFCC 1-19 over its loud frames, and its median log pitch.

    MFCC 0 (loudness) is left out: a pupil far from the microphone is quieter, but the
    same pupil closer is the same voice. One STFT and one pitch pass serve every window.
    """
    import librosa

    y = np.asarray(audio, dtype=np.float32)
    if len(y) < MFCC_FFT:
        y = np.pad(y, (0, MFCC_FFT - len(y)))
    power = np.abs(librosa.stft(y, n_fft=MFCC_FFT, hop_length=MFCC_HOP)) ** 2
    mel = librosa.feature.melspectrogram(S=power, sr=sample_rate, n_mels=40, fmax=sample_rate / 2)
    log_mel = librosa.power_to_db(mel)
    mfcc = librosa.feature.mfcc(S=log_mel, n_mfcc=N_MFCC)[1:]
    energy = log_mel.max(axis=0)
    f0 = librosa.yin(y, fmin=65.0, fmax=500.0, sr=sample_rate, frame_length=1024, hop_length=MFCC_HOP * 2)
    pitch = np.where((f0 > 70.0) & (f0 < 480.0), np.log(np.maximum(f0, 1.0)), np.nan)
    per_second = sample_rate / MFCC_HOP
    vectors = np.zeros((len(windows), 2 * mfcc.shape[0] + 1), dtype=np.float64)
    for i, (a, b, _) in enumerate(windows):
        lo, hi = int(a * per_second), max(int(b * per_second), int(a * per_second) + 1)
        block, loud = mfcc[:, lo:hi], energy[lo:hi]
        if block.shape[1] == 0:
            continue
        keep = loud >= np.percentile(loud, 40)  # the voiced, loud frames carry the timbre
        block = block[:, keep] if keep.sum() >= 3 else block
        voiced = pitch[lo // 2 : max(hi // 2, lo // 2 + 1)]
        voiced = voiced[~np.isnan(voiced)]
        vectors[i, : mfcc.shape[0]] = block.mean(axis=1)
        vectors[i, mfcc.shape[0] : -1] = block.std(axis=1)
        vectors[i, -1] = np.median(voiced) if voiced.size else np.nan
    column_median = np.nanmedian(vectors[:, -1]) if np.isfinite(vectors[:, -1]).any() else 0.0
    vectors[np.isnan(vectors[:, -1]), -1] = column_median
    return vectors


def resemblyzer_installed() -> bool:
    """Whether PyTorch and Resemblyzer load (the optional requirements-speakers.txt)."""
    return not resemblyzer_problem()


@functools.cache
def resemblyzer_problem() -> str:
    """Empty when PyTorch and Resemblyzer load; else the note saying why voices are not told apart.

    They are imported, not merely looked up: a PyTorch that is installed but cannot load (a missing
    system library, a wheel for another CPU) is found by ``find_spec`` all the same. Once per process.
    """
    try:
        optional.load("torch", "PyTorch")
        optional.load("resemblyzer", "Resemblyzer")
    except optional.Unavailable as exc:
        return NOT_INSTALLED if not exc.installed else BROKEN.format(reason=exc.reason)
    return ""


NOT_INSTALLED = ("Голоса не разделены: движок resemblyzer не установлен (ему нужен PyTorch). Установите его: "
                 "python tools/make.py speakers (или make speakers; make demo и make test ставят его сами) — "
                 "и обработайте часть заново с --force; или выберите движок без PyTorch: --speakers mfcc.")
BROKEN = ("Голоса не разделены: движок resemblyzer не загружается ({reason}). Переустановите его: "
          "python tools/make.py speakers (или make speakers) — и обработайте часть заново с --force; "
          "или выберите движок без PyTorch: --speakers mfcc.")


@functools.cache
def _voice_encoder() -> Any:
    """Resemblyzer's encoder, loaded once per process (weights from inside its package)."""
    problem = resemblyzer_problem()
    if problem:
        raise UserError(problem)
    from resemblyzer import VoiceEncoder

    return VoiceEncoder("cpu", verbose=False)


RESEMBLYZER_BATCH = 64


def resemblyzer_vectors(
    audio: np.ndarray, sample_rate: int, windows: Sequence[tuple[float, float, int]]
) -> np.ndarray:
    """Per window: Resemblyzer's 256-dimensional voice embedding (L2-normed).

    The mel spectrogram is computed once for the part; every window is a slice of it,
    padded to the model's 1.6 s, and the LSTM runs on batches of windows.
    """
    import torch
    from resemblyzer import hparams, wav_to_mel_spectrogram

    encoder = _voice_encoder()
    if sample_rate != hparams.sampling_rate:
        raise ValueError(f"resemblyzer needs {hparams.sampling_rate} Hz audio")
    y = np.asarray(audio, dtype=np.float32)
    rms = float(np.sqrt(np.mean(y**2))) if y.size else 0.0
    if rms > 0:  # Resemblyzer was trained on audio normalised to -30 dBFS
        y = y * min(10 ** (-30 / 20) / rms, 100.0)
    mel = wav_to_mel_spectrogram(y)
    frames_per_second = 1000 / hparams.mel_window_step
    length = hparams.partials_n_frames
    batch = np.zeros((len(windows), length, mel.shape[1]), dtype=np.float32)
    for i, (a, b, _) in enumerate(windows):
        lo = int(a * frames_per_second)
        hi = min(max(int(b * frames_per_second), lo + 1), lo + length, len(mel))
        piece = mel[lo:hi]
        if len(piece) and len(piece) < length:  # repeat a short window rather than pad it with silence
            piece = np.resize(piece, (length, mel.shape[1]))
        batch[i, : len(piece)] = piece
    out = []
    threads = torch.get_num_threads()
    # One thread: this small LSTM gains little from two, and on a busy machine (another process, a pool of
    # parts) two threads wait on each other: 10 min of speech took 2 s on one thread, 9-16 s on two.
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            for k in range(0, len(batch), RESEMBLYZER_BATCH):
                out.append(encoder(torch.from_numpy(batch[k : k + RESEMBLYZER_BATCH])).numpy())
    finally:
        torch.set_num_threads(threads)
    return np.concatenate(out) if out else np.zeros((0, 256), dtype=np.float32)


# --------------------------------------------------------------------------- clustering


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # voice index per window, -1 for group
    voices: int


# Tuned on the ground truth of bench/bench_speakers.py (turn-taking built from real voices,
# TTS dialogues, one reader alone). Resemblyzer: windows of one voice stay within this cosine
# distance (average linkage). MFCC: the best split must reach this silhouette to be two voices.
VOICE_DISTANCE = 0.35
ONE_VOICE_SILHOUETTE = 0.18
MIN_VOICE_SHARE = 0.04  # a "voice" with less of the speech is folded into its nearest one


def _prepare(vectors: np.ndarray, engine: str) -> np.ndarray:
    if engine == RESEMBLYZER:
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    from sklearn.preprocessing import StandardScaler

    scaled = StandardScaler().fit_transform(vectors)
    scaled[:, -1] *= 2.0  # pitch tells voices apart more surely than any one MFCC
    return scaled


def cluster_voices(vectors: np.ndarray, weights: np.ndarray, engine: str) -> Clustering:
    """Voices among the windows, by agglomerative clustering; tiny clusters fold into the nearest voice.

    Resemblyzer's embeddings are built so that one voice stays within a cosine distance, so
    the tree is cut at :data:`VOICE_DISTANCE`. MFCC statistics have no such scale: the number
    of voices is the split with the best silhouette, and one voice unless a split separates
    clearly (:data:`ONE_VOICE_SILHOUETTE`).
    """
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n < 4:
        return Clustering(np.zeros(n, dtype=int), 1 if n else 0)
    x = _prepare(vectors, engine)
    if engine == RESEMBLYZER:
        tree = AgglomerativeClustering(n_clusters=None, distance_threshold=VOICE_DISTANCE, metric="cosine",
                                       linkage="average")
        best = _fold_small(x, tree.fit_predict(x), weights)
    else:
        best, best_score = np.zeros(n, dtype=int), -1.0
        for k in range(2, min(MAX_VOICES, n - 1) + 1):
            labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x)
            labels = _fold_small(x, labels, weights)
            if len(set(labels)) < 2:
                continue
            score = float(silhouette_score(x, labels))
            if score > best_score + 0.02 * (len(set(labels)) - len(set(best))):  # more voices must earn it
                best, best_score = labels, score
        if best_score < ONE_VOICE_SILHOUETTE:
            best = np.zeros(n, dtype=int)
    _, labels = np.unique(best, return_inverse=True)
    return Clustering(labels, int(labels.max()) + 1)


def _fold_small(x: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    labels = labels.copy()
    total = float(weights.sum()) or 1.0
    while True:
        shares = {c: float(weights[labels == c].sum()) / total for c in set(labels)}
        small = min(shares, key=lambda c: shares[c])
        if shares[small] >= MIN_VOICE_SHARE or len(shares) == 1:
            return labels
        centres = {c: x[labels == c].mean(axis=0) for c in shares if c != small}
        for i in np.flatnonzero(labels == small):
            labels[i] = min(centres, key=lambda c: float(np.sum((x[i] - centres[c]) ** 2)))


def roles(labels: np.ndarray, weights: np.ndarray) -> dict[int, str]:
    """The voice with the most speech is the teacher; every other voice is a pupil."""
    voices = sorted({int(v) for v in labels if v >= 0})
    if not voices:
        return {}
    teacher = max(voices, key=lambda v: float(weights[labels == v].sum()))
    return {v: TEACHER if v == teacher else PUPIL for v in voices}


# --------------------------------------------------------------------------- turns


def turns_from_windows(
    regions: Sequence[tuple[float, float]],
    windows: Sequence[tuple[float, float, int]],
    speakers: Sequence[str],
    hop: float = 0.02,
) -> list[Turn]:
    """Each speech frame takes the speaker of the window centred nearest it; runs become turns.

    Inside one region a run shorter than :data:`MIN_TURN_SECONDS` joins its longer neighbour,
    so one odd window does not make a turn of its own.
    """
    turns: list[Turn] = []
    centres = np.array([(a + b) / 2 for a, b, _ in windows])
    region_of = np.array([k for _, _, k in windows])
    for k, (a, b) in enumerate(regions):
        mine = np.flatnonzero(region_of == k)
        if mine.size == 0:
            continue
        times = np.arange(a, b, hop) + hop / 2
        nearest = mine[np.abs(times[:, None] - centres[mine][None, :]).argmin(axis=1)]
        labels = [speakers[i] for i in nearest]
        pieces: list[list[Any]] = []
        for t, label in zip(times, labels, strict=True):
            if pieces and pieces[-1][2] == label:
                pieces[-1][1] = t + hop / 2
            else:
                pieces.append([t - hop / 2, t + hop / 2, label])
        pieces[0][0], pieces[-1][1] = a, b
        while len(pieces) > 1:
            short = min(range(len(pieces)), key=lambda i: pieces[i][1] - pieces[i][0])
            if pieces[short][1] - pieces[short][0] >= MIN_TURN_SECONDS:
                break
            left = pieces[short - 1] if short > 0 else None
            right = pieces[short + 1] if short + 1 < len(pieces) else None
            into = left if right is None or (left is not None and left[1] - left[0] >= right[1] - right[0]) else right
            into[0], into[1] = min(into[0], pieces[short][0]), max(into[1], pieces[short][1])
            del pieces[short]
            merged: list[list[Any]] = []
            for p in pieces:
                if merged and merged[-1][2] == p[2]:
                    merged[-1][1] = p[1]
                else:
                    merged.append(p)
            pieces = merged
        turns.extend(Turn(round(float(s), 3), round(float(e), 3), label) for s, e, label in pieces)
    return turns


def window_speakers(clustering: Clustering, weights: np.ndarray) -> list[str]:
    """Teacher or pupil per window, by its voice's role."""
    names = roles(clustering.labels, weights)
    return [names.get(int(v), PUPIL) for v in clustering.labels]


def separate(audio: np.ndarray, sample_rate: int, mask: SpeechMask, engine: str = DEFAULT_ENGINE) -> Speakers:
    """The turns of one part: regions from ``mask``, voices by ``engine``, roles by speech time.

    Resemblyzer missing is not an error: the part is still processed, and its note (shown
    in the report) says how to install it.
    """
    if engine not in ENGINES:
        raise UserError(f"Неизвестный движок голосов «{engine}». Выберите один из: {', '.join(ENGINES)}.")
    if engine == NONE:
        return Speakers(NONE, note="Голоса не разделялись (--speakers none). " + ENABLE_HINT)
    if engine == RESEMBLYZER and resemblyzer_problem():
        return Speakers(NONE, note=resemblyzer_problem())
    regions = speech_regions(mask)
    if not regions:
        return Speakers(engine, [], 0, "Речи не слышно: голоса разделять не в чем.")
    speech = sum(b - a for a, b in regions)
    # Under half a minute of speech, windows overlap more: clustering needs points, and it costs little.
    windows = plan_windows(regions, WINDOW_HOP_SECONDS[engine] if speech >= SHORT_SPEECH_SECONDS else SHORT_HOP_SECONDS)
    weights = np.array([b - a for a, b, _ in windows])
    vectors = (resemblyzer_vectors if engine == RESEMBLYZER else mfcc_vectors)(audio, sample_rate, windows)
    clustering = cluster_voices(vectors, weights, engine)
    speakers = window_speakers(clustering, weights)
    turns = turns_from_windows(regions, windows, speakers, mask.hop)
    note = ("Слышен один голос: вся речь отнесена к учителю." if clustering.voices == 1
            else f"Различено голосов: {clustering.voices}; учитель — тот, кто говорит дольше всех.")
    return Speakers(engine, turns, clustering.voices, note)


# --------------------------------------------------------------------------- words and segments


def speaker_at(turns: Sequence[Turn], start: float, end: float) -> str | None:
    """The speaker whose turns overlap ``[start, end]`` the most (``None`` when no turn does)."""
    best, best_overlap = None, 0.0
    mid = (start + end) / 2
    for t in turns:
        overlap = min(end, t.end) - max(start, t.start)
        if overlap > best_overlap or (overlap == best_overlap == 0.0 and best is None and t.start <= mid <= t.end):
            best, best_overlap = t.speaker, overlap
    if best is None and turns:  # a word in a gap of the mask: the nearest turn within half a second
        nearest = min(turns, key=lambda t: min(abs(t.start - mid), abs(t.end - mid)))
        if min(abs(nearest.start - mid), abs(nearest.end - mid)) <= 0.5:
            best = nearest.speaker
    return best


def clip(turns: Sequence[Turn], start: float, end: float) -> list[Turn]:
    """The turns inside ``[start, end]``, cut at its edges."""
    return [Turn(max(t.start, start), min(t.end, end), t.speaker) for t in turns if t.end > start and t.start < end]


SEGMENT_COLUMNS = tuple(SPEAKER_COLUMNS)


def segment_stats(
    speakers: Speakers, start: float, end: float, question_ends: Sequence[float] = ()
) -> dict[str, float | int | str]:
    """The speaker columns of one segment; empty cells where the speakers were not separated.

    Pupils' time includes group speech (pupils answering together, or talking over the
    teacher). ``pupil_answered``: after the teacher's last question in the segment
    (``question_ends``: the end times of question words), is the next turn a pupil's? 1 or
    0, empty when the teacher asked nothing here.
    """
    if not speakers.separated:
        return dict.fromkeys(SEGMENT_COLUMNS, "")
    inside = clip(speakers.turns, start, end)
    teacher = sum(t.duration for t in inside if t.speaker == TEACHER)
    pupil = sum(t.duration for t in inside if t.speaker != TEACHER)
    pupil_turns = [t for t in inside if t.speaker != TEACHER]
    answered: int | str = ""
    asked = [q for q in question_ends if start <= q <= end and speaker_at(speakers.turns, q - 0.3, q) == TEACHER]
    if asked:
        following = [t for t in speakers.turns if t.end > asked[-1] + 0.05 and not (t.start < asked[-1] - 0.3)]
        answered = int(bool(following) and following[0].speaker != TEACHER)
    speech = teacher + pupil
    return {
        "teacher_seconds": round(teacher, 2),
        "pupil_seconds": round(pupil, 2),
        "silence_seconds": round(max(0.0, end - start - speech), 2),
        "teacher_share": round(teacher / max(end - start, 1e-9), 4),
        "pupil_turns": len(pupil_turns),
        "longest_pupil_turn": round(max((t.duration for t in pupil_turns), default=0.0), 2),
        "pupil_answered": answered,
    }


def frame_labels(turns: Sequence[Turn], duration: float, hop: float = 0.02) -> np.ndarray:
    """Per frame of ``hop`` seconds: "" for nobody, else the speaker (for measuring against truth)."""
    labels = np.full(max(0, round(duration / hop)), "", dtype=object)
    for t in turns:
        labels[round(t.start / hop) : round(t.end / hop)] = t.speaker
    return labels


def label_words(document: dict[str, Any], voices: Speakers) -> None:
    """transcript.json gains ``speakers`` (engine, voices, note), ``turns``, and each word its ``speaker``.

    Without separation only ``speakers`` is added: no ``turns`` key means "not separated".
    """
    document.update(voices.to_json())
    if not voices.separated:
        return
    for word in document.get("words") or []:
        who = speaker_at(voices.turns, float(word["start"]), float(word["end"]))
        if who is not None:
            word["speaker"] = who
