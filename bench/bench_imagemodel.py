#!/usr/bin/env python3
"""Speed of the keyframe classifier on this machine: predict command, batched inference, one epoch.

Run: .venv/bin/python bench/bench_imagemodel.py (or through bench/run_all.py: ``main()`` returns the table)

ImageNet weights cannot be downloaded everywhere, so the network gets random weights of
the same shape (MobileNetV2, alpha 1.0, 224 px): the compute is the same. Training uses
a local weights file, which takes the same path as ImageNet weights (frozen base).
Keyframe extraction is Part 1's and is measured in Part 1's bench; until it is wired in,
the predict command reads an already processed part of 20 segments (a 10-minute part
at 30-second windows), with full-HD keyframes like Part 1 writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchmedia
import numpy as np
from PIL import Image

from pedpatterns.layout import Layout
from pedpatterns.models import imagemodel
from pedpatterns.testing import synthetic

ROOT = Path(__file__).resolve().parent.parent

PATTERNS = ["Паттерн 1", "Паттерн 2", "Паттерн 3", "Паттерн 4"]
COLOURS = [(220, 30, 30), (30, 30, 220), (30, 200, 30), (200, 200, 30)]


def full_hd_keyframes(layout: Layout, part: str, n: int) -> None:
    """Replace the factory's small keyframes with 1920×1080 JPEGs, the size Part 1 extracts."""
    rng = np.random.default_rng(0)
    for i in range(n):
        pixels = np.clip(np.array(COLOURS[i % 4])[None, None] + rng.integers(-40, 41, (1080, 1920, 3)), 0, 255)
        Image.fromarray(pixels.astype(np.uint8)).save(layout.keyframe(part, i), quality=90)


def project(root: Path, parts: int, segments: int, full_hd: bool) -> Layout:
    looks = [(colour, [pattern]) for colour, pattern in zip(COLOURS, PATTERNS, strict=True)]
    layout = synthetic.make_colour_project(root, looks, parts, segments, part_name=lambda p: f"Урок_part{p + 1:03d}",
                                           part_files=True)
    if full_hd:
        for part in layout.processed_parts():
            full_hd_keyframes(layout, part, segments)
    return layout


def bench_predict_command(work: Path, keras, threads: int) -> dict:
    from sklearn.preprocessing import MultiLabelBinarizer

    layout = project(work / "predict", parts=1, segments=20, full_hd=True)
    model, _, _ = imagemodel.build_model(len(PATTERNS), image_size=224, alpha=1.0, weights="none")
    imagemodel.save_model(model, PATTERNS, layout.image_model)
    imagemodel.save_binarizer(MultiLabelBinarizer(classes=PATTERNS).fit([PATTERNS]), layout.mlb)
    args = [sys.executable, str(ROOT / "auto_classifier.py"), "--root", str(layout.root), "--mode", "predict",
            "--video", "1", "--threads", str(threads)]
    subprocess.run(args, check=True, capture_output=True)  # warm the OS file cache once
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return {"predict_command_s": time.perf_counter() - started}


def bench_inference(keras, alpha: float = 1.0, n: int = 256) -> dict:
    """Images per second, batched (the predict path) and one eager call per image (the naive way).

    Enough images that predict()'s fixed cost per call does not decide the figure; best of two runs.
    """
    model, _, _ = imagemodel.build_model(len(PATTERNS), image_size=224, alpha=alpha, weights="none")
    x = np.random.default_rng(0).integers(0, 256, (n, 224, 224, 3)).astype("float32")
    model.predict(x[:32], batch_size=32, verbose=0)  # build the graph once, as a real run does
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        model.predict(x, batch_size=32, verbose=0)
        runs.append(time.perf_counter() - started)
    batched = n / min(runs)
    model(x[:1], training=False)
    started = time.perf_counter()
    for i in range(16):
        model(x[i : i + 1], training=False)
    single = 16 / (time.perf_counter() - started)
    return {"batched_images_per_s": batched, "per_image_eager_images_per_s": single}


def bench_training_epoch(work: Path, keras, threads: int) -> dict:
    layout = project(work / "train", parts=4, segments=25, full_hd=False)
    weights = work / "mobilenet_v2_random.weights.h5"
    keras.applications.MobileNetV2(input_shape=(224, 224, 3), include_top=False, weights=None).save_weights(weights)
    lines: list[str] = []
    options = imagemodel.TrainOptions(weights=str(weights), epochs=1, image_size=224, threads=threads)
    started = time.perf_counter()
    imagemodel.train(layout, options, log=lines.append)
    total = time.perf_counter() - started
    return {"train_1_epoch_100_images_s": total, "epoch_line": next(line for line in lines if "эпоха" in line)}


def main() -> str:
    """Measure, print and return the table (bench/run_all.py keeps it in bench/README.md)."""
    threads = 0  # all cores, as a user's run
    keras = imagemodel.keras_runtime(threads)
    results: dict = {"cpu_cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench imagemodel ") as tmp:
        work = Path(tmp)
        results.update(bench_inference(keras))
        results["batched_images_per_s_alpha_0.35"] = bench_inference(keras, alpha=0.35)["batched_images_per_s"]
        results.update(bench_predict_command(work, keras, threads))
        results.update(bench_training_epoch(work, keras, threads))

    rows = [
        ("predict: часть 10 мин (20 кадров full HD), вся команда", results["predict_command_s"], "с", 15.0, "≤"),
        ("модель пачками, 224 px, MobileNetV2 1.0", results["batched_images_per_s"], "кадр/с", 100.0, "≥"),
        ("модель пачками, 224 px, MobileNetV2 0.35 (--alpha 0.35)", results["batched_images_per_s_alpha_0.35"],
         "кадр/с", 100.0, "≥"),
        ("модель по одному кадру (eager), MobileNetV2 1.0", results["per_image_eager_images_per_s"], "кадр/с",
         None, ""),
        ("обучение: 1 эпоха на 100 кадрах (вся команда train)", results["train_1_epoch_100_images_s"], "с", None, ""),
    ]
    lines = [
        f"auto_classifier.py на {results['cpu_cores']} ядрах; случайные веса той же формы, что ImageNet; "
        "извлечение кадров — в замерах Части 1",
        "",
        "| замер | результат | цель | результат / цель |",
        "|---|---|---|---|",
    ]
    for name, value, unit, goal, sense in rows:
        if goal:
            ratio = goal / value if sense == "≤" else value / goal
            verdict = f"{ratio:.2f}× {'OK' if ratio >= 1 else 'не достигнута'}"
            lines.append(f"| {name} | {value:.2f} {unit} | {sense} {goal:g} {unit} | {verdict} |")
        else:
            lines.append(f"| {name} | {value:.2f} {unit} | записано | — |")
    speedup = results["batched_images_per_s"] / results["per_image_eager_images_per_s"]
    lines += ["", f"Пачками быстрее, чем по одному кадру, в {speedup:.1f} раза. Строка эпохи: {results['epoch_line']}"]
    text = "\n".join(lines)
    print(text)
    eager = results["per_image_eager_images_per_s"]
    for name, value, unit, target, sense in rows:
        met = None if not target else (value <= target if sense == "≤" else value >= target)
        naive = f"по одному кадру: {eager:.1f} кадр/с" if unit == "кадр/с" else ""
        benchmedia.goal(name, f"{value:.2f} {unit}", naive, f"{sense} {target:g} {unit}" if target else "записано", met)
    out = ROOT / "bench" / "results" / "imagemodel.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return text


if __name__ == "__main__":
    main()
