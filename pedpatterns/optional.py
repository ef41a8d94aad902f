"""Optional engines (PyTorch, Resemblyzer, openai-whisper, Dask distributed): loaded, or a reason in Russian.

An optional package may be missing, or installed and still unable to load: a PyTorch wheel for
another CPU, a missing system library (``OSError: libtorch_cpu.so: cannot open shared object
file``), a half-finished pip install. ``importlib.util.find_spec`` passes the broken ones, and the
import's own error would reach the user as a traceback or, being an OSError, as a message about
disk permissions. Every optional import goes through :func:`load`, so each failure reads the same:
which package, what went wrong in one line, and the caller adds what to do.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class Unavailable(Exception):
    """An optional package cannot be used; ``reason`` is Russian and names the package."""

    def __init__(self, package: str, reason: str, installed: bool) -> None:
        super().__init__(reason)
        self.package = package
        self.reason = reason
        self.installed = installed  # True: present but broken (reinstall); False: absent (install)


def _root(name: str) -> str:
    return name.split(".", 1)[0]


def load(name: str, package: str | None = None) -> ModuleType:
    """Import ``name`` or raise :class:`Unavailable`; ``package`` is what the user installs (for the message).

    Any exception during the import counts (not only ImportError): a package's ``__init__`` may fail
    in any way, and for the user all of them mean "this engine cannot be used here". Ctrl-C still passes.
    """
    package = package or _root(name)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and _root(exc.name) == _root(name):
            raise Unavailable(package, f"{package} не установлен", installed=False) from None
        raise Unavailable(package, f"{package} установлен, но не загружается: {_describe(exc)}", True) from None
    except Exception as exc:
        raise Unavailable(package, f"{package} установлен, но не загружается: {_describe(exc)}", True) from None


def _describe(exc: BaseException) -> str:
    """One line of the error, its type first (``OSError: libtorch_cpu.so: cannot open…``), not too long."""
    text = " ".join(str(exc).split()) or "без пояснения"
    if len(text) > 300:
        text = text[:297] + "…"
    return f"{type(exc).__name__}: {text}"
