"""Where the per-part work runs: a process pool on this machine, or a Dask cluster of many machines.

Parts are independent, so Part 1 maps one function over them through a concurrent.futures
executor and takes the results as they come. ``--jobs N`` gives a ProcessPoolExecutor;
``--cluster ADDRESS`` (or DASK_SCHEDULER_ADDRESS) gives Dask distributed's ClientExecutor,
whose futures are concurrent.futures futures too. What differs is how the work starts, how it
stops and how a worker's failure reads, and that is all this module knows: it never touches a
project file (the caller alone writes tasks.json).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any
from urllib.parse import urlsplit

from pedpatterns import optional
from pedpatterns.errors import UserError
from pedpatterns.prepare.options import SCHEDULER_ENV, ExecutorOptions

SCHEMES = ("tcp", "tls")
CONNECT_SECONDS = 5.0  # an unreachable scheduler is said in seconds, not after Dask's default 30 s
STOP_SECONDS = 3.0  # how long stopped workers may take to end before they are killed


THIS_MACHINE = ExecutorOptions()  # one part after another, in the calling process


# --------------------------------------------------------------------------- the cluster's address


def cluster_address(given: str | None) -> str | None:
    """The scheduler's address: the flag, else DASK_SCHEDULER_ADDRESS, else none (this machine)."""
    text = (given or os.environ.get(SCHEDULER_ENV) or "").strip()
    return normalise_address(text) if text else None


def normalise_address(text: str) -> str:
    """``host:port`` or ``tcp://host:port`` as Dask wants it; anything else is refused in Russian."""
    address = text if "://" in text else f"tcp://{text}"
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in SCHEMES or not parts.hostname or not port:
        raise UserError(
            f"Адрес кластера «{text}» не похож на адрес планировщика Dask. Укажите его так: "
            "--cluster tcp://хост:8786 (адрес печатает команда dask scheduler при запуске) "
            f"или в переменной окружения {SCHEDULER_ENV}."
        )
    return address


def check_reachable(address: str) -> None:
    """Refuse an unreachable scheduler within seconds, before any film is cut or model trained.

    A bare TCP connect says «refused» or «no such host» at once; Dask's own handshake follows,
    because a proxy or a firewall may accept a connection that no scheduler answers.
    """
    _distributed()
    parts = urlsplit(address)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=CONNECT_SECONDS).close()
        asyncio.run(_handshake(address))
    except OSError as exc:
        raise _unreachable(address, exc) from None
    except Exception as exc:  # whatever answers there speaks another protocol
        raise _unreachable(address, exc, "по этому адресу отвечает не планировщик Dask") from None


async def _handshake(address: str) -> None:
    from distributed.comm import connect  # loaded by check_reachable (_distributed) before
    from distributed.security import Security

    comm = await connect(address, timeout=CONNECT_SECONDS, **Security().get_connection_args("client"))
    await comm.close()


def _unreachable(address: str, exc: BaseException, reason: str = "") -> UserError:
    if reason:
        pass
    elif isinstance(exc, socket.gaierror):
        reason = "имя машины не найдено"
    elif isinstance(exc, ConnectionRefusedError):
        reason = "соединение отклонено: по этому адресу никто не ждёт подключений"
    elif isinstance(exc, (TimeoutError, socket.timeout)) or "timed out" in str(exc).lower():
        reason = f"нет ответа за {CONNECT_SECONDS:g} с"
    else:
        reason = str(exc) or type(exc).__name__
    return UserError(
        f"Не удалось подключиться к кластеру Dask по адресу {address} ({reason}). Проверьте, что планировщик "
        f"запущен (dask scheduler) и адрес верный (--cluster или переменная {SCHEDULER_ENV}), и что эта "
        "машина видит его по сети; или обработайте части на этой машине: уберите --cluster "
        f"(и переменную {SCHEDULER_ENV}) и укажите --jobs N."
    )


def _distributed() -> Any:
    """Dask distributed, quiet on stderr; a missing or broken install is a Russian message, not a traceback."""
    try:
        distributed = optional.load("distributed", "Dask distributed")
    except optional.Unavailable as exc:
        raise UserError(
            f"Кластер Dask недоступен на этой машине: {exc.reason}. Переустановите зависимости: "
            "python tools/make.py install (или make install); или обработайте части на этой машине: уберите "
            f"--cluster (и переменную {SCHEDULER_ENV}) и укажите --jobs N."
        ) from None
    _quiet_dask()
    return distributed


# Loggers that write to stderr in the client process: Dask's own, and the event loops under it.
DASK_LOGGERS = ("distributed", "tornado", "bokeh", "asyncio")


def _quiet_dask() -> None:
    """Nothing of Dask's own logging reaches the user's terminal: the Russian message alone says what happened.

    distributed attaches stderr handlers to its loggers when imported; a scheduler that dies mid-run
    makes them print tracebacks and reconnect attempts (about twenty lines) above the one message that
    matters, and so do the client's finalizers at exit. The scheduler's and the workers' own logs keep
    the details; this process drops its copy.
    """
    import logging

    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".", 1)[0] in DASK_LOGGERS]
    for name in {*DASK_LOGGERS, *names}:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
        logger.setLevel(logging.CRITICAL + 1)


def _connect(address: str) -> Any:
    Client = _distributed().Client

    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise _unreachable(address, exc) from None
    if not client.scheduler_info().get("workers"):
        print(f"На кластере {address} пока нет ни одного рабочего: части начнут обрабатываться, как только "
              f"подключится рабочий (dask worker {address}).", file=sys.stderr, flush=True)
    return client


# --------------------------------------------------------------------------- the executor


@contextlib.contextmanager
def open_executor(where: ExecutorOptions, parts: int) -> Iterator[cf.Executor]:
    """An executor for ``parts`` parts; leaving it by an exception (a part's error, Ctrl-C) stops the work now.

    On the pool every worker process ends within seconds (SIGTERM, then SIGKILL), so no orphan
    keeps a core busy and the caller may then remove their temporaries. On a cluster the parts
    not yet started are cancelled; a part a worker has begun ends there (Dask cannot interrupt a
    running task) and is written whole, so the next run skips it.
    """
    if where.cluster:
        client = _connect(where.cluster)
        executor = client.get_executor(pure=False)  # the same part twice is two runs, never one cached result
        try:
            yield executor
            executor.shutdown(wait=True)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        finally:
            client.close(timeout=STOP_SECONDS)
        return
    pool = cf.ProcessPoolExecutor(max_workers=max(1, min(where.jobs, parts)), initializer=_pool_worker_init)
    try:
        yield pool
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown()


def outcome(future: cf.Future, part: str) -> Any:
    """The future's result; a worker lost for good becomes a Russian message naming the part."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise UserError(
            f"Процесс, обрабатывавший часть «{part}», внезапно завершился (чаще всего — не хватило памяти). "
            "Запустите команду снова с меньшим --jobs: готовые части сохранены."
        ) from None
    except cf.CancelledError:
        raise UserError(
            f"Кластер Dask отменил часть «{part}»: связь с планировщиком потеряна или его перезапустили. "
            "Проверьте планировщик и запустите команду снова: готовые части сохранены."
        ) from None
    except Exception as exc:
        if type(exc).__name__ != "KilledWorker":  # Dask's own, raised after several lost workers
            raise
        raise UserError(
            f"Часть «{part}» несколько раз подряд обрывала работу рабочих Dask (рабочий завершался, не "
            "закончив её; чаще всего — не хватило памяти). Проверьте журнал и память рабочих (dask worker) "
            "и запустите команду снова: готовые части сохранены."
        ) from None


def pool_threads(where: ExecutorOptions, parts: int) -> int:
    """CPU threads for one part: this machine's cores shared by the parts at once (0: each worker decides)."""
    if where.cluster:
        return 0
    return max(1, (os.cpu_count() or 2) // max(1, min(where.jobs, parts)))


# --------------------------------------------------------------------------- inside a worker


def worker_threads(requested: int) -> int:
    """CPU threads for a part on a Dask worker: its machine's cores shared by the worker's task threads.

    Dask starts its workers with OMP_NUM_THREADS=1, so Whisper left to itself would use a single
    core there. Outside a Dask worker (and when the caller chose a number) ``requested`` stays.
    """
    worker = _dask_worker()
    if requested or worker is None:
        return requested
    from dask.system import CPU_COUNT

    return max(1, CPU_COUNT // max(1, worker.state.nthreads))


def worker_name() -> str:
    """The Dask worker running this part (its name or address); empty outside a cluster."""
    worker = _dask_worker()
    return str(worker.name) if worker is not None else ""


def _dask_worker() -> Any:
    if "distributed" not in sys.modules:  # this process or a pool worker: no Dask here
        return None
    from distributed import get_worker

    try:
        return get_worker()
    except ValueError:
        return None


def _pool_worker_init() -> None:
    # Ctrl-C in a terminal reaches every process of the group; the parent alone decides, and stops
    # the workers with SIGTERM. A traceback per worker would bury the one message that matters.
    # SIGTERM keeps its default action, so a worker ends at once and quietly even inside Whisper's or
    # librosa's C code (a Python handler would wait there for the call to return); the parent removes
    # this worker's temporaries (its pid is dead).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop_pool(pool: cf.ProcessPoolExecutor, grace: float = STOP_SECONDS) -> None:
    """Stop every worker and what it started, and return only once they have all ended.

    After Ctrl-C the prompt comes back when this process exits, and the user expects nothing of the run
    to be left running then. So every process below this one is stopped, not only the workers the pool
    lists: a worker forked while Ctrl-C arrived and not yet listed, and the ffmpeg a worker was decoding
    with (a worker that dies leaves its children behind). SIGTERM ends them at once; whoever is left
    after ``grace`` seconds is killed, and each is waited for (joined, or polled until gone) for up to
    ``grace`` seconds more: a killed process on a loaded machine may take a moment to end.
    """
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    others = _descendants(exclude={w.pid for w in workers})
    for process in [*workers, *others]:
        with contextlib.suppress(OSError, ValueError, _NoSuchProcess):
            process.terminate()
    deadline = time.monotonic() + grace
    _wait_all(workers, others, deadline)
    for process in [*workers, *others]:
        if _alive(process):
            with contextlib.suppress(OSError, ValueError, _NoSuchProcess):
                process.kill()
    _wait_all(workers, others, time.monotonic() + grace)


try:  # psutil comes with Dask distributed; without it only the listed workers are stopped
    from psutil import NoSuchProcess as _NoSuchProcess
except Exception:  # pragma: no cover  (absent, or installed and broken)
    class _NoSuchProcess(Exception):  # type: ignore[no-redef]
        pass


def _descendants(exclude: set[int | None]) -> list[Any]:
    """This process's children and their children (psutil processes), less ``exclude``."""
    try:
        import psutil

        return [p for p in psutil.Process().children(recursive=True) if p.pid not in exclude]
    except Exception:  # no psutil, or /proc unreadable: the listed workers are stopped all the same
        return []


def _alive(process: Any) -> bool:
    try:
        if hasattr(process, "exitcode"):  # a pool worker: multiprocessing.Process
            return process.is_alive()
        return process.is_running() and process.status() != "zombie"
    except (OSError, ValueError, _NoSuchProcess):
        return False


def _wait_all(workers: list[Any], others: list[Any], deadline: float) -> None:
    """Join the workers, wait for the other processes (reaped where they are ours), until ``deadline``."""
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    for process in others:
        with contextlib.suppress(Exception):  # psutil.TimeoutExpired, or the process is gone
            process.wait(max(0.0, deadline - time.monotonic()))
