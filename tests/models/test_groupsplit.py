"""One split policy: whole groups on one side, one set of defaults, and the image model on the dataset's test side."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pedpatterns import patterns
from pedpatterns.dataset import build
from pedpatterns.errors import UserError
from pedpatterns.layout import TEST, Layout
from pedpatterns.models import groupsplit
from pedpatterns.models.groupsplit import DRAWN, FILM, NOT_MATCHING, PART, PUBLISHED
from pedpatterns.models.options import TrainOptions
from tests.support.datasets import build_project, labeled, read_split


def test_group_split_never_shares_a_group() -> None:
    groups = ["a"] * 5 + ["b"] * 5 + ["c"] * 5 + ["d"] * 5
    train, test = groupsplit.group_split(groups, 0.25, seed=1)
    assert {groups[i] for i in train}.isdisjoint({groups[i] for i in test})
    assert len(test) == 5 and len(train) == 15
    assert groupsplit.group_split(["a"] * 3, 0.5)[1].size == 0


def test_choose_test_groups_is_seeded_whole_and_keeps_train() -> None:
    sizes = {"a": 10, "b": 10, "c": 10, "d": 10, "e": 10}
    first = groupsplit.choose_test_groups(sizes, 0.2, seed=1)
    assert first == groupsplit.choose_test_groups(sizes, 0.2, seed=1) and len(first) == 1
    assert groupsplit.choose_test_groups(sizes, 0.4, seed=1).__len__() == 2
    assert len(groupsplit.choose_test_groups({"a": 1, "b": 1}, 0.9, seed=0)) == 1  # train never empty
    assert groupsplit.choose_test_groups(sizes, 0.0, seed=1) == frozenset()
    with pytest.raises(UserError):
        groupsplit.choose_test_groups(sizes, 1.0, seed=1)


def test_split_keeps_test_parts_out_of_training_and_early_stopping() -> None:
    parts = [f"p{i // 5}" for i in range(40)]
    held = groupsplit.hold_out(parts, parts, 0.25, seed=3)
    fit, val, test = held.fit, held.validation, held.test
    sides = [{parts[i] for i in idx} for idx in (fit, val, test)]
    assert all(sides) and sides[0].isdisjoint(sides[1]) and sides[2].isdisjoint(sides[0] | sides[1])
    assert len(fit) + len(val) + len(test) == 40


def test_one_set_of_defaults_for_the_dataset_and_the_image_model() -> None:
    dataset, model = build.BuildOptions(), TrainOptions()
    assert (dataset.test_share, dataset.seed) == (model.test_share, model.seed)
    assert dataset.split_by == FILM


def test_grouping_by_film_needs_two_films_to_hold_out_and_three_for_folds() -> None:
    assert groupsplit.unit(["a", "a"]) == PART and groupsplit.unit(["a", "b"]) == FILM
    assert groupsplit.unit(["a", "b"], PART) == PART
    assert groupsplit.unit(["a", "b"], min_films=groupsplit.MIN_FILMS_FOR_FOLDS) == PART
    assert groupsplit.unit(["a", "b", "c"], min_films=groupsplit.MIN_FILMS_FOR_FOLDS) == FILM


def test_without_a_dataset_the_image_model_holds_out_what_the_dataset_would_publish() -> None:
    films = [f"Урок {i % 5}" for i in range(60)]
    parts = [f"Урок {i % 5}_part{i % 2 + 1:03d}" for i in range(60)]
    plan = build.plan_split(pd.DataFrame({"film": films, "part": parts}), TrainOptions.test_share, TrainOptions.seed)
    held = groupsplit.hold_out(films, parts, TrainOptions.test_share, TrainOptions.seed)
    assert (held.by, held.source) == (plan.by, DRAWN) == (FILM, DRAWN)
    assert {films[i] for i in held.test} == plan.test_groups
    assert "выбранные по тому же правилу, что и test датасета" in held.note()


def _dataset(tmp_path: Path, **options: object) -> tuple[Layout, pd.DataFrame]:
    layout = build_project(tmp_path / "проект", films=("Урок 1", "Урок 2", "Урок 3"))
    frame = labeled(layout).frame
    build.build_dataset(layout, labeled(layout), patterns.default_patterns(), build.BuildOptions(**options))
    return layout, frame


def test_the_image_model_holds_out_the_published_test_side(tmp_path: Path) -> None:
    layout, frame = _dataset(tmp_path, test_share=0.3, seed=7)
    published = groupsplit.published(layout)
    assert published is not None and published.by == FILM
    assert published.test == {row["film"] for row in read_split(layout, TEST)}
    films, parts = frame["film"].astype(str).tolist(), frame["part"].astype(str).tolist()
    # Another seed and share: the test side is still the dataset's.
    held = groupsplit.hold_out(films, parts, 0.5, seed=1, published=published)
    assert (held.by, held.source) == (FILM, PUBLISHED)
    assert {films[i] for i in held.test} == published.test
    assert {films[i] for i in [*held.fit, *held.validation]}.isdisjoint(published.test)
    assert "те же уроки (фильмы), что в test опубликованного датасета" in held.note()

    # A part labelled after the dataset was built: the dataset is not of these labels, the side is drawn.
    other = groupsplit.hold_out([*films, "Урок 4"], [*parts, "Урок 4_part001"], published=published)
    assert other.source == NOT_MATCHING and "соберите его заново" in other.note()


def test_a_dataset_split_by_parts_is_read_as_split_by_parts(tmp_path: Path) -> None:
    layout = build_project(tmp_path / "проект", films=("Урок 1",), parts_per_film=4)
    build.build_dataset(layout, labeled(layout), patterns.default_patterns(), build.BuildOptions(test_share=0.3))
    published = groupsplit.published(layout)
    assert published is not None and published.by == PART
    assert published.test == {row["part"] for row in read_split(layout, TEST)}


def test_no_or_unreadable_dataset_means_no_published_split(tmp_path: Path) -> None:
    layout, _ = _dataset(tmp_path, test_share=0.3, seed=7)
    layout.dataset_metadata(TEST).write_text("не JSON\n", encoding="utf-8")
    assert groupsplit.published(layout) is None
    assert groupsplit.published(Layout(tmp_path / "пусто")) is None
