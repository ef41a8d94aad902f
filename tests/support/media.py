"""Test media for Part 1, generated with the real ffmpeg: small videos with real speech.

Not a conftest: the Part 1 test modules import these helpers directly, so the fixtures
other parts add to a conftest cannot collide with them.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

from pedpatterns.prepare import media
from tests.support.scripts import REPO_ROOT
from tests.support.tiers import skip_missing
from tests.support.tools import load_tool

# Real voices, beside the repository and not in it: only the checks of accuracy on them (marked `realvoice`)
# read these; every test of the pipeline's behaviour speaks with the committed sample films (lesson_clip).
SHARED_MEDIA = REPO_ROOT.parent / "shared" / "media"
JFK = SHARED_MEDIA / "jfk.flac"
RECORDINGS = ("jfk.flac", "ru.wav", "test_sound_ru.wav", "multilingual.mp3", "stereo_diarization.wav")
NO_SHARED_MEDIA = "нет ../shared/media рядом с репозиторием"


def require_shared_media() -> Path:
    """The folder of real voices, for a check marked ``realvoice`` (tests/conftest.py calls this before each).

    Without the recordings the check is skipped (and counted in one line at the end of the run), unless
    PEDPATTERNS_REQUIRE_MEDIA=1 (tests/tiers.skip_missing): then a missing recording is a failure, so CI notices.
    """
    missing = [name for name in RECORDINGS if not (SHARED_MEDIA / name).is_file()]
    if missing:
        reason = f"{NO_SHARED_MEDIA}: нет {', '.join(missing)} в {SHARED_MEDIA}"
        skip_missing(reason)
    return SHARED_MEDIA


class Clip(NamedTuple):
    """Real speech cut from a committed sample film at lines whose text and timing tools/make_sample_lesson.py
    defines: ``lines`` are its utterances with start/end in the clip's own time (speech ends at or before end)."""

    path: Path
    language: str
    lines: tuple[dict, ...]
    duration: float

    @property
    def text(self) -> str:
        return " ".join(line["text"] for line in self.lines)


# Which consecutive utterances (lesson_script indices) each clip holds: about 10 s of the teacher speaking.
# English: "Look at the board. Today we are going to talk about the weather and the seasons." (1 s pause)
# "Look out of the window. What is the weather like today?"; Russian: the greeting and the lesson's topic.
CLIP_LINES = {"en": (6, 8), "ru": (0, 2)}
_CLIPS = Path(tempfile.mkdtemp(prefix="pedpatterns-clips-"))
atexit.register(shutil.rmtree, _CLIPS, True)


@functools.cache
def lesson_clip(language: str = "en") -> Clip:
    """The ``language`` sample film's clip, cut once per test session with the real ffmpeg (16 kHz mono wav)."""
    tool = load_tool()
    lesson = tool.LESSONS[language]
    first, stop = CLIP_LINES[language]
    utterances = tool.expected_timeline(lesson)["utterances"][first:stop]
    start, end = utterances[0]["start"], utterances[-1]["end"]
    path = _CLIPS / f"{language}.wav"
    ffmpeg("-ss", f"{start}", "-i", str(lesson.out), "-t", f"{end - start:.2f}", "-vn", "-ac", "1",
           "-ar", str(media.SAMPLE_RATE), "-c:a", "pcm_s16le", str(path))
    lines = tuple({**u, "start": round(u["start"] - start, 2), "end": round(u["end"] - start, 2)}
                  for u in utterances)
    return Clip(path, language, lines, round(end - start, 2))


def ffmpeg(*args: str) -> None:
    subprocess.run([media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_video(
    path: Path,
    seconds: float,
    *,
    speech_at: float | None = None,
    speech: Path | None = None,
    gop: int = 20,
    fps: int = 10,
    audio: bool = True,
    blur_first: float | None = None,
    blur_period: float = 10.0,
) -> Path:
    """A small H.264/AAC video: test pattern, silence, and ``speech`` starting at ``speech_at`` s.

    ``gop`` fixes the keyframe interval (frames), so where a stream copy can cut is known.
    ``blur_first`` blurs the first that many seconds of every ``blur_period``.
    """
    video = f"testsrc2=size=320x240:rate={fps}"
    if blur_first is not None:
        video += f",boxblur=8:enable='lt(mod(t\\,{blur_period})\\,{blur_first})'"
    args = ["-f", "lavfi", "-i", video]
    if audio and speech is not None and speech_at is not None:
        args += ["-i", str(speech), "-filter_complex",
                 f"[1:a]aresample=16000,aformat=channel_layouts=mono,adelay={int(speech_at * 1000)}:all=1,apad[a]",
                 "-map", "0:v", "-map", "[a]"]
    elif audio:
        args += ["-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-map", "0:v", "-map", "1:a"]
    args += ["-t", f"{seconds}", "-c:v", "libx264", "-preset", "ultrafast",
             "-x264-params", f"keyint={gop}:min-keyint={gop}:scenecut=0", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "48k"]
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg(*args, str(path))
    return path


BAD_FILMS = ("text", "empty", "silent", "truncated")


def write_bad_film(kind: str, path: Path, good: Path) -> Path:
    """A film a user might really have: a text file named .mp4, zero bytes, no sound, or cut short.

    ``good`` is a real video (its moov atom at the end, as ffmpeg writes it), so cutting it
    in half leaves a truncated file whose header promises more than it holds.
    """
    if kind == "text":
        path.write_text("Это текст, а не видео.\n" * 100, encoding="utf-8")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "silent":
        make_video(path, 3, audio=False)
    elif kind == "truncated":
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        raise ValueError(kind)
    return path


def bundled_tiny_en() -> str:
    """The English tiny.en: quick, and enough for the English test speech. Its package is a runtime requirement:
    without it the install is broken, and every test that needs it fails saying so (model_dir's message)."""
    from pedpatterns.prepare import bundled, speech

    bundled.model_dir(bundled.TINY_EN)
    return speech.BUNDLED_TINY_EN
