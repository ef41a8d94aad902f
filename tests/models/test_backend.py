"""The ML backend's protocol, its learning and its faults, through real HTTP (waitress) and Flask's client.

The project is the labelling queue's (tests/support/research.py): four films, the first three partly
labelled by two experts; the audio/text model learns the cue words that mark each pattern.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pedpatterns import patterns
from pedpatterns.labelstudio.config import CHOICES_TAG, IMAGE_TAG, label_config_xml
from pedpatterns.labelstudio.tasks import segment_task
from pedpatterns.layout import Layout
from pedpatterns.models import backend as live
from pedpatterns.models import queue
from pedpatterns.models.options import BackendOptions
from pedpatterns.testing.serving import backend_served
from tests.support.research import make_queue_project
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

CONFIG = label_config_xml(patterns.default_patterns())


def _tasks(layout: Layout, film: int, segments: range) -> list[dict[str, Any]]:
    table, _ = queue.unlabelled_segments(layout)
    rows = table[(table["part"] == f"Фильм {film}_part001") & table["segment"].isin(list(segments))]
    return [{"id": 1000 * film + int(r["segment"]), **segment_task(layout, r)}
            for r in rows.to_dict("records")]


@pytest.fixture
def project(tmp_path: Path) -> Layout:
    return make_queue_project(tmp_path / "проект")


@pytest.fixture
def service(project: Layout) -> Iterator[tuple[live.LiveBackend, str]]:
    """The backend served over real HTTP on a free port, as ``python -m pedpatterns.labelstudio backend`` does."""
    lines: list[str] = []
    backend = live.LiveBackend(project, BackendOptions(retrain_every=4), log=lines.append)
    assert backend.wait_idle(120), lines  # the first model is learnt from labeled.csv at start
    with backend_served(backend) as url:
        yield backend, url


def test_setup_and_predict_follow_label_studios_protocol(project: Layout, service: tuple) -> None:
    url = service[1]
    assert requests.get(f"{url}/health", timeout=5).json()["status"] == "UP"
    setup = requests.post(f"{url}/setup", json={"project": "1.1", "schema": CONFIG}, timeout=5)
    version = setup.json()["model_version"]
    assert version.startswith("live@")

    tasks = _tasks(project, 3, range(0, 20, 3))
    answer = requests.post(f"{url}/predict", json={"tasks": tasks, "label_config": CONFIG}, timeout=30).json()
    assert len(answer["results"]) == len(tasks)  # one entry per task, in order
    known = set(patterns.default_patterns())
    scores = []
    for entry in answer["results"]:
        (choice,) = entry["result"]
        assert (choice["from_name"], choice["to_name"], choice["type"]) == (CHOICES_TAG, IMAGE_TAG, "choices")
        assert choice["value"]["choices"] and set(choice["value"]["choices"]) <= known
        assert entry["model_version"] == version and 0.5 <= entry["score"] <= 1
        scores.append(entry["score"])
    assert len(set(scores)) > 1  # confidence tells segments apart


def test_bad_requests_get_a_russian_error_and_the_service_stays_up(project: Layout, service: tuple) -> None:
    url = service[1]
    malformed = requests.post(f"{url}/predict", data=b"{not json", headers={"Content-Type": "application/json"},
                              timeout=5)
    assert malformed.status_code == 400 and "не JSON" in malformed.json()["error"]
    unknown = requests.post(f"{url}/predict", json={"tasks": [{"id": 7, "data": {"image": "/data/local-files/"
                                                                                     "?d=processed_data/x/y.jpg"}}]},
                            timeout=5)
    assert unknown.status_code == 404 and "не из этого проекта" in unknown.json()["error"]
    mixed = requests.post(f"{url}/predict", json={"tasks": [{"id": 7, "data": {}}, *_tasks(project, 3, range(1))]},
                          timeout=30).json()
    assert mixed["results"][0] == [] and mixed["results"][1]["result"] and "задача 7" in mixed["errors"][0]
    no_patterns = '<View><Image name="image" value="$image"/><Choices name="mood" toName="image">' \
                  '<Choice value="Весело"/></Choices></View>'
    refused = requests.post(f"{url}/setup", json={"schema": no_patterns}, timeout=5)
    assert refused.status_code == 400 and "нет списка паттернов" in refused.json()["error"]
    huge = requests.post(f"{url}/predict", json={"tasks": [{"data": {}}] * (live.MAX_TASKS + 1)}, timeout=30)
    assert huge.status_code == 413 and "Слишком много задач" in huge.json()["error"]
    assert requests.get(f"{url}/nowhere", timeout=5).status_code == 404
    assert requests.get(f"{url}/health", timeout=5).json()["status"] == "UP"


def _webhook(project: Layout, annotation_id: int, task: dict[str, Any], choices: list[str], expert: int) -> dict:
    return {"action": "ANNOTATION_CREATED", "project": {"id": 1},
            "task": {"id": task["id"], "data": task["data"]},
            "annotation": {"id": annotation_id, "completed_by": expert, "was_cancelled": False,
                           "result": [{"from_name": CHOICES_TAG, "to_name": IMAGE_TAG, "type": "choices",
                                       "value": {"choices": choices}}]}}


def test_submits_teach_the_model_in_the_background_and_change_its_version(project: Layout, service: tuple) -> None:
    backend, url = service
    before = requests.post(f"{url}/setup", json={"schema": CONFIG}, timeout=5).json()["model_version"]
    trained_on = json.loads(project.live_metrics.read_text(encoding="utf-8"))["n_segments"]
    taught = _tasks(project, 3, range(0, 8))
    # Two experts call every one of these segments «Рефлексия», whatever the model thought.
    responses = []
    for n, task in enumerate(taught):
        for expert in (1, 2):
            responses.append(requests.post(f"{url}/webhook", json=_webhook(project, 100 * expert + n, task,
                                                                           ["Рефлексия"], expert), timeout=5))
    assert all(r.status_code == 201 for r in responses)
    assert responses[0].json()["model_version"] == before  # answered at once: the retrain had not run yet
    stored = json.loads(project.live_labels.read_text(encoding="utf-8"))
    assert len(stored["annotations"]) == 16  # kept on disk: a restart loses none

    wait_until(lambda: backend.model_version() != before, 120, 0.2)
    assert backend.wait_idle(120)
    after = requests.post(f"{url}/setup", json={"schema": CONFIG}, timeout=5).json()["model_version"]
    assert after != before and after.startswith("live@")
    assert json.loads(project.live_metrics.read_text(encoding="utf-8"))["n_segments"] == trained_on + 8

    # Deleting the answers in Label Studio takes them out of the next training.
    gone = requests.post(f"{url}/webhook", json={"action": "ANNOTATIONS_DELETED", "project": {"id": 1},
                                                 "annotations": [{"id": 100 + n} for n in range(8)]}, timeout=5)
    assert gone.status_code == 201
    stored = json.loads(project.live_labels.read_text(encoding="utf-8"))
    assert len(stored["annotations"]) == 8 and "100" in stored["deleted"]


def test_start_training_retrains_now_and_a_failed_training_keeps_the_old_model(project: Layout) -> None:
    lines: list[str] = []
    backend = live.LiveBackend(project, BackendOptions(retrain_every=1000), log=lines.append)
    try:
        assert backend.wait_idle(120)
        first = backend.model_version()
        client = live.create_app(backend).test_client()
        assert client.post("/webhook", json={"action": "START_TRAINING"}).status_code == 201
        assert backend.wait_idle(120) and backend.trainings == 2
        second = backend.model_version()
        assert second != first  # every new model is a new version: Label Studio asks for its suggestions again

        project.labeled_csv.write_text("не экспорт\n", encoding="utf-8")
        assert client.post("/webhook", json={"action": "START_TRAINING"}).status_code == 201
        assert backend.wait_idle(120) and backend.last_error
        assert backend.model_version() == second and "Переобучить модель не удалось" in lines[-1]
        assert client.get("/health").get_json()["last_error"]
    finally:
        backend.close()


def test_without_labels_the_backend_says_the_model_is_not_ready(tmp_path: Path) -> None:
    layout = make_queue_project(tmp_path / "проект")
    layout.labeled_csv.unlink()
    backend = live.LiveBackend(layout, BackendOptions(), log=lambda _: None)
    try:
        client = live.create_app(backend).test_client()
        assert client.post("/setup", json={"schema": CONFIG}).get_json()["model_version"] == live.NOT_READY_VERSION
        answer = client.post("/predict", json={"tasks": _tasks(layout, 3, range(2))}).get_json()
        assert answer["results"] == [[], []] and "не готова" in answer["note"]
    finally:
        backend.close()
