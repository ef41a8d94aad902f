"""Dialogues whose speakers are known by construction: the ground truth speaker separation is measured on.

Three kinds, shared by the tests and bench/bench_speakers.py:

* turn-taking from real voices: recordings (../shared/media) cut into phrases at their
  pauses and laid one after another with pauses between; the truth is where each phrase
  was put;
* a two-voice dialogue spoken by the TTS engines installed with the system (festival's
  Russian voice, espeak-ng), in Russian and in English;
* a stereo recording mixed to mono, where each channel's loudness says who speaks and
  both channels at once is overlap ("group").

Scores are frame-level, on 20 ms frames: accuracy over every frame where the truth or the
answer has speech (missed speech, false speech and the wrong speaker all count as errors),
and the teacher's share of the time against the truth's.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pedpatterns.prepare import media, segments
from pedpatterns.prepare.speakers import BRIDGE_SECONDS, GROUP, PUPIL, TEACHER, Turn, frame_labels

SR = media.SAMPLE_RATE
HOP = 0.02


@dataclass(frozen=True)
class Dialogue:
    """Audio (16 kHz mono float32) and the true turns; ``voices`` is the number of distinct voices."""

    name: str
    audio: np.ndarray
    truth: list[Turn]
    voices: int

    @property
    def duration(self) -> float:
        return len(self.audio) / SR


def load_voice(path: Path, channel: int | None = None) -> np.ndarray:
    """A recording as 16 kHz mono float32; ``channel`` picks one channel of a stereo file."""
    pan = [] if channel is None else ["-af", f"pan=mono|c0=c{channel}"]
    done = subprocess.run(
        [media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), *pan,
         "-ac", "1", "-ar", str(SR), "-f", "f32le", "-"],
        capture_output=True, check=True,
    )
    return np.frombuffer(done.stdout, dtype=np.float32).copy()


def phrases(audio: np.ndarray, min_pause: float = 0.3, min_seconds: float = 0.5) -> list[np.ndarray]:
    """The phrases of a recording: its speech between pauses of at least ``min_pause``, trimmed."""
    mask = segments.speech_mask(audio, SR)
    speech = segments.runs(mask.speech, True, mask.hop)
    joined: list[list[float]] = []
    for a, b in speech:
        if joined and a - joined[-1][1] < min_pause:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    return [audio[int(a * SR) : int(b * SR)] for a, b in joined if b - a >= min_seconds]


def lay_out(
    name: str,
    script: Sequence[tuple[str, np.ndarray]],
    rng: np.random.Generator,
    pause: tuple[float, float] = (0.5, 1.2),
    lead: float = 0.5,
) -> Dialogue:
    """Phrases one after another with random pauses; each (speaker role, phrase) becomes a true turn."""
    pieces, truth, t = [np.zeros(int(lead * SR), dtype=np.float32)], [], lead
    for role, phrase in script:
        level = 0.25 / max(float(np.sqrt(np.mean(phrase**2))) * 4, 1e-6)  # the same loudness for every voice
        pieces.append((phrase * min(level, 8.0)).astype(np.float32))
        truth.append(Turn(round(t, 3), round(t + len(phrase) / SR, 3), role))
        t += len(phrase) / SR
        gap = float(rng.uniform(*pause))
        pieces.append(np.zeros(int(gap * SR), dtype=np.float32))
        t += int(gap * SR) / SR
    audio = np.concatenate(pieces)
    return Dialogue(name, audio, truth, 0)


ENGLISH_PART_SECONDS = 30.3  # multilingual.mp3: English until here, then German in another voice


def _readers(media_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The two readers of multilingual.mp3: the English half and the German half are different voices."""
    audio = load_voice(media_dir / "multilingual.mp3")
    cut = int(ENGLISH_PART_SECONDS * SR)
    return audio[:cut], audio[cut:]


def real_voices(media_dir: Path, seed: int = 0) -> Dialogue:
    """A teacher (the English reader of multilingual.mp3) and four pupils (its German reader,
    J. F. Kennedy, each channel of stereo_diarization.wav), taking turns.

    The teacher speaks in longer stretches and most of the time, pupils answer in turn.
    """
    rng = np.random.default_rng(seed)
    english, german = _readers(media_dir)
    teacher = phrases(english, min_pause=0.15)
    pupils = [phrases(german, min_pause=0.15), phrases(load_voice(media_dir / "jfk.flac")),
              phrases(load_voice(media_dir / "stereo_diarization.wav", 0)),
              phrases(load_voice(media_dir / "stereo_diarization.wav", 1))]
    order = rng.permutation(len(teacher))
    script: list[tuple[str, np.ndarray]] = []
    p = 0
    for k, index in enumerate(order):
        script.append((TEACHER, teacher[index]))
        if k % 2 == 1:
            voice = pupils[p % len(pupils)]
            script.append((PUPIL, voice[(p // len(pupils) + seed) % len(voice)]))
            p += 1
    return _named(lay_out("real-voices", script, rng), 1 + len(pupils))


def one_voice(media_dir: Path, seed: int = 0) -> Dialogue:
    """One reader only: all speech is the teacher's."""
    rng = np.random.default_rng(seed)
    english, _ = _readers(media_dir)
    script = [(TEACHER, phrase) for phrase in phrases(english, min_pause=0.15)]
    return _named(lay_out("one-voice", script, rng), 1)


def overlap(media_dir: Path) -> Dialogue:
    """stereo_diarization.wav mixed to mono; truth by channel loudness, both at once = "group".

    The louder-longer channel is the teacher. Not a lesson, but the one real recording of two
    people talking over each other.
    """
    path = media_dir / "stereo_diarization.wav"
    left, right = load_voice(path, 0), load_voice(path, 1)
    n = min(len(left), len(right))
    left, right = left[:n], right[:n]
    masks = [_bridged(segments.speech_mask(c, SR)) for c in (left, right)]
    shares = [m.mean() for m in masks]
    teacher_channel = int(np.argmax(shares))
    labels = np.full(min(m.size for m in masks), "", dtype=object)
    a, b = masks[teacher_channel][: labels.size], masks[1 - teacher_channel][: labels.size]
    labels[a & ~b], labels[b & ~a], labels[a & b] = TEACHER, PUPIL, GROUP
    truth = _turns_from_labels(labels)
    return Dialogue("overlap", ((left + right) / 2).astype(np.float32), truth, 2)


def _bridged(mask: segments.SpeechMask) -> np.ndarray:
    """A channel's speech with the short gaps inside its phrases filled, as turns fill them."""
    speech = mask.speech.copy()
    for a, b in segments.runs(speech, False, mask.hop):
        if b - a < BRIDGE_SECONDS and a > 0 and round(b / mask.hop) < speech.size:
            speech[round(a / mask.hop) : round(b / mask.hop)] = True
    return speech


def _turns_from_labels(labels: np.ndarray) -> list[Turn]:
    turns: list[Turn] = []
    for i, label in enumerate(labels):
        if not label:
            continue
        if turns and turns[-1].speaker == label and abs(turns[-1].end - i * HOP) < 0.31:
            turns[-1] = Turn(turns[-1].start, round((i + 1) * HOP, 3), label)
        else:
            turns.append(Turn(round(i * HOP, 3), round((i + 1) * HOP, 3), label))
    return turns


def _named(dialogue: Dialogue, voices: int) -> Dialogue:
    return Dialogue(dialogue.name, dialogue.audio, dialogue.truth, voices)


# --------------------------------------------------------------------------- TTS

TTS_LINES = {
    "ru": {
        TEACHER: [
            "Здравствуйте, ребята. Сегодня мы начинаем новую тему: дроби.",
            "Кто помнит, что такое числитель?",
            "Правильно. А что показывает знаменатель дроби?",
            "Хорошо. Давайте разрежем пирог на восемь равных частей и возьмём три из них.",
            "Какую дробь мы получили?",
            "Верно, три восьмых. Теперь сравним её с одной второй.",
            "Какая дробь больше, и почему вы так думаете?",
            "Отлично. Запишите в тетрадь правило сравнения дробей с одинаковым знаменателем.",
        ],
        PUPIL: [
            "Числитель стоит сверху.",
            "На сколько частей делят целое.",
            "Три восьмых.",
            "Одна вторая больше, потому что это четыре восьмых.",
        ],
    },
    "en": {
        TEACHER: [
            "Good morning, class. Today we are going to talk about the weather.",
            "Who can tell me what the weather is like today?",
            "Yes, that is right. And what was the weather like yesterday?",
            "Very good. Now open your books at page twenty and look at the pictures.",
            "What can you see in the first picture?",
            "Excellent. Let us read the text together, slowly and clearly.",
            "Why do you think the boy is wearing a warm coat?",
            "Well done, everybody. Please write five sentences about your favourite season.",
        ],
        PUPIL: [
            "It is sunny and warm.",
            "It was rainy and cold.",
            "I can see a big snowman.",
            "Because it is winter and very cold outside.",
        ],
    },
}

# (engine, voice) per language and role: festival's Russian voice when it is installed, else espeak-ng.
TTS_VOICES = {
    "ru": {TEACHER: [("festival", "msu_ru_nsh_clunits"), ("espeak-ng", "ru+m3")], PUPIL: [("espeak-ng", "ru+f4")]},
    "en": {TEACHER: [("espeak-ng", "en-gb")], PUPIL: [("espeak-ng", "en-us+f3")]},
}


def tts_available() -> list[str]:
    """The TTS programs found on PATH (what :func:`tts_dialogue` can speak with)."""
    return [name for name in ("espeak-ng", "text2wave") if shutil.which(name)]


def speak(text: str, engine: str, voice: str, workdir: Path) -> np.ndarray | None:
    """One line spoken by a TTS engine, as 16 kHz mono; ``None`` when that voice is missing."""
    out = workdir / f"line-{abs(hash((text, engine, voice)))}.wav"
    if engine == "festival":
        if not shutil.which("text2wave"):
            return None
        subprocess.run(["text2wave", "-eval", f"({'voice_' + voice})", "-o", str(out)],
                       input=text.encode("utf-8"), capture_output=True, check=False)
    else:
        if not shutil.which("espeak-ng"):
            return None
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(out), text], capture_output=True, check=False)
    if not out.is_file() or out.stat().st_size < 2000:  # festival exits 0 even for an unknown voice
        return None
    audio = load_voice(out)
    kept = phrases(audio, min_pause=10.0, min_seconds=0.2)
    return kept[0] if kept else None


def tts_dialogue(language: str, seed: int = 0) -> Dialogue:
    """A teacher and a pupil in ``language`` ("ru" or "en"): each teacher line, an answer after every other."""
    rng = np.random.default_rng(seed)
    lines = TTS_LINES[language]
    with tempfile.TemporaryDirectory(prefix="pedpatterns-tts-") as folder:
        work = Path(folder)

        def say(role: str, text: str) -> np.ndarray:
            for engine, voice in TTS_VOICES[language][role]:
                audio = speak(text, engine, voice, work)
                if audio is not None:
                    return audio
            raise RuntimeError(f"no TTS voice for {language}/{role}: install espeak-ng")

        script: list[tuple[str, np.ndarray]] = []
        answers = iter(lines[PUPIL])
        for k, text in enumerate(lines[TEACHER]):
            script.append((TEACHER, say(TEACHER, text)))
            if k % 2 == 1:
                answer = next(answers, None)
                if answer:
                    script.append((PUPIL, say(PUPIL, answer)))
    return _named(lay_out(f"tts-{language}", script, rng), 2)


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class Score:
    accuracy: float  # share of frames with speech in truth or answer that carry the right speaker
    teacher_share: float  # teacher's share of the time, answered
    true_teacher_share: float
    teacher_speech_share: float  # teacher's share of the speech, answered
    true_teacher_speech_share: float


def score(answer: Sequence[Turn], truth: Sequence[Turn], duration: float, group_as_pupil: bool = False) -> Score:
    """Frame-level accuracy and the teacher's share, answer against truth."""
    got, want = frame_labels(answer, duration, HOP), frame_labels(truth, duration, HOP)
    if group_as_pupil:
        got = np.where(got == GROUP, PUPIL, got)
        want = np.where(want == GROUP, PUPIL, want)
    active = (got != "") | (want != "")
    accuracy = float((got[active] == want[active]).mean()) if active.any() else 1.0

    def shares(labels: np.ndarray) -> tuple[float, float]:
        teacher = float((labels == TEACHER).sum())
        speech = float((labels != "").sum())
        return teacher / max(labels.size, 1), teacher / speech if speech else 0.0

    (time_got, speech_got), (time_want, speech_want) = shares(got), shares(want)
    return Score(round(accuracy, 4), round(time_got, 4), round(time_want, 4), round(speech_got, 4),
                 round(speech_want, 4))
