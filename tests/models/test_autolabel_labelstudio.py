"""The active-learning loop against a real Label Studio: the model's pre-annotations arrive intact.

auto_classifier.py --mode predict writes tasks_with_predictions.json; an expert imports it
and corrects the model's choices. Here that exact file is imported into the session's
server and the predictions are read back through the API.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from sklearn.preprocessing import MultiLabelBinarizer

from pedpatterns import patterns
from pedpatterns.labelstudio.config import CHOICES_TAG, IMAGE_TAG, label_config_xml
from pedpatterns.models import autolabel, imagemodel
from pedpatterns.prepare import processing

if TYPE_CHECKING:
    from tests.support.labelstudio_server import LSServer

pytest_plugins = ["tests.support.labelstudio_server"]


@pytest.mark.labelstudio
@pytest.mark.slow
def test_pre_annotations_import_and_read_back(ls_server: LSServer) -> None:
    layout = ls_server.layout
    part, rows = ls_server.make_part(3, colour_of=lambda i: (40 * i, 90, 160))
    classes = patterns.default_patterns()[:3]
    imagemodel.keras_runtime()
    model, _, _ = imagemodel.build_model(len(classes), image_size=32, alpha=0.35, weights="none")
    imagemodel.save_model(model, classes, layout.image_model)
    imagemodel.save_binarizer(MultiLabelBinarizer(classes=classes).fit([classes]), layout.mlb)
    classifier = imagemodel.load_classifier(layout)

    options = autolabel.LabelOptions(threshold=0.5, process=processing.Options())
    result = autolabel.label_video(layout, layout.part_films / f"{part}.mp4", classifier, options)
    written = json.loads((result.folder / autolabel.PREDICTED_TASKS_JSON).read_text(encoding="utf-8"))
    assert len(written) == len(rows)

    client = ls_server.client()
    project = client.create_project(ls_server.unique("Подсказки модели"),
                                    label_config_xml(patterns.default_patterns()))
    assert client.import_tasks(project["id"], written) == len(rows)
    served = sorted(client.tasks(project["id"]), key=lambda t: t["data"]["segment"])
    for task, sent in zip(served, written, strict=True):
        assert task["data"]["image"] == sent["data"]["image"]
        assert task["data"]["image"].startswith("/data/local-files/?d=processed_data/")
        (prediction,) = task["predictions"]
        (expected,) = sent["predictions"]
        assert prediction["model_version"] == expected["model_version"]
        assert prediction["score"] == pytest.approx(expected["score"])
        (choice,) = prediction["result"]
        assert choice["from_name"] == CHOICES_TAG and choice["to_name"] == IMAGE_TAG
        assert choice["value"]["choices"] == expected["result"][0]["value"]["choices"]
        assert set(choice["value"]["choices"]) <= set(classes)
