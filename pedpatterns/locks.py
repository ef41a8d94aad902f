"""Read-modify-write of shared files, one run at a time.

Two runs on one project (two prepare_data.py on different films, find_patterns.py beside
prepare_data.py) share tasks.json, the parts indexes and the model files. Each such update
happens under a lock file in ``<root>/.locks/`` (the ``filelock`` library: fcntl on Linux and
macOS, msvcrt on Windows), so the second run waits for the first instead of overwriting it,
and says that it waits.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from pedpatterns import fsutil
from pedpatterns.errors import UserError
from pedpatterns.layout import Layout

DEFAULT_WAIT_SECONDS = 6 * 3600.0  # a whole film may be in the other run's hands
QUIET_WAIT_SECONDS = 1.0  # a moment's wait for another run's quick update is not worth a line


def hold(
    layout: Layout, name: str, what: str, *, wait: float = DEFAULT_WAIT_SECONDS
) -> contextlib.AbstractContextManager[None]:
    """Hold the project's lock of ``name``; ``what`` tells the user what is busy (Russian, e.g. «файл tasks.json»)."""
    return hold_file(layout.lock(name), what, wait=wait)


@contextlib.contextmanager
def hold_file(path: Path, what: str, *, wait: float = DEFAULT_WAIT_SECONDS) -> Iterator[None]:
    """Hold the lock file ``path`` (outside a project too, such as the model cache)."""
    fsutil.ensure_dir(path.parent)
    lock = FileLock(path)
    with fsutil.naming(path):
        try:
            lock.acquire(timeout=QUIET_WAIT_SECONDS)
        except Timeout:
            print(f"Жду: {what} — здесь сейчас работает другой запуск pedpatterns…",
                  file=sys.stderr, flush=True)
            try:
                lock.acquire(timeout=wait)
            except Timeout:
                raise UserError(
                    f"{what[:1].upper()}{what[1:]} — здесь дольше {wait / 60:.0f} мин работает другой запуск "
                    "pedpatterns. Дождитесь, пока он закончится (или закройте его, если он завис), и повторите."
                ) from None
    try:
        yield
    finally:
        lock.release()
