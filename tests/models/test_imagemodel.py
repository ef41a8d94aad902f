"""The keyframe model on a task it can learn: the colour of a frame decides its patterns.

Real Keras, real MobileNetV2 (narrow, 32 px, no downloaded weights), trained in-process;
the reload check runs in a fresh Python process, as a user's next session would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pedpatterns.errors import UserError
from pedpatterns.labelstudio.config import CHOICES_TAG, IMAGE_TAG, label_config_xml
from pedpatterns.labelstudio.tasks import local_files_url
from pedpatterns.layout import TMP_PREFIX, Layout
from pedpatterns.models import autolabel, evaluation, imagemodel
from pedpatterns.prepare import processing
from pedpatterns.testing import synthetic
from pedpatterns.testing.synthetic import COLOUR_LOOKS, make_colour_labelled_project

COLOURS = [colour for colour, _ in COLOUR_LOOKS]
PATTERNS = [patterns for _, patterns in COLOUR_LOOKS]
FAST = {"image_size": 32, "alpha": 0.35, "batch_size": 8, "threads": 2}


SEGMENTS = 16  # per part of the trained fixture's project


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, imagemodel.TrainResult]:
    layout = make_colour_labelled_project(tmp_path_factory.mktemp("img") / "проект с пробелом", n_segments=SEGMENTS)
    # Trained until the colours are clearly separable, so the checks below hold on any CPU, whichever kernels
    # oneDNN picks: a whole-batch step (all 32 training frames) keeps the batch statistics of the from-scratch
    # network the ones it is used with, and 140 steps let its inference-mode outputs settle (measured: with
    # 30 noisy 8-frame epochs a training frame could still be predicted 0.03 for its own pattern).
    options = imagemodel.TrainOptions(weights="none", epochs=140, patience=140, **{**FAST, "batch_size": 32})
    return layout, imagemodel.train(layout, options, log=lambda line: None)


# How far from the 0.5 threshold a clearly learnt pattern's confidence must stay (mean over a colour's frames).
MARGIN = 0.3


def held_out_frames(layout: Layout, result: imagemodel.TrainResult) -> tuple[list[Path], np.ndarray]:
    """The keyframes of the part kept out of training and early stopping, with their true patterns (0/1)."""
    [part] = result.report["parts"]["test"]
    frames = [layout.keyframe(part, i) for i in range(SEGMENTS)]
    y = np.array([[name in PATTERNS[i % len(PATTERNS)] for name in result.report["patterns"]]
                  for i in range(SEGMENTS)])
    return frames, y


@pytest.mark.slow
def test_learns_colours_and_beats_the_frequency_baseline(trained) -> None:
    layout, result = trained
    metrics = result.report["metrics"]
    assert result.warnings == []
    assert set(result.report["parts"]["test"]).isdisjoint(result.report["parts"]["train"])
    assert set(result.report["parts"]["test"]).isdisjoint(result.report["parts"]["validation"])
    assert metrics["micro_f1"] >= 0.8
    assert metrics["micro_f1"] > metrics["baseline_micro_f1"] + 0.1
    assert metrics["macro_f1"] > metrics["baseline_macro_f1"]
    assert "micro-F1: модель" in result.table
    assert "лучше простой базы" in evaluation.verdict(metrics)
    assert "не лучше" in evaluation.verdict({**metrics, "micro_f1": metrics["baseline_micro_f1"]})
    assert "не вывод, а подсказка" in evaluation.verdict(metrics, ["мало данных"])

    written = json.loads(layout.image_metrics.read_text(encoding="utf-8"))
    assert written["metrics"] == metrics
    assert written["patterns"] == ["Паттерн A", "Паттерн B", "Паттерн C"]
    assert not [p for p in layout.root.iterdir() if p.name.startswith(TMP_PREFIX)]


@pytest.mark.slow
def test_saved_model_reloads_in_a_fresh_process_with_the_same_predictions(trained, tmp_path: Path) -> None:
    layout, result = trained
    frames, y = held_out_frames(layout, result)
    classifier = imagemodel.load_classifier(layout)
    here = imagemodel.predict_proba(classifier, imagemodel.load_images(frames, classifier.image_size))
    np.save(tmp_path / "images.npy", imagemodel.load_images(frames, classifier.image_size))
    # Plain load_model, compile left at its default: a user's own script must be able to do this.
    code = (
        "import json, pickle, sys, numpy as np, keras\n"
        "model = keras.models.load_model(sys.argv[1])\n"
        "mlb = pickle.load(open(sys.argv[2], 'rb'))\n"
        "probs = model.predict(np.load(sys.argv[3]), verbose=0)\n"
        "print(json.dumps({'classes': list(mlb.classes_), 'probs': probs.tolist()}))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(layout.image_model), str(layout.mlb), str(tmp_path / "images.npy")],
        capture_output=True, text=True, env=env, check=True,
    )
    there = json.loads(out.stdout.strip().splitlines()[-1])
    assert there["classes"] == classifier.classes
    np.testing.assert_allclose(np.array(there["probs"]), here, atol=1e-5)
    # The reloaded model is the one that was trained, not just some model: on the held-out part it makes the
    # very decisions that gave the metrics measured before saving (same machine, so the same kernels).
    decided = (here >= imagemodel.DEFAULT_THRESHOLD).astype(int)
    again = evaluation.evaluate(y.astype(int), decided, decided, classifier.classes)
    measured = result.report["metrics"]
    assert (again["micro_f1"], again["macro_f1"]) == (measured["micro_f1"], measured["macro_f1"])
    # And it learnt the colours with a margin no kernel's rounding can cross: per colour, the mean confidence of
    # its patterns is far above the threshold, of the others far below; red's best guess is A, green's C.
    for k, colour_patterns in enumerate(PATTERNS):
        mean = here[k::len(PATTERNS)].mean(axis=0)
        assert (mean[y[k]] >= 0.5 + MARGIN).all() and (mean[~y[k]] <= 0.5 - MARGIN).all(), (colour_patterns, mean)
    top = imagemodel.top_predictions(here.reshape(-1, len(PATTERNS), here.shape[1]).mean(axis=0), classifier.classes)
    assert top[0][0]["pattern"] == "Паттерн A"  # red
    assert top[3][0]["pattern"] == "Паттерн C"  # green


@pytest.mark.slow
def test_one_part_and_local_weights_file_say_the_numbers_mean_nothing(tmp_path: Path) -> None:
    keras = imagemodel.keras_runtime(2)
    weights = tmp_path / "веса mobilenet.weights.h5"
    keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None).save_weights(
        weights
    )
    layout = make_colour_labelled_project(tmp_path / "один урок", n_parts=1, n_segments=6)
    result = imagemodel.train(
        layout, imagemodel.TrainOptions(weights=str(weights), epochs=1, **FAST), log=lambda line: None
    )
    assert result.report["metrics"] is None and result.table is None
    assert any("только одна часть" in w for w in result.warnings)
    assert result.report["settings"]["weights"] == weights.name
    assert layout.image_model.is_file() and layout.mlb.is_file()


@pytest.mark.slow
def test_missing_weights_file_is_a_user_error(tmp_path: Path) -> None:
    layout = make_colour_labelled_project(tmp_path, n_parts=1, n_segments=2)
    with pytest.raises(UserError, match="не найден"):
        imagemodel.train(layout, imagemodel.TrainOptions(weights=str(tmp_path / "нет.h5"), epochs=1, **FAST),
                         log=lambda line: None)


def test_positive_weights_favour_rare_patterns_within_limits() -> None:
    y = np.array([[1, 0, 0]] * 9 + [[1, 1, 0]])
    w = imagemodel.positive_weights(y)
    assert w[1] == pytest.approx(9.0)
    assert w[0] == pytest.approx(1 / imagemodel.MAX_POSITIVE_WEIGHT)  # always present: capped, not zero
    assert w[2] == imagemodel.MAX_POSITIVE_WEIGHT  # never seen


def test_top_predictions_sorted_and_chosen_patterns() -> None:
    top = imagemodel.top_predictions(np.array([[0.1, 0.9, 0.6, 0.3]]), ["a", "b", "c", "d"])[0]
    assert [p["pattern"] for p in top] == ["b", "c", "d"]
    assert [p["confidence"] for p in top] == [0.9, 0.6, 0.3]
    assert autolabel.chosen_patterns(top, 0.5) == ["b", "c"]
    assert autolabel.chosen_patterns(top, 0.95) == ["b"]  # nothing sure: the best guess, never empty
    assert len(imagemodel.top_predictions(np.array([[0.2, 0.7]]), ["a", "b"])[0]) == 2


def test_reliable_table_hides_patterns_with_too_few_examples() -> None:
    y = np.array([[1, 0], [1, 0], [1, 1], [1, 0]])
    metrics = evaluation.evaluate(y, y, y, ["A", "B"])
    warnings = evaluation.data_warnings(y[:2], y[2:], ["A", "B"], n_groups=2)
    table = imagemodel.reliable_table(metrics, warnings)
    assert "A" in table and "\nB " not in table


def test_pre_annotated_task_matches_the_label_config(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "проект")
    layout.ensure_top_folders()
    synthetic.make_processed_part(layout, "Урок_part001", 1)
    frame = autolabel.segment_keyframes(layout, layout.part_films / "Урок_part001.mp4", processing.Options())[0]
    image = autolabel.task_image(layout, frame, layout.auto_labeled_video("Урок_part001") / "images" / "x.jpg")
    task = autolabel.predicted_task(layout, "Урок_part001", frame, image, ["Паттерн A"], 0.42, "m@1")
    assert task["data"]["image"] == local_files_url(layout, layout.keyframe("Урок_part001", 0))
    assert task["data"]["image"].startswith("/data/local-files/?d=processed_data/")
    assert task["predictions"] == [{
        "model_version": "m@1", "score": 0.42,
        "result": [{"from_name": "pattern", "to_name": "image", "type": "choices",
                    "value": {"choices": ["Паттерн A"]}}],
    }]
    config = label_config_xml(["Паттерн A", "Паттерн B"])
    assert f'<Choices name="{CHOICES_TAG}" toName="{IMAGE_TAG}"' in config
    data_keys = {k[1:] for k in re.findall(r"\$\w+", config)}
    assert data_keys <= set(task["data"])
