"""prepare_data.py and find_patterns.py on a real Dask cluster: a scheduler and two workers on 127.0.0.1.

The cluster is started the way docs/many-lessons.md tells a user to (``dask scheduler``, ``dask worker ADDRESS``),
as separate processes on free ports. Every part is processed exactly once and tasks.json is whole; a
worker killed in the middle of a part costs only time (the other worker redoes its part); a worker's
error reads exactly as on one machine; an unreachable scheduler is a Russian message within seconds.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pedpatterns.labelstudio.tasks import read_tasks
from pedpatterns.layout import Layout
from tests.support.media import bundled_tiny_en, lesson_clip, make_video
from tests.support.scripts import (
    PROCESS,
    Result,
    assert_ok,
    assert_refused,
    leftovers,
    run_script,
    script_env,
    start_script,
    task_urls_resolve,
    tree,
)

pytestmark = pytest.mark.slow

WORKERS = ("w1", "w2")
DONE_LINE = re.compile(r"^Часть (?P<part>.+?): \d+ сегментов за \d+ с \(рабочий (?P<worker>\S+)\)\.$", re.M)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Cluster:
    address: str
    workers: dict[str, subprocess.Popen]
    scheduler: subprocess.Popen

    def busy(self) -> dict[str, int]:
        """How many parts the scheduler has handed to each worker by name (running or next in line)."""
        from distributed import Client

        with Client(self.address, timeout=10, set_as_default=False) as client:
            names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
            return {names[a]: len(keys) for a, keys in client.processing().items() if a in names}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """``dask scheduler`` and two ``dask worker --nthreads 1`` on 127.0.0.1, free ports, logs in tmp.

    Without a nanny the worker process is the one started here, so a test can kill it for good.
    """
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    home = tmp_path / "dask"
    home.mkdir()
    address = f"tcp://127.0.0.1:{free_port()}"
    started: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> subprocess.Popen:
        with (home / f"{name}.log").open("w") as log:
            process = subprocess.Popen([dask, *args], cwd=home, stdout=log, stderr=subprocess.STDOUT,
                                       env=script_env())
        started.append(process)
        return process

    scheduler = start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                      "--no-dashboard")
    workers = {name: start(name, "worker", address, "--name", name, "--nthreads", "1", "--nworkers", "1",
                           "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                           "--local-directory", str(home / name))
               for name in WORKERS}
    try:
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(len(WORKERS), timeout=120)
        yield Cluster(address, workers, scheduler)
    finally:
        for process in reversed(started):
            process.kill()
            process.wait(30)


@pytest.fixture(scope="module")
def model() -> str:
    return bundled_tiny_en()


def two_films(root: Path, seconds: float = 30) -> Layout:
    """Two films of different content (speech starts later in the second), 15 s parts each."""
    layout = Layout(root)
    for number, name in enumerate(("Урок 1.mp4", "Урок 2.mp4")):
        make_video(layout.films / name, seconds, speech_at=1 + number, speech=lesson_clip().path, gop=20)
    return layout


def all_parts(layout: Layout) -> list[str]:
    return sorted(p.stem for p in layout.list_parts())


def assert_whole(layout: Layout, result: Result) -> Counter:
    """Every part processed once: one «done» line each, a transcript each, its tasks in tasks.json once."""
    assert_ok(result)
    parts = all_parts(layout)
    assert len(parts) >= 4, parts
    done = Counter(m["part"] for m in DONE_LINE.finditer(result.out))
    assert done == Counter(parts), result.out
    assert sorted(p.parent.name for p in layout.processed_data.glob("*/transcript.json")) == parts
    tasks = read_tasks(layout.tasks_json)
    keys = [(t["data"]["part"], t["data"]["segment"]) for t in tasks]
    assert len(keys) == len(set(keys)), "задача записана дважды"
    assert sorted({part for part, _ in keys}) == parts
    for part in parts:
        rows = (layout.segments_csv(part)).read_text(encoding="utf-8").splitlines()[1:]
        assert len([k for k in keys if k[0] == part]) == len(rows)
    task_urls_resolve(layout)
    assert not leftovers(layout.root), leftovers(layout.root)
    return Counter(m["worker"] for m in DONE_LINE.finditer(result.out))


def test_two_films_on_two_workers_every_part_once(cluster: Cluster, tmp_path: Path, model: str) -> None:
    layout = two_films(tmp_path / "проект")
    result = run_script("prepare_data.py", "--all-films", "--cluster", cluster.address, "--whisper-model", model,
                        *PROCESS, root=layout.root)
    by_worker = assert_whole(layout, result)
    assert set(by_worker) == set(WORKERS), by_worker  # both workers took parts
    assert "Части по рабочим кластера: w1 — " in result.out

    again = run_script("prepare_data.py", "--all-films", "--cluster", cluster.address, "--whisper-model", model,
                       *PROCESS, root=layout.root)
    assert_ok(again)
    assert f"пропущено (уже были): {len(all_parts(layout))}" in again.out
    assert not DONE_LINE.search(again.out)


def test_a_worker_killed_mid_part_costs_only_time(cluster: Cluster, tmp_path: Path, model: str) -> None:
    layout = two_films(tmp_path / "проект", seconds=45)
    process = start_script("prepare_data.py", "--all-films", "--cluster", cluster.address, "--whisper-model", model,
                           *PROCESS, root=layout.root)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while not cluster.busy().get("w1"):  # w1 has a part in hand
        assert process.poll() is None and time.monotonic() < deadline, "".join(output)
        time.sleep(0.1)
    time.sleep(0.5)  # on purpose, into the part: loading Whisper or recognising shows nothing outside to poll
    cluster.workers["w1"].kill()
    cluster.workers["w1"].wait(10)
    code = process.wait(300)
    reader.join(10)
    result = Result(code, "".join(output), process.stderr.read())
    by_worker = assert_whole(layout, result)
    assert by_worker["w2"] >= 1 and by_worker["w1"] < len(all_parts(layout)), by_worker


def test_a_workers_error_reads_as_on_one_machine(cluster: Cluster, tmp_path: Path, model: str) -> None:
    """A part broken after the cut: the worker's Russian message and exit code come back unchanged."""
    layout = two_films(tmp_path / "проект")
    film = ["--film", "Урок 1.mp4", "--whisper-model", model, *PROCESS]
    assert_ok(run_script("prepare_data.py", *film, "--part", "1", root=layout.root))
    broken = layout.film_parts("Урок 1")[1]
    broken.write_text("это уже не видео", encoding="utf-8")

    here = run_script("prepare_data.py", *film, "--all", root=layout.root)
    there = run_script("prepare_data.py", *film, "--all", "--cluster", cluster.address, root=layout.root)
    assert_refused(here, broken.name, code=1)
    assert_refused(there, broken.name, code=here.code)
    message = lambda r: r.err[r.err.index("Ошибка:"):].strip()  # noqa: E731
    assert message(there) == message(here)


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_an_unreachable_scheduler_is_said_in_seconds(tmp_path: Path, model: str, how: str) -> None:
    layout = two_films(tmp_path / "проект")
    before = tree(layout.root)
    address = f"tcp://127.0.0.1:{free_port()}"  # nobody listens there
    flag = ["--cluster", address] if how == "flag" else []
    env = script_env(**({"DASK_SCHEDULER_ADDRESS": address} if how == "environment" else {}))
    for script in ("prepare_data.py", "find_patterns.py"):
        started = time.monotonic()
        result = run_script(script, *flag, "--whisper-model", model, *PROCESS, root=layout.root, env=env)
        assert time.monotonic() - started < 20
        assert_refused(result, "Не удалось подключиться к кластеру Dask", address, "dask scheduler", code=1)
    assert tree(layout.root) == before  # nothing cut, nothing trained


def test_find_patterns_reports_every_video_from_the_cluster(cluster: Cluster, tmp_path: Path, model: str) -> None:
    layout = two_films(tmp_path / "проект")
    for film in layout.list_films():
        layout.new_videos.mkdir(parents=True, exist_ok=True)
        film.rename(layout.new_videos / film.name)
    result = run_script("find_patterns.py", "--cluster", cluster.address, "--whisper-model", model, *PROCESS,
                        root=layout.root)
    assert_ok(result)
    reports = sorted(p.parent.name for p in layout.reports.glob("*/report.json"))
    assert reports == ["Урок 1", "Урок 2"], reports
    workers = {m["worker"] for m in DONE_LINE.finditer(result.out)}
    assert workers and workers <= set(WORKERS), result.out
    assert json.loads((layout.reports / "Урок 1" / "report.json").read_text(encoding="utf-8"))["parts"]


def test_ctrl_c_on_the_client_then_the_same_command_finishes(cluster: Cluster, tmp_path: Path, model: str) -> None:
    """Ctrl-C cancels what has not started; a part a worker has begun is written whole; a rerun completes."""
    layout = two_films(tmp_path / "проект", seconds=45)
    args = ["--all-films", "--cluster", cluster.address, "--whisper-model", model, *PROCESS]
    process = start_script("prepare_data.py", *args, root=layout.root, start_new_session=True)
    deadline = time.monotonic() + 120
    while not any(cluster.busy().values()):
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    code = process.wait(30)
    err = process.stderr.read()
    assert code == 130 and "Прервано" in err and "Traceback" not in err, err

    again = run_script("prepare_data.py", *args, root=layout.root)
    assert_whole_after_resume(layout, again)


def test_a_dying_scheduler_is_told_not_dumped(cluster: Cluster, tmp_path: Path, model: str) -> None:
    """The scheduler killed mid-run: the Russian message alone on stderr, none of Dask's log; a rerun is whole."""
    layout = two_films(tmp_path / "проект", seconds=45)
    args = ["--all-films", "--cluster", cluster.address, "--whisper-model", model, *PROCESS]
    process = start_script("prepare_data.py", *args, root=layout.root)
    deadline = time.monotonic() + 120
    while not any(cluster.busy().values()):
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.1)
    cluster.scheduler.kill()
    cluster.scheduler.wait(10)
    code = process.wait(180)
    out, err = process.stdout.read(), process.stderr.read()
    assert code == 1, out + err
    assert "Traceback" not in err and "distributed." not in err and "tornado" not in err, err
    message = err.strip()
    assert message.startswith("Ошибка:") and "планировщик" in message, err  # nothing before the message
    assert "Ошибка:" not in message[1:], err  # and one message, not one per part
    assert not leftovers(layout.root), leftovers(layout.root)


def assert_whole_after_resume(layout: Layout, result: Result) -> None:
    assert_ok(result)
    parts = all_parts(layout)
    assert sorted(layout.processed_parts()) == parts
    keys = [(t["data"]["part"], t["data"]["segment"]) for t in read_tasks(layout.tasks_json)]
    assert len(keys) == len(set(keys)) and sorted({p for p, _ in keys}) == parts
    assert not leftovers(layout.root), leftovers(layout.root)
