"""Everything pedpatterns asks of ffmpeg: probing, cutting, decoding audio, frames and MP3 clips.

The ffmpeg used is the one imageio-ffmpeg ships, so nothing installed by hand is
assumed. Every call passes an argument list (never a shell), so quotes, spaces,
Cyrillic letters and emoji in file names are safe. Heavy resources are decoded once:
the audio of a part becomes one 16 kHz mono float32 array that recognition, features
and the MP3 clips all share.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import functools
import os
import re
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pedpatterns.errors import UserError

SAMPLE_RATE = 16000
MP3_BITRATE = "32k"


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary bundled with imageio-ffmpeg (downloaded with the wheel)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class MediaInfo:
    """What ``ffmpeg -i`` says about a file."""

    path: Path
    duration: float
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0


_INPUT_RE = re.compile(r"Input #0, ([\w,]+?), from")
_DURATION_RE = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM_RE = re.compile(r"Stream #\d+:\d+\S*: (Video|Audio): (.*)")
_SIZE_RE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS_RE = re.compile(r"([\d.]+) fps")


def parse_probe(path: Path, stderr: str) -> MediaInfo:
    """Parse the banner ``ffmpeg -i`` prints; pure, so it is tested without files."""
    match = _DURATION_RE.search(stderr)
    duration = 0.0
    if match:
        h, m, s = match.groups()
        duration = int(h) * 3600 + int(m) * 60 + float(s)
    has_video = has_audio = False
    width = height = 0
    fps = 0.0
    for kind, rest in _STREAM_RE.findall(stderr):
        if kind == "Audio":
            has_audio = True
        elif "attached pic" not in rest and not has_video:
            has_video = True
            size = _SIZE_RE.search(rest)
            if size:
                width, height = int(size[1]), int(size[2])
            rate = _FPS_RE.search(rest)
            if rate:
                fps = float(rate[1])
    return MediaInfo(Path(path), duration, has_video, has_audio, width, height, fps)


_MP4_FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot")


def _looks_like_mp4(path: Path) -> bool:
    """Whether the file starts like an MP4/MOV (a box header); a text file named .mp4 does not."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    return head[4:8] in _MP4_FIRST_BOXES


def probe(path: Path) -> MediaInfo:
    """Duration and streams of a media file; a file ffmpeg cannot read is a :class:`UserError`."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"Файл «{path}» не найден.")
    if path.stat().st_size == 0:
        raise UserError(f"Файл «{path.name}» пустой (0 байт). Скопируйте видео заново.")
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True, text=True, errors="replace", check=False,
    )
    stderr = result.stderr
    raise_if_file_system(stderr, path)  # an unreadable file is a permission to fix, not a damaged video
    if "moov atom not found" in stderr and _looks_like_mp4(path):
        raise UserError(
            f"Файл «{path.name}» обрезан или не дописан (в MP4 нет оглавления «moov»): "
            "скорее всего, копирование или запись прервались. Скопируйте или сохраните видео заново."
        )
    container = _INPUT_RE.search(stderr)
    if container and (container[1] == "image2" or container[1].endswith("_pipe")):
        raise UserError(
            f"Файл «{path.name}» — не видео, а картинка ({container[1].removesuffix('_pipe')}), хотя его имя "
            "оканчивается на видеорасширение. Нужна видеозапись урока (mp4, mov, mkv…) со звуком."
        )
    info = parse_probe(path, stderr)
    if "Invalid data found when processing input" in stderr or not (info.has_video or info.has_audio):
        raise UserError(
            f"Файл «{path.name}» — не видео, или он повреждён: ffmpeg не смог его прочитать. "
            "Проверьте, что это видеозапись урока (mp4, mov, mkv…), и скопируйте её заново."
        )
    return info


def require_lesson_video(info: MediaInfo) -> None:
    """A lesson needs a picture, a sound track and a length; say which is missing."""
    name = info.path.name
    if not info.has_video:
        raise UserError(f"В файле «{name}» нет видеодорожки. Нужна видеозапись урока.")
    if not info.has_audio:
        raise UserError(
            f"В файле «{name}» нет звуковой дорожки: без звука речь не распознать. "
            "Нужна видеозапись урока со звуком."
        )
    if info.duration <= 0:
        raise UserError(f"Не удалось определить длительность «{name}»: файл, вероятно, повреждён.")


@dataclass(frozen=True)
class Span:
    """One part as the segment muxer actually cut it (times in the film, seconds)."""

    file: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


_TIME_RE = re.compile(r"out_time_(?:us|ms)=(\d+)")


@contextlib.contextmanager
def _one_cpu() -> Iterator[None]:
    """Start a child process bound to one CPU (Linux; elsewhere nothing changes).

    ffmpeg 7+ hands every packet from its demuxer thread to its muxer thread. A stream copy
    does almost nothing else, so the hand-offs decide its speed, and on one core they are
    cheap switches rather than cross-core wake-ups: a 25-minute 720p cut measured 0.64 s
    instead of 0.96 s. The child inherits the affinity of the thread that starts it, so the
    calling thread is bound for the moment of the start only.
    """
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {max(before)})
    except OSError:
        yield
        return
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def cut_by_copy(
    src: Path,
    out_dir: Path,
    part_seconds: float,
    *,
    on_progress: Callable[[float], None] | None = None,
) -> list[Span]:
    """Cut ``src`` into parts of about ``part_seconds`` in one stream-copy pass.

    A copy can start a part only at a keyframe, so each part's real start and end are
    read back from the muxer's segment list rather than assumed. Parts are written as
    ``part_001.mp4``… in ``out_dir``; ``on_progress`` receives seconds of film copied.
    """
    out_dir = Path(out_dir)
    listing = out_dir / "segments.csv"
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y",
        "-i", str(src),
        "-map", "0:v:0", "-map", "0:a:0", "-c", "copy", "-dn", "-sn",
        "-f", "segment", "-segment_time", f"{part_seconds:.3f}", "-reset_timestamps", "1",
        "-segment_start_number", "1", "-segment_list", str(listing), "-segment_list_type", "csv",
        "-progress", "pipe:1", "-nostats",
        str(out_dir / "part_%03d.mp4"),
    ]
    with _one_cpu():
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace"
        )
    assert process.stdout is not None and process.stderr is not None
    for line in process.stdout:
        match = _TIME_RE.match(line.strip())
        if match and on_progress:
            on_progress(int(match[1]) / 1e6)
    stderr = process.stderr.read()
    if process.wait() != 0 or not listing.is_file():
        raise_if_file_system(stderr, out_dir)
        raise UserError(
            f"Не удалось нарезать «{Path(src).name}»: {last_line(stderr) or 'ffmpeg завершился с ошибкой'}. "
            "Файл, вероятно, повреждён; скопируйте видео заново."
        )
    return read_segment_list(listing)


def read_segment_list(listing: Path) -> list[Span]:
    """The muxer's CSV (file,start,end), times shifted so the first part starts at 0."""
    with open(listing, encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.reader(handle) if len(r) >= 3]
    spans = [Span(r[0], float(r[1]), float(r[2])) for r in rows]
    if not spans:
        return []
    origin = spans[0].start
    return [Span(s.file, round(s.start - origin, 6), round(s.end - origin, 6)) for s in spans]


# What ffmpeg prints when the file system, not the media, refused a write.
_FS_REFUSALS = (
    ("No space left on device", errno.ENOSPC),
    ("Disk quota exceeded", errno.EDQUOT),
    ("Permission denied", errno.EACCES),
    ("Read-only file system", errno.EROFS),
    ("File name too long", errno.ENAMETOOLONG),
)


def raise_if_file_system(stderr: str, path: Path) -> None:
    """ffmpeg failed because of the disk (not the video): raise the OSError the user can act on."""
    for text, code in _FS_REFUSALS:
        if text in stderr:
            raise OSError(code, os.strerror(code), str(path))


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def decode_audio(path: Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The whole sound track as one mono float32 array, decoded once."""
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
         "-map", "0:a:0", "-ac", "1", "-ar", str(sample_rate), "-f", "f32le", "-"],
        capture_output=True, check=False,
    )
    if result.returncode != 0:
        message = last_line(result.stderr.decode("utf-8", "replace"))
        raise UserError(f"Не удалось прочитать звук из «{Path(path).name}»: {message}. Файл, вероятно, повреждён.")
    return np.frombuffer(result.stdout, dtype=np.float32).copy()


def sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian: high for crisp edges, low for motion blur or defocus."""
    import cv2

    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def candidate_times(start: float, end: float, count: int = 3) -> list[float]:
    """``count`` instants spread evenly inside a window, away from its edges (cuts, fades)."""
    length = max(end - start, 0.0)
    return [start + length * (2 * k + 1) / (2 * count) for k in range(count)]


def sharpest_frames(
    video: Path,
    windows: Sequence[tuple[float, float]],
    *,
    candidates: int = 3,
    on_window: Callable[[], None] | None = None,
) -> list[np.ndarray | None]:
    """For each window the sharpest of ``candidates`` frames (BGR), or ``None`` if none decodes.

    One OpenCV capture serves the whole part: each candidate is a seek, not a decode of
    everything before it.
    """
    import cv2

    capture = cv2.VideoCapture(str(video))
    if not capture.isOpened():
        raise UserError(f"OpenCV не смог открыть видео «{Path(video).name}» для ключевых кадров.")
    best: list[np.ndarray | None] = []
    try:
        for start, end in windows:
            chosen: np.ndarray | None = None
            chosen_score = -1.0
            for t in candidate_times(start, end, candidates):
                capture.set(cv2.CAP_PROP_POS_MSEC, t * 1000.0)
                ok, frame = capture.read()
                if not ok or frame is None:
                    continue
                score = sharpness(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
                if score > chosen_score:
                    chosen, chosen_score = frame, score
            best.append(chosen)
            if on_window:
                on_window()
    finally:
        capture.release()
    return best


def write_jpeg(path: Path, frame: np.ndarray, quality: int = 90) -> None:
    import cv2

    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise UserError(f"Не удалось сжать кадр в JPEG для «{path}»: кадр видео повреждён.")
    with open(path, "wb") as handle:
        handle.write(data.tobytes())


def write_mp3(path: Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE, bitrate: str = MP3_BITRATE) -> None:
    """Encode an array slice (already in memory) as MP3: no second decode of the video."""
    data = np.ascontiguousarray(samples, dtype=np.float32).tobytes()
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y",
         "-f", "f32le", "-ar", str(sample_rate), "-ac", "1", "-i", "-",
         "-c:a", "libmp3lame", "-b:a", bitrate, "-f", "mp3", str(path)],
        input=data, capture_output=True, check=False,
    )
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace")
        raise_if_file_system(stderr, Path(path))
        raise UserError(f"ffmpeg не смог записать аудиофрагмент «{path}»: {last_line(stderr)}.")


def extract_mp3(src: Path, path: Path, start: float, end: float, bitrate: str = MP3_BITRATE) -> None:
    """The naive way (decode the video again for each clip); kept for the benchmark."""
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-ss", f"{start:.3f}", "-i", str(src),
         "-t", f"{end - start:.3f}", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
         "-c:a", "libmp3lame", "-b:a", bitrate, str(path)],
        capture_output=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ffmpeg could not write {path}: {result.stderr.decode('utf-8', 'replace')}")
