"""``python -m pedpatterns.labelstudio server``: what it hands Label Studio, and Ctrl+C.

A stand-in ``label-studio`` executable (a few lines of Python in a fake environment named by
PEDPATTERNS_LS_VENV) writes down its command line, environment and pid, then waits to be stopped; the real
server's settings are proved by tests/labelstudio/test_labelstudio_connect.py, whose session server gets the same
environment (server.label_studio_environment).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pedpatterns.labelstudio.server import LS_VENV_ENV, ML_BACKEND_SETTINGS, free_port, label_studio_environment
from tests.support.scripts import REPO_ROOT
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGINT to one process is a POSIX test")

STAND_IN = """#!{python}
import json, os, signal, sys, time
record = {{"argv": sys.argv[1:], "env": dict(os.environ), "pid": os.getpid(), "pgid": os.getpgid(0)}}
with open(os.environ["FAKE_LS_RECORD"] + ".tmp", "w", encoding="utf-8") as f:
    json.dump(record, f)
os.replace(os.environ["FAKE_LS_RECORD"] + ".tmp", os.environ["FAKE_LS_RECORD"])
while True:
    time.sleep(0.05)
"""


def _fake_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "fake-ls-venv"
    executable = venv / "bin" / "label-studio"
    executable.parent.mkdir(parents=True)
    executable.write_text(STAND_IN.format(python=sys.executable), encoding="utf-8")
    executable.chmod(0o755)
    return venv


def _start(tmp_path: Path, root: Path, port: int) -> tuple[subprocess.Popen[str], Path]:
    record = tmp_path / "record.json"
    env = {**os.environ, LS_VENV_ENV: str(_fake_venv(tmp_path)), "FAKE_LS_RECORD": str(record),
           "LABEL_STUDIO_SSRF_PROTECTION_ENABLED": "true", "LABEL_STUDIO_BASE_DATA_DIR": str(tmp_path / "ls-data")}
    process = subprocess.Popen(
        [sys.executable, "-m", "pedpatterns.labelstudio", "server", "--root", str(root), "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, record


def _wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the stand-in Label Studio never started"
        time.sleep(0.05)
    return json.loads(path.read_text(encoding="utf-8"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_server_runs_label_studio_with_files_and_ml_backends_allowed_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    root = tmp_path / "Проект с пробелом"
    root.mkdir()
    port = free_port()
    process, record_path = _start(tmp_path, root, port)
    record = _wait_for(record_path, process)
    try:
        assert record["argv"] == ["start", "--internal-host", "127.0.0.1", "--port", str(port)]
        env = record["env"]
        assert env["LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED"] == "true"
        assert env["LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"] == str(root.resolve())
        for key, value in ML_BACKEND_SETTINGS.items():
            assert env[key] == value
        # The user's own spelling of a setting must not beat ours (Label Studio reads LABEL_STUDIO_<name> first).
        assert "LABEL_STUDIO_SSRF_PROTECTION_ENABLED" not in env
        assert env["COLLECT_ANALYTICS"] == "false" and env["LATEST_VERSION_CHECK"] == "false"
        # Label Studio's data folder is the user's: what they chose, or Label Studio's default.
        assert env["LABEL_STUDIO_BASE_DATA_DIR"] == str(tmp_path / "ls-data")
        assert "LABEL_STUDIO_USERNAME" not in env and "LABEL_STUDIO_USER_TOKEN" not in env
        assert record["pgid"] != os.getpgid(process.pid)  # its own group: the terminal's Ctrl+C reaches us only

        process.send_signal(signal.SIGINT)  # Ctrl+C
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        if _alive(record["pid"]):
            os.kill(record["pid"], signal.SIGKILL)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "Traceback" not in out
    assert f"http://localhost:{port}" in out and "Label Studio остановлен." in out
    wait_until(lambda: not _alive(record["pid"]), 10, 0.05)
    assert not _alive(record["pid"]), "Label Studio outlived the command"


@pytest.mark.slow
def test_server_on_a_busy_port_says_so(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process, record = _start(tmp_path, tmp_path, port)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 1 and "Traceback" not in err
    assert f"Порт {port} занят" in err and "--port" in err
    assert not record.exists()


def test_the_tests_server_gets_the_same_ml_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pedpatterns.labelstudio.server import server_environment

    monkeypatch.setenv("HEARTEX_ML_BLOCK_LOCAL_IP", "true")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    user = label_studio_environment(tmp_path)
    tests = server_environment(tmp_path, tmp_path / "data", "a@b.c", "pw", "t" * 40)
    for env in (user, tests):
        for key, value in ML_BACKEND_SETTINGS.items():
            assert env[key] == value
        assert "HEARTEX_ML_BLOCK_LOCAL_IP" not in env and "PYTHONPATH" not in env
        assert env["LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"] == str(tmp_path.resolve())
    assert "LABEL_STUDIO_BASE_DATA_DIR" not in user or user["LABEL_STUDIO_BASE_DATA_DIR"] == os.environ.get(
        "LABEL_STUDIO_BASE_DATA_DIR")
    assert tests["LABEL_STUDIO_BASE_DATA_DIR"] == str(tmp_path / "data")
