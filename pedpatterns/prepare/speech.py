"""Speech recognition: one function in front of faster-whisper (default) and openai-whisper.

A part's audio is recognised once, as a whole, with word timestamps; the words are then
assigned to segments by time. Whisper invents text over silence when it is left to, so
the VAD filter is on and no window is conditioned on the previous one's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pedpatterns import optional
from pedpatterns.errors import UserError
from pedpatterns.prepare import bundled
from pedpatterns.prepare.media import SAMPLE_RATE
from pedpatterns.prepare.options import ASR_ENGINES as ENGINES
from pedpatterns.prepare.options import (  # the defaults live with the options; imported here, not copied
    DEFAULT_BATCH_SIZE,
    DEFAULT_BEAM_SIZE,
    DEFAULT_LANGUAGE,
    DEFAULT_MODEL,
    FASTER_WHISPER,
    OPENAI_WHISPER,
)

BUNDLED = bundled.BASE.name  # the offline multilingual base, installed with the project
BUNDLED_TINY_EN = bundled.TINY_EN.name  # the offline English tiny.en: quick English runs and tests
AUTO_LANGUAGE = "auto"
# Language detection listens to at most this many 30-s windows of speech, spread over the part: one
# window of a lesson's opening (a greeting, a name) misleads the base model, three rarely do.
LANGUAGE_WINDOWS = 3
# Below this the detected language is printed with a warning: the base model chose Czech for synthetic
# Russian with about this confidence, while real lessons come out above 0.9.
LOW_LANGUAGE_PROBABILITY = 0.8
# DEFAULT_BATCH_SIZE and DEFAULT_BEAM_SIZE: chosen from bench/bench_asr.py, see prepare/options.py.


@dataclass(frozen=True)
class Word:
    """One recognised word: on the part's time axis in a transcript, on the lesson's in a report."""

    start: float
    end: float
    word: str
    probability: float = 1.0  # unknown for a transcript that kept only phrases


@dataclass
class Transcript:
    """What recognition produced for one part; times are seconds from the part's start."""

    engine: str
    model: str
    language: str
    duration: float
    words: list[Word] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)
    language_probability: float | None = None  # set when the language was detected, not given

    @property
    def text(self) -> str:
        return join_words(self.words)

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "model": self.model,
            "language": self.language,
            "language_probability": self.language_probability,
            "duration": round(self.duration, 3),
            "words": [asdict(w) for w in self.words],
            "segments": self.segments,
        }


def join_words(words: list[Word]) -> str:
    """Whisper's words carry their own leading spaces; joining them restores the text."""
    return "".join(w.word for w in words).strip()


def wer_words(text: str) -> list[str]:
    """Words as WER counts them: lower case, ё as е, punctuation and hyphens dropped (Whisper adds both)."""
    return re.findall(r"[\w']+", text.lower().replace("ё", "е").replace("-", " "))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference's length: the one measure tests, tools and bench use."""
    ref, hyp = wer_words(reference), wer_words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[:], i
        for j, h in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (r != h))
    return row[-1] / max(1, len(ref))


def resolve_model(name: str) -> str:
    """A size name (downloaded on first use) stays as is; bundled names and folders become paths."""
    if name in bundled.MODELS:
        return str(bundled.model_dir(bundled.MODELS[name]))
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path.resolve())
    looks_like_path = name.startswith(("/", ".", "~")) or "\\" in name or path.exists()
    if looks_like_path:  # "owner/name" without a leading dot or slash is a Hugging Face model id
        raise UserError(
            f"Папка модели Whisper «{name}» не найдена (или это не папка). Проверьте путь в --whisper-model."
        )
    return name


def _model_missing(model: str, exc: BaseException) -> UserError:
    return UserError(
        f"Не удалось загрузить модель распознавания речи Whisper «{model}» "
        f"({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}).\n"
        "При первом запуске модель скачивается из интернета (Hugging Face) и сохраняется в кэше; "
        "подключитесь к интернету и запустите команду снова.\n"
        "Без интернета укажите папку с уже скачанной моделью CTranslate2: --whisper-model /путь/к/папке "
        "(в папке лежат model.bin, config.json, tokenizer.json), "
        f"или встроенную многоязычную модель base, она ставится вместе с проектом: --whisper-model {BUNDLED}."
    )


@dataclass
class Recognizer:
    """A loaded model and how to run it; load once per process, reuse for every part."""

    engine: str
    model_name: str
    model: Any  # faster-whisper's WhisperModel, or openai-whisper's model
    batch_size: int = DEFAULT_BATCH_SIZE
    beam_size: int = DEFAULT_BEAM_SIZE
    multilingual: bool = True
    batched: Any = None  # faster-whisper's BatchedInferencePipeline when batch_size > 1

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None = DEFAULT_LANGUAGE,
        on_progress: Callable[[float], None] | None = None,
    ) -> Transcript:
        """Recognise a whole part; ``on_progress`` receives seconds of audio done.

        Without a language the part's language is detected once, from speech spread over the whole
        part, and the part is then recognised in that language: Whisper's own detection hears only
        the first 30 s, and a wrong guess there turns a Russian lesson into Czech text.
        """
        lang = None if language in (None, "", AUTO_LANGUAGE) else language
        probability = None
        if not self.multilingual:
            if lang not in (None, "en"):
                raise UserError(
                    f"Модель «{self.model_name}» распознаёт только английскую речь, а указан язык «{lang}». "
                    f"Для русских уроков возьмите многоязычную: --whisper-model {BUNDLED} "
                    "(встроенная) или small; для английской речи укажите --language en."
                )
            lang = "en"
        elif lang is None:
            lang, probability = self.detect_language(audio)
        if self.engine == OPENAI_WHISPER:
            transcript = _openai_transcribe(self, audio, lang or None)
        else:
            transcript = _faster_transcribe(self, audio, lang or None, on_progress)
        transcript.language_probability = probability
        return transcript

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        """The most probable language of the part's speech and its probability ("" when there is no speech)."""
        windows = speech_windows(audio)
        totals: dict[str, float] = {}
        for window in windows:
            for language, p in self._language_probabilities(window).items():
                totals[language] = totals.get(language, 0.0) + p / len(windows)
        if not totals:
            return "", 0.0
        best = max(totals, key=lambda language: totals[language])
        return best, round(totals[best], 4)

    def _language_probabilities(self, window: np.ndarray) -> dict[str, float]:
        if self.engine == OPENAI_WHISPER:
            import whisper

            mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(window.astype(np.float32)),
                                              n_mels=self.model.dims.n_mels)
            _, probabilities = self.model.detect_language(mel)
            return {str(k): float(v) for k, v in probabilities.items()}
        _, _, ranked = self.model.detect_language(audio=window, language_detection_segments=1)
        return {str(k): float(v) for k, v in ranked}


def speech_windows(audio: np.ndarray, count: int = LANGUAGE_WINDOWS, seconds: float = 30.0) -> list[np.ndarray]:
    """Up to ``count`` windows of speech alone (pauses cut out by the VAD), spread evenly over the part."""
    from faster_whisper.vad import get_speech_timestamps

    chunks = get_speech_timestamps(audio)
    if not chunks:
        return []
    speech = np.concatenate([audio[c["start"] : c["end"]] for c in chunks])
    size = int(seconds * SAMPLE_RATE)
    if len(speech) <= size:
        return [speech]
    starts = np.linspace(0, len(speech) - size, max(1, min(count, len(speech) // size))).astype(int)
    return [speech[start : start + size] for start in starts]


def language_line(part: str, language: str, probability: float | None) -> str:
    """What the user reads about a detected language, with a warning when the guess is weak."""
    if probability is None:
        return ""
    if not language:
        return f"  Язык части {part}: речи не найдено."
    line = f"  Язык части {part} определён: {language} (вероятность {probability:.2f})."
    if probability < LOW_LANGUAGE_PROBABILITY:
        line += ("\n  Внимание: язык определён неуверенно. Если урок на русском, обработайте часть заново "
                 "с --language ru --force.")
    return line


def load_recognizer(
    model: str = DEFAULT_MODEL,
    engine: str = FASTER_WHISPER,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    beam_size: int = DEFAULT_BEAM_SIZE,
    cpu_threads: int = 0,
) -> Recognizer:
    """Load a Whisper model: a size name, a local folder, or one of the bundled models."""
    if engine not in ENGINES:
        raise UserError(f"Неизвестный движок распознавания «{engine}». Возможные: {', '.join(ENGINES)}.")
    if engine == OPENAI_WHISPER:
        loaded = _load_openai(model)
        return Recognizer(engine, model, loaded, batch_size, beam_size, bool(loaded.is_multilingual))
    resolved = resolve_model(model)
    try:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        whisper = WhisperModel(resolved, device="cpu", compute_type="int8", cpu_threads=cpu_threads)
    except UserError:
        raise
    except Exception as exc:  # offline, no cache, broken folder: all mean "model not available"
        raise _model_missing(model, exc) from None
    batched = BatchedInferencePipeline(model=whisper) if batch_size > 1 else None
    return Recognizer(engine, model, whisper, batch_size, beam_size, bool(whisper.model.is_multilingual), batched)


def _faster_transcribe(
    recognizer: Recognizer,
    audio: np.ndarray,
    language: str | None,
    on_progress: Callable[[float], None] | None,
) -> Transcript:
    options: dict[str, Any] = {
        "language": language,
        "beam_size": recognizer.beam_size,
        "word_timestamps": True,
        "vad_filter": True,
        "condition_on_previous_text": False,
    }
    if recognizer.batch_size > 1:
        options["batch_size"] = recognizer.batch_size
    segments_iter, info = (recognizer.batched or recognizer.model).transcribe(audio, **options)
    words: list[Word] = []
    segments: list[dict[str, Any]] = []
    for seg in segments_iter:
        seg_words = [
            Word(round(float(w.start), 3), round(float(w.end), 3), w.word, round(float(w.probability), 4))
            for w in (seg.words or [])
        ]
        words.extend(seg_words)
        segments.append({
            "start": round(float(seg.start), 3),
            "end": round(float(seg.end), 3),
            "text": seg.text.strip(),
            "avg_logprob": round(float(seg.avg_logprob), 4),
            "no_speech_prob": round(float(seg.no_speech_prob), 4),
        })
        if on_progress:
            on_progress(float(seg.end))
    words.sort(key=lambda w: (w.start, w.end))
    return Transcript(FASTER_WHISPER, recognizer.model_name, info.language, len(audio) / SAMPLE_RATE, words, segments)


def _load_openai(model: str) -> Any:
    try:
        whisper = optional.load("whisper", "openai-whisper")
    except optional.Unavailable as exc:
        what = ("Движок openai-whisper не установлен. Установите его" if not exc.installed else
                f"Движок openai-whisper не загружается ({exc.reason}). Переустановите его")
        raise UserError(
            f"{what} (PyTorch для процессора и openai-whisper):\n"
            "  python tools/make.py openai-whisper   (или make openai-whisper)\n"
            "или используйте движок по умолчанию: --asr-engine faster-whisper."
        ) from None
    if model in bundled.MODELS:
        raise UserError(
            f"Встроенная модель («{model}») есть только для faster-whisper. Для openai-whisper укажите "
            "размер модели (tiny, base, small…) или путь к файлу .pt в --whisper-model."
        )
    try:
        return whisper.load_model(model, device="cpu")
    except Exception as exc:
        raise _model_missing(model, exc) from None


def _openai_transcribe(recognizer: Recognizer, audio: np.ndarray, language: str | None) -> Transcript:
    result = recognizer.model.transcribe(
        audio.astype(np.float32, copy=False),
        language=language,
        word_timestamps=True,
        condition_on_previous_text=False,
        fp16=False,
        beam_size=recognizer.beam_size if recognizer.beam_size > 1 else None,
    )
    words: list[Word] = []
    segments: list[dict[str, Any]] = []
    for seg in result.get("segments", []):
        for w in seg.get("words", []):
            words.append(Word(round(float(w["start"]), 3), round(float(w["end"]), 3), w["word"],
                              round(float(w.get("probability", 0.0)), 4)))
        segments.append({
            "start": round(float(seg["start"]), 3),
            "end": round(float(seg["end"]), 3),
            "text": str(seg["text"]).strip(),
            "avg_logprob": round(float(seg.get("avg_logprob", 0.0)), 4),
            "no_speech_prob": round(float(seg.get("no_speech_prob", 0.0)), 4),
        })
    words.sort(key=lambda w: (w.start, w.end))
    language_found = str(result.get("language") or language or "")
    return Transcript(OPENAI_WHISPER, recognizer.model_name, language_found, len(audio) / SAMPLE_RATE, words, segments)
