"""Starting and stopping Label Studio: the user's server, and a private one for the tests and tools/make_labeled_csv.py.

Label Studio lives in its own virtual environment (``.venv-labelstudio``, made by
``python tools/make.py labelstudio``) because its dependencies conflict with the toolkit's, so it is
started as a separate process. Both kinds listen on 127.0.0.1 only, serve the project's files as
local files (the document root is the project root) and let an ML backend on this machine work
(:func:`label_studio_environment`, one source for both).

* :func:`run_in_foreground` — ``python -m pedpatterns.labelstudio server``: the user's Label Studio with
  its usual data folder, until Ctrl+C.
* :func:`start_server` — a private server for the tests: its database in a folder of its own and one user
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
from collections.abc import Callable, Iterator
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


# What a one-machine install needs for an ML backend, as Label Studio 1.23.2's code reads it
# (core/settings/base.py):
# - ML_BLOCK_LOCAL_IP (default true): ml/serializers.py MLBackendSerializer.validate_url refuses a backend URL
#   that resolves to 127.0.0.0/8 or a private network, and ml/api_connector.py BaseHTTPAPI.create_session
#   blocks the calls to it (/health, /setup, /predict).
# - SSRF_PROTECTION_ENABLED (default true): webhooks/serializers.py WebhookSerializer.validate_url refuses such
#   a webhook URL — so the webhook that ml/models.py create_ml_webhook makes for a new backend is never saved —
#   and webhooks/utils.py run_webhook_sync (core/utils/io.py ssrf_safe_post) refuses to post to one.
ML_BACKEND_SETTINGS = {"ML_BLOCK_LOCAL_IP": "false", "SSRF_PROTECTION_ENABLED": "false"}
# Nothing phoned home: no version check, no usage analytics, no error reports to Sentry.
PRIVACY_SETTINGS = {"LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "",
                    "FRONTEND_SENTRY_DSN": ""}
LS_PREFIXES = ("LABEL_STUDIO_", "HEARTEX_")


def _put_setting(env: dict[str, str], key: str, value: str) -> None:
    """Set one Label Studio setting so that it wins.

    Label Studio reads a setting NAME from LABEL_STUDIO_NAME, HEARTEX_NAME or NAME, the first one set
    (core/utils/params.py get_env), so a spelling of the user's own would otherwise beat ours.
    """
    name = key
    for prefix in LS_PREFIXES:
        name = name.removeprefix(prefix)
    for spelling in (*(prefix + name for prefix in LS_PREFIXES), name):
        env.pop(spelling, None)
    env[key] = value


def label_studio_environment(document_root: Path) -> dict[str, str]:
    """Environment of a Label Studio process: local files under ``document_root``, ML backends on this machine
    allowed (:data:`ML_BACKEND_SETTINGS`), nothing phoned home. The user's server and the tests' one both use it."""
    env = dict(os.environ)
    settings = {
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
        "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": str(Path(document_root).resolve()),
        **ML_BACKEND_SETTINGS,
        **PRIVACY_SETTINGS,
    }
    for key, value in settings.items():
        _put_setting(env, key, value)
    env["PYTHONIOENCODING"] = "utf-8"
    # Our own venv must not leak into Label Studio's interpreter.
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def server_environment(document_root: Path, data_dir: Path, username: str, password: str, token: str) -> dict[str, str]:
    """Environment of the tests' server: :func:`label_studio_environment` plus its own data folder and a known user."""
    env = label_studio_environment(document_root)
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": username,
        "LABEL_STUDIO_PASSWORD": password,
        "LABEL_STUDIO_USER_TOKEN": token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    })
    return env


def _require_venv(venv: Path | None) -> Path:
    venv = venv or label_studio_venv()
    if venv is None:
        raise UserError(
            "Label Studio не установлен. Установите его в отдельное окружение командой "
            "«python tools/make.py labelstudio» (или «make labelstudio») "
            f"(или укажите папку окружения в переменной {LS_VENV_ENV})."
        )
    return venv


def start_server(
    document_root: Path,
    data_dir: Path,
    *,
    venv: Path | None = None,
    port: int | None = None,
    timeout: float = START_TIMEOUT,
) -> RunningServer:
    """Start Label Studio and return once ``/health`` answers; a failure stops it and says why."""
    venv = _require_venv(venv)
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
    env = server_environment(document_root, data_dir, ADMIN_EMAIL, password, token)
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
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
    stop_process(server.process, grace)


def stop_process(process: subprocess.Popen, grace: float = 15.0) -> None:
    """SIGTERM to the process group started with ``start_new_session``, SIGKILL after ``grace`` seconds."""
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


# --- the user's server: ``python -m pedpatterns.labelstudio server`` ----------------------------------

FOREGROUND_HOST = "127.0.0.1"  # with the SSRF checks off, nobody but this machine should reach the server


def port_in_use(port: int, host: str = FOREGROUND_HOST) -> bool:
    """Whether something accepts connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def _answers_as_label_studio(url: str) -> bool:
    with contextlib.suppress(requests.RequestException, ValueError):
        session = requests.Session()
        session.trust_env = False
        response = session.get(f"{url}/api/version", timeout=3)
        return response.status_code == 200 and "label-studio-os-package" in response.json()
    return False


class _Stop(Exception):
    """SIGTERM or SIGHUP reached the command: stop Label Studio as Ctrl+C would."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop


def run_in_foreground(
    document_root: Path,
    port: int,
    *,
    venv: Path | None = None,
    log: Callable[[str], None] = print,
) -> int:
    """Run the user's Label Studio until it ends or Ctrl+C stops it; the exit code (0 after Ctrl+C).

    Label Studio keeps its usual data folder (the user's projects and accounts); the environment is
    :func:`label_studio_environment`. It runs in a process group of its own, so Ctrl+C in the terminal
    reaches only this command, which then stops Label Studio with SIGTERM: no traceback from either,
    whatever Label Studio was doing (even migrating its database at the first start).
    """
    venv = _require_venv(venv)
    document_root = Path(document_root).resolve()
    url = f"http://localhost:{port}"
    if port_in_use(port):
        if _answers_as_label_studio(f"http://{FOREGROUND_HOST}:{port}"):
            raise UserError(
                f"Label Studio уже запущен на порту {port} ({url}). Остановите его и запустите этой командой, "
                "чтобы он отдавал файлы проекта и пускал ML-бэкенд, или выберите другой порт: --port 8081."
            )
        raise UserError(f"Порт {port} занят другой программой. Выберите другой порт: --port 8081.")
    command = [
        str(label_studio_executable(venv)), "start", "--internal-host", FOREGROUND_HOST, "--port", str(port),
    ]
    log(f"Запускаю Label Studio: {url}\n"
        f"Файлы проекта отдаются из папки: {document_root}\n"
        f"ML-бэкенд на этом компьютере разрешён ({', '.join(f'{k}={v}' for k, v in ML_BACKEND_SETTINGS.items())}).\n"
        "Остановить — Ctrl+C. Первый запуск готовит базу данных (до пары минут).")
    sys.stdout.flush()  # before Label Studio's own lines, which it writes to the same terminal
    handled = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {sig: signal.signal(sig, _raise_stop) for sig in handled}
    process: subprocess.Popen | None = None
    try:
        process = subprocess.Popen(
            command,
            env=label_studio_environment(document_root),
            start_new_session=os.name != "nt",
            creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) if os.name == "nt" else 0,
        )
        code = process.wait()
    except (KeyboardInterrupt, _Stop):
        # A second Ctrl+C while Label Studio stops must not end this command with a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if process is not None:
                stop_process(process)
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        log("\nLabel Studio остановлен.")
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code != 0:
        raise UserError(f"Label Studio завершился с кодом {code}: причина — в его сообщениях выше.")
    return 0
