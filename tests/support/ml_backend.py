"""A live ML backend of a few lines for tests: Label Studio's ML backend protocol over http.server in a thread.

It answers ``/health``, ``/setup``, ``/predict`` (one suggestion per task, the first default pattern) and
``/webhook``, and records every call, so a test sees what Label Studio itself asks and sends.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pedpatterns import patterns
from pedpatterns.labelstudio.config import CHOICES_TAG, IMAGE_TAG

MODEL_VERSION = "stand-in-7"


@dataclass
class StandInBackend:
    """A live ML backend of a few lines: what it was asked, and what it answers."""

    url: str = ""
    calls: list[tuple[str, str, Any]] = field(default_factory=list)  # (method, path, JSON body)
    pattern: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def paths(self, method: str, path: str) -> list[Any]:
        with self.lock:
            return [body for m, p, body in self.calls if (m, p) == (method, path)]

    def answer(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls.append((method, path, body))
        if method == "GET" and path in ("/", "/health"):
            return 200, {"status": "UP", "model_class": "StandIn"}
        if path == "/setup":
            return 200, {"model_version": MODEL_VERSION}
        if path == "/predict":
            return 200, {"results": [{
                "result": [{"from_name": CHOICES_TAG, "to_name": IMAGE_TAG, "type": "choices",
                            "value": {"choices": [self.pattern]}}],
                "score": 0.42, "model_version": MODEL_VERSION,
            } for _ in body.get("tasks", [])]}
        if path == "/webhook":
            return 201, {"status": "ok"}
        return 404, {"error": f"no route {path}"}


class JSONHandler(BaseHTTPRequestHandler):
    """A quiet request handler that reads and writes JSON: the base of every stand-in server of the tests."""

    def body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def reply(self, code: int, answer: Any) -> None:
        data = json.dumps(answer).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _handler(backend: StandInBackend) -> type[BaseHTTPRequestHandler]:
    class Handler(JSONHandler):
        def _answer(self, method: str) -> None:
            self.reply(*backend.answer(method, self.path.split("?", 1)[0], self.body()))

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

    return Handler


@contextmanager
def stand_in_backend() -> Iterator[StandInBackend]:
    """A running stand-in on a free port of 127.0.0.1, stopped on exit."""
    backend = StandInBackend(pattern=patterns.default_patterns()[0])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(backend))
    backend.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield backend
    finally:
        server.shutdown()
        server.server_close()
