#!/usr/bin/env python3
"""Cutting a 25-minute 720p lesson: stream copy (ours) vs moviepy re-encoding vs copying the file.

Goals: at least 100x faster than re-encoding, and at most 2x the time of shutil.copy of the file.
moviepy re-encodes one minute of the part (at its default settings) and the time is scaled to the
10-minute part, said so in the table: re-encoding the whole part would take the benchmark many minutes.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import benchmedia

from pedpatterns.prepare import media

PART_SECONDS = 600.0
MOVIEPY_SECONDS = 60.0


def moviepy_reencode(src: Path, out: Path, seconds: float) -> float:
    from moviepy import VideoFileClip

    started = time.perf_counter()
    with VideoFileClip(str(src)) as clip:
        clip.subclipped(0, seconds).write_videofile(str(out), codec="libx264", audio_codec="aac", logger=None)
    return time.perf_counter() - started


def median_time(action, repeats: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]


def byte_copy(src: Path, dst: Path) -> None:
    """Copy through user space, the way most tools copy (shutil.copy may be a kernel-side clone)."""
    with open(src, "rb") as a, open(dst, "wb") as b:
        shutil.copyfileobj(a, b, 1 << 20)


def main() -> str:
    film = benchmedia.lesson_720p(25)
    info = media.probe(film)
    with tempfile.TemporaryDirectory(dir=benchmedia.CACHE) as work:
        work_dir = Path(work)
        byte_copy(film, work_dir / "warm.mp4")  # read once so every method starts with a warm cache
        (work_dir / "warm.mp4").unlink()
        shutil_s = median_time(lambda: shutil.copy(film, work_dir / "copy.mp4"))
        bytes_s = median_time(lambda: byte_copy(film, work_dir / "bytes.mp4"))
        parts_dir = work_dir / "parts"
        parts_dir.mkdir()
        spans: list[media.Span] = []
        cut_s = median_time(lambda: spans.extend(media.cut_by_copy(film, parts_dir, PART_SECONDS)))
        spans = spans[: len(spans) // 3]
        moviepy_minute = moviepy_reencode(film, work_dir / "moviepy.mp4", MOVIEPY_SECONDS)
        moviepy_part = moviepy_minute * PART_SECONDS / MOVIEPY_SECONDS

    size_mb = film.stat().st_size / 1e6
    rows = [
        ["shutil.copy всего файла (ядро ОС, без чтения в память)", f"{shutil_s:.2f}", f"{cut_s / shutil_s:.1f}x"],
        ["побайтовое копирование всего файла (copyfileobj)", f"{bytes_s:.2f}", f"{cut_s / bytes_s:.2f}x"],
        [f"stream copy: весь фильм → {len(spans)} части (наш способ)", f"{cut_s:.2f}", "1x"],
        [f"moviepy: перекодирование {MOVIEPY_SECONDS:.0f} с (измерено)", f"{moviepy_minute:.1f}", ""],
        [f"moviepy: одна часть {PART_SECONDS / 60:.0f} мин (×{PART_SECONDS / MOVIEPY_SECONDS:.0f}, оценка)",
         f"{moviepy_part:.0f}", f"{moviepy_part / cut_s:.0f}x"],
    ]
    text = (
        f"Нарезка: фильм {info.duration / 60:.0f} мин, {info.width}x{info.height}, {size_mb:.0f} МБ; "
        f"{benchmedia.machine()}; медиана 3 замеров (moviepy — 1)\n\n"
        + benchmedia.table(["способ", "время, с", "нарезка / способ"], rows)
        + f"\n\nЦели: ≥100x быстрее перекодирования части — {'да' if moviepy_part / cut_s >= 100 else 'НЕТ'} "
        f"({moviepy_part / cut_s:.0f}x); не дольше 2x копирования файла — "
        f"{'да' if cut_s <= 2 * bytes_s else 'НЕТ'} ({cut_s / bytes_s:.2f}x побайтового копирования; "
        f"{cut_s / shutil_s:.1f}x от shutil.copy, который здесь клонирует файл средствами ОС)."
    )
    print(text)
    benchmedia.goal("нарезка 25 мин 720p на части (stream copy)", f"{cut_s:.2f} с",
                    f"moviepy, часть 10 мин: ≈{moviepy_part:.0f} с", "≥ 100x быстрее",
                    moviepy_part / cut_s >= 100)
    benchmedia.goal("нарезка против копирования файла", f"{cut_s / bytes_s:.2f}x",
                    f"copyfileobj {bytes_s:.2f} с, shutil.copy {shutil_s:.2f} с", "≤ 2x копирования",
                    cut_s <= 2 * bytes_s)
    return text


if __name__ == "__main__":
    main()
