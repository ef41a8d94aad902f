"""Whole groups on one side of the split: the one policy of dataset_foto/'s train/test and the models' held-out data.

Frames and sentences of one lesson look alike (the same teacher, class and board), so a lesson with rows
on both sides would let a model be scored on what it has half seen. So whole films go to one side, or
whole parts where there are too few films, drawn with a seed: the same labels and the same seed give the
same sides. The share and the seed have one set of defaults (models/options.py) for every stage.

create_image_dataset.py publishes its sides in dataset_foto/{train,test}. The image model takes that test
side when the dataset holds every part it trains on (:func:`hold_out`): a score published beside the
dataset is then a score on the dataset's own test side, never on images the model was trained on. Without
such a dataset it draws the test side here exactly as create_image_dataset.py would from the same labels.
The text model cross-validates over the same groups instead of holding one side out.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pedpatterns.errors import UserError
from pedpatterns.layout import SPLITS, TEST, TRAIN, Layout
from pedpatterns.models.options import DEFAULT_SEED, DEFAULT_TEST_SHARE, SPLIT_BY

FILM, PART = SPLIT_BY
# A held-out side needs two films (one on each side); grouped cross-validation needs three, so that
# every fold still trains on more than one lesson.
MIN_FILMS_TO_HOLD_OUT = 2
MIN_FILMS_FOR_FOLDS = 3


def unit(films: Iterable[str], by: str = FILM, min_films: int = MIN_FILMS_TO_HOLD_OUT) -> str:
    """FILM when whole films are asked for and there are ``min_films`` of them, else PART."""
    return FILM if by == FILM and len(set(films)) >= min_films else PART


def choose_test_groups(
    sizes: Mapping[str, int], test_share: float = DEFAULT_TEST_SHARE, seed: int = DEFAULT_SEED
) -> frozenset[str]:
    """Whole groups for test, as close as possible to ``test_share`` of the examples.

    The groups are shuffled with ``seed`` and the prefix whose size is nearest the target
    is taken, keeping at least one group on each side when ``test_share`` > 0.
    """
    if not 0 <= test_share < 1:
        raise UserError(f"--test-share должен быть от 0 до 1 (не включая 1), получено {test_share}.")
    groups = sorted(sizes)
    if test_share == 0 or len(groups) < 2:
        return frozenset()
    random.Random(seed).shuffle(groups)
    total = sum(sizes.values())
    target = test_share * total
    best, best_gap, running = 1, math.inf, 0
    for n in range(1, len(groups)):  # at least one group stays in train
        running += sizes[groups[n - 1]]
        gap = abs(running - target)
        if gap < best_gap:
            best, best_gap = n, gap
    return frozenset(groups[:best])


def group_split(
    groups: Sequence[str], test_share: float = DEFAULT_TEST_SHARE, seed: int = DEFAULT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) with whole groups (parts or films) on one side only.

    Frames of one part look alike, so a part on both sides would leak the answer. At
    least one group stays in train; with a single group the test side is empty.
    """
    groups = np.asarray([str(g) for g in groups])
    test_groups = choose_test_groups(Counter(groups.tolist()), test_share, seed)
    is_test = np.isin(groups, list(test_groups))
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


# --- the split dataset_foto/ publishes ------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """dataset_foto/'s test side as create_image_dataset.py wrote it."""

    by: str  # FILM or PART: no film on both sides means it was split by films
    test: frozenset[str]  # the films (or parts) of its test side
    parts: frozenset[str]  # every part it holds, on either side


def published(layout: Layout) -> Published | None:
    """The split of dataset_foto/; None without a test side, or when its metadata.jsonl cannot be read."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for side in SPLITS:
        path = layout.dataset_metadata(side)
        rows[side] = []
        if not path.is_file():
            continue
        try:
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    rows[side].append((str(row["film"]), str(row["part"])))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
            return None
    if not rows[TEST]:
        return None
    test_films = {film for film, _ in rows[TEST]}
    by = FILM if test_films.isdisjoint(film for film, _ in rows[TRAIN]) else PART
    test = test_films if by == FILM else {part for _, part in rows[TEST]}
    return Published(by, frozenset(test), frozenset(part for side in rows.values() for _, part in side))


# --- the image model's sides ----------------------------------------------------------------


# Where the image model's test side came from.
PUBLISHED = "dataset_foto/test"  # the side create_image_dataset.py published
NOT_MATCHING = "drawn (dataset_foto/ is of other labels)"  # drawn here: dataset_foto/ lacks parts labelled since
DRAWN = "drawn"  # drawn here: there is no dataset_foto/ with a test side


@dataclass(frozen=True)
class HeldOut:
    """Row indices of the image model's three sides, and where its test side came from."""

    fit: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    by: str  # FILM or PART: what the test side is made of
    source: str  # PUBLISHED, NOT_MATCHING or DRAWN

    def note(self) -> str:
        """The training log's line on the test side: what it is made of and whose it is ("" when empty)."""
        if not len(self.test):
            return ""
        what = "уроки (фильмы)" if self.by == FILM else "части"
        if self.source == PUBLISHED:
            return f"Для оценки отложены те же {what}, что в test опубликованного датасета (dataset_foto/test)."
        rule = f"Для оценки отложены целые {what}, выбранные по тому же правилу, что и test датасета"
        if self.source == NOT_MATCHING:
            return (f"dataset_foto/ собран не по этой разметке. {rule}; чтобы оценка шла на test датасета, "
                    "соберите его заново: python create_image_dataset.py")
        return f"{rule} (python create_image_dataset.py)."


def hold_out(
    films: Sequence[str],
    parts: Sequence[str],
    test_share: float = DEFAULT_TEST_SHARE,
    seed: int = DEFAULT_SEED,
    published: Published | None = None,
) -> HeldOut:
    """The test side, then validation parts from the rest: whole groups on one side only.

    The test rows are never seen while training, not even by early stopping: they give the honest
    numbers. The test side is dataset_foto/'s when ``published`` holds every part here (the dataset was
    built from these labels), else it is drawn as create_image_dataset.py draws it. Validation parts,
    drawn from the rest with ``seed + 1``, decide when to stop; they are parts, so there are enough.
    """
    films = np.asarray([str(f) for f in films])
    parts = np.asarray([str(p) for p in parts])
    is_test = _on_published_test(films, parts, published)
    if published is not None and is_test is not None:
        by, source = published.by, PUBLISHED
        train, test = np.flatnonzero(~is_test), np.flatnonzero(is_test)
    else:
        by, source = unit(films), DRAWN if published is None else NOT_MATCHING
        train, test = group_split(films if by == FILM else parts, test_share, seed)
    fit_local, val_local = group_split(parts[train], test_share, seed + 1)
    return HeldOut(train[fit_local], train[val_local], test, by, source)


def _on_published_test(films: np.ndarray, parts: np.ndarray, published: Published | None) -> np.ndarray | None:
    """Which rows fall on dataset_foto/'s test side; None when it cannot serve (other labels, a side empty)."""
    if published is None or not set(parts.tolist()) <= published.parts:
        return None
    is_test = np.isin(films if published.by == FILM else parts, list(published.test))
    return is_test if is_test.any() and not is_test.all() else None
