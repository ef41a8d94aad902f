#!/usr/bin/env python3
"""The report of one already processed 10-minute part: goal ≤ 5 s (read, predict, metrics, plots, files).

The part is synthetic but full-sized: 20 segments of 30 s with 1280×720 keyframes and a
transcript of ~1,300 timed words; the model is trained beforehand (not timed). The naive
comparisons: keyframes embedded whole (base64 of the JPEG file, what a first version would
do) against the small thumbnails the page embeds, in page weight; and the timeline drawn
with one matplotlib artist per bar against one ``broken_barh`` per row, in time.
Run: python bench/bench_report.py
"""

from __future__ import annotations

import base64
import sys
import tempfile
import time
from pathlib import Path

import benchmedia
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from pedpatterns.layout import Layout
from pedpatterns.models import textmodel
from pedpatterns.report.build import ReportOptions, analyse_lesson, write_report
from pedpatterns.report.page import SPEECH_COLOUR, _png, pattern_colour, thumbnail, timeline_png
from pedpatterns.testing.synthetic import (
    labelled_features,
    make_labelled_project,
    make_processed_part,
    speech,
    write_transcript,
)

GOAL_SECONDS = 5.0


def make_part(layout: Layout, part: str, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    drawn = [labelled_features(i, rng) for i in range(20)]
    make_processed_part(layout, part, 20, features_of=lambda i: drawn[i][0], text_of=lambda i: drawn[i][1] * 8)
    for i in range(20):
        pixels = rng.integers(0, 255, size=(720, 1280, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(layout.keyframe(part, i), quality=85)
    words, t = [], 0.0
    while t < 590:
        end = min(t + rng.uniform(3, 40), 598)
        words += speech(t, end, max(1, int((end - t) * 2.5)), last=str(rng.choice(["понятно?", "так.", "дальше"])))
        t = end + float(rng.choice([0.3, 1.5, 2.5, 4, 7]))
    write_transcript(layout, part, words, duration=600.0)


def naive_timeline(data: dict) -> str:
    fig = Figure(figsize=(11, 4))
    ax = fig.add_subplot()
    for s, e in data["speech"]:
        ax.barh(10, (e - s) / 60, left=s / 60, color=SPEECH_COLOUR)
    for j, pattern in enumerate(data["model"]["patterns"]):
        for seg in data["segments"]:
            if seg["probabilities"][pattern] >= data["threshold"]:
                ax.barh(j, (seg["lesson_end"] - seg["lesson_start"]) / 60, left=seg["lesson_start"] / 60,
                        color=pattern_colour(j), alpha=seg["probabilities"][pattern])
    return _png(fig)


def best_of(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        layout = Layout(Path(tmp) / "проект")
        make_labelled_project(layout, n_films=3, per_part=20)
        model = textmodel.ensure_model(layout, log=lambda _: None)
        part = "Урок_part000"
        make_part(layout, part)

        def build() -> dict:
            data = analyse_lesson(layout, "Урок", [part], model, ReportOptions(threshold=0.5))
            write_report(layout, data)
            return data

        data = build()
        seconds = best_of(3, build)
        size = layout.report_html("Урок").stat().st_size / 1e6
        print(f"Отчёт по 10-минутной части ({len(data['segments'])} сегментов, "
              f"{data['summary']['word_count']} слов): {seconds:.2f} с, цель ≤ {GOAL_SECONDS:.0f} с — "
              f"{'OK' if seconds <= GOAL_SECONDS else 'МЕДЛЕННО'}; HTML {size:.2f} МБ")
        frames = [layout.root / seg["keyframe"] for seg in data["segments"]]
        thumbs = sum(len(thumbnail(f) or "") for f in frames)
        whole = sum(len(base64.b64encode(f.read_bytes())) for f in frames)
        print(f"Кадры в странице: миниатюры {thumbs / 1e3:.0f} КБ, кадры целиком {whole / 1e6:.1f} МБ — "
              f"страница была бы в {whole / thumbs:.0f} раз тяжелее")
        ours = best_of(3, lambda: timeline_png(data))
        naive = best_of(3, lambda: naive_timeline(data))
        print(f"Шкала урока: broken_barh по строке {ours * 1000:.0f} мс, barh на каждую полосу "
              f"{naive * 1000:.0f} мс — в {naive / ours:.1f} раза медленнее")
    benchmedia.goal("отчёт по обработанной части 10 мин", f"{seconds:.2f} с",
                    f"шкала по полосам: в {naive / ours:.1f} раза медленнее", f"≤ {GOAL_SECONDS:.0f} с",
                    seconds <= GOAL_SECONDS)
    return 0 if seconds <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
