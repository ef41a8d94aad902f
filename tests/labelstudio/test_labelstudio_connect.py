"""``python -m pedpatterns.labelstudio connect`` against the real Label Studio server and a live ML backend.

The whole chain runs with the real backend (``python -m pedpatterns.labelstudio backend``, which learns its
first model from the project's labeled.csv): connect, a task opened in the labelling stream and in the Data
Manager gets the backend's suggestion, a Submit reaches its /webhook. Where the exact calls matter, a stand-in
of a few lines (tests/support/ml_backend.py) answers the protocol — ``/health``, ``/setup``, ``/predict``,
``/webhook`` — and records what Label Studio sends.
The session's server is started by tests/support/labelstudio_server.py with the same settings as
``python -m pedpatterns.labelstudio server`` (server.label_studio_environment).
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from pedpatterns import patterns
from pedpatterns.labelstudio import connect
from pedpatterns.labelstudio.config import CHOICES_TAG, IMAGE_TAG, label_config_xml
from pedpatterns.labelstudio.project import setup_project
from pedpatterns.labelstudio.server import free_port
from pedpatterns.labelstudio.tasks import segment_tasks, update_tasks_file
from pedpatterns.layout import Layout
from pedpatterns.testing.synthetic import make_processed_part
from tests.support.ml_backend import MODEL_VERSION, StandInBackend, stand_in_backend
from tests.support.research import queue_project_labels
from tests.support.scripts import REPO_ROOT
from tests.support.waiting import wait_until

if TYPE_CHECKING:
    from tests.support.labelstudio_server import LSServer

pytest_plugins = ["tests.support.labelstudio_server"]
pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]


@pytest.fixture
def stand_in() -> Iterator[StandInBackend]:
    with stand_in_backend() as backend:
        yield backend


def _project(ls_server: LSServer, stem: str, n_segments: int = 3) -> tuple[Path, str, int]:
    """A project root inside the server's document root with one processed part, set up in Label Studio."""
    root = ls_server.document_root / ls_server.unique(stem)
    layout = Layout(root)
    layout.ensure_top_folders()
    part = f"{ls_server.unique('Урок')}_part001"
    rows = make_processed_part(layout, part, n_segments, film=part.removesuffix("_part001"))
    layout.label_config(part).write_text(label_config_xml(patterns.default_patterns()), encoding="utf-8")
    update_tasks_file(layout, part, segment_tasks(layout, rows))
    title = ls_server.unique("Подсказки на лету")
    report = setup_project(ls_server.client(), layout, title)
    return root, title, report.project_id


def _connect(ls_server: LSServer, root: Path, title: str, backend_url: str,
             token: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pedpatterns.labelstudio", "connect", "--root", str(root), "--url", ls_server.url,
         "--token", token or ls_server.token, "--project-title", title, "--backend-url", backend_url],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)


def _webhooks(ls_server: LSServer, project_id: int, url: str) -> list[dict[str, Any]]:
    return [h for h in ls_server.client().webhooks(project_id) if h["url"].rstrip("/") == url]


@contextmanager
def _backend(root: Path, log: Path, *flags: str) -> Iterator[str]:
    """``python -m pedpatterns.labelstudio backend`` for ``root`` on a free port, once its first model is learnt."""
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pedpatterns.labelstudio", "backend", "--root", str(root),
             "--port", url.rsplit(":", 1)[1], *flags], cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/health", timeout=2).json()["model_version"].startswith("live@"):
                    break
            time.sleep(0.3)
        yield url
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl+C
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


def _health(url: str) -> dict[str, Any]:
    return requests.get(f"{url}/health", timeout=5).json()


def test_connect_registers_the_backend_once_and_label_studio_asks_it_when_a_task_opens(
    ls_server: LSServer, tmp_path: Path
) -> None:
    # The labelling queue's project (tests/support/research.py): labeled.csv teaches the backend's first model.
    layout, project_id, title = ls_server.queue_project("подсказки", "Подсказки на лету")
    root, client = layout.root, ls_server.client()

    with _backend(root, tmp_path / "backend.log") as url:
        version = _health(url)["model_version"]
        done = _connect(ls_server, root, title, url)
        assert done.returncode == 0, done.stderr
        assert f"ML-бэкенд {url} подключён к проекту «{title}»" in done.stdout
        assert f"версия модели: {version}" in done.stdout
        (backend,) = client.ml_backends(project_id)
        assert backend["url"] == url and backend["title"] == connect.BACKEND_TITLE
        assert backend["model_version"] == version  # from the backend's /setup
        project = client.project(project_id)
        assert project["show_collab_predictions"] is True
        assert project["model_version"] == connect.BACKEND_TITLE
        # The server runs with SSRF_PROTECTION_ENABLED=false, so Label Studio made the webhook itself.
        (hook,) = _webhooks(ls_server, project_id, f"{url}/webhook")
        assert hook["is_active"] and hook["send_payload"] and hook["send_for_all_actions"]
        assert f"Вебхук {url}/webhook на месте" in done.stdout

        # Again: the same backend updated, nothing duplicated.
        again = _connect(ls_server, root, title, url + "/")
        assert again.returncode == 0, again.stderr
        assert "уже был подключён" in again.stdout
        assert [b["id"] for b in client.ml_backends(project_id)] == [backend["id"]]
        assert len(_webhooks(ls_server, project_id, f"{url}/webhook")) == 1

        # The labelling stream («Label All Tasks») opens a task: Label Studio asks /predict, shows the answer.
        known = set(patterns.default_patterns())
        opened = client.next_task(project_id)
        (shown,) = opened["predictions"]
        assert shown["model_version"] == version
        (choice,) = shown["result"]
        assert choice["from_name"] == CHOICES_TAG and choice["to_name"] == IMAGE_TAG
        assert set(choice["value"]["choices"]) <= known
        assert 0 < shown["score"] <= 1

        # A task opened from the Data Manager's table (GET /api/tasks/<id>/) gets one too.
        other = next(t for t in client.tasks(project_id) if t["id"] != opened["id"])
        assert [p["model_version"] for p in client.task(other["id"])["predictions"]] == [version]

        # Submit: Label Studio posts the annotation to the backend's /webhook inside the request (no Redis here).
        assert _health(url)["live_annotations"] == 0
        client.annotate(opened["id"], [patterns.default_patterns()[0]])
        assert _health(url)["live_annotations"] == 1
        assert json.loads(layout.live_labels.read_text(encoding="utf-8"))["annotations"]


def test_label_studio_calls_what_the_backend_protocol_says(ls_server: LSServer, stand_in: StandInBackend) -> None:
    """What exactly Label Studio sends, seen by a stand-in that records every call."""
    root, title, project_id = _project(ls_server, "протокол")
    client = ls_server.client()
    assert _connect(ls_server, root, title, stand_in.url).returncode == 0
    (setup,) = stand_in.paths("POST", "/setup")[-1:]
    assert setup["project"].startswith(f"{project_id}.") and "<Choices" in setup["schema"]

    opened = client.next_task(project_id)
    (asked,) = stand_in.paths("POST", "/predict")
    assert [t["id"] for t in asked["tasks"]] == [opened["id"]] and "<Choices" in asked["label_config"]
    assert opened["predictions"][0]["model_version"] == MODEL_VERSION
    client.next_task(project_id)  # the same task again: it holds this model version's prediction, no new call
    assert len(stand_in.paths("POST", "/predict")) == 1

    client.annotate(opened["id"], [stand_in.pattern])
    (event,) = [e for e in stand_in.paths("POST", "/webhook") if e["action"].startswith("ANNOTATION")]
    assert event["action"] == "ANNOTATION_CREATED"
    assert event["task"]["id"] == opened["id"] and event["task"]["data"]["image"]
    assert event["annotation"]["result"][0]["value"]["choices"] == [stand_in.pattern]
    assert event["project"]["id"] == project_id


def test_connect_makes_a_missing_webhook_and_works_with_a_personal_access_token(
    ls_server: LSServer, stand_in: StandInBackend
) -> None:
    root, title, project_id = _project(ls_server, "вебхук")
    client = ls_server.client()
    assert _connect(ls_server, root, title, stand_in.url).returncode == 0
    for hook in _webhooks(ls_server, project_id, f"{stand_in.url}/webhook"):
        client.delete_webhook(hook["id"])

    # A user holds one valid personal access token at a time: revoked after use, for the other tests.
    personal = client.create_personal_access_token()
    try:
        done = _connect(ls_server, root, title, stand_in.url, token=personal)
    finally:
        client.revoke_personal_access_token(personal)
    assert done.returncode == 0, done.stderr
    assert "создан" in done.stdout
    (hook,) = _webhooks(ls_server, project_id, f"{stand_in.url}/webhook")
    assert set(connect.ANNOTATION_ACTIONS) <= set(hook["actions"]) and hook["send_payload"]
    assert len(client.ml_backends(project_id)) == 1

    client.annotate(client.tasks(project_id)[0]["id"], [stand_in.pattern])
    assert [e["action"] for e in stand_in.paths("POST", "/webhook")] == ["ANNOTATION_CREATED"]


def test_connect_to_a_backend_that_is_not_running_says_what_to_start(ls_server: LSServer) -> None:
    root, title, project_id = _project(ls_server, "нет бэкенда", n_segments=1)
    dead = f"http://127.0.0.1:{free_port()}"
    done = _connect(ls_server, root, title, dead)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"ML-бэкенд не отвечает по адресу {dead}" in done.stderr
    assert "python -m pedpatterns.labelstudio backend" in done.stderr
    assert ls_server.client().ml_backends(project_id) == []



def test_experts_teach_the_backend_through_label_studio_and_its_suggestions_change(ls_server: LSServer,
                                                                                   tmp_path: Path) -> None:
    """Two experts Submit in Label Studio → the backend retrains in the background → a new model_version → Label
    Studio asks again and the suggestions for what they taught differ; with the backend stopped, labelling goes on."""
    layout, project_id, title = ls_server.queue_project("учится", "Учится на ходу")
    root, client = layout.root, ls_server.client()
    tasks = {(t["data"]["part"], t["data"]["segment"]): t for t in client.tasks(project_id)}
    truth = queue_project_labels()
    taught = [tasks[("Фильм 3_part001", i)] for i in range(12)]  # nobody labelled film 3 before
    experts = [client.create_user(f"{ls_server.unique('expert')}@pedpatterns.local".replace(" ", ""))["id"]
               for _ in range(2)]

    with _backend(root, tmp_path / "backend.log", "--retrain-every", "6") as url:
        assert _connect(ls_server, root, title, url).returncode == 0
        first = _health(url)["model_version"]

        def suggestions() -> list[tuple[tuple[str, ...], float]]:
            body = requests.post(f"{url}/predict", json={"tasks": taught}, timeout=60).json()
            return [(tuple(r["result"][0]["value"]["choices"]), r["score"]) for r in body["results"]]

        before = suggestions()
        opened = client.task(taught[0]["id"])  # opening a task in Label Studio shows the backend's suggestion
        assert [p["model_version"] for p in opened["predictions"]] == [first]

        for task in taught:
            for expert in experts:
                client.annotate(task["id"], truth[(task["data"]["part"], task["data"]["segment"])],
                                completed_by=expert)
        health = _health(url)
        assert health["live_annotations"] == 24  # every Submit reached the webhook, inside Label Studio's 1 s
        wait_until(lambda: _health(url)["model_version"] != first and not _health(url)["training"], 180, 0.5)
        second = _health(url)["model_version"]
        assert second != first and second.startswith("live@")
        assert json.loads(layout.live_metrics.read_text(encoding="utf-8"))["n_segments"] == 36 + 12
        after = suggestions()
        assert after != before  # what the experts taught changed the suggestions for those segments
        # Label Studio sees the new version and asks again for a task that held the old one.
        fresh = tasks[("Фильм 3_part001", 15)]
        assert [p["model_version"] for p in client.task(fresh["id"])["predictions"]] == [second]

    # The backend is down: Label Studio still opens tasks and takes Submits, with no suggestion; its model page says
    # the backend is not connected.
    untouched = tasks[("Фильм 3_part001", 18)]
    opened = client.task(untouched["id"])
    assert opened["id"] == untouched["id"] and not opened["predictions"]
    assert client.annotate(untouched["id"], ["Рефлексия"])["id"]
    (backend,) = client.ml_backends(project_id)
    assert backend["state"] in ("DI", "ER")
