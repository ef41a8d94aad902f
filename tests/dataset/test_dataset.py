"""create_image_dataset.py: grouped split, metadata, loading with `datasets`, atomic replacement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pedpatterns import patterns
from pedpatterns.dataset import build
from pedpatterns.errors import UserError
from pedpatterns.layout import TMP_PREFIX, Layout
from tests.support.datasets import (
    README_TEXT,
    build_project,
    labeled,
    load_with_datasets,
    read_split,
    snapshot,
)

P1, P2, P3 = patterns.default_patterns()[:3]


@pytest.fixture
def project(tmp_path: Path) -> Layout:
    return build_project(tmp_path / "мой проект")


# --- pure parts -------------------------------------------------------------------------------


def test_image_names_are_ascii_unique_and_order_free() -> None:
    keys = [("Урок 1_part001", 0), ("Урок_1_part001", 0), ("Щука ёж_part002", 12)]
    names = build.image_names(keys)
    assert all(n.isascii() and " " not in n and n.endswith(".jpg") for n in names.values())
    assert len(set(names.values())) == 3
    assert names[("Щука ёж_part002", 12)] == "Shchuka_ezh_part002_seg012.jpg"
    assert build.image_names(reversed(keys)) == names


# --- building -------------------------------------------------------------------------------


def test_split_never_shares_a_film_or_part(project: Layout) -> None:
    options = build.BuildOptions(test_share=0.3, seed=7)
    summary = build.build_dataset(project, labeled(project), patterns.default_patterns(), options)
    train, test = read_split(project, "train"), read_split(project, "test")
    assert train and test and summary.split_by == "film"
    assert not {r["part"] for r in train} & {r["part"] for r in test}
    assert not {r["film"] for r in train} & {r["film"] for r in test}
    assert summary.images == {"train": len(train), "test": len(test)} and len(train) + len(test) == 16


def test_metadata_fields_and_copied_images(project: Layout) -> None:
    build.build_dataset(project, labeled(project), patterns.default_patterns())
    rows = read_split(project, "train") + read_split(project, "test")
    row = next(r for r in rows if r["part"] == "Урок математики_part002" and r["segment"] == 1)
    assert set(row) == {"file_name", *build.METADATA_COLUMNS}
    assert row["labels"] == [P2, P3]  # two annotators: P2 by both, P3 by one of two (share 0.5)
    assert row["annotators"] == 2 and row["agreement"] == pytest.approx(0.75)
    assert row["film"] == "Урок математики" and row["text"] == "фраза 0-1?"
    assert row["lesson_start"] == 630.0 and row["lesson_end"] == 660.0
    split = "train" if row in read_split(project, "train") else "test"
    image = project.dataset_split(split) / row["file_name"]
    assert "/" not in row["file_name"] and row["file_name"].isascii()
    assert image.read_bytes() == project.keyframe("Урок математики_part002", 1).read_bytes()
    assert json.loads(project.dataset_patterns.read_text(encoding="utf-8")) == patterns.default_patterns()
    assert project.dataset_readme.read_text(encoding="utf-8") == README_TEXT


@pytest.mark.slow
def test_loads_with_datasets_imagefolder_labels_as_list(project: Layout, tmp_path: Path) -> None:
    build.build_dataset(project, labeled(project), patterns.default_patterns(), build.BuildOptions(test_share=0.5))
    seen = load_with_datasets(tmp_path, "imagefolder", str(project.dataset_foto))
    assert set(seen) == {"train", "test"}
    assert seen["train"]["rows"] + seen["test"]["rows"] == 16
    for info in seen.values():
        assert info["labels_type"] == "List" and info["inner_dtype"] == "string"
        assert isinstance(info["first"]["labels"], list) and info["first"]["labels"]
        assert {"film", "part", "segment", "text", "annotators", "agreement"} <= set(info["columns"])
        assert info["image_size"] == [64, 64]


def test_failure_midway_leaves_previous_dataset_whole(project: Layout) -> None:
    build.build_dataset(project, labeled(project), patterns.default_patterns())
    before = snapshot(project.dataset_foto)
    assert "README.md" in before and any(k.startswith("train/") for k in before)
    fresh = labeled(project)
    # A keyframe vanishes between reading the labels and copying: the build must stop.
    Path(fresh.frame.iloc[-1]["keyframe"]).unlink()
    with pytest.raises(UserError, match="не изменён"):
        build.build_dataset(project, fresh, patterns.default_patterns(), build.BuildOptions(seed=99))
    assert snapshot(project.dataset_foto) == before
    assert not [p for p in project.root.iterdir() if p.name.startswith(TMP_PREFIX)]


def test_one_film_splits_by_part_and_one_part_goes_to_train(tmp_path: Path) -> None:
    one_film = build_project(tmp_path / "один фильм", films=("Урок",), parts_per_film=3)
    summary = build.build_dataset(one_film, labeled(one_film), patterns.default_patterns())
    assert summary.split_by == "part" and summary.images["test"] > 0
    assert not {r["part"] for r in read_split(one_film, "train")} & {r["part"] for r in read_split(one_film, "test")}
    assert any("один фильм" in n for n in summary.notes)

    one_part = build_project(tmp_path / "одна часть", films=("Урок",), parts_per_film=1)
    summary = build.build_dataset(one_part, labeled(one_part), patterns.default_patterns())
    assert summary.images == {"train": 4, "test": 0} and not one_part.dataset_split("test").exists()
    assert any("невозможно" in n for n in summary.notes)
    assert "невозможно" in build.format_summary(summary, patterns.default_patterns())


def test_summary_flags_rare_patterns(project: Layout) -> None:
    options = build.BuildOptions(test_share=0.5)
    summary = build.build_dataset(project, labeled(project), patterns.default_patterns(), options)
    weak = summary.weak_patterns(patterns.default_patterns())
    assert P1 not in weak and weak[patterns.default_patterns()[5]] == "нет ни одного примера"
    text = build.format_summary(summary, patterns.default_patterns())
    assert "train — 8, test — 8" in text and "Мало примеров" in text


def test_unreadable_image_is_skipped_and_reported(project: Layout) -> None:
    project.keyframe("Урок английского_part001", 2).write_bytes(b"not a jpeg")
    summary = build.build_dataset(project, labeled(project), patterns.default_patterns())
    assert sum(summary.images.values()) == 15 and len(summary.skipped) == 1
    assert "сегмент 2" in summary.skipped[0]


# --- the script -----------------------------------------------------------------------------
