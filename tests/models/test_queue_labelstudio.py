"""The active-learning queue against the real Label Studio server: predictions arrive, scores in order.

A project is set up from tasks.json as the experts would have it; ``python -m
pedpatterns.labelstudio queue --send`` then attaches the text model's pre-annotations to
the tasks of the least certain unlabelled segments, and the same label_queue.json is also
imported on its own into a second project. Both are read back through the API.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from pedpatterns import patterns
from pedpatterns.labelstudio.config import CHOICES_TAG, IMAGE_TAG, label_config_xml
from tests.support.scripts import REPO_ROOT

if TYPE_CHECKING:
    from tests.support.labelstudio_server import LSServer

pytest_plugins = ["tests.support.labelstudio_server"]
pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]


def test_queue_sends_predictions_that_the_server_shows(ls_server: LSServer) -> None:
    layout, project_id, title = ls_server.queue_project("очередь", "Очередь разметки")
    root, client = layout.root, ls_server.client()
    assert len(client.tasks(project_id)) == 80

    done = subprocess.run(
        [sys.executable, "-m", "pedpatterns.labelstudio", "queue", "--root", str(root), "--batch", "6",
         "--send", "--url", ls_server.url, "--token", ls_server.token, "--project-title", title],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "подсказки к 6 задачам, новых задач — 0" in done.stdout
    sent = json.loads(layout.label_queue.read_text(encoding="utf-8"))
    scores = [t["predictions"][0]["score"] for t in sent]
    assert len(sent) == 6 and scores == sorted(scores)

    served = {t["data"]["segment_id"]: t for t in client.tasks(project_id)}
    assert len(served) == 80  # nothing imported twice
    with_predictions = {key: t for key, t in served.items() if t.get("predictions")}
    assert set(with_predictions) == {t["data"]["segment_id"] for t in sent}
    for task in sent:
        (shown,) = with_predictions[task["data"]["segment_id"]]["predictions"]
        (expected,) = task["predictions"]
        assert shown["score"] == pytest.approx(expected["score"])
        assert shown["model_version"] == expected["model_version"]
        (choice,) = shown["result"]
        assert choice["from_name"] == CHOICES_TAG and choice["to_name"] == IMAGE_TAG
        assert choice["value"]["choices"] == expected["result"][0]["value"]["choices"]

    # Sent again: the same model's suggestion is not stacked twice on a task.
    again = subprocess.run(
        [sys.executable, "-m", "pedpatterns.labelstudio", "queue", "--root", str(root), "--batch", "6",
         "--send", "--url", ls_server.url, "--token", ls_server.token, "--project-title", title],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert again.returncode == 0, again.stderr
    assert all(len(t["predictions"]) == 1 for t in client.tasks(project_id) if t.get("predictions"))

    # The file alone, imported into a fresh project (Label Studio → Import), carries the same predictions.
    other = client.create_project(ls_server.unique("Очередь из файла"), label_config_xml(patterns.default_patterns()))
    assert client.import_tasks(other["id"], sent) == 6
    imported = client.tasks(other["id"])
    assert sorted(t["predictions"][0]["score"] for t in imported) == pytest.approx(scores)
