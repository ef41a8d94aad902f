#!/usr/bin/env python3
"""Processing one 10-minute part end to end (dense real speech, 480p), in a subprocess, and a whole
45-minute lesson with prepare_data.py, both with the model users run offline (the bundled base).

Goals on 2 cores: a part in at most 60 s, the 45-minute lesson (all parts) in at most 5 minutes,
and at most 1.5 GB of peak memory (the child's maximum resident set, from getrusage). The table gives each
step's time; the naive ways are measured beside ours where they are cheap to measure:
decoding the audio once per segment instead of once per part, and extracting each MP3
clip from the video instead of from the array already in memory.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchmedia

from pedpatterns.layout import Layout
from pedpatterns.prepare import media, speech
from pedpatterns.prepare.cutting import cut_film

PART_SECONDS = 600.0
LESSON_SECONDS = 2700.0

CHILD = """
import json, sys, time
started = time.perf_counter()
from pathlib import Path
from pedpatterns.layout import Layout
from pedpatterns.prepare.processing import Options, process_part
layout = Layout(Path({project!r}))
options = Options(whisper_model="bundled", language="en", show_progress=False)
result = process_part(layout, Path({part!r}), options)
print(json.dumps({{"timings": result.timings, "segments": len(result.rows),
                  "wall_in_child": time.perf_counter() - started}}))
"""


def naive_audio(part: Path, windows: list[tuple[float, float]], out: Path) -> tuple[float, float]:
    """Decoding per segment and extracting each clip from the video: what one pass avoids."""
    started = time.perf_counter()
    for a, b in windows:
        subprocess.run([media.ffmpeg_exe(), "-v", "error", "-ss", f"{a}", "-i", str(part), "-t", f"{b - a}",
                        "-ac", "1", "-ar", "16000", "-f", "f32le", "-"], capture_output=True, check=True)
    decode_s = time.perf_counter() - started
    started = time.perf_counter()
    for i, (a, b) in enumerate(windows):
        media.extract_mp3(part, out / f"{i}.mp3", a, b)
    return decode_s, time.perf_counter() - started


def whole_lesson() -> tuple[float, float, int]:
    """prepare_data.py on a 45-minute lesson as a user runs it: wall time, peak memory (MB), parts."""
    source = benchmedia.lesson_part(LESSON_SECONDS)
    with tempfile.TemporaryDirectory(dir=benchmedia.CACHE) as work:
        layout = Layout(Path(work))
        layout.ensure_top_folders()
        shutil.copy(source, layout.films / "урок 45 минут.mp4")
        started = time.perf_counter()
        # A fresh child: RUSAGE_CHILDREN keeps the largest child so far, the part's child included.
        code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
                "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        child = subprocess.run([sys.executable, "-c", code, sys.executable, str(benchmedia.ROOT / "prepare_data.py"),
                                "--root", work, "--all", "--yes", "--whisper-model", "bundled", "--language", "en"],
                               capture_output=True, text=True, check=True)
        wall = time.perf_counter() - started
        return wall, int(child.stdout.split()[-1]) / 1024, len(layout.processed_parts())


def main() -> str:
    if not benchmedia.have_shared_media():
        text = f"Обработка части: пропущено — нет записей речи в {benchmedia.SHARED_MEDIA}"
        print(text)
        return text
    source = benchmedia.lesson_part(PART_SECONDS)
    with tempfile.TemporaryDirectory(dir=benchmedia.CACHE) as work:
        layout = Layout(Path(work))
        layout.ensure_top_folders()
        film = layout.films / "бенчмарк урок.mp4"
        shutil.copy(source, film)
        part = cut_film(layout, film, PART_SECONDS / 60).parts[0].path
        code = CHILD.format(root=str(benchmedia.ROOT), project=str(layout.root), part=str(part))
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if child.returncode != 0:
            raise SystemExit(child.stderr)
        report = json.loads(child.stdout.strip().splitlines()[-1])
        import pandas as pd

        rows_csv = pd.read_csv(layout.segments_csv(part.stem))
        windows = list(zip(rows_csv["start"], rows_csv["end"], strict=True))
        naive_dir = Path(work) / "naive"
        naive_dir.mkdir()
        naive_decode, naive_clips = naive_audio(part, windows, naive_dir)

    t = report["timings"]
    steps = [
        ("декодирование звука (один раз на часть)", t["decode"], f"по сегменту: {naive_decode:.1f} с"),
        ("загрузка модели Whisper", t["model_load"], ""),
        ("распознавание речи", t["recognition"], ""),
        ("паузы, сегменты и признаки", t["features"], ""),
        ("кто говорит (учитель или ученики)", t.get("speakers", 0.0), ""),
        ("ключевые кадры (лучший из 3)", t["keyframes"], ""),
        ("аудиофрагменты MP3 из массива", t["clips"],
         f"из видео: {naive_clips:.1f} с ({naive_clips / t['clips']:.1f}x)"),
        ("запись CSV, JSON, XML", t["write"], ""),
    ]
    rows = [[name, f"{seconds:.1f}", f"{100 * seconds / wall:.0f}%", naive] for name, seconds, naive in steps]
    rows.append(["всего, процесс целиком (с запуском Python)", f"{wall:.1f}", "100%", ""])
    mode = (f"пакетами по {speech.DEFAULT_BATCH_SIZE}" if speech.DEFAULT_BATCH_SIZE > 1 else "последовательно")
    text = (
        f"Обработка одной части {PART_SECONDS / 60:.0f} мин (480p, плотная речь), Whisper base (bundled) int8, "
        f"{mode}, beam {speech.DEFAULT_BEAM_SIZE}; {report['segments']} сегментов; {benchmedia.machine()}\n\n"
        + benchmedia.table(["шаг", "время, с", "доля", "наивный способ"], rows)
        + f"\n\nПиковая память процесса: {peak_mb:.0f} МБ. "
        f"Цели: ≤ 60 с — {'да' if wall <= 60 else 'НЕТ'} ({wall:.0f} с); "
        f"≤ 1.5 ГБ — {'да' if peak_mb <= 1536 else 'НЕТ'} ({peak_mb / 1024:.2f} ГБ)."
    )
    print(text)
    lesson_s, lesson_mb, parts = whole_lesson()
    text += (f"\n\nУрок {LESSON_SECONDS / 60:.0f} мин целиком (prepare_data.py --all, {parts} частей по 10 мин, "
             f"модель загружается один раз): {lesson_s:.0f} с, пиковая память {lesson_mb / 1024:.2f} ГБ.")
    print(text.rsplit("\n\n", 1)[-1])
    benchmedia.goal("урок 45 мин, все части (base)", f"{lesson_s:.0f} с", f"{parts} × часть", "≤ 300 с",
                    lesson_s <= 300)
    benchmedia.goal("пиковая память урока 45 мин", f"{lesson_mb / 1024:.2f} ГБ", "", "≤ 1.5 ГБ", lesson_mb <= 1536)
    benchmedia.goal("обработка части 10 мин целиком (base)", f"{wall:.0f} с",
                    f"звук по сегментам {naive_decode:.1f} с вместо {t['decode']:.1f} с", "≤ 60 с", wall <= 60)
    benchmedia.goal("пиковая память обработки части", f"{peak_mb / 1024:.2f} ГБ", "", "≤ 1.5 ГБ", peak_mb <= 1536)
    return text


if __name__ == "__main__":
    main()
