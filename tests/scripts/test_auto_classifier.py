"""auto_classifier.py as a user runs it: a separate process, --root, Russian messages, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pedpatterns.labelstudio.tasks import local_files_url
from pedpatterns.layout import TMP_PREFIX, Layout
from pedpatterns.testing import synthetic
from pedpatterns.testing.synthetic import make_colour_labelled_project
from tests.support.scripts import REPO_ROOT, Result, run_script, script_env

SCRIPT = REPO_ROOT / "auto_classifier.py"
FAST_TRAIN = ["--weights", "none", "--image-size", "32", "--alpha", "0.35", "--batch-size", "8", "--threads", "2"]


def run(root: Path, *args: str, stdin: str = "", env: dict | None = None) -> Result:
    return run_script("auto_classifier.py", *args, root=root, stdin=stdin, env=script_env(**(env or {})), timeout=600)


def assert_user_error(result: Result, *needles: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Ошибка:" in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def add_part_films(layout: Layout) -> list[Path]:
    """The part videos predict lists; predict reads their processed keyframes until Part 1 is wired in."""
    videos = []
    for part in layout.processed_parts():
        video = layout.part_films / f"{part}.mp4"
        video.write_bytes(b"")
        videos.append(video)
    return videos


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    layout = make_colour_labelled_project(tmp_path_factory.mktemp("cli") / "школа № 5", n_parts=3, n_segments=8)
    add_part_films(layout)
    result = run(layout.root, "--mode", "train", "--epochs", "2", *FAST_TRAIN)
    assert result.returncode == 0, result.stderr
    assert "эпоха 1/2" in result.stdout and "Модель сохранена" in result.stdout
    return layout


def copy_model(src: Layout, root: Path, *, mlb: bool = True) -> Layout:
    layout = Layout(root)
    layout.ensure_top_folders()
    shutil.copy(src.image_model, layout.image_model)
    shutil.copy(src.image_classes, layout.image_classes)
    if mlb:
        shutil.copy(src.mlb, layout.mlb)
    return layout


@pytest.mark.slow
def test_predict_writes_the_documented_shape_and_keeps_videos_apart(project: Layout) -> None:
    first, second = project.list_parts()[:2]
    result = run(project.root, "--mode", "predict", "--video", "1")
    assert result.returncode == 0, result.stderr
    folder = project.auto_labeled_video(first.stem)
    rows = [json.loads(line) for line in (folder / "metadata.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 8
    for i, row in enumerate(rows):
        assert list(row) == ["file_name", "top_3_predictions", "video", "segment", "lesson_start", "lesson_end"]
        assert row["file_name"] == f"images/segment_{i:03d}_keyframe.jpg"
        assert (folder / row["file_name"]).is_file()
        top = row["top_3_predictions"]
        assert [list(p) for p in top] == [["pattern", "confidence"]] * 3
        assert [p["confidence"] for p in top] == sorted((p["confidence"] for p in top), reverse=True)
        assert all(0 <= p["confidence"] <= 1 for p in top)
        assert {p["pattern"] for p in top} == {"Паттерн A", "Паттерн B", "Паттерн C"}
        assert row["video"] == first.name and row["segment"] == i
        assert (row["lesson_start"], row["lesson_end"]) == (i * 30.0, (i + 1) * 30.0)

    tasks = json.loads((folder / "tasks_with_predictions.json").read_text(encoding="utf-8"))
    assert len(tasks) == 8
    assert tasks[0]["data"]["image"] == local_files_url(project, project.keyframe(first.stem, 0))
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"].startswith("image_pattern_model@")
    assert prediction["result"][0]["from_name"] == "pattern" and prediction["result"][0]["to_name"] == "image"
    assert prediction["result"][0]["value"]["choices"]

    before = (folder / "metadata.jsonl").read_bytes()
    result = run(project.root, "--mode", "predict", "--video", second.name)
    assert result.returncode == 0, result.stderr
    assert (folder / "metadata.jsonl").read_bytes() == before
    combined = [json.loads(line) for line in project.auto_labeled_metadata.read_text(encoding="utf-8").splitlines()]
    assert len(combined) == 16
    assert combined[0]["file_name"] == f"{first.stem}/images/segment_000_keyframe.jpg"
    assert combined[8]["file_name"] == f"{second.stem}/images/segment_000_keyframe.jpg"
    assert all((project.auto_labeled / r["file_name"]).is_file() for r in combined)
    assert not [p for p in project.auto_labeled.iterdir() if p.name.startswith(TMP_PREFIX)]


@pytest.mark.slow
def test_predict_asks_again_after_a_wrong_answer(project: Layout) -> None:
    result = run(project.root, "--mode", "predict", stdin="семь\n9\n3\n")
    assert result.returncode == 0, result.stderr
    assert "не номер из списка" in result.stdout
    assert project.list_parts()[2].stem in project.auto_labeled_videos()


@pytest.mark.slow
def test_predict_without_a_model_says_to_train_first(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "новый проект")
    layout.ensure_top_folders()
    assert_user_error(run(layout.root, "--mode", "predict", "--video", "1"), "Модели ещё нет", "--mode train")


@pytest.mark.slow
def test_predict_without_mlb(project: Layout, tmp_path: Path) -> None:
    layout = copy_model(project, tmp_path / "p", mlb=False)
    assert_user_error(run(layout.root, "--mode", "predict"), "mlb.pkl", "--mode train")


@pytest.mark.slow
def test_predict_with_a_corrupt_model(project: Layout, tmp_path: Path) -> None:
    layout = copy_model(project, tmp_path / "p")
    layout.image_model.write_bytes(b"\x89HDF\r\n half a model")
    assert_user_error(run(layout.root, "--mode", "predict"), "повреждён", "--mode train")


@pytest.mark.slow
def test_predict_with_a_model_and_mlb_from_different_trainings(project: Layout, tmp_path: Path) -> None:
    layout = copy_model(project, tmp_path / "p")
    # The pattern list of another training (mlb.pkl is no longer read: it is a pickle).
    layout.image_classes.write_text(json.dumps({"format": 1, "classes": ["Паттерн A", "Паттерн B"]}), encoding="utf-8")
    assert_user_error(run(layout.root, "--mode", "predict"), "не подходят друг к другу", "3", "2")


@pytest.mark.slow
def test_predict_on_a_video_without_frames(project: Layout, tmp_path: Path) -> None:
    layout = copy_model(project, tmp_path / "p")
    synthetic.make_processed_part(layout, "Пустой урок_part001", 0)
    add_part_films(layout)
    assert_user_error(run(layout.root, "--mode", "predict", "--video", "1"), "ни одного кадра")
    assert layout.auto_labeled_videos() == []


@pytest.mark.slow
def test_predict_on_a_broken_part_not_processed_yet(project: Layout, tmp_path: Path) -> None:
    layout = copy_model(project, tmp_path / "p")
    (layout.part_films / "Новый урок_part001.mp4").write_bytes(b"")
    # An unprocessed part is processed with Part 1's code first; an empty file fails there, by name.
    assert_user_error(run(layout.root, "--mode", "predict", "--video", "1"), "Новый урок_part001.mp4")
    assert layout.auto_labeled_videos() == []


@pytest.mark.slow
def test_imagenet_weights_offline_suggest_none_or_a_file(tmp_path: Path) -> None:
    layout = make_colour_labelled_project(tmp_path / "p", n_parts=1, n_segments=2)
    offline = {"KERAS_HOME": str(tmp_path / "keras"), "https_proxy": "http://127.0.0.1:9",
               "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "", "NO_PROXY": ""}
    result = run(layout.root, "--mode", "train", "--image-size", "96", "--alpha", "0.35", env=offline)
    assert_user_error(result, "веса ImageNet", "--weights none", "--weights ПУТЬ_К_ФАЙЛУ")
    assert not layout.image_model.exists()


@pytest.mark.slow
def test_train_without_labels_is_a_russian_error(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "p")
    layout.ensure_top_folders()
    assert_user_error(run(layout.root, "--mode", "train", *FAST_TRAIN), "labeled.csv")

