#!/usr/bin/env python3
"""Training the light model on 1,000 synthetic segments: goal ≤ 10 s (grouped 5-fold validation + final fit).

The naive comparison is prediction one segment at a time (a Python loop calling the model
per segment, as a first version of the analysis would) against one batched call, on the
same fitted model. Run: python bench/bench_textmodel.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import benchmedia
import numpy as np
import pandas as pd

from pedpatterns import schema
from pedpatterns.labels.labelled import LabeledSet
from pedpatterns.models import textmodel
from pedpatterns.patterns import default_patterns

GOAL_SECONDS = 10.0
N_SEGMENTS = 1000
WORDS = ("почему", "как", "вы", "думаете", "запишите", "тетрадь", "пример", "дроби", "ответ", "молодец",
         "правильно", "ошибка", "давайте", "посмотрим", "группа", "итог", "задание", "слайд", "вопрос", "верно")


def synthetic_set(n: int, seed: int = 0) -> LabeledSet:
    """Segments of 50 parts of 25 films, ~80 words each, 10 patterns tied to features and words."""
    rng = np.random.default_rng(seed)
    patterns = default_patterns()
    rows = []
    for i in range(n):
        features = {name: float(rng.normal()) for name in schema.FEATURE_COLUMNS}
        labels = [p for j, p in enumerate(patterns) if features[list(schema.FEATURE_COLUMNS)[j]] > 0.8]
        labels = labels or [patterns[int(rng.integers(len(patterns)))]]
        text = " ".join(rng.choice(WORDS, size=80)) + " " + " ".join(p.split(": ")[1] for p in labels)
        part = f"Фильм {i % 25}_part{i % 50 // 25:03d}"
        rows.append({"part": part, "segment": i, "film": part.split("_part")[0], "labels": labels,
                     "text": text, **features})
    return LabeledSet(frame=pd.DataFrame(rows), patterns=patterns)


def main() -> int:
    labeled = synthetic_set(N_SEGMENTS)
    started = time.perf_counter()
    model, metrics = textmodel.train(labeled)
    seconds = time.perf_counter() - started
    ev = metrics["evaluation"]
    print(f"Обучение на {N_SEGMENTS} сегментах ({metrics['folds']} блоков по {metrics['group_by']}): "
          f"{seconds:.2f} с, цель ≤ {GOAL_SECONDS:.0f} с — {'OK' if seconds <= GOAL_SECONDS else 'МЕДЛЕННО'}")
    print(f"  micro-F1 {ev['micro_f1']:.2f} против базы {ev['baseline_micro_f1']:.2f}")

    frame = labeled.frame.head(200)
    started = time.perf_counter()
    batched = model.predict_proba(frame)
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    looped = np.vstack([model.predict_proba(frame.iloc[[i]]) for i in range(len(frame))])
    loop_seconds = time.perf_counter() - started
    assert np.allclose(batched, looped)
    print(f"Предсказание 200 сегментов: одним вызовом {batch_seconds * 1000:.0f} мс, "
          f"по одному в цикле {loop_seconds * 1000:.0f} мс — в {loop_seconds / batch_seconds:.0f} раз медленнее")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.joblib"
        textmodel.save(model, path)
        print(f"Размер сохранённой модели: {path.stat().st_size / 1e6:.1f} МБ")
    benchmedia.goal(f"обучение модели по звуку и тексту, {N_SEGMENTS} сегментов", f"{seconds:.1f} с",
                    f"предсказание по одному: в {loop_seconds / batch_seconds:.0f} раз медленнее",
                    f"≤ {GOAL_SECONDS:.0f} с", seconds <= GOAL_SECONDS)
    return 0 if seconds <= GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
