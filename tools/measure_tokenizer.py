#!/usr/bin/env python3
"""Which words view the text model should read Russian with: plain words, pymorphy3 lemmas or snowball stems.

Russian changes a word's ending with case, number and person, and a lesson the model has never seen uses
other forms of the same cue words than the lessons it learnt from. This measures the text model's own
pipeline (textmodel.build_pipeline, text only) on pedpatterns.testing.synthetic.word_form_lessons under
cross-validation grouped by lesson, over ten seeds, with the words view's preprocessor swapped:

    view of the words (+ character n-grams)   micro-F1        macro-F1
    plain words                               0.783 ± 0.019   0.781 ± 0.019
    pymorphy3 lemmas (kept)                   0.830 ± 0.019   0.828 ± 0.020
    snowball stems (snowballstemmer 3.1.1)    0.828 ± 0.019   0.827 ± 0.019

Lemmas and stems help alike here; lemmas were kept because they also join suppletive forms that no stem
joins ("дети" → "ребёнок", "шёл" → "идти", "людей" → "человек"), and pymorphy3 loads in 0.3 s.
snowballstemmer is not a dependency: its row is printed only where it is installed.

    .venv/bin/python tools/measure_tokenizer.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from pedpatterns.models import textmodel
from pedpatterns.testing.synthetic import word_form_lessons


def stemmer() -> Callable[[str], str] | None:
    """snowball's Russian stemmer as a words view, or None where snowballstemmer is not installed."""
    try:
        import snowballstemmer
    except ImportError:
        return None
    stem = functools.lru_cache(maxsize=None)(snowballstemmer.stemmer("russian").stemWord)
    return lambda text: " ".join(stem(w) for w in textmodel.WORD_TOKEN.findall(textmodel.normalise_text(text)))


def grouped_f1(preprocessor: Callable[[str], str], seed: int, folds: int = 4) -> tuple[float, float]:
    """Micro- and macro-F1 of the text model with this words view, cross-validated by lesson."""
    texts, labels, films, _ = word_form_lessons(seed)
    table = textmodel.model_input(pd.DataFrame({textmodel.TEXT_COLUMN: texts}), [])
    predicted = np.zeros_like(labels)
    for train, test in GroupKFold(n_splits=folds).split(table, labels, films):
        pipeline = textmodel.build_pipeline([]).set_params(features__words__preprocessor=preprocessor)
        pipeline.fit(table.iloc[train], labels[train])
        predicted[test] = pipeline.predict(table.iloc[test])
    return (float(f1_score(labels, predicted, average="micro", zero_division=0)),
            float(f1_score(labels, predicted, average="macro", zero_division=0)))


def views() -> dict[str, Callable[[str], str]]:
    found = {"слова как есть": textmodel.normalise_text, "леммы pymorphy3": textmodel.lemmatise_text}
    stems = stemmer()
    if stems is not None:
        found["основы snowball"] = stems
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description="Сравнить способы читать русские слова в модели по тексту")
    parser.add_argument("--seeds", type=int, default=10, help="сколько случайных наборов уроков")
    seeds = range(parser.parse_args().seeds)
    print("| слова (+ символьные n-граммы) | micro-F1 | macro-F1 |\n|---|---|---|")
    for name, view in views().items():
        scores = np.array([grouped_f1(view, seed) for seed in seeds])
        mean, std = scores.mean(axis=0), scores.std(axis=0)
        print(f"| {name} | {mean[0]:.3f} ± {std[0]:.3f} | {mean[1]:.3f} ± {std[1]:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
