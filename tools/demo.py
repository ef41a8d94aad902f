#!/usr/bin/env python3
"""`make demo`: the whole pipeline on the bundled sample lesson, offline, asking nothing.

Each stage runs as its own process, exactly as a user would type it, so the stages hand
over through files only. The bundled labeled.csv stands in for the experts' work in Label
Studio (it is a real export of the sample's tasks, made with tools/make_labeled_csv.py),
so the sample is cut into the same parts and segments it was labelled on. A second run
reuses what is done.

    python tools/demo.py [--root PROJECT]
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pedpatterns.layout import Layout

ROOT = Path(__file__).resolve().parent.parent

SAMPLE = "Урок английского 5 класс.mp4"
# The settings the bundled labeled.csv was made with: several short parts and 15-s segments.
PROCESSING = ["--whisper-model", "bundled", "--language", "en", "--part-minutes", "1.5", "--segment-seconds", "15"]
IMAGENET_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"


def imagenet_weights_available() -> bool:
    """Keras keeps downloaded weights in ~/.keras/models; the demo never downloads them itself."""
    return (Path.home() / ".keras" / "models" / IMAGENET_FILE).is_file()


def stages(layout: Layout) -> list[tuple[str, list[str]]]:
    weights = "imagenet" if imagenet_weights_available() else "none"
    return [
        ("Часть 1: нарезка урока на части и обработка всех частей",
         ["prepare_data.py", "--film", SAMPLE, "--all", "--yes", *PROCESSING]),
        ("Часть 3: датасет изображений dataset_foto/ из labeled.csv",
         ["create_image_dataset.py", "--yes"]),
        ("Часть 3: что было бы загружено на Hugging Face Hub (--dry-run, без сети)",
         ["upload_dataset.py", "--dry-run", "--yes"]),
        ("Часть 4а: модель по звуку и тексту и отчёт по new_videos/",
         ["find_patterns.py", *PROCESSING]),
        ("Часть 4б: обучение классификатора кадров (коротко, для примера)",
         ["auto_classifier.py", "--mode", "train", "--weights", weights, "--epochs", "3", "--image-size", "96"]),
        ("Часть 4б: автоматическая разметка первой части",
         ["auto_classifier.py", "--mode", "predict", "--video", "1"]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description="Весь конвейер pedpatterns на учебном уроке.")
    parser.add_argument("--root", type=Path, default=ROOT, help="папка проекта")
    root = parser.parse_args().root.resolve()
    layout = Layout(root)
    started = time.monotonic()

    sample = layout.films / SAMPLE
    if not sample.is_file():
        print(f"Нет учебного урока «{sample}». Восстановите его: git checkout -- 'films/{SAMPLE}'")
        return 1
    layout.new_videos.mkdir(parents=True, exist_ok=True)
    if not (layout.new_videos / SAMPLE).exists():
        shutil.copy2(sample, layout.new_videos / SAMPLE)  # copy2 keeps the time: its parts are reused
    if not imagenet_weights_available():
        print("Веса ImageNet для MobileNetV2 не скачаны (нужен интернет), поэтому демо обучает классификатор "
              "кадров с нуля (--weights none): для примера этого достаточно, для работы — нет.")

    for title, command in stages(layout):
        print(f"\n=== {title}\n$ python {shlex.join(command)}", flush=True)
        result = subprocess.run([sys.executable, str(ROOT / command[0]), "--root", str(root), *command[1:]],
                                cwd=root, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            print(f"\nДемо остановлено: шаг «{title}» завершился с ошибкой (код {result.returncode}).")
            return result.returncode

    print(f"\nДемо завершено за {time.monotonic() - started:.0f} с. Где что лежит:")
    outputs = [
        ("части урока", layout.part_films),
        ("обработанные части (кадры, аудио, текст, признаки)", layout.processed_data),
        ("задачи для Label Studio", layout.tasks_json),
        ("разметка экспертов (пример)", layout.labeled_csv),
        ("датасет изображений", layout.dataset_foto),
        ("что ушло бы на Hugging Face Hub", layout.hub_preview),
        ("отчёты об уроках", layout.reports),
        ("модель по звуку и тексту", layout.text_model),
        ("модель по кадрам и её метрики", layout.image_model),
        ("автоматическая разметка", layout.auto_labeled),
    ]
    for what, path in outputs:
        print(f"  {what}: {path}{'' if path.exists() else '  (нет)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
