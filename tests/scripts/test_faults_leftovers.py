"""Runs killed outright: the next run of any script removes their temporaries everywhere, and nothing else.

A SIGKILL, a power cut or the out-of-memory killer gives a run no chance to clean up, so each script sweeps the
project when it starts (pedpatterns.fsutil.sweep_leftovers). The tests kill real runs and plant the names an
attacker or a tired teacher might leave: a live run's temporary, a user's file named like one, a reused pid.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pedpatterns.layout import HOST_TAG, LOCKS, TMP_PREFIX, Layout
from tests.support.scripts import assert_ok, make_labelled, run_script, start_script


def temp_name(pid: int, name: str, tail: str = "ab12cd_x") -> str:
    """A temporary's name exactly as fsutil.temp_prefix and tempfile make it."""
    return f"{TMP_PREFIX}{pid}@{HOST_TAG}-{name}.{tail}"


def plant(path: Path, folder: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        path.mkdir()
        (path / "кадр.jpg").write_bytes(b"half")
    else:
        path.write_bytes(b"half")
    return path


@pytest.fixture()
def sleeper() -> Iterator[subprocess.Popen]:
    """A live process of another run: its temporaries are its own."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def ended_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.slow
def test_a_dataset_build_killed_outright_leaves_nothing_after_the_next_run(
    tmp_path: Path, sleeper: subprocess.Popen
) -> None:
    layout = make_labelled(tmp_path / "проект", n_parts=4, n_segments=60)
    build = start_script("create_image_dataset.py", "--yes", root=layout.root)
    mine = f"{TMP_PREFIX}{build.pid}@"
    deadline = time.monotonic() + 120
    while build.poll() is None and time.monotonic() < deadline:
        if any(p.name.startswith(mine) for p in layout.root.iterdir()):
            build.send_signal(signal.SIGKILL)  # mid-build: its dataset_foto/ is half copied
            break
        time.sleep(0.002)
    build.communicate()
    assert build.returncode == -signal.SIGKILL, "the build ended before its temporary could be caught"
    killed = [p for p in layout.root.iterdir() if p.name.startswith(mine)]
    assert killed, "SIGKILL leaves the temporary behind: what the next run must remove"

    dead = ended_pid()
    part = layout.processed_parts()[0]
    gone = [  # an ended run's temporaries wherever the project writes
        plant(layout.dataset_foto / temp_name(dead, "train"), folder=True),
        plant(layout.part_dir(part) / temp_name(dead, "segments.csv")),
        plant(layout.part_films / temp_name(dead, "cut"), folder=True),
        plant(layout.report_dir("урок") / temp_name(dead, "report.html")),
        plant(layout.reports / temp_name(dead, "урок", "old"), folder=True),
        plant(layout.root / LOCKS / temp_name(dead, "tasks.json")),
        plant(layout.auto_labeled_video("урок") / "images" / temp_name(dead, "кадр.jpg")),
        plant(layout.root / f"{TMP_PREFIX}{dead}-tasks.json.zz99yy88"),  # an older name without the machine tag
    ]
    kept = [
        plant(layout.root / temp_name(sleeper.pid, "dataset_foto"), folder=True),  # another run, still going
        plant(layout.part_dir(part) / temp_name(sleeper.pid, "transcript.json")),
        plant(layout.root / temp_name(dead, "tasks.json").replace(HOST_TAG, "0badf00d")),  # another machine's
        plant(layout.root / ".tmp-notes.txt"),  # the user's own files, named like temporaries
        plant(layout.root / f"{TMP_PREFIX}{dead}-мои заметки.txt"),
        plant(layout.root / f"{TMP_PREFIX}{dead}-черновик"),
        plant(layout.processed_data / f"{TMP_PREFIX}{dead}-урок.csv"),
        plant(layout.root / ".venv" / temp_name(dead, "site-packages")),  # outside the project's folders
    ]
    before = {p: p.read_bytes() if p.is_file() else None for p in kept}

    for _ in range(2):
        assert_ok(run_script("create_image_dataset.py", "--yes", root=layout.root))
    assert [p for p in killed + gone if p.exists()] == []
    assert {p: p.read_bytes() if p.is_file() else None for p in kept if p.exists()} == before
    assert (kept[0] / "кадр.jpg").read_bytes() == b"half"
    assert Layout(layout.root).dataset_metadata("train").is_file()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/sys/kernel/ns_last_pid").exists(), reason="pids are foreseen on Linux only")
def test_a_reused_pid_does_not_keep_a_dead_runs_temporary(tmp_path: Path, sleeper: subprocess.Popen) -> None:
    """The pid of a killed run now belongs to a process that started after the temporary: the temporary goes."""
    layout = Layout(tmp_path / "проект")
    layout.ensure_top_folders()
    older = plant(layout.root / temp_name(sleeper.pid, "tasks.json"))  # made by a live process after it started
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    last = int(Path("/proc/sys/kernel/ns_last_pid").read_text())
    ahead = range(last + 1, last + 3001)  # the pids the next processes will get
    for pid in ahead:
        (layout.root / temp_name(pid % pid_max, "dataset_foto")).write_bytes(b"")
    time.sleep(2.5)  # on purpose: the next process starts well after the temporaries were made (time must pass)
    newcomers = []
    try:
        for _ in range(5):
            newcomers.append(subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]))
            if newcomers[-1].pid in {pid % pid_max for pid in ahead}:
                break
        reused = newcomers[-1]
        assert reused.pid in {pid % pid_max for pid in ahead}, "the machine made more than 3000 processes meanwhile"
        reused_tmp = layout.root / temp_name(reused.pid, "dataset_foto")
        assert reused_tmp.exists() and reused.poll() is None

        result = run_script("create_image_dataset.py", "--yes", root=layout.root)
        assert result.code != 0 and "Traceback" not in result.err  # no labeled.csv: the sweep ran first
        assert not reused_tmp.exists()
        assert older.read_bytes() == b"half"
    finally:
        for process in newcomers:
            process.kill()
            process.wait()
