"""upload_dataset.py: the staged folder, the card, the one commit, secrets and failures — all offline."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from pedpatterns import patterns
from pedpatterns.dataset import build, hub
from pedpatterns.errors import UserError
from pedpatterns.layout import Layout
from tests.support.datasets import FAKE_TOKEN, REPO, closed_port, front_matter, load_with_datasets, project_with_dataset


@pytest.fixture
def built(tmp_path: Path) -> Layout:
    return project_with_dataset(tmp_path)


def stage(layout: Layout, out: Path, private: bool = True) -> Path:
    contents = build.read_dataset(layout)
    return hub.stage(layout, contents, out, repo_id=REPO, license_id=hub.DEFAULT_LICENSE, private=private)


# --- settings, tags ---------------------------------------------------------------------------


def test_settings_from_env_file_and_repo_flag(built: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_DATASET_REPO", raising=False)
    assert hub.read_settings(built) == hub.HubSettings(None, None)
    with pytest.raises(UserError, match="Access Tokens") as exc:
        hub.require_token(hub.read_settings(built), built)
    assert "не найден" in exc.value.message and "write" in exc.value.message
    built.env_file.write_text(f"HF_TOKEN={FAKE_TOKEN}\nHF_DATASET_REPO={REPO}\n", encoding="utf-8")
    settings = hub.read_settings(built)
    assert settings.token == FAKE_TOKEN and settings.repo_id == REPO
    assert FAKE_TOKEN not in repr(settings)
    assert hub.read_settings(built, "other/name").repo_id == "other/name"
    for bad in ["no-slash", "a/b c", "а/б", "a/../b", None]:
        with pytest.raises(UserError):
            hub.check_repo_id(bad)


def test_tags_are_dated_and_never_reused() -> None:
    assert hub.default_tag(date(2026, 11, 25)) == "v2026.11.25"
    assert hub.unique_tag("v2026.11.25", []) == "v2026.11.25"
    assert hub.unique_tag("v2026.11.25", ["v2026.11.25", "v2026.11.25-2"]) == "v2026.11.25-3"


# --- the staged folder and the card -----------------------------------------------------------


@pytest.mark.slow
def test_staged_folder_loads_with_classlabel_list(built: Layout, tmp_path: Path) -> None:
    staged = stage(built, tmp_path / "staged")
    rows = [json.loads(line) for line in (staged / "train" / "metadata.jsonl").read_text("utf-8").splitlines()]
    names = patterns.default_patterns()
    assert all(isinstance(i, int) for r in rows for i in r["labels"])
    assert all([names[i] for i in r["labels"]] == r["label_names"] for r in rows)
    seen = load_with_datasets(tmp_path, str(staged))
    assert seen["train"]["rows"] + seen["test"]["rows"] == 16
    for info in seen.values():
        assert info["labels_type"] == "List" and info["inner"] == "ClassLabel"
        assert info["names"] == names
        assert "label_names" in info["columns"] and all(isinstance(i, int) for i in info["first"]["labels"])
        assert [names[i] for i in info["first"]["labels"]] == info["first"]["label_names"]


def test_card_front_matter_and_russian_body(built: Layout, tmp_path: Path) -> None:
    card = (stage(built, tmp_path / "staged") / "README.md").read_text(encoding="utf-8")
    meta = front_matter(card)
    assert meta["language"] == ["ru"] and meta["license"] == "cc-by-nc-4.0" and meta["pretty_name"]
    assert meta["task_categories"] == ["image-classification"]
    assert meta["task_ids"] == ["multi-label-image-classification"]
    assert meta["annotations_creators"] == ["expert-generated"] and meta["size_categories"] == ["n<1K"]
    (config,) = meta["configs"]
    assert config["data_files"] == [{"split": "train", "path": "train/*"}, {"split": "test", "path": "test/*"}]
    for feats in (meta["dataset_info"]["features"], config["features"]):
        by_name = {f["name"]: f for f in feats}
        names = by_name["labels"]["list"]["class_label"]["names"]
        assert [names[k] for k in sorted(names, key=int)] == patterns.default_patterns()
        assert by_name["label_names"]["list"] == "string" and by_name["image"]["dtype"] == "image"
    assert {s["name"]: s["num_examples"] for s in meta["dataset_info"]["splits"]} == {"train": 8, "test": 8}
    body = card.split("---\n", 2)[2]
    for needed in ["дети", "приватный", patterns.describe(patterns.default_patterns()[0]), "Label Studio",
                   "Ограничения", "согласие", REPO]:
        assert needed in body, needed
    public = (stage(built, tmp_path / "public", private=False) / "README.md").read_text(encoding="utf-8")
    assert "**открытый**" in public and "дети" in public


# --- the one commit ---------------------------------------------------------------------------


def test_operations_add_everything_and_delete_only_stale(built: Layout, tmp_path: Path) -> None:
    staged = stage(built, tmp_path / "staged")
    new = hub.staged_files(staged)
    remote = [".gitattributes", "README.md", "train/metadata.jsonl", "train/old_frame.jpg", "data/train.parquet",
              new[1]]
    ops = hub.commit_operations(staged, remote)
    adds = {op.path_in_repo for op in ops if isinstance(op, CommitOperationAdd)}
    deletes = {op.path_in_repo for op in ops if isinstance(op, CommitOperationDelete)}
    assert adds == set(new) and len(adds) == 16 + 2 + 1
    assert deletes == {"train/old_frame.jpg", "data/train.parquet"}
    assert all(not op.is_folder for op in ops if isinstance(op, CommitOperationDelete))
    card = next(op for op in ops if getattr(op, "path_in_repo", "") == "README.md")
    assert card.upload_info.size == (staged / "README.md").stat().st_size
    text = hub.describe_operations(ops)
    assert "добавить 19" in text and "удалить 2" in text and "- data/train.parquet" in text


def test_network_failure_is_a_russian_message_and_no_change(built: Layout, tmp_path: Path) -> None:
    staged = stage(built, tmp_path / "staged")
    api = HfApi(endpoint=f"http://127.0.0.1:{closed_port()}", token=FAKE_TOKEN)
    with pytest.raises(UserError) as exc:
        hub.publish(api, REPO, staged, tag="v2026.11.25", private=True)
    assert "Не удалось связаться" in exc.value.message and "не изменились" in exc.value.message
    assert FAKE_TOKEN not in exc.value.message


# --- the script -------------------------------------------------------------------------------
