"""Media the benchmarks share, generated once into a temporary cache (never into the project).

The long videos are made quickly: one minute is encoded, then looped by stream copy.
Dense speech is built from the real recordings in ../shared/media, whose words are
known, so recognition accuracy (WER) can be measured on the same audio as its speed.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pedpatterns.prepare import media

ROOT = Path(__file__).resolve().parent.parent

SHARED_MEDIA = ROOT.parent / "shared" / "media"
CACHE = Path(tempfile.gettempdir()) / "pedpatterns-bench"

# What is said in each recording (from ../shared/media/PROVENANCE.md); the channel picks
# one speaker of the stereo file.
UTTERANCES: list[tuple[str, str, str]] = [
    ("jfk.flac", "",
     "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."),
    ("stereo_diarization.wav", "c0",
     "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."),
    ("stereo_diarization.wav", "c1", "The horizon seems extremely distant."),
]


def ffmpeg(*args: str) -> None:
    subprocess.run([media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", *args], check=True)


def cached(name: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE / name


def have_shared_media() -> bool:
    return all((SHARED_MEDIA / f).is_file() for f, _, _ in UTTERANCES)


def lesson_720p(minutes: int = 25) -> Path:
    """A 720p H.264/AAC "lesson" of ``minutes``, keyframes every 2 s, like a phone or camera file."""
    target = cached(f"lesson_720p_{minutes}min.mp4")
    if target.is_file():
        return target
    minute = cached("minute_720p.mp4")
    if not minute.is_file():
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25", "-f", "lavfi",
               "-i", "sine=frequency=220:sample_rate=44100", "-t", "60",
               "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "2M", "-g", "50",
               "-c:a", "aac", "-b:a", "128k", "-shortest", str(minute))
    tmp = target.with_suffix(".tmp.mp4")
    ffmpeg("-stream_loop", str(minutes - 1), "-i", str(minute), "-c", "copy", str(tmp))
    tmp.replace(target)
    return target


def utterance_audio(name: str, channel: str) -> Path:
    """One speaker's recording as 16 kHz mono WAV."""
    target = cached(f"utt_{Path(name).stem}_{channel or 'mono'}.wav")
    if not target.is_file():
        pan = ["-af", f"pan=mono|c0={channel}"] if channel else ["-ac", "1"]
        ffmpeg("-i", str(SHARED_MEDIA / name), *pan, "-ar", "16000", str(target))
    return target


def dense_speech(seconds: float = 600.0, gap: float = 0.4) -> tuple[Path, str]:
    """``seconds`` of back-to-back real speech (the utterances in turn) and its reference text."""
    import numpy as np
    import soundfile as sf

    target = cached(f"dense_speech_{int(seconds)}s.wav")
    pieces = [(media.decode_audio(utterance_audio(n, c)), text) for n, c, text in UTTERANCES]
    silence = np.zeros(int(gap * media.SAMPLE_RATE), dtype=np.float32)
    audio, words, total, k = [], [], 0, 0
    while total + len(pieces[k % len(pieces)][0]) <= seconds * media.SAMPLE_RATE:
        samples, text = pieces[k % len(pieces)]
        audio += [samples, silence]
        words.append(text)
        total += len(samples) + len(silence)
        k += 1
    audio.append(np.zeros(int(seconds * media.SAMPLE_RATE) - total, dtype=np.float32))
    if not target.is_file():
        sf.write(str(target), np.concatenate(audio), media.SAMPLE_RATE, subtype="PCM_16")
    return target, " ".join(words)


def russian_lesson_speech(seconds: float = 600.0) -> tuple[Path, str]:
    """The bundled Russian sample lesson (teacher and pupil, TTS) repeated to ``seconds``, and its script.

    Its lines are all different, unlike the two short real Russian recordings: repeated back to back those
    make every 30-s window compress so well that Whisper falls back to sampling, which no lesson does.
    """
    import importlib.util

    import numpy as np
    import soundfile as sf

    spec = importlib.util.spec_from_file_location("make_sample_lesson", ROOT / "tools" / "make_sample_lesson.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    lesson = tool.LESSONS["ru"]
    once = media.decode_audio(lesson.out)
    text = " ".join(line.text for line in tool.lesson_script(lesson))
    times = max(1, int(seconds * media.SAMPLE_RATE // len(once)))
    target = cached(f"russian_lesson_{int(seconds)}s.wav")
    if not target.is_file():
        rest = np.zeros(max(0, int(seconds * media.SAMPLE_RATE) - times * len(once)), dtype=np.float32)
        sf.write(str(target), np.concatenate([*[once] * times, rest]), media.SAMPLE_RATE, subtype="PCM_16")
    return target, " ".join([text] * times)


def lesson_part(seconds: float = 600.0) -> Path:
    """A 480p part of ``seconds`` with dense real speech: what one 10-minute part looks like."""
    target = cached(f"part_480p_{int(seconds)}s.mp4")
    if target.is_file():
        return target
    speech, _ = dense_speech(seconds)
    minute = cached("minute_480p.mp4")
    if not minute.is_file():
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=854x480:rate=25", "-t", "60",
               "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "1M", "-g", "50", "-an", str(minute))
    loops = int(seconds // 60)
    tmp = target.with_suffix(".tmp.mp4")
    ffmpeg("-stream_loop", str(loops), "-i", str(minute), "-i", str(speech), "-map", "0:v", "-map", "1:a",
           "-c:v", "copy", "-c:a", "aac", "-b:a", "64k", "-t", f"{seconds}", str(tmp))
    tmp.replace(target)
    return target


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table: readable in a terminal and in bench/README.md alike."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    return "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells[1:])])


def machine() -> str:
    import os
    import platform

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} ядра, Python {platform.python_version()}"


GOAL_PREFIX = "ЦЕЛЬ |"


def goal(what: str, measured: str, naive: str, target: str, met: bool | None) -> str:
    """Print one row of the summary table that bench/run_all.py gathers from every benchmark.

    ``met`` is ``None`` for a figure that is only recorded, not held to a goal.
    """
    verdict = "записано" if met is None else ("да" if met else "НЕТ")
    line = f"{GOAL_PREFIX} {what} | {measured} | {naive} | {target} | {verdict}"
    print(line)
    return line
