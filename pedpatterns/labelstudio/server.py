"""Starting and stopping a private Label Studio server, for the tests and tools/make_labeled_csv.py.

Label Studio lives in its own virtual environment (``.venv-labelstudio``, made by
``python tools/make.py labelstudio``) because its dependencies conflict with the toolkit's, so it is
started as a separate process. The server started here listens on 127.0.0.1 only, keeps
its database in a folder of its own, serves the project's files as local files (the
document root is the project root, as the README tells users to do) and knows one user
whose legacy API token is chosen here, so the caller can talk to it at once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from pedpatterns.errors import UserError
from pedpatterns.layout import default_root

LS_VENV_ENV = "PEDPATTERNS_LS_VENV"
LS_VENV_NAME = ".venv-labelstudio"
ADMIN_EMAIL = "expert1@pedpatterns.local"
START_TIMEOUT = 420.0  # the first start migrates a fresh database: ~1.5 min on 2 cores, more on a busy machine


def label_studio_venv(repo_root: Path | None = None) -> Path | None:
    """The virtual environment that holds Label Studio, or ``None`` when it is not installed.

    ``PEDPATTERNS_LS_VENV`` wins (a worktree or CI may keep it elsewhere), then
    ``<repo root>/.venv-labelstudio``.
    """
    candidates = []
    if os.environ.get(LS_VENV_ENV):
        candidates.append(Path(os.environ[LS_VENV_ENV]))
    candidates.append(Path(repo_root or default_root()) / LS_VENV_NAME)
    for venv in candidates:
        if label_studio_executable(venv).is_file():
            return venv
    return None


def label_studio_executable(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "label-studio.exe"
    return venv / "bin" / "label-studio"


def free_port() -> int:
    """A TCP port nobody listens on now (the small race with other programs is accepted)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A started Label Studio: where it answers, how to authenticate, what it serves."""

    url: str
    token: str
    document_root: Path
    data_dir: Path
    log_path: Path
    process: subprocess.Popen = field(repr=False)
    startup_seconds: float = 0.0
    username: str = ADMIN_EMAIL
    password: str = ""

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def server_environment(document_root: Path, data_dir: Path, username: str, password: str, token: str) -> dict[str, str]:
    """Environment variables of the server process: local files, a known user, nothing phoned home."""
    env = dict(os.environ)
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(document_root),
        "LABEL_STUDIO_USERNAME": username,
        "LABEL_STUDIO_PASSWORD": password,
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "PYTHONIOENCODING": "utf-8",
    })
    # Our own venv must not leak into Label Studio's interpreter.
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def start_server(
    document_root: Path,
    data_dir: Path,
    *,
    venv: Path | None = None,
    port: int | None = None,
    timeout: float = START_TIMEOUT,
) -> RunningServer:
    """Start Label Studio and return once ``/health`` answers; a failure stops it and says why."""
    venv = venv or label_studio_venv()
    if venv is None:
        raise UserError(
            "Label Studio не установлен. Установите его в отдельное окружение командой "
            "«python tools/make.py labelstudio» (или «make labelstudio») "
            f"(или укажите папку окружения в переменной {LS_VENV_ENV})."
        )
    document_root = Path(document_root).resolve()
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    token = secrets.token_hex(20)
    password = secrets.token_urlsafe(12)
    log_path = data_dir / "label-studio.log"
    command = [
        str(label_studio_executable(venv)), "start", "--no-browser",
        "--internal-host", "127.0.0.1", "--port", str(port), "--enable-legacy-api-token",
    ]
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=server_environment(document_root, data_dir, ADMIN_EMAIL, password, token),
            cwd=str(data_dir),
            start_new_session=os.name != "nt",
        )
    server = RunningServer(
        url=f"http://127.0.0.1:{port}", token=token, document_root=document_root, data_dir=data_dir,
        log_path=log_path, process=process, password=password,
    )
    try:
        _wait_healthy(server, timeout)
    except BaseException:
        stop_server(server)
        raise
    server.startup_seconds = time.monotonic() - started
    return server


def _wait_healthy(server: RunningServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise UserError(
                f"Label Studio завершился при запуске (код {server.process.returncode}). "
                f"Последние строки журнала {server.log_path}:\n{server.log_tail()}"
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{server.url}/health", timeout=5).status_code == 200:
                return
        time.sleep(1.0)
    raise UserError(
        f"Label Studio не ответил за {timeout:.0f} с. Последние строки журнала {server.log_path}:\n{server.log_tail()}"
    )


def stop_server(server: RunningServer, grace: float = 15.0) -> None:
    """Stop the server and everything it started (it runs in a process group of its own)."""
    process = server.process
    if process.poll() is not None:
        return
    _signal(process, signal.SIGTERM if os.name != "nt" else None)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        _signal(process, signal.SIGKILL if os.name != "nt" else None)
        process.wait(grace)


def _signal(process: subprocess.Popen, sig: int | None) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if sig is None or sys.platform == "win32":
            process.kill()
        else:
            os.killpg(process.pid, sig)


@contextlib.contextmanager
def label_studio_server(document_root: Path, data_dir: Path, **kwargs) -> Iterator[RunningServer]:  # type: ignore[no-untyped-def]
    """A running server for the duration of a ``with`` block."""
    server = start_server(document_root, data_dir, **kwargs)
    try:
        yield server
    finally:
        stop_server(server)
