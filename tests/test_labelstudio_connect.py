"""``python -m pedpatterns.labelstudio connect`` against the real Label Studio server and a live ML backend.

The backend here is a stand-in of a few lines (tests/mlkit.py) that answers Label Studio's ML backend
protocol — ``/health``, ``/setup``, ``/predict``, ``/webhook`` — and records every call, so the tests see
what Label Studio itself asks: a prediction when a task is opened, the annotation on Submit.
The session's server is started by tests/ls_server.py with the same settings as
``python -m pedpatterns.labelstudio server`` (server.label_studio_environment).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pedpatterns import patterns
from pedpatterns.labelstudio import connect
from pedpatterns.labelstudio.config import label_config_xml
from pedpatterns.labelstudio.project import setup_project
from pedpatterns.labelstudio.server import free_port
from pedpatterns.labelstudio.tasks import segment_tasks, update_tasks_file
from pedpatterns.layout import Layout
from pedpatterns.synthetic import make_processed_part
from tests.faultkit import REPO_ROOT
from tests.mlkit import MODEL_VERSION, StandInBackend, stand_in_backend

if TYPE_CHECKING:
    from tests.ls_server import LSServer

pytest_plugins = ["tests.ls_server"]
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


def test_connect_registers_once_and_label_studio_asks_the_backend(
    ls_server: LSServer, stand_in: StandInBackend
) -> None:
    root, title, project_id = _project(ls_server, "подсказки")
    client = ls_server.client()

    done = _connect(ls_server, root, title, stand_in.url)
    assert done.returncode == 0, done.stderr
    assert f"ML-бэкенд {stand_in.url} подключён к проекту «{title}»" in done.stdout
    assert f"версия модели: {MODEL_VERSION}" in done.stdout
    (backend,) = client.ml_backends(project_id)
    assert backend["url"] == stand_in.url and backend["title"] == connect.BACKEND_TITLE
    assert stand_in.paths("POST", "/setup"), "Label Studio did not call /setup when the backend was added"
    project = client.project(project_id)
    assert project["show_collab_predictions"] is True
    assert project["model_version"] == connect.BACKEND_TITLE
    # The server runs with SSRF_PROTECTION_ENABLED=false, so Label Studio made the webhook itself.
    (hook,) = _webhooks(ls_server, project_id, f"{stand_in.url}/webhook")
    assert hook["is_active"] and hook["send_payload"]
    assert "Вебхук" in done.stdout and "на месте" in done.stdout

    # Again: the same backend updated, nothing duplicated.
    again = _connect(ls_server, root, title, stand_in.url + "/")
    assert again.returncode == 0, again.stderr
    assert "уже был подключён" in again.stdout
    assert [b["id"] for b in client.ml_backends(project_id)] == [backend["id"]]
    assert len(_webhooks(ls_server, project_id, f"{stand_in.url}/webhook")) == 1

    # The labelling stream («Label All Tasks») opens a task: Label Studio asks /predict and shows the answer.
    asked = len(stand_in.paths("POST", "/predict"))
    opened = client.next_task(project_id)
    predicted = stand_in.paths("POST", "/predict")
    assert len(predicted) == asked + 1
    assert [t["id"] for t in predicted[-1]["tasks"]] == [opened["id"]]
    (shown,) = opened["predictions"]
    assert shown["model_version"] == MODEL_VERSION
    assert shown["result"][0]["value"]["choices"] == [stand_in.pattern]
    assert shown["score"] == pytest.approx(0.42)

    # A task opened from the Data Manager's table (GET /api/tasks/<id>/) is asked for too.
    other = next(t for t in client.tasks(project_id) if t["id"] != opened["id"])
    viewed = client.task(other["id"])
    assert [t["id"] for t in stand_in.paths("POST", "/predict")[-1]["tasks"]] == [other["id"]]
    assert [p["model_version"] for p in viewed["predictions"]] == [MODEL_VERSION]

    # Submit: the webhook posts the annotation to the backend inside the request (no Redis here).
    client.annotate(opened["id"], [stand_in.pattern])
    (event,) = [e for e in stand_in.paths("POST", "/webhook") if e["action"].startswith("ANNOTATION")]
    assert event["action"] == "ANNOTATION_CREATED"
    assert event["task"]["id"] == opened["id"]
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

