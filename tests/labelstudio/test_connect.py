"""``connect`` when Label Studio runs with its own SSRF defaults: the message names the command that fixes it.

Label Studio here is a stand-in that answers the few calls ``connect`` makes the way Label Studio 1.23.2 does
when it was started without ``python -m pedpatterns.labelstudio server`` (the 403 body is the real server's,
recorded): with ML_BLOCK_LOCAL_IP on, ``POST /api/ml/`` is refused; with only SSRF_PROTECTION_ENABLED on, the
backend is saved and the request still answers 403, because the webhook Label Studio makes for it is
refused (ml/models.py create_ml_webhook). What the real server does with our settings is
tests/labelstudio/test_labelstudio_connect.py's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from pedpatterns.errors import UserError
from pedpatterns.labelstudio import connect
from pedpatterns.labelstudio.client import LabelStudioClient
from pedpatterns.labelstudio.options import DEFAULT_TITLE
from tests.support.ml_backend import JSONHandler, StandInBackend, stand_in_backend

REFUSED = {"id": "b422c6e5-92ca-4b1d-81b2-1044b7becb7e", "status_code": 403, "version": "1.23.2",
           "detail": "URL resolves to a reserved network address (block: 127.0.0.0/8)", "exc_info": None}


def _label_studio(saves_backend: bool) -> tuple[ThreadingHTTPServer, list[dict[str, Any]]]:
    backends: list[dict[str, Any]] = []

    class Handler(JSONHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            answers = {
                "/api/current-user/whoami": {"id": 1, "email": "expert1@pedpatterns.local"},
                "/api/projects/": {"count": 1, "next": None, "results": [{"id": 1, "title": DEFAULT_TITLE}]},
                "/api/ml/": backends,
                "/api/webhooks/": [],
            }
            self.reply(200, answers[path]) if path in answers else self.reply(404, {"detail": "Not found."})

        def do_POST(self) -> None:
            body = self.body()
            if self.path.split("?", 1)[0] == "/api/ml/" and saves_backend:
                backends.append({**body, "id": 1, "state": "CO"})
            self.reply(403, REFUSED)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, backends


@pytest.fixture
def stand_in() -> Iterator[StandInBackend]:
    with stand_in_backend() as backend:
        yield backend


@pytest.mark.parametrize(("saves_backend", "expected", "variables"), [
    (False, "Label Studio не принял ML-бэкенд по адресу", "ML_BLOCK_LOCAL_IP=false и SSRF_PROTECTION_ENABLED=false"),
    (True, "Label Studio не дал создать вебхук", "SSRF_PROTECTION_ENABLED=false и ML_BLOCK_LOCAL_IP=false"),
], ids=["backend-refused", "webhook-refused"])
def test_label_studio_with_its_ssrf_defaults_is_named_with_the_command_that_fixes_it(
    stand_in: StandInBackend, saves_backend: bool, expected: str, variables: str
) -> None:
    server, _ = _label_studio(saves_backend)
    try:
        client = LabelStudioClient(f"http://127.0.0.1:{server.server_address[1]}", "a" * 40)
        with pytest.raises(UserError) as refused:
            connect.connect_backend(client, DEFAULT_TITLE, stand_in.url)
    finally:
        server.shutdown()
        server.server_close()
    message = refused.value.message
    assert message.startswith(expected) and stand_in.url in message
    assert "python -m pedpatterns.labelstudio server" in message and variables in message


def test_dead_backend_is_named_before_label_studio_is_asked() -> None:
    client = LabelStudioClient("http://127.0.0.1:9", "a" * 40)  # nothing listens there: never reached
    from pedpatterns.labelstudio.server import free_port

    dead = f"127.0.0.1:{free_port()}/"
    with pytest.raises(UserError) as refused:
        connect.connect_backend(client, DEFAULT_TITLE, dead)
    assert refused.value.message.startswith(f"ML-бэкенд не отвечает по адресу http://{dead.rstrip('/')}")
    assert "python -m pedpatterns.labelstudio backend" in refused.value.message
