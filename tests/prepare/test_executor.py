"""Where parts run: addresses of a Dask scheduler, errors that cross process boundaries, temporaries on shared folders.

The cluster itself is tested with real ``dask scheduler`` and ``dask worker`` processes in
tests/scripts/test_cluster.py; here are the pieces that need no cluster.
"""

from __future__ import annotations

import os
import pickle
import subprocess
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cloudpickle
import pytest

from pedpatterns import fsutil
from pedpatterns.errors import UserError
from pedpatterns.layout import HOST_TAG, TMP_PREFIX, temp_elsewhere, temp_owner
from pedpatterns.models.trust import UntrustedModel
from pedpatterns.prepare import executor
from pedpatterns.prepare.executor import ExecutorOptions


@pytest.mark.parametrize(("given", "address"), [
    ("127.0.0.1:8786", "tcp://127.0.0.1:8786"),
    ("tcp://scheduler.lab:8786", "tcp://scheduler.lab:8786"),
    ("tls://10.0.0.5:8786", "tls://10.0.0.5:8786"),
])
def test_a_scheduler_address_is_taken_as_dask_wants_it(given: str, address: str) -> None:
    assert executor.normalise_address(given) == address


@pytest.mark.parametrize("given", ["scheduler", "tcp://scheduler", "http://host:8786", "tcp://:8786", "host:порт"])
def test_a_malformed_address_is_refused_in_russian(given: str) -> None:
    with pytest.raises(UserError, match="не похож на адрес планировщика Dask") as caught:
        executor.normalise_address(given)
    assert "tcp://хост:8786" in caught.value.message and given in caught.value.message


def test_the_flag_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(executor.SCHEDULER_ENV, raising=False)
    assert executor.cluster_address(None) is None
    monkeypatch.setenv(executor.SCHEDULER_ENV, " 10.0.0.5:8786 ")
    assert executor.cluster_address(None) == "tcp://10.0.0.5:8786"
    assert executor.cluster_address("tcp://other:1") == "tcp://other:1"


def test_where_parts_run() -> None:
    assert not ExecutorOptions().parallel(10)
    assert not ExecutorOptions(jobs=4).parallel(1)  # one part: no pool worth starting
    assert ExecutorOptions(jobs=2).parallel(2)
    assert ExecutorOptions(cluster="tcp://h:1").parallel(1)
    assert executor.pool_threads(ExecutorOptions(cluster="tcp://h:1"), 5) == 0  # each worker decides
    assert executor.pool_threads(ExecutorOptions(jobs=64), 2) == max(1, (os.cpu_count() or 2) // 2)


@pytest.mark.parametrize("dumps", [pickle.dumps, cloudpickle.dumps])
def test_a_workers_error_crosses_back_unchanged(dumps: Callable[[object], bytes]) -> None:
    """Dask sends a task's exception back pickled: the Russian message and the exit code survive."""
    for error in (UserError("Часть «урок_part002» повреждена: нарежьте заново.", exit_code=130),
                  UntrustedModel("Файл модели не доверен.")):
        back = pickle.loads(dumps(error))
        assert type(back) is type(error)
        assert (back.message, back.exit_code, str(back)) == (error.message, error.exit_code, str(error))


def test_a_pool_worker_that_dies_is_named_in_russian() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(os._exit, 9)
        with pytest.raises(UserError, match=r"«урок_part003».*--jobs"):
            executor.outcome(future, "урок_part003")


def test_outside_a_dask_worker_the_caller_decides_threads() -> None:
    assert executor.worker_threads(3) == 3
    assert executor.worker_threads(0) == 0
    assert executor.worker_name() == ""


def test_temporaries_of_another_machine_are_left_to_it(tmp_path: Path) -> None:
    """On a folder shared by a cluster, a process id is only meaningful on the machine that wrote it."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    mine_dead = tmp_path / f"{TMP_PREFIX}{ended.pid}@{HOST_TAG}-part.abc"
    old_style_dead = tmp_path / f"{TMP_PREFIX}{ended.pid}-part.def"
    other = "0" * 8 if HOST_TAG != "0" * 8 else "1" * 8
    elsewhere = tmp_path / f"{TMP_PREFIX}{ended.pid}@{other}-part.ghi"
    for path in (mine_dead, old_style_dead, elsewhere):
        path.mkdir()
    assert temp_owner(elsewhere.name) == ended.pid and temp_elsewhere(elsewhere.name)
    assert not temp_elsewhere(mine_dead.name) and not temp_elsewhere(old_style_dead.name)
    fsutil.clean_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [elsewhere.name]
    assert fsutil.temp_prefix("tasks.json").startswith(f"{TMP_PREFIX}{os.getpid()}@{HOST_TAG}-")
